"""Loading rule files: the bundled rulebook loads; a broken file stops everything, naming file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.engine.rulebook import Rulebook, RulebookError, load_rulebook
from tests.engine.conftest import RULES_DIR

MINIMAL = """\
schema_version: 1
title: test
rules:
  - id: TEST-NITRO
    kind: hs_codes
    title: Nitrocellulose
    category: controlled_goods
    action: block
    legal_basis: test basis
    verification: verified
    effective:
      RU: {from: 2024-06-14}
    message: "Line {line}: HS {code} is listed."
    sources:
      - {title: test source}
    codes:
      - {code: "391220", description: nitrocellulose, verification: verified}
"""


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_bundled_rulebook(rulebook: Rulebook) -> None:
    assert rulebook.version.startswith("sha256:")
    assert rulebook.controlled_countries() == {"RU", "BY"}
    chpl = rulebook.by_id("TW-RUBY-CHPL")
    assert len(rulebook.codes_of(chpl)) == 50  # type: ignore[arg-type]
    verified = [e.code for e in rulebook.codes_of(chpl) if e.verification.value == "verified"]  # type: ignore[arg-type]
    assert verified == ["854231", "854232", "854233", "854239", "851762", "852691", "853221", "853224"]


def test_every_rule_cites_a_source(rulebook: Rulebook) -> None:
    for rule in rulebook.rules:
        assert rule.sources and rule.legal_basis and rule.verification


def test_version_is_a_content_hash(tmp_path: Path) -> None:
    first = load_rulebook(write(tmp_path, MINIMAL)).version
    assert load_rulebook(tmp_path).version == first
    write(tmp_path, MINIMAL.replace("391220", "391221"))
    assert load_rulebook(tmp_path).version != first


def test_next_tranche_is_yaml_only(tmp_path: Path) -> None:
    """A compliance officer adds codes by editing YAML alone."""
    shutil.copytree(RULES_DIR, tmp_path / "rules", ignore=shutil.ignore_patterns("lists"))
    path = tmp_path / "rules" / "20-ru-by-hs.yaml"
    text = path.read_text(encoding="utf-8").replace(
        '      - {code: "391220", description: "nitrocellulose (cellulose nitrates)", verification: verified}',
        '      - {code: "391220", description: "nitrocellulose (cellulose nitrates)", verification: verified}\n'
        '      - {code: "290420", description: "test addition", verification: verified}',
    )
    path.write_text(text, encoding="utf-8")
    matches = load_rulebook(tmp_path / "rules").hs_matches("29042000")
    assert [m.rule.id for m in matches] == ["TW-RUBY-NITROCELLULOSE"]


@pytest.mark.parametrize(("text", "line", "message"), [
    (MINIMAL.replace("    action: block", "    action: block\n    severity: high"), 9, "severity"),
    (MINIMAL.replace("action: block", "action: stop"), 8, "action"),
    (MINIMAL.replace('code: "391220"', 'code: "39x220"'), 17, "39x220"),
    (MINIMAL.replace("RU: {from: 2024-06-14}", "Mordor: {from: 2024-06-14}"), 12, "Mordor"),
    (MINIMAL.replace("RU: {from: 2024-06-14}", "RU: {from: 2024-06-14, until: 2024-01-01}"), 12, "until"),
    (MINIMAL.replace("is listed.", "is {colour}."), 13, "colour"),
    (MINIMAL.replace("    codes:\n", "    codes_from: NOPE\n    codes:\n"), 4, "codes_from"),
    (MINIMAL.replace("  - id: TEST", "  - id: [TEST"), None, "invalid YAML"),
])
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int | None, message: str) -> None:
    write(tmp_path, text)
    with pytest.raises(RulebookError, match=message) as info:
        load_rulebook(tmp_path)
    assert info.value.path.endswith("rules.yaml")
    if line is not None:
        assert info.value.line == line, str(info.value)
    else:
        assert info.value.line is not None


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, "a.yaml")
    write(tmp_path, MINIMAL, "b.yaml")
    with pytest.raises(RulebookError, match="duplicate rule ids: TEST-NITRO"):
        load_rulebook(tmp_path)


def test_unknown_reference(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL.replace("    codes:\n", "    superseded_by: [NOPE]\n    codes:\n"))
    with pytest.raises(RulebookError, match="unknown rule NOPE"):
        load_rulebook(tmp_path)


@pytest.mark.parametrize("setup", ["missing", "empty"])
def test_no_rules_is_an_error(tmp_path: Path, setup: str) -> None:
    directory = tmp_path / "rules"
    if setup == "empty":
        directory.mkdir()
    with pytest.raises(RulebookError):
        load_rulebook(directory)
