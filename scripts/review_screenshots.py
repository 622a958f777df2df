"""Screenshots of the reviewers' pages (docs/review/*.png) at 1280 px, taken from a service with demo data.

    .venv/bin/python scripts/review_screenshots.py [--csl ../shared/data/us-csl-sample/csl.csv] [--out docs/review]

It starts `export-screen serve` on a temporary data directory (scripts/live_service.py), screens a few
shipments through the API, then imports a US Consolidated Screening List file as a new list snapshot and
reloads, as an operator would after a list update: shipments still to leave whose parties are now listed
raise alerts. A reviewer then signs in to the pages in headless Chromium (CHROMIUM_PATH, default
/usr/bin/chromium), opens the queue and a blocked screening, records a release, and looks at the alerts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from live_service import EXPORT_SCREEN, LiveService, live_service, service_environment
from playwright.sync_api import Page, sync_playwright

from service.store.keys import Role

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 860}
LEAVES = (date.today() + timedelta(days=10)).isoformat()  # still to leave, so a list change screens it again


def shipment(reference: str, consignee: str, country: str, destination: str, items: list[dict[str, Any]],
             **more: Any) -> dict[str, Any]:
    """A declaration leaving in ten days."""
    return {"reference": reference, "export_date": LEAVES, "consignee": {"name": consignee, "country": country},
            "destination_country": destination, "items": items, **more}


FURNITURE = [{"hs_code": "9403.60", "description": "wooden tables", "quantity": 40, "unit_value": 120,
              "currency": "USD"}]
MACHINE_PARTS = [{"hs_code": "8466.93", "description": "parts for machining centres", "quantity": 12,
                  "unit_value": 850, "currency": "USD"}]
FPGA = [{"hs_code": "854231", "eccn": "3A001", "description": "FPGA", "quantity": 200, "unit_value": 95,
         "currency": "USD"}]
DEMO = [
    shipment("SO-24117", "Volga Instruments", "RU", "RU", FPGA),
    shipment("SO-24121", "Sharp Edge Engineering Inc.", "TW", "HK", FPGA),
    shipment("SO-24125", "3K Aviation Consulting and Logistics", "TR", "TR", MACHINE_PARTS),
    shipment("SO-24126", "Gulf Gate Shipping Co. LLC", "AE", "AE", MACHINE_PARTS),
    shipment("SO-24130", "Sakura Furniture KK", "KR", "JP", FURNITURE),
    shipment("SO-24131", "Sakura Furniture KK", "JP", "JP", FURNITURE),
]


def screen_demo(service: LiveService) -> dict[str, dict[str, Any]]:
    """Screen the demo shipments; their verdicts by reference."""
    return {body["reference"]: service.screen(body) for body in DEMO}


def update_lists(service: LiveService, csl: Path) -> None:
    """Import the CSL file as a snapshot and reload, so the service screens its open shipments again."""
    environment = service_environment(service.data_dir, {})
    subprocess.run([EXPORT_SCREEN, "lists", "import", "--format", "csl", str(csl)], env=environment, check=True,
                   capture_output=True, cwd=service.data_dir)
    answer = httpx.post(f"{service.url}/v1/rules:reload", headers=service.headers(Role.ADMIN), timeout=300)
    answer.raise_for_status()


def shoot(page: Page, out: Path, name: str, *, full_page: bool = False) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size // 1024} KiB")


def walk_pages(page: Page, service: LiveService, screened: dict[str, dict[str, Any]], out: Path) -> None:
    """Sign in, the queue, a blocked screening, a release recorded, the alerts: one screenshot each."""
    page.goto(f"{service.url}/review/queue")
    page.get_by_test_id("api-key").fill(service.keys[Role.REVIEWER])
    shoot(page, out, "login")
    with page.expect_navigation():
        page.get_by_test_id("sign-in").click()
    page.keyboard.press("j")
    shoot(page, out, "queue")
    page.goto(f"{service.url}/review/screenings/{screened['SO-24121']['id']}")
    shoot(page, out, "screening")
    page.goto(f"{service.url}/review/screenings/{screened['SO-24130']['id']}")
    page.keyboard.press("r")
    page.locator("#reason_code").select_option("end_use_verified")
    page.locator("#note").fill("Consignee's Korean branch confirmed by phone; goods delivered to the Osaka store.")
    with page.expect_navigation():
        page.get_by_test_id("submit-decision").click()
    page.locator("#history").scroll_into_view_if_needed()
    shoot(page, out, "decision")
    page.goto(f"{service.url}/review/alerts")
    shoot(page, out, "alerts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csl", type=Path, default=ROOT.parent / "shared" / "data" / "us-csl-sample" / "csl.csv",
                        help="a US Consolidated Screening List CSV, imported after the first screenings")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "review", help="where the PNGs go")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    with (tempfile.TemporaryDirectory(prefix="review-screenshots-") as data,
          live_service(Path(data), key_label="Compliance desk") as service):
        screened = screen_demo(service)
        update_lists(service, arguments.csl)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), headless=True)
            page = browser.new_page(viewport=VIEWPORT)
            walk_pages(page, service, screened, arguments.out.resolve())
            browser.close()


if __name__ == "__main__":
    main()
