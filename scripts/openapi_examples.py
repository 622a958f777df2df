"""Make the OpenAPI examples from real answers: run the app in-process on a fresh SQLite database with the
bundled rules and curated lists, call every operation once, and write each request and success answer to
service/api/openapi_examples.json (lists shortened to two entries, CSV to a few lines).

    .venv/bin/python scripts/openapi_examples.py

Run it again after an endpoint changes; tests/api/test_openapi_examples.py checks that every operation has
an example and that each still fits the schema.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.api.app import create_app  # noqa: E402
from service.api.openapi import EXAMPLES, operation_id  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.store.alerts import AlertCause, NewAlert, add_alerts  # noqa: E402
from service.store.database import make_engine, now, upgrade  # noqa: E402
from service.store.keys import Role, create_key  # noqa: E402
from service.store.webhooks import (  # noqa: E402
    DeliveryStatus,
    WebhookDelivery,
    fan_out,
    record_attempt,
    undispatched_events,
)

DECLARATION = json.loads((ROOT / "docs" / "examples" / "declaration.json").read_text(encoding="utf-8"))
ORDERS = (ROOT / "docs" / "examples" / "orders.csv").read_bytes()
RUSSIA = {"reference": "SO-2024-0816", "export_date": "2024-07-01",
          "consignee": {"name": "OOO Volga Instruments", "country": "RU"}, "destination_country": "RU",
          "items": [{"hs_code": "8542.31", "description": "microcontrollers", "quantity": 500, "unit_value": 3.2,
                     "currency": "USD"}]}
CSV_LINES = 4


def shortened(value: Any) -> Any:
    """Lists cut to two entries, recursively: an example shows the shape, not a whole rulebook."""
    if isinstance(value, list):
        return [shortened(item) for item in value[:2]]
    if isinstance(value, dict):
        return {key: shortened(item) for key, item in value.items()}
    if isinstance(value, str) and value.count("\n") > CSV_LINES:
        return "\n".join(value.removeprefix("\ufeff").splitlines()[:CSV_LINES]) + "\n"
    return value


class Recorder:
    """Calls the app and keeps, per operation, the request body and the success answer."""

    def __init__(self, http: httpx.AsyncClient, keys: dict[Role, str]) -> None:
        self.http = http
        self.keys = keys
        self.examples: dict[str, Any] = {}

    async def call(self, method: str, template: str, path: str, role: Role = Role.ADMIN, *,
                   body: Any = None, shown_body: Any = None, **arguments: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[role]}"}
        answer = await self.http.request(method, path, json=body, headers=headers, **arguments)
        if not answer.is_success:
            raise SystemExit(f"{method} {path} answered {answer.status_code}: {answer.text[:300]}")
        content = answer.json() if "json" in answer.headers.get("content-type", "") else answer.text
        if answer.status_code == 204:
            content = None
        entry: dict[str, Any] = {"responses": {} if content is None else {str(answer.status_code): shortened(content)}}
        if body is not None or shown_body is not None:
            entry["request"] = shortened(shown_body if shown_body is not None else body)
        earlier = self.examples.get(operation_id(method.lower(), template), {}).get("responses", {})
        entry["responses"] = {**earlier, **entry["responses"]}  # (a second call adds its status: PUT 201, then 200)
        self.examples[operation_id(method.lower(), template)] = entry
        return content


async def record(directory: Path) -> dict[str, Any]:
    settings = Settings(data_dir=directory / "var", database_url=f"sqlite:///{directory / 'examples.db'}",
                        webhook_poll_seconds=0)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with Session(engine) as session:
        keys = {role: create_key(session, role, f"{role.value} example")[1] for role in Role}
        session.commit()
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
    ) as http:
        calls = Recorder(http, keys)
        await calls.call("GET", "/healthz", "/healthz")
        await calls.call("GET", "/readyz", "/readyz")
        await calls.call("GET", "/v1/rules", "/v1/rules", Role.SCREENER, params={"country": "RU"})
        await calls.call("GET", "/v1/lists", "/v1/lists", Role.SCREENER)
        await calls.call("POST", "/v1/rules:reload", "/v1/rules:reload")
        hook = await calls.call("POST", "/v1/webhooks", "/v1/webhooks",
                                body={"url": "https://erp.example.com/export-screen/events",
                                      "events": ["screening.block", "decision.created"], "description": "SAP PRD"})
        screened = await calls.call("POST", "/v1/screenings", "/v1/screenings", Role.SCREENER, body=DECLARATION)
        blocked = await calls.call("POST", "/v1/screenings:batch", "/v1/screenings:batch", Role.SCREENER,
                                   body=[RUSSIA, {**DECLARATION, "reference": "SO-2024-0817"}])
        await calls.call("GET", "/v1/screenings", "/v1/screenings", Role.SCREENER, params={"limit": 2})
        await calls.call("GET", "/v1/screenings.csv", "/v1/screenings.csv", Role.REVIEWER, params={"verdict": "block"})
        await calls.call("POST", "/v1/parties:match", "/v1/parties:match", Role.SCREENER,
                         body={"name": "Sakura Furniture KK", "country": "JP", "kind": "organisation"})
        await calls.call("GET", "/v1/screenings/{screening_id}", f"/v1/screenings/{screened['id']}", Role.SCREENER)
        decisions = "/v1/screenings/{screening_id}/decisions"
        await calls.call("POST", decisions, f"/v1/screenings/{screened['id']}/decisions", Role.REVIEWER,
                         body={"decision": "release", "reason_code": "end_use_verified",
                               "note": "end-user statement and CNC retrofit contract on file"})
        await calls.call("GET", decisions, f"/v1/screenings/{screened['id']}/decisions", Role.SCREENER)
        files = {"file": ("orders.csv", ORDERS, "text/csv")}
        upload = {"file": "(the CSV file)", "jsonl": False, "retrospective": False}
        await calls.call("POST", "/v1/screenings:csv", "/v1/screenings:csv", Role.SCREENER, files=files,
                         shown_body=upload)
        job = await calls.call("POST", "/v1/batches", "/v1/batches", Role.SCREENER, files=files, shown_body=upload)
        for _ in range(600):
            state = (await http.get(f"/v1/batches/{job['id']}",
                                    headers={"Authorization": f"Bearer {keys[Role.SCREENER]}"})).json()
            if state["status"] in ("complete", "failed"):
                break
            await asyncio.sleep(0.05)
        await calls.call("GET", "/v1/batches/{job_id}", f"/v1/batches/{job['id']}", Role.SCREENER)
        await calls.call("GET", "/v1/batches", "/v1/batches", Role.SCREENER)
        await calls.call("GET", "/v1/batches/{job_id}/result", f"/v1/batches/{job['id']}/result", Role.SCREENER)
        await calls.call("GET", "/v1/webhooks", "/v1/webhooks")
        await calls.call("GET", "/v1/webhooks/{webhook_id}", f"/v1/webhooks/{hook['id']}")
        delivery = _failed_delivery(engine)
        await calls.call("GET", "/v1/webhooks/{webhook_id}/deliveries", f"/v1/webhooks/{hook['id']}/deliveries")
        await calls.call("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}:retry",
                         f"/v1/webhooks/{hook['id']}/deliveries/{delivery}:retry")
        await calls.call("POST", "/v1/webhooks/{webhook_id}:rotate-secret", f"/v1/webhooks/{hook['id']}:rotate-secret",
                         body={"keep_previous_seconds": 86400})
        await calls.call("POST", "/v1/webhooks/{webhook_id}:disable", f"/v1/webhooks/{hook['id']}:disable")
        await standing_decisions(calls, engine)
        await monitored_parties(calls)
    engine.dispose()
    assert blocked["results"][0]["screening"]["verdict"] == "block"
    return calls.examples


LISTED = {**RUSSIA, "reference": "SO-2024-0820", "destination_country": "TW",
          "consignee": {"name": "Sharp Edge Engineering Inc.", "country": "TW"},
          "items": [{"hs_code": "9403.60", "description": "office desks", "quantity": 4, "unit_value": 210,
                     "currency": "USD"}]}


async def standing_decisions(calls: Recorder, engine: Any) -> None:
    """A clearance from a false-positive release, the own deny list from a confirmed hold, and an alert."""
    cleared = await calls.http.post("/v1/screenings", json=LISTED,
                                    headers={"Authorization": f"Bearer {calls.keys[Role.SCREENER]}"})
    held = await calls.http.post("/v1/screenings", json={**LISTED, "reference": "SO-2024-0821"},
                                 headers={"Authorization": f"Bearer {calls.keys[Role.SCREENER]}"})
    for answer, decision, reason in ((cleared, "release", "false_positive_party"),
                                     (held, "hold", "confirmed_denied_party")):
        await calls.http.post(f"/v1/screenings/{answer.json()['id']}/decisions",
                              json={"decision": decision, "reason_code": reason,
                                    "note": "compared address and registration number with the list entry"},
                              headers={"Authorization": f"Bearer {calls.keys[Role.ADMIN]}"})
    clearances = await calls.call("GET", "/v1/clearances", "/v1/clearances", Role.REVIEWER)
    denials = await calls.call("GET", "/v1/deny-list", "/v1/deny-list", Role.REVIEWER)
    await calls.call("DELETE", "/v1/clearances/{clearance_id}", f"/v1/clearances/{clearances[0]['id']}",
                     params={"note": "the customer changed its registered address"})
    await calls.call("DELETE", "/v1/deny-list/{entry_id}", f"/v1/deny-list/{denials[0]['id']}",
                     params={"note": "delisted after review"})
    with Session(engine) as session:
        [alert_id] = add_alerts(session, [NewAlert(
            cause=AlertCause.LIST_CHANGED, action="block", screening_id=cleared.json()["id"],
            reference=LISTED["reference"], party_role="consignee", party_name="Sharp Edge Engineering Inc.",
            party_country="TW", list_name="tw-curated", entry_id="ofac-sdn-2022-sharp-edge-engineering",
            listed_name="Sharp Edge Engineering Inc.", score=100.0,
            message="A list update added an entry that matches the consignee of a shipment still to leave.")])
        session.commit()
    await calls.call("GET", "/v1/alerts", "/v1/alerts", Role.REVIEWER, params={"status": "open"})
    await calls.call("GET", "/v1/alerts/{alert_id}", f"/v1/alerts/{alert_id}", Role.REVIEWER)
    await calls.call("POST", "/v1/alerts/{alert_id}/decisions", f"/v1/alerts/{alert_id}/decisions", Role.ADMIN,
                     body={"decision": "hold", "reason_code": "confirmed_denied_party",
                           "note": "the consignee is the listed firm; shipment stopped"})


async def monitored_parties(calls: Recorder) -> None:
    """A customer of the ERP's master registered, read, listed and removed."""
    party = {"name": "Anadolu Makine Sanayi ve Ticaret A.S.", "country": "TR", "aliases": ["Anadolu Makine"],
             "addresses": ["Ikitelli OSB, Istanbul"]}
    await calls.call("PUT", "/v1/parties/{external_id}", "/v1/parties/C-10042", Role.REVIEWER, body=party)
    await calls.call("PUT", "/v1/parties/{external_id}", "/v1/parties/C-10042", Role.REVIEWER,
                     body={**party, "aliases": ["Anadolu Makine", "AMS"]})
    await calls.call("GET", "/v1/parties/{external_id}", "/v1/parties/C-10042", Role.SCREENER)
    await calls.call("GET", "/v1/parties", "/v1/parties", Role.SCREENER)
    await calls.call("DELETE", "/v1/parties/{external_id}", "/v1/parties/C-10042", Role.ADMIN)


def _failed_delivery(engine: Any) -> str:
    """The block screening's delivery, after a receiver that answered 503 ten times (so it can be retried)."""
    with Session(engine) as session:
        moment = now()
        fan_out(session, undispatched_events(session, 100), moment)
        session.commit()
    with Session(engine) as session:
        delivery = session.exec(select(WebhookDelivery)).first()
        assert delivery is not None
        record_attempt(session, delivery.id, 0, status=DeliveryStatus.FAILED, moment=moment,
                       next_attempt_at=moment + timedelta(seconds=0), status_code=503,
                       error="HTTP 503: Service Unavailable")
        session.commit()
        return delivery.id


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="openapi-examples-") as scratch:
        examples = asyncio.run(record(Path(scratch)))
    EXAMPLES.write_text(json.dumps(dict(sorted(examples.items())), indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(f"{len(examples)} operations written to {EXAMPLES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
