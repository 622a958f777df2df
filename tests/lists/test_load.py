"""load_entries: curated lists always, every snapshot, and a refusal (never a silent skip) when broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.lists.intake import take_in
from service.lists.load import ListIntegrityError, ListLoadError, load_entries
from service.lists.manifest import record
from service.lists.store import recorded, snapshot_dir, write_snapshot
from service.runtime import load_context
from tests.lists.helpers import CURATED, entry, ofac_copy, settings_for


def test_curated_lists_are_always_loaded(tmp_path: Path) -> None:
    entries, stamps = load_entries(settings_for(tmp_path))
    assert [(s.name, s.entries) for s in stamps] == [("tw-curated", 4)]
    assert stamps[0].version.startswith("sha256:")
    assert any(e.name == "Sharp Edge Engineering Inc." for e in entries)


def test_snapshots_are_added_with_their_versions(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    info = take_in(settings, "ofac", ofac_copy(tmp_path)).info
    entries, stamps = load_entries(settings)
    assert [(s.name, s.version, s.entries) for s in stamps] == [
        ("tw-curated", stamps[0].version, 4), ("ofac-sdn", info.version, 5),
    ]
    assert len(entries) == 9 and {e.source_list for e in entries} == {"tw-curated", "ofac-sdn"}


def test_corrupt_snapshot_raises(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    take_in(settings, "ofac", ofac_copy(tmp_path))
    path = snapshot_dir(settings.data_dir) / "ofac-sdn.jsonl.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ListLoadError, match=r"ofac-sdn\.jsonl\.gz"):
        load_entries(settings)


def test_invalid_curated_file_raises(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    shutil.copytree(CURATED, lists)
    (lists / "broken.yaml").write_text("list: {name: broken, title: B}\nentries: [{id: x, name: Y}]\n", "utf-8")
    with pytest.raises(ListLoadError, match=r"broken.yaml:2: entries.0.listing: Field required"):
        load_entries(settings_for(tmp_path, lists_dir=lists))


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_missing_curated_lists_raise(tmp_path: Path, make: str) -> None:
    lists = tmp_path / "lists"
    if make == "empty":
        lists.mkdir()
    with pytest.raises(ListLoadError, match="curated"):
        load_entries(settings_for(tmp_path, lists_dir=lists))


def test_required_list_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(ListLoadError, match="required lists not loaded: ofac-sdn"):
        load_entries(settings_for(tmp_path, required_lists=["ofac-sdn"]))


def test_duplicate_list_names_raise(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    info = write_snapshot(snapshot_dir(settings.data_dir), "tw-curated", "yaml", [entry("1")], "x", "y")
    record(settings.data_dir, "tw-curated", recorded(info))
    with pytest.raises(ListLoadError, match="two lists are named 'tw-curated'"):
        load_entries(settings)


@pytest.mark.parametrize(("name", "country", "entry_id", "action"), [
    ("Sharp Edge Engineering Inc.", "TW", "ofac-sdn-2022-sharp-edge-engineering", "block"),
    ("銳元科技", "TW", "ofac-sdn-2022-sharp-edge-engineering", "block"),
    ("I Machine Technology", "RU", "tw-el-2024-i-machine-technology", "block"),
    ("Huawei", None, "tw-el-2025-huawei", "block"),  # a listed name typed as listed, one word or not
    ("SMIC", None, "tw-el-2025-smic", "block"),
    ("Huawei Technologies Co., Ltd.", None, "tw-el-2025-huawei", "review"),  # a fuller name: held to review
])
def test_the_screener_finds_the_bundled_curated_parties(
    tmp_path: Path, name: str, country: str | None, entry_id: str, action: str,
) -> None:
    context = load_context(settings_for(tmp_path))
    assert context.parties is not None
    hits = context.parties.match(name, country)
    assert hits and hits[0].entry_id == entry_id and hits[0].action.value == action


@pytest.mark.parametrize(("entry_id", "applies_from"), [
    ("tw-el-2025-huawei", "2025-06-10"),  # taiwan-controls.md row 13
    ("tw-el-2025-smic", "2025-06-10"),
    ("tw-el-2024-i-machine-technology", "2024-01-01"),  # added "early January 2024": the month's first day
    ("ofac-sdn-2022-sharp-edge-engineering", "2022-11-14"),
])
def test_curated_listing_dates_reach_the_screening_context(tmp_path: Path, entry_id: str, applies_from: str) -> None:
    context = load_context(settings_for(tmp_path))
    assert str(context.listed_from[("tw-curated", entry_id)]) == applies_from


def test_snapshot_entries_apply_at_all_dates(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    take_in(settings, "ofac", ofac_copy(tmp_path))
    assert {list_name for list_name, _ in load_context(settings).listed_from} == {"tw-curated"}


def test_a_snapshot_put_back_from_an_older_copy_is_refused(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    take_in(settings, "ofac", ofac_copy(tmp_path))
    path = snapshot_dir(settings.data_dir) / "ofac-sdn.jsonl.gz"
    older = path.read_bytes()
    take_in(settings, "ofac", ofac_copy(tmp_path, keep_rows=4), force=True)  # a newer, different version
    path.write_bytes(older)  # whole and valid by its own hash, but not the recorded one
    with pytest.raises(ListLoadError, match=r"the manifest records .* replaced outside export-screen"):
        load_entries(settings)


def test_an_unrecorded_snapshot_is_refused(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    take_in(settings, "ofac", ofac_copy(tmp_path))
    directory = snapshot_dir(settings.data_dir)
    (directory / "extra.jsonl.gz").write_bytes((directory / "ofac-sdn.jsonl.gz").read_bytes())
    with pytest.raises(ListLoadError, match=r"extra\.jsonl\.gz is not in the manifest"):
        load_entries(settings)


def test_a_curated_list_cut_short_is_refused_by_the_lock(tmp_path: Path) -> None:
    lists = Path(shutil.copytree(CURATED, tmp_path / "lists"))
    curated = lists / "taiwan-curated.yaml"
    text = curated.read_text(encoding="utf-8")
    curated.write_text(text[: text.index("  - id: tw-el-2025-huawei\n")], encoding="utf-8")  # still valid YAML
    with pytest.raises(ListIntegrityError, match=(
        r"curated lists differ from the approved lock: taiwan-curated\.yaml: entries missing: "
        r"tw-el-2025-huawei, tw-el-2025-smic \(2 of 4 left\)")):
        load_entries(settings_for(tmp_path, lists_dir=lists))


def test_a_curated_list_added_or_deleted_is_refused_by_the_lock(tmp_path: Path) -> None:
    lists = Path(shutil.copytree(CURATED, tmp_path / "lists"))
    shutil.copy(lists / "taiwan-curated.yaml", lists / "extra.yaml")
    (lists / "extra.yaml").write_text((lists / "extra.yaml").read_text("utf-8").replace("name: tw-curated", "name: x"))
    with pytest.raises(ListIntegrityError, match=r"extra\.yaml: file added, not in the lock"):
        load_entries(settings_for(tmp_path, lists_dir=lists))
    (lists / "taiwan-curated.yaml").unlink()
    with pytest.raises(ListIntegrityError, match=r"taiwan-curated\.yaml: file missing"):
        load_entries(settings_for(tmp_path, lists_dir=lists))
