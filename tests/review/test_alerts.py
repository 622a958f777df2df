"""The alerts pages: listed for reviewers, closed with a decision, a blocking one released only by an admin."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session

from service.settings import Settings
from service.store.alerts import AlertCause, NewAlert, add_alerts
from service.store.database import make_engine
from service.store.keys import Role
from tests.review.conftest import form_token, sign_in

pytestmark = pytest.mark.asyncio


def _raise(settings: Settings, action: str) -> str:
    """One open list-change alert on a monitored party."""
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        [alert_id] = add_alerts(session, [NewAlert(
            cause=AlertCause.LIST_CHANGED, action=action, message="Volga Trading now matches an OFAC entry.",
            party_external_id="C-100", party_name="Volga Trading", party_country="RU", list_name="ofac-sdn",
            entry_id="12345", entry_hash="sha256:x", listed_name="VOLGA TRADING LLC", score=96.0)])
        session.commit()
    engine.dispose()
    return alert_id


async def test_a_screener_may_not_read_alerts(client: httpx.AsyncClient, keys: dict[Role, str]) -> None:
    await sign_in(client, keys[Role.SCREENER])
    answer = await client.get("/review/alerts")
    assert answer.status_code == 403 and "reviewer role" in answer.text


async def test_a_reviewer_closes_an_alert(client: httpx.AsyncClient, keys: dict[Role, str], settings: Settings,
                                          as_reviewer: dict[str, str]) -> None:
    alert_id = _raise(settings, "review")
    token = await sign_in(client, keys[Role.REVIEWER])
    listing = await client.get("/review/alerts")
    assert f'data-id="{alert_id}"' in listing.text and "VOLGA TRADING LLC" in listing.text
    answer = await client.post(f"/review/alerts/{alert_id}/decisions", data={
        "csrf_token": token, "decision": "release", "reason_code": "false_positive_party",
        "note": "Different company: other address and registration number."})
    assert answer.status_code == 303
    page = await client.get(f"/review/alerts/{alert_id}")
    assert 'data-testid="alert-status">closed' in page.text and 'data-decision="release"' in page.text
    assert (await client.get(f"/v1/alerts/{alert_id}", headers=as_reviewer)).json()["status"] == "closed"
    assert f'data-id="{alert_id}"' not in (await client.get("/review/alerts")).text  # open ones only


async def test_a_blocking_alert_is_released_by_an_admin_after_confirming(
    client: httpx.AsyncClient, keys: dict[Role, str], settings: Settings, as_reviewer: dict[str, str],
) -> None:
    alert_id = _raise(settings, "block")
    path = f"/review/alerts/{alert_id}/decisions"
    release = {"decision": "release", "reason_code": "false_positive_party", "note": "namesake"}
    token = await sign_in(client, keys[Role.REVIEWER])
    assert (await client.post(path, data={"csrf_token": token, **release})).status_code == 403
    client.cookies.clear()
    token = await sign_in(client, keys[Role.ADMIN])
    first = await client.post(path, data={"csrf_token": token, **release})
    assert first.status_code == 200 and 'data-testid="confirm-release"' in first.text
    assert (await client.get(f"/v1/alerts/{alert_id}", headers=as_reviewer)).json()["status"] == "open"
    second = await client.post(path, data={"csrf_token": form_token(first.text), **release, "confirm": "yes"})
    assert second.status_code == 303
    assert (await client.get(f"/v1/alerts/{alert_id}", headers=as_reviewer)).json()["status"] == "closed"


async def test_a_closed_alert_takes_no_second_decision(client: httpx.AsyncClient, keys: dict[Role, str],
                                                       settings: Settings) -> None:
    alert_id = _raise(settings, "review")
    token = await sign_in(client, keys[Role.REVIEWER])
    hold = {"csrf_token": token, "decision": "hold", "reason_code": "diversion_risk", "note": "held"}
    assert (await client.post(f"/review/alerts/{alert_id}/decisions", data=hold)).status_code == 303
    again = await client.post(f"/review/alerts/{alert_id}/decisions", data=hold)
    assert again.status_code == 409 and "already closed" in again.text


async def test_a_bad_status_is_named(client: httpx.AsyncClient, keys: dict[Role, str]) -> None:
    await sign_in(client, keys[Role.REVIEWER])
    answer = await client.get("/review/alerts?status=pending")
    assert answer.status_code == 400 and "status &#34;pending&#34;: must be open, closed or all" in answer.text


async def test_the_other_pages_answer(client: httpx.AsyncClient, keys: dict[Role, str]) -> None:
    await sign_in(client, keys[Role.SCREENER])
    for path, shown in (("/review/parties", "Monitored parties"), ("/review/batches", "Batch jobs"),
                        ("/review/lists", "sha256:test")):
        answer = await client.get(path)
        assert answer.status_code == 200 and shown in answer.text, path
    export = await client.get("/review/audit.csv?from=2024-01-01&to=2024-12-31")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    bad = await client.get("/review/audit.csv?from=last-week")
    assert bad.status_code == 400 and "from &#39;last-week&#39;" in bad.text
