"""The queue: undecided held screenings with counts, filters (each bad value named), and keyset paging."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import pytest_asyncio

from service.store.keys import Role
from tests.api.conftest import blocked_declaration, declaration, review_declaration
from tests.review.conftest import sign_in

pytestmark = pytest.mark.asyncio


def _rows(html: str) -> list[str]:
    """The references on a queue page, in order."""
    return re.findall(r'data-queue-link href="/review/screenings/[^"]+">([^<]+)</a>', html)


def _denied(reference: str) -> dict[str, Any]:
    return declaration(reference, consignee={"name": "Denied Trading LLC", "country": "AE"},
                       destination_country="AE", transit_countries=["TR"])


async def _screen(client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]) -> str:
    answer = await client.post("/v1/screenings", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


@pytest_asyncio.fixture
async def stocked(client: httpx.AsyncClient, as_screener: dict[str, str], as_reviewer: dict[str, str],
                  keys: dict[Role, str]) -> dict[str, str]:
    """A block to Russia, two reviews, a denied-party hit, a clear one and a decided review; signed in."""
    ids = {"SO-B1": await _screen(client, blocked_declaration("SO-B1"), as_screener),
           "SO-R1": await _screen(client, review_declaration("SO-R1"), as_screener),
           "SO-R2": await _screen(client, review_declaration("SO-R2"), as_screener),
           "PO-D1": await _screen(client, _denied("PO-D1"), as_screener),
           "SO-C1": await _screen(client, declaration("SO-C1"), as_screener),
           "SO-R3": await _screen(client, review_declaration("SO-R3"), as_screener)}
    decided = await client.post(f"/v1/screenings/{ids['SO-R3']}/decisions", headers=as_reviewer, json={
        "decision": "hold", "reason_code": "diversion_risk", "note": "held"})
    assert decided.status_code == 201
    await sign_in(client, keys[Role.SCREENER])
    return ids


async def test_the_queue_holds_undecided_held_screenings_riskiest_first(client: httpx.AsyncClient,
                                                                        stocked: dict[str, str]) -> None:
    page = await client.get("/review/queue")
    rows = _rows(page.text)
    assert set(rows) == {"SO-B1", "SO-R1", "SO-R2", "PO-D1"}  # not the clear one, not the decided one
    assert rows[:2] == ["PO-D1", "SO-B1"] or rows[0] in ("PO-D1", "SO-B1")
    scores = [int(score) for score in re.findall(r"</span></td>\s*<td>(\d+)</td>", page.text)]
    assert scores == sorted(scores, reverse=True)
    assert 'data-testid="count-block">2<' in page.text and 'data-testid="count-review">2<' in page.text


async def test_newest_first(client: httpx.AsyncClient, stocked: dict[str, str]) -> None:
    rows = _rows((await client.get("/review/queue?order=newest")).text)
    assert rows == ["PO-D1", "SO-R2", "SO-R1", "SO-B1"]


@pytest.mark.parametrize(("query", "expected"), [
    ("verdict=block", {"SO-B1", "PO-D1"}),
    ("verdict=review", {"SO-R1", "SO-R2"}),
    ("rule=RF-CONSIGNEE-COUNTRY", {"SO-R1", "SO-R2"}),
    ("list=test-list", {"PO-D1"}),
    ("country=RU", {"SO-B1"}),
    ("country=tr", {"PO-D1"}),  # a transit country counts; the code in any case
    ("country=KR", {"SO-R1", "SO-R2"}),  # a party's country counts
    ("reference=SO-R", {"SO-R1", "SO-R2"}),
    ("reference=so-r", {"SO-R1", "SO-R2"}),  # in any case
    ("reference=SO_R", set()),  # (no wildcards)
    ("from=2000-01-01&to=2999-12-31", {"SO-B1", "SO-R1", "SO-R2", "PO-D1"}),
    ("from=2999-01-01", set()),
    ("verdict=review&reference=SO-R2", {"SO-R2"}),
])
async def test_filters(client: httpx.AsyncClient, stocked: dict[str, str], query: str, expected: set[str]) -> None:
    answer = await client.get(f"/review/queue?{query}")
    assert answer.status_code == 200
    assert set(_rows(answer.text)) == expected


@pytest.mark.parametrize(("query", "named"), [
    ("verdict=clear", 'verdict &#34;clear&#34;: must be review or block'),
    ("country=Russia", 'country &#34;Russia&#34;: must be a two-letter ISO country code'),
    ("from=yesterday", 'from &#34;yesterday&#34;: must be a date as YYYY-MM-DD'),
    ("to=2024-13-01", 'to &#34;2024-13-01&#34;: must be a date'),
    ("rule=%3Cscript%3E", 'rule &#34;&lt;script&gt;&#34;: must be up to 80'),
    ("order=oldest", 'order &#34;oldest&#34;: must be risk or newest'),
    ("after=bm9wZQ", 'after &#34;bm9wZQ&#34;: is not a page position'),
    ("reference=" + "x" * 201, "reference &#34;" + "x" * 201 + "&#34;: must be at most 200"),
])
async def test_a_bad_filter_names_the_field_and_the_value(client: httpx.AsyncClient, stocked: dict[str, str],
                                                          query: str, named: str) -> None:
    answer = await client.get(f"/review/queue?{query}")
    assert answer.status_code == 400
    assert named in answer.text
    assert 'data-testid="filter-error"' in answer.text


async def test_paging_walks_every_row_once(client: httpx.AsyncClient, stocked: dict[str, str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.review.routes.queue.PAGE_SIZE", 1)
    for order in ("risk", "newest"):
        seen: list[str] = []
        page = await client.get(f"/review/queue?order={order}&verdict=")
        while True:
            seen.extend(_rows(page.text))
            following = re.search(r'id="next-page" href="([^"]+)"', page.text)
            if following is None:
                break
            page = await client.get(following.group(1).replace("&amp;", "&"))
            assert 'data-testid="first-page"' in page.text
        assert sorted(seen) == ["PO-D1", "SO-B1", "SO-R1", "SO-R2"], order
        assert len(seen) == len(set(seen))


async def test_paging_keeps_the_filters(client: httpx.AsyncClient, stocked: dict[str, str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.review.routes.queue.PAGE_SIZE", 1)
    page = await client.get("/review/queue?verdict=review")
    following = re.search(r'id="next-page" href="([^"]+)"', page.text)
    assert following is not None and "verdict=review" in following.group(1)
    second = await client.get(following.group(1).replace("&amp;", "&"))
    assert set(_rows(page.text) + _rows(second.text)) == {"SO-R1", "SO-R2"}


async def test_a_decision_takes_a_screening_off_the_queue(client: httpx.AsyncClient, stocked: dict[str, str],
                                                          as_reviewer: dict[str, str]) -> None:
    await client.post(f"/v1/screenings/{stocked['SO-R1']}/decisions", headers=as_reviewer, json={
        "decision": "release", "reason_code": "end_use_verified", "note": "ok"})
    assert "SO-R1" not in _rows((await client.get("/review/queue")).text)


async def test_the_queue_needs_a_session(client: httpx.AsyncClient) -> None:
    answer = await client.get("/review/queue")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/review/login")
