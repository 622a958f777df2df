"""HS/CCC codes and control numbers: canonical forms, and errors for what cannot be read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.engine.codes import CodeError, EccnKind, normalise_hs, parse_eccn


@pytest.mark.parametrize(("raw", "digits"), [
    ("854231", "854231"), ("8542.31", "854231"), ("8542 31 00", "85423100"), ("8542.31.00.00-1", "85423100001"),
    ("85423100001", "85423100001"), ("8542", "8542"), (" 3912.20 ", "391220"), ("8458/11", "845811"),
])
def test_hs_forms(raw: str, digits: str) -> None:
    assert normalise_hs(raw) == digits


@pytest.mark.parametrize(("raw", "message"), [
    ("85A231", "only digits"), ("854", "3 digits"), ("", "empty"), ("854231000012", "12 digits"),
    ("ICs", "only digits"),
])
def test_hs_errors_name_the_value(raw: str, message: str) -> None:
    with pytest.raises(CodeError, match=message) as info:
        normalise_hs(raw)
    assert repr(raw) in str(info.value)


@given(st.text(alphabet="0123456789", min_size=4, max_size=11),
       st.lists(st.sampled_from([".", " ", "-"]), max_size=3))
def test_hs_separators_never_matter(digits: str, separators: list[str]) -> None:
    text = digits
    for position, sep in enumerate(separators, start=1):
        cut = min(len(text), 2 * position + position - 1)
        text = text[:cut] + sep + text[cut:]
    assert normalise_hs(text) == digits
    assert normalise_hs(normalise_hs(text)) == digits


@given(st.text(min_size=1, max_size=14).filter(lambda s: any(c.isalpha() for c in s)))
def test_hs_with_letters_is_rejected(value: str) -> None:
    with pytest.raises(CodeError):
        normalise_hs(value)


@pytest.mark.parametrize(("raw", "code", "kind", "category"), [
    ("3A001", "3A001", EccnKind.MULTILATERAL, 3), ("3a001.a.2", "3A001.A.2", EccnKind.MULTILATERAL, 3),
    ("1C101", "1C101", EccnKind.MULTILATERAL, 1), ("7A003", "7A003", EccnKind.MULTILATERAL, 7),
    ("9A610", "9A610", EccnKind.MULTILATERAL, 9), ("5A992", "5A992", EccnKind.X9XX, 5),
    ("5a992.c", "5A992.C", EccnKind.X9XX, 5), ("2B991", "2B991", EccnKind.X9XX, 2),
    ("EAR99", "EAR99", EccnKind.NOT_LISTED, None), ("nlr", "NLR", EccnKind.NOT_LISTED, None),
    ("Not Listed", "NOT LISTED", EccnKind.NOT_LISTED, None),
])
def test_eccn_forms(raw: str, code: str, kind: EccnKind, category: int | None) -> None:
    eccn = parse_eccn(raw)
    assert (eccn.code, eccn.kind, eccn.category) == (code, kind, category)


@pytest.mark.parametrize("raw", ["3F001", "3A01", "A3001", "0Y521", "EAR-99", "3A001..a", "dual use"])
def test_eccn_errors(raw: str) -> None:
    with pytest.raises(CodeError, match="control number"):
        parse_eccn(raw)


@given(st.integers(0, 9), st.sampled_from("ABCDE"), st.integers(0, 999))
def test_eccn_kind_follows_the_first_digit_of_the_number(category: int, group: str, number: int) -> None:
    eccn = parse_eccn(f"{category}{group.lower()}{number:03d}")
    expected = EccnKind.X9XX if f"{number:03d}".startswith("9") else EccnKind.MULTILATERAL
    assert eccn.kind is expected and eccn.category == category
