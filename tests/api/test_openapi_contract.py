"""schemathesis against the app's own OpenAPI schema, in-process: no 5xx, answers conform to the schema.

Bounded (a few examples per operation) so the whole run stays well under a minute; runs on SQLite.
Every check runs except `positive_data_acceptance`: a declaration can match the JSON Schema and still be
refused with 422, because countries and HS codes are validated by meaning (an unknown country name, an
empty code), which JSON Schema cannot express.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlmodel import Session

from service.api.app import create_app
from service.engine.rulebook import load_rulebook
from service.engine.screen import ScreeningContext
from service.settings import Settings
from service.store.database import make_engine
from service.store.keys import Role, create_key
from tests.api.conftest import RULES_DIR, OneNameList, screening_date
from tests.databases import fresh_sqlite

ADMIN: dict[str, str] = {}
EXAMPLES = 25  # per operation


@pytest.fixture(scope="module")
def api_schema(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The app on a fresh SQLite database with an admin key, loaded as a schemathesis schema."""
    url = fresh_sqlite(sqlite_template, tmp_path_factory.mktemp("contract"))
    engine = make_engine(url)
    with Session(engine) as session:
        _, ADMIN["Authorization"] = create_key(session, Role.ADMIN, "contract test")
        session.commit()
    engine.dispose()
    ADMIN["Authorization"] = f"Bearer {ADMIN['Authorization']}"
    rulebook = load_rulebook(RULES_DIR)
    app = create_app(Settings(database_url=url, migrate_on_start=False, max_batch_size=5),
                     load=lambda _: ScreeningContext(rulebook=rulebook, parties=OneNameList(),
                                                     screening_day=screening_date))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_api_conforms_to_its_schema(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case: Any) -> None:
            case.call_and_validate(headers=ADMIN, excluded_checks=[positive_data_acceptance])

        conforms()
