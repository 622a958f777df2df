"""`export-screen keys create|list` and `db upgrade`: the secret is printed once, only its hash is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session
from typer.testing import CliRunner

from service.cli import app
from service.store.database import make_engine
from service.store.keys import find_caller, hash_secret

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'keys.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_create_prints_the_secret_once_and_stores_only_its_hash(database: str) -> None:
    created = runner.invoke(app, ["keys", "create", "--role", "reviewer", "--name", "SAP PRD"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("esk_") and len(secret) > 40
    engine = make_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT role, name, key_hash FROM api_keys")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("reviewer", "SAP PRD", hash_secret(secret))]
    listed = runner.invoke(app, ["keys", "list"])
    assert "reviewer" in listed.stdout and "SAP PRD" in listed.stdout and secret not in listed.stdout


def test_unknown_role_is_refused(database: str) -> None:
    assert runner.invoke(app, ["keys", "create", "--role", "root"]).exit_code == 2


def test_db_upgrade_creates_the_schema(database: str) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.stdout
    engine = make_engine(database)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM screenings")).scalar_one() == 0
    engine.dispose()


def test_serve_help_lists_its_options() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert all(option in result.stdout for option in ("--host", "--port", "--workers"))


def test_revoked_keys_are_listed_as_revoked_and_no_longer_accepted(database: str) -> None:
    secret = runner.invoke(app, ["keys", "create", "--role", "screener"]).stdout.strip()
    key_id = secret.split("_")[1]
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert "revoked" in runner.invoke(app, ["keys", "list"]).stdout
    engine = make_engine(database)
    with Session(engine) as session:
        assert find_caller(session, secret) is None
    engine.dispose()
    assert runner.invoke(app, ["keys", "revoke", "nope"]).exit_code == 2
