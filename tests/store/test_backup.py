"""Backups that restore: a database with screenings is copied (SQLite: the online backup API, while a
writer keeps writing; PostgreSQL: pg_dump and pg_restore into a fresh database) and the audit trail is
read back from the copy."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from service.cli import app
from service.engine.verdict import Outcome, RulebookStamp, Verdict
from service.settings import Settings
from service.stamps import stamp_of
from service.store import screenings
from service.store.backup import BackupError, backup_sqlite
from service.store.database import make_engine
from service.store.tables import Screening
from tests.databases import POSTGRES_URL

STAMP = stamp_of(Settings())


def _record(database_url: str, references: list[str]) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        for reference in references:
            verdict = Verdict(reference=reference, verdict=Outcome.CLEAR, risk_score=0, findings=[],
                              rulebook=RulebookStamp(version="sha256:x", as_of=date(2024, 1, 1)))
            screenings.add_screening(session, declaration={"reference": reference}, verdict=verdict,
                                     caller_key_id="k1", request_id="r1", stamp=STAMP)
        session.commit()
    engine.dispose()


def _trail(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Screening.reference).order_by(col(Screening.id))).all())
    finally:
        engine.dispose()


def test_sqlite_online_backup_restores_the_audit_trail(sqlite_template: Path, tmp_path: Path) -> None:
    database = tmp_path / "live.db"
    shutil.copyfile(sqlite_template, database)
    url = f"sqlite:///{database}"
    _record(url, [f"SO-{n}" for n in range(200)])
    writing = threading.Thread(target=_record, args=(url, [f"LATE-{n}" for n in range(200)]))
    writing.start()  # the service keeps writing while the copy is taken
    backup = tmp_path / "backup" / "export-screen.db"
    pages = backup_sqlite(url, backup)
    writing.join()
    assert pages > 0 and not backup.with_name(backup.name + "-wal").exists()
    restored = tmp_path / "restored.db"
    shutil.copyfile(backup, restored)  # a restore is a copy of the backup put where the service looks
    trail = _trail(f"sqlite:///{restored}")
    assert trail[:200] == [f"SO-{n}" for n in range(200)]
    late = trail[200:]
    assert late == [f"LATE-{n}" for n in range(len(late))]  # the whole late transaction, or none of it
    assert len(late) in (0, 200)
    with pytest.raises(BackupError, match="never overwrites"):
        backup_sqlite(url, backup)


def test_backup_command(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "var" / "export-screen.db"
    database.parent.mkdir()
    shutil.copyfile(sqlite_template, database)
    _record(f"sqlite:///{database}", ["SO-1"])
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["db", "backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 0, result.output
    assert _trail(f"sqlite:///{tmp_path / 'copy.db'}") == ["SO-1"]
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/x")
    refused = CliRunner().invoke(app, ["db", "backup", str(tmp_path / "other.db")])
    assert refused.exit_code == 2 and "pg_dump" in refused.stderr


def _libpq(url: str, database: str | None = None) -> str:
    """The URL the PostgreSQL tools take (no driver name, no query)."""
    parsed = make_url(url).set(drivername="postgresql", query={})
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
                    reason="pg_dump and pg_restore are not installed")
def test_postgresql_dump_restores_the_audit_trail_into_a_fresh_database(postgres_url: str, tmp_path: Path) -> None:
    from tests.databases import empty_postgres

    empty_postgres(postgres_url)
    _record(postgres_url, [f"SO-{n}" for n in range(50)])
    options = make_url(postgres_url).query["options"]
    name = (options if isinstance(options, str) else options[0]).removeprefix("-csearch_path=")
    assert name.startswith("t_")  # the test session's own schema
    dump = tmp_path / "screen.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--schema={name}", f"--file={dump}", _libpq(postgres_url)],
                   check=True, capture_output=True, timeout=120)
    fresh = f"restore_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{fresh}"'))
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={_libpq(POSTGRES_URL, fresh)}", str(dump)],
                       check=True, capture_output=True, timeout=120)
        restored = make_url(postgres_url).set(database=fresh).render_as_string(hide_password=False)
        assert _trail(restored) == [f"SO-{n}" for n in range(50)]
        revision = make_engine(restored)
        with revision.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        revision.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        admin.dispose()
