"""Benchmark: screen generated declarations in-process, rules only, beside pydantic validating them.

Each declaration has 3 items and 3 parties (consignee, end user, one further party), drawn from a mix
of destinations (Germany, Russia, Belarus, Türkiye, China, ...), controlled and uncontrolled codes and
control numbers. Denied-party screening is out of scope here (an empty list), so this measures the
rules engine alone. Validation is timed separately: screening's speed as a share of validation's, in the
same round, is the figure that holds on a busy machine.

    .venv/bin/python scripts/bench_engine.py --count 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import time
from pathlib import Path
from typing import Any

from rounds import load_average, span

from service.engine.checks.parties import PartyHit
from service.engine.declaration import Declaration
from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext, screen
from service.engine.verdict import ListStamp

ROOT = Path(__file__).resolve().parent.parent
# "risky": every declaration draws from risky destinations, codes and control numbers (worst case).
# "erp": an exporter's order book: mostly partner-country destinations and uncontrolled goods, with a
# tenth of the shipments drawn from the risky pools.
RISKY_COUNTRIES = ["RU", "BY", "TR", "CN", "HK", "AE", "KZ", "Russia", "Türkiye"]
SAFE_COUNTRIES = ["DE", "US", "JP", "NL", "FR", "GB", "KR", "VN", "TH", "United States"]
RISKY_HS = ["854231", "85423900001", "846012", "845710", "391220", "8542", "848210", "847150", "901380"]
SAFE_HS = ["940360", "732690", "620342", "392690", "731815", "850440", "401699", "870899", "940510"]
RISKY_ECCN = ["3A001", "5A992", "1C991", "2B991", None, None]
SAFE_ECCN = [None, None, None, "EAR99"]
NAMES = ["Kessler Maschinenbau GmbH", "Anadolu Lojistik Ltd. Şti.", "OOO Tekhnopark", "Shenzhen Bright Co., Ltd.",
         "Gulf Trading FZE", "Almaty Stanko LLP"]


class EmptyList:
    """Denied-party screening against an empty list (rules-only benchmark)."""

    def match(self, name: str, country: str | None = None) -> list[PartyHit]:
        return []

    def stamps(self) -> list[ListStamp]:
        return []


def generate(rng: random.Random, index: int, mix: str = "risky") -> dict[str, Any]:
    """One random declaration with 3 items and 3 parties."""
    risky = mix == "risky" or rng.random() < 0.1
    countries = RISKY_COUNTRIES + SAFE_COUNTRIES if risky else SAFE_COUNTRIES
    hs_codes = RISKY_HS + SAFE_HS if risky else SAFE_HS
    eccns = RISKY_ECCN if risky else SAFE_ECCN

    def party() -> dict[str, str]:
        return {"name": rng.choice(NAMES), "country": rng.choice(countries)}
    destination = rng.choice(countries)
    return {
        "reference": f"SO-{index}", "export_date": f"{rng.randint(2022, 2025)}-{rng.randint(1, 12):02d}-15",
        "consignee": {"name": rng.choice(NAMES), "country": destination}, "end_user": party(),
        "parties": [{"role": "freight_forwarder", **party()}],
        "destination_country": destination, "transit_countries": rng.sample(countries, rng.randint(0, 1)),
        "end_use": rng.choice([None, "industrial automation", "military vehicles" if risky else "retail"]),
        "items": [{"hs_code": rng.choice(hs_codes), "eccn": rng.choice(eccns),
                   "unit_value": rng.choice([None, 150000, 3])} for _ in range(3)],
    }


def one_round(raw: list[dict[str, object]], context: ScreeningContext) -> tuple[float, float, dict[str, int]]:
    """Declarations/s validated and screened, and the verdicts."""
    gc.collect()
    start = time.perf_counter()
    declarations = [Declaration.model_validate(data) for data in raw]
    validated = len(raw) / (time.perf_counter() - start)
    gc.collect()
    start = time.perf_counter()
    outcomes: dict[str, int] = {}
    for declaration in declarations:
        verdict = screen(declaration, context)
        outcomes[verdict.verdict.value] = outcomes.get(verdict.verdict.value, 0) + 1
    screened = len(raw) / (time.perf_counter() - start)
    return validated, screened, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mix", choices=["erp", "risky"], default="erp")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    raw = [generate(rng, i, args.mix) for i in range(args.count)]
    # The export dates spread over 2022-2025 to exercise every tranche: they are screened as audits of past
    # shipments (retrospective), as a planned shipment is screened as of its own date.
    context = ScreeningContext(rulebook=load_rulebook(ROOT / "rules"), parties=EmptyList(), retrospective=True)
    print(f"python {platform.python_version()} on {platform.machine()}, one process (one core)")
    print("| round | load avg | validate, declarations/s | screen, declarations/s | screen / validate |")
    print("|---:|---:|---:|---:|---:|")
    ratios, screens = [], []
    for number in range(1, args.rounds + 1):
        load = load_average()
        validated, screened, outcomes = one_round(raw, context)
        ratios.append(screened / validated)
        screens.append(screened)
        print(f"| {number} | {load:.2f} | {validated:,.0f} | {screened:,.0f} | {screened / validated:.2f} |")
    print(f"declarations: {args.count:,} (3 items, 3 parties each, mix {args.mix}); verdicts: {outcomes}")
    print(f"screen {span(screens)} declarations/s; screen / validate (the baseline: pydantic validating the "
          f"same declarations) {span(ratios, 2)}")


if __name__ == "__main__":
    main()
