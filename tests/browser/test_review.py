"""The reviewers' pages end to end in a real browser: sign in, work the queue, decide, and the refusals.

Every test screens its own shipments through the API (a unique reference each), so the tests share one
service without depending on each other. Each checks at the end that no page logged a console error or a
CSP violation, and that nothing was asked of another host.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pytest
from sqlalchemy import update
from sqlmodel import Session

from service.store.database import make_engine
from service.store.keys import Role
from service.store.review_sessions import ReviewSession
from tests.browser.conftest import PageWatch
from tests.scripts.conftest import load_script

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
NOTE = "Consignee's Korean branch confirmed by phone; end use matches the order."


def declaration(**changes: Any) -> dict[str, Any]:
    """Furniture to Japan for a consignee in Korea, leaving today: a red flag, so `review`."""
    body: dict[str, Any] = {
        "reference": f"SO-{uuid4().hex[:8].upper()}",
        "export_date": date.today().isoformat(),
        "consignee": {"name": "Sakura Furniture KK", "country": "KR"},
        "destination_country": "JP",
        "items": [{"hs_code": "9403.60", "description": "wooden tables", "quantity": 10, "unit_value": 120,
                   "currency": "USD"}],
    }
    body.update(changes)
    return body


def blocked_declaration() -> dict[str, Any]:
    """An FPGA of ECCN 3A001 to Russia: `block`."""
    return declaration(consignee={"name": "Volga Instruments", "country": "RU"}, destination_country="RU",
                       items=[{"hs_code": "854231", "eccn": "3A001", "description": "FPGA"}])


def sign_in(page: Page, secret: str) -> None:
    """Fill the sign-in form the page shows now, send it, and wait until the next page (scripts included)
    has loaded: a shortcut pressed before review.js runs would do nothing."""
    page.get_by_test_id("api-key").fill(secret)
    with page.expect_navigation():
        page.get_by_test_id("sign-in").click()


def signed_in_at(page: Page, service: Any, role: Role, path: str = "/review/queue") -> None:
    """Open `path`, which asks for a sign-in first, and sign in with the key of `role`."""
    page.goto(path)
    assert "/review/login" in page.url
    sign_in(page, service.keys[role])
    page.get_by_test_id("signed-in-as").wait_for()


def choose(page: Page, decision: str, reason: str, note: str = NOTE) -> None:
    """Fill the decision form (the decision by its keyboard shortcut)."""
    page.keyboard.press(decision[0])  # r: release, h: hold
    assert page.locator(f"#decision-{decision}").is_checked()
    page.locator("#reason_code").select_option(reason)
    page.locator("#note").fill(note)


def decisions(service: Any, screening_id: str) -> list[dict[str, Any]]:
    """The screening's decision history, as the API tells it."""
    history: list[dict[str, Any]] = service.get(f"/v1/screenings/{screening_id}/decisions")
    return history


def test_a_reviewer_releases_a_screening_from_the_queue(page: Page, watch: PageWatch, service: Any) -> None:
    screened = service.screen(declaration())
    assert screened["verdict"] == "review"
    signed_in_at(page, service, Role.REVIEWER)
    assert page.get_by_test_id("signed-in-as").inner_text().endswith("(reviewer)")
    page.keyboard.press("/")  # the reference search
    page.keyboard.type(screened["reference"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"reference="))
    assert page.get_by_test_id("queue-row").count() == 1
    page.keyboard.press("j")  # the first line, then open it
    assert "selected" in (page.get_by_test_id("queue-row").get_attribute("class") or "")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/review/screenings/{screened['id']}")
    assert page.get_by_test_id("screening-reference").inner_text() == screened["reference"]
    assert page.get_by_test_id("verdict").first.inner_text() == "review"
    assert page.get_by_test_id("no-decision").is_visible()

    choose(page, "release", "end_use_verified")
    page.get_by_test_id("submit-decision").click()
    page.get_by_test_id("decision-recorded").wait_for()
    recorded = page.locator("[data-testid=decision][data-decision=release]")
    assert NOTE in recorded.inner_text()
    (decision,) = decisions(service, screened["id"])
    assert (decision["decision"], decision["reason_code"], decision["note"]) == ("release", "end_use_verified", NOTE)
    assert decision["decided_by_role"] == "reviewer"
    page.goto("/review/queue")  # decided: no longer waiting
    assert page.get_by_text(screened["reference"]).count() == 0
    watch.assert_clean()


def test_an_admin_releases_a_block_after_confirming(page: Page, watch: PageWatch, service: Any) -> None:
    screened = service.screen(blocked_declaration())
    assert screened["verdict"] == "block"
    signed_in_at(page, service, Role.ADMIN, f"/review/screenings/{screened['id']}")
    choose(page, "release", "permit_obtained", "MOEA permit on file for this shipment.")
    page.get_by_test_id("submit-decision").click()
    assert "Releasing lets the shipment go" in page.locator("main").inner_text()
    assert decisions(service, screened["id"]) == []  # nothing until confirmed
    page.get_by_test_id("confirm-release").click()
    page.get_by_test_id("decision-recorded").wait_for()
    (decision,) = decisions(service, screened["id"])
    assert (decision["decision"], decision["decided_by_role"]) == ("release", "admin")
    watch.assert_clean()


def test_a_screener_may_look_but_not_decide(page: Page, watch: PageWatch, service: Any) -> None:
    screened = service.screen(declaration())
    signed_in_at(page, service, Role.SCREENER, f"/review/screenings/{screened['id']}")
    assert page.get_by_test_id("cannot-decide").is_visible()
    assert page.get_by_test_id("decision-form").count() == 0
    # the same decision sent anyway, with the session's own valid token: refused by role
    token = page.locator("#logout-form input[name=csrf_token]").input_value()
    answer = post_form(page, f"/review/screenings/{screened['id']}/decisions",
                       {"csrf_token": token, "decision": "release", "reason_code": "other", "note": NOTE})
    assert answer == 403
    assert "needs the reviewer role" in page.get_by_test_id("error-message").inner_text()
    assert decisions(service, screened["id"]) == []
    watch.assert_clean()


def test_a_forged_form_is_refused_by_the_csrf_check(page: Page, watch: PageWatch, service: Any) -> None:
    screened = service.screen(declaration())
    signed_in_at(page, service, Role.REVIEWER, f"/review/screenings/{screened['id']}")
    choose(page, "hold", "diversion_risk")
    page.locator("#decision-form input[name=csrf_token]").evaluate("input => { input.value = 'forged' }")
    with page.expect_navigation() as sent:
        page.get_by_test_id("submit-decision").click()
    assert sent.value is not None and sent.value.status == 403
    assert page.locator("h1").inner_text() == "Form refused"
    assert decisions(service, screened["id"]) == []
    watch.assert_clean()


def test_an_expired_session_asks_for_the_key_again(page: Page, watch: PageWatch, service: Any) -> None:
    screened = service.screen(declaration())
    signed_in_at(page, service, Role.REVIEWER)
    expire_sessions(service)
    page.goto(f"/review/screenings/{screened['id']}")
    assert "/review/login" in page.url  # back to the sign-in form, which remembers where it was going
    sign_in(page, service.keys[Role.REVIEWER])
    page.wait_for_url(f"**/review/screenings/{screened['id']}")
    assert page.get_by_test_id("screening-reference").inner_text() == screened["reference"]
    watch.assert_clean()


def test_an_unknown_key_is_refused_at_sign_in(page: Page, watch: PageWatch) -> None:
    page.goto("/review/login")
    sign_in(page, "esk_not_a_key")
    assert "not known" in page.get_by_test_id("login-error").inner_text()
    assert page.get_by_test_id("signed-in-as").count() == 0
    watch.assert_clean()


def post_form(page: Page, action: str, fields: dict[str, str]) -> int:
    """Send a form built in the page (as a forged page would) and return the status of the answer."""
    with page.expect_navigation() as sent:
        page.evaluate("""([action, fields]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.append(input);
            }
            document.body.append(form);
            form.submit();
        }""", [action, fields])
    assert sent.value is not None
    return sent.value.status


def expire_sessions(service: Any) -> None:
    """End the lifetime of every open sign-in of the service, as if hours had passed."""
    live = load_script("live_service")
    engine = make_engine(live.database_url(service.data_dir))
    try:
        with Session(engine) as session:
            past = datetime.now(UTC) - timedelta(minutes=1)
            session.execute(update(ReviewSession).where(ReviewSession.ended_at.is_(None))  # type: ignore[union-attr]
                            .values(expires_at=past))
            session.commit()
    finally:
        engine.dispose()


@pytest.mark.parametrize("link", ["nav-alerts", "nav-parties", "nav-batches", "nav-lists", "nav-queue"])
def test_every_page_of_the_navigation_shows_without_errors(page: Page, watch: PageWatch, service: Any,
                                                          link: str) -> None:
    signed_in_at(page, service, Role.REVIEWER)
    with page.expect_navigation() as shown:
        page.get_by_test_id(link).click()
    assert shown.value is not None and shown.value.status == 200
    assert page.get_by_test_id(link).get_attribute("aria-current") == "page"
    watch.assert_clean()
