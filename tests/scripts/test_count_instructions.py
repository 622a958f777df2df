"""The instruction counter spells never-seen words as the HTTP benchmark's cold run does, and reads the totals."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scripts.conftest import load_script


@pytest.mark.parametrize(("number", "word"), [(0, "Ka"), (5, "Zu"), (16, "Kalo"), (17, "Lolo"), (256, "Kakalo")])
def test_never_seen_words_are_syllables_by_base_sixteen(number: int, word: str) -> None:
    """As COLD_LUA in bench_api.py: the lowest digit first, then capitalised."""
    assert load_script("count_instructions").never_seen_word(number) == word


def test_never_seen_words_do_not_repeat() -> None:
    spell = load_script("count_instructions").never_seen_word
    assert len({spell(number) for number in range(1_000_000, 1_005_000)}) == 5_000


@pytest.mark.parametrize("line", ["summary: 677204898", "totals: 677204898"])
def test_the_total_of_a_callgrind_file(tmp_path: Path, line: str) -> None:
    out = tmp_path / "callgrind.out"
    out.write_text(f"# callgrind format\nversion: 1\ncmd: python\nevents: Ir\n{line}\nfn=(1) main\n3 5\n")
    assert load_script("count_instructions").callgrind_events(out)["Ir"] == 677_204_898


def test_a_file_without_a_total_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "callgrind.out"
    out.write_text("events: Ir\n")
    with pytest.raises(ValueError, match="no total"):
        load_script("count_instructions").callgrind_events(out)


def test_the_cache_misses_of_a_callgrind_file(tmp_path: Path) -> None:
    """With the cache simulator, every event of the `events:` line is read by its name, in its place."""
    out = tmp_path / "callgrind.out"
    out.write_text("events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\n"
                   "summary: 426010398 115315321 68295562 6211156 2792441 836335 9354 45371 59455\n")
    events = load_script("count_instructions").callgrind_events(out)
    assert events["Ir"] == 426_010_398
    assert (events["ILmr"], events["DLmr"], events["DLmw"]) == (9_354, 45_371, 59_455)
