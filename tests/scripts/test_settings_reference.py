"""The configuration reference in docs/operations.md is the one rendered from the Settings model."""

from __future__ import annotations

from service.settings import Settings
from tests.scripts.conftest import load_script

reference = load_script("settings_reference")


def test_the_doc_shows_what_the_settings_model_renders() -> None:
    doc = reference.DOC.read_text(encoding="utf-8")
    assert doc == reference.replaced(doc, reference.render()), (
        "docs/operations.md is out of date: run python scripts/settings_reference.py")
    assert reference.main(["--check"]) == 0


def test_every_setting_has_a_row_with_its_environment_name_and_description() -> None:
    table = reference.render()
    for name, field in Settings.model_fields.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{name}` |"))
        assert field.description and field.description.split(";")[0][:40] in row
    assert "`DATABASE_URL` or `EXPORT_SCREEN_DATABASE_URL`" in table
    assert "| `list_update_interval_hours` | `EXPORT_SCREEN_LIST_UPDATE_INTERVAL_HOURS` | `0.0` |" in table


def test_a_stale_table_is_caught() -> None:
    doc = reference.DOC.read_text(encoding="utf-8")
    stale = reference.replaced(doc, reference.render().replace("`720.0`", "`24.0`"))
    assert stale != reference.replaced(stale, reference.render())
