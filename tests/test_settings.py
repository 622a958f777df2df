"""Where data lives does not depend on the current directory: one checkout, one database and one set of lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import PROJECT_ROOT, Settings, data_location


@pytest.fixture(autouse=True)
def _no_data_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EXPORT_SCREEN_DATA_DIR", "DATABASE_URL", "EXPORT_SCREEN_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_a_source_checkout_keeps_its_data_in_its_own_var_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.data_dir == PROJECT_ROOT / "var"
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'export-screen.db'}"


def test_a_relative_data_directory_is_anchored_once_where_it_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EXPORT_SCREEN_DATA_DIR", "data")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.data_dir == tmp_path / "data" and settings.data_dir.is_absolute()
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'export-screen.db'}"


def test_a_database_url_given_is_kept_and_shown_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://screen:s3cret@db:5432/screen")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+psycopg://screen:s3cret@db:5432/screen"
    shown = data_location(settings)
    assert "s3cret" not in shown and "postgresql+psycopg://screen:***@db:5432/screen" in shown
