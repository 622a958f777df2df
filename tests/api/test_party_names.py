"""Any Unicode in a party name is a clear 422 or a screening, never a 500; invisible characters cannot hide a name."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from service.api.app import create_app
from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext
from service.settings import Settings
from service.store.database import make_engine
from service.store.keys import Role, create_key
from tests.api.conftest import RULES_DIR, OneNameList, declaration
from tests.api.test_batches import csv_bytes, parse
from tests.batch.conftest import row
from tests.databases import fresh_sqlite

Poster = Callable[[bytes], httpx.Response]


def _body(name: str) -> bytes:
    """JSON with every non-ASCII character escaped: a lone surrogate travels as the escape \\ud800."""
    return json.dumps(declaration(consignee={"name": name, "country": "JP"})).encode("ascii")


def _post(client: httpx.AsyncClient, name: str, headers: dict[str, str]) -> Any:
    return client.post("/v1/screenings", content=_body(name),
                       headers={**headers, "Content-Type": "application/json"})


@pytest.mark.asyncio
@pytest.mark.parametrize(("name", "says"), [
    ("Sakura\ud800Furniture", "lone surrogate U+D800"),
    ("Sakura\x00Furniture", "control character U+0000"),
    ("Sakura\x1bFurniture", "control character U+001B"),
    ("Sakura\u202eerutinruF", "bidirectional control character U+202E"),
    ("Sakura\u2066Furniture\u2069", "bidirectional control character U+2066"),
    ("Sakura\ufffeFurniture", "noncharacter U+FFFE"),
    ("\u200b\u00ad\ufeff", "no letter or digit"),
    ("---", "no letter or digit"),
    ("S" * 10_000, "at most 500 characters"),
], ids=["surrogate", "nul", "escape", "bidi-override", "bidi-isolate", "noncharacter", "invisible-only",
        "punctuation-only", "10000-characters"])
async def test_bad_name_is_a_problem_naming_field_and_value(
    client: httpx.AsyncClient, as_screener: dict[str, str], name: str, says: str
) -> None:
    answer = await _post(client, name, as_screener)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert error["field"] == "consignee.name"
    assert says in error["message"]
    assert isinstance(error["value"], str) and len(error["value"]) <= 250  # quoted, cut, encodable


@pytest.mark.asyncio
@pytest.mark.parametrize("name", [
    "Denied\u200bTrading LLC",  # zero-width space between words
    "Denied\u200cTrading\u200d LLC",  # zero-width non-joiner, joiner
    "Denied\u200bTrad\u00ading\ufeffLLC",  # soft hyphen inside a word, byte-order mark
    "\u200fDenied Trading LLC\u200e",  # direction marks
    "Denied\tTrading\r\nLLC",  # a cell copied from a spreadsheet
    "Denied\u2028Trading\u00a0LLC",  # line separator, no-break space
], ids=["zwsp", "zwnj-zwj", "shy-bom", "marks", "tab-newline", "separators"])
async def test_invisible_characters_cannot_hide_a_listed_name(
    client: httpx.AsyncClient, as_screener: dict[str, str], name: str
) -> None:
    answer = await _post(client, name, as_screener)
    assert answer.status_code == 201
    assert answer.json()["verdict"] == "block"
    record = (await client.get(f"/v1/screenings/{answer.json()['id']}", headers=as_screener)).json()
    assert record["declaration"]["consignee"]["name"] == "Denied Trading LLC"  # stored as screened


@pytest.mark.asyncio
async def test_batch_endpoint_reports_a_bad_name_and_screens_the_rest(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    bodies = [declaration("SO-1", consignee={"name": "Bad\x00Name", "country": "JP"}), declaration("SO-2")]
    answer = await client.post("/v1/screenings:batch", json=bodies, headers=as_screener)
    assert answer.status_code == 200
    first, second = answer.json()["results"]
    assert first["status"] == "invalid" and first["errors"][0]["field"] == "consignee.name"
    assert second["status"] == "screened"


@pytest.mark.asyncio
async def test_csv_endpoint_reports_bad_names_on_their_rows_and_screens_the_rest(
    client: httpx.AsyncClient, as_screener: dict[str, str]
) -> None:
    rows = [row("CSV-1"), row("CSV-2", consignee="Kessler\x00GmbH"), row("CSV-3", consignee="Kessler\u202eHbmG"),
            row("CSV-4", consignee="Denied\u200bTrading LLC")]
    answer = await client.post("/v1/screenings:csv", headers=as_screener,
                               files={"file": ("orders.csv", csv_bytes(rows), "text/csv")})
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-rows"] == "4" and answer.headers["x-error-rows"] == "2"
    result = parse(answer.content)
    assert [(r["reference"], r["verdict"]) for r in result] == [
        ("CSV-1", "clear"), ("CSV-2", ""), ("CSV-3", ""), ("CSV-4", "block")]
    assert "control character U+0000" in result[1]["row_status"]
    assert "bidirectional control character U+202E" in result[2]["row_status"]


# Hypothesis: arbitrary text, surrogates included, as any party's name: 201 or 422, never a 500.

@pytest.fixture(scope="module")
def http(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Poster]:
    """A poster of declarations to an app with its lifespan running, on a loop of its own (hypothesis
    calls the test synchronously, once per example)."""
    url = fresh_sqlite(sqlite_template, tmp_path_factory.mktemp("names"))
    engine = make_engine(url)
    with Session(engine) as session:
        _, secret = create_key(session, Role.SCREENER, "names")
        session.commit()
    engine.dispose()
    rulebook = load_rulebook(RULES_DIR)
    app = create_app(Settings(database_url=url, migrate_on_start=False),
                     load=lambda _: ScreeningContext(rulebook=rulebook, parties=OneNameList()))
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    loop = asyncio.new_event_loop()
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                               base_url="http://testserver")
    try:
        yield lambda body: loop.run_until_complete(client.post("/v1/screenings", content=body, headers=headers))
    finally:
        loop.run_until_complete(client.aclose())
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()


@given(name=st.text(alphabet=st.characters(codec=None), max_size=40),
       role=st.sampled_from(["consignee", "end_user", "exporter"]))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_any_text_as_a_name_is_never_a_server_error(http: Poster, name: str, role: str) -> None:
    body = declaration(**{role: {"name": name, "country": "JP"}})
    answer = http(json.dumps(body).encode("ascii"))
    assert answer.status_code in (201, 422), answer.text
    if answer.status_code == 422:
        assert answer.json()["errors"][0]["field"] == f"{role}.name"
