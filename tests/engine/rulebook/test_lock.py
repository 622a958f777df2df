"""The rulebook lock: the committed rules match it, and every kind of tampering is refused by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.engine.rulebook import load_rulebook
from service.engine.rulebook.book import rule_file_reads
from service.engine.rulebook.lock import (
    LOCK_NAME,
    RulebookLockError,
    curated_differences,
    differences,
    lock_of,
    read_lock,
    write_lock,
)
from service.lists.load import curated_reads
from tests.engine.conftest import RULES_DIR

HS_RULES = "20-ru-by-hs.yaml"


def cut_before(path: Path, rule_id: str) -> None:
    """Cut a rule file just before a rule: still valid YAML, with fewer rules."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index(f"  - id: {rule_id}\n")], encoding="utf-8")


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A copy of the bundled rules with their committed lock."""
    return Path(shutil.copytree(RULES_DIR, tmp_path / "rules", ignore=shutil.ignore_patterns("lists")))


def test_the_committed_lock_approves_the_committed_rules() -> None:
    lock = read_lock(RULES_DIR)
    assert lock is not None, "rules/rules.lock.json is missing: run `export-screen rules lock`"
    assert differences(lock, rule_file_reads(RULES_DIR)) == [], "run `export-screen rules lock` after review"
    assert load_rulebook(RULES_DIR, locked=True).version == lock.version
    assert curated_differences(lock, curated_reads(RULES_DIR / "lists")) == [], "run `export-screen rules lock`"


def test_a_file_cut_short_names_the_lost_rules(rules: Path) -> None:
    cut_before(rules / HS_RULES, "TW-RUBY-MACHINE-TOOLS")
    assert len(load_rulebook(rules).by_id("TW-RUBY-CHPL").id) > 0  # still a valid rulebook without the lock
    with pytest.raises(RulebookLockError) as refused:
        load_rulebook(rules, locked=True)
    message = str(refused.value)
    assert f"{HS_RULES}: rules missing: TW-RUBY-MACHINE-TOOLS, TW-RUBY-NITROCELLULOSE" in message
    assert "content differs from the lock" in message and "export-screen rules lock" in message


def test_a_deleted_file_is_named(rules: Path) -> None:
    (rules / HS_RULES).unlink()
    with pytest.raises(RulebookLockError, match=rf"{HS_RULES}: file missing \(the lock lists \d+ rules in it\)"):
        load_rulebook(rules, locked=True)


def test_an_edited_code_is_a_hash_difference(rules: Path) -> None:
    path = rules / HS_RULES
    path.write_text(path.read_text(encoding="utf-8").replace('"845710"', '"845719"', 1), encoding="utf-8")
    with pytest.raises(RulebookLockError, match=rf"{HS_RULES}: content differs from the lock"):
        load_rulebook(rules, locked=True)


def test_an_added_file_is_named(rules: Path) -> None:
    shutil.copy(rules / "40-red-flags.yaml", rules / "50-extra.yaml")
    with pytest.raises(RulebookLockError, match=r"50-extra\.yaml: file added, not in the lock"):
        load_rulebook(rules, locked=True)


def test_a_file_that_no_longer_parses_is_still_a_lock_difference(rules: Path) -> None:
    path = rules / HS_RULES
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(RulebookLockError, match=rf"{HS_RULES}: does not parse; content differs"):
        load_rulebook(rules, locked=True)


def test_no_lock_is_refused_with_the_command_to_run(rules: Path) -> None:
    (rules / LOCK_NAME).unlink()
    with pytest.raises(RulebookLockError, match=r"no rulebook lock.*export-screen rules lock"):
        load_rulebook(rules, locked=True)
    assert load_rulebook(rules).rules  # validation alone does not need a lock


def test_an_unreadable_lock_is_refused(rules: Path) -> None:
    (rules / LOCK_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(RulebookLockError, match="the lock cannot be read"):
        load_rulebook(rules, locked=True)


def test_relocking_approves_the_edit(rules: Path) -> None:
    cut_before(rules / HS_RULES, "TW-RUBY-NITROCELLULOSE")
    edited = load_rulebook(rules)
    write_lock(rules, lock_of(edited.version, rule_file_reads(rules), []))
    assert load_rulebook(rules, locked=True).version == edited.version
    assert "TW-RUBY-NITROCELLULOSE" not in read_lock(rules).files[HS_RULES].rules  # type: ignore[union-attr]
