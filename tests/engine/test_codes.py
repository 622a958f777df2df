"""HS/CCC codes and control numbers: canonical forms, and errors for what cannot be read."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.engine.codes import CodeError, EccnKind, ascii_form, is_undeclared, normalise_hs, parse_eccn


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
    ("not controlled", "NOT CONTROLLED", EccnKind.NOT_LISTED, None),
])
def test_eccn_forms(raw: str, code: str, kind: EccnKind, category: int | None) -> None:
    eccn = parse_eccn(raw)
    assert (eccn.code, eccn.kind, eccn.category) == (code, kind, category)


@pytest.mark.parametrize("raw", ["3F001", "3A01", "A3001", "0Y521", "EAR-99", "3A001..a", "dual use"])
def test_eccn_errors(raw: str) -> None:
    with pytest.raises(CodeError, match="control number"):
        parse_eccn(raw)


@given(st.integers(0, 9), st.sampled_from("ABCDE"), st.integers(0, 999))
def test_eccn_kind_follows_the_number(category: int, group: str, number: int) -> None:
    eccn = parse_eccn(f"{category}{group.lower()}{number:03d}")
    if f"{number:03d}" in ("090", "521"):
        expected = EccnKind.US_ONLY
    else:
        expected = EccnKind.X9XX if f"{number:03d}".startswith("9") else EccnKind.MULTILATERAL
    assert eccn.kind is expected and eccn.category == category


@pytest.mark.parametrize(("raw", "kind"), [
    ("3A090", EccnKind.US_ONLY), ("4A090.a", EccnKind.US_ONLY), ("0A521", EccnKind.US_ONLY),
    ("1C521", EccnKind.US_ONLY), ("3A001", EccnKind.MULTILATERAL), ("9A610", EccnKind.MULTILATERAL),
    ("3A991", EccnKind.X9XX),
])
def test_us_only_entries_are_not_multilateral(raw: str, kind: EccnKind) -> None:
    assert parse_eccn(raw).kind is kind


# Every Unicode decimal digit (category Nd): full-width, Arabic-Indic, Devanagari, Thai, mathematical, ...
UNICODE_DIGITS = st.characters(categories=["Nd"])


@given(st.lists(UNICODE_DIGITS, min_size=4, max_size=11))
def test_hs_in_any_digits_is_read_as_ascii(digits: list[str]) -> None:
    expected = "".join(str(unicodedata.decimal(d)) for d in digits)
    assert normalise_hs("".join(digits)) == expected


@given(st.lists(st.integers(0, 9), min_size=6, max_size=6),
       st.sampled_from(["．", "－", "／", "　", "‐", "–", "−", " "]))
def test_full_width_separators_are_separators(digits: list[int], separator: str) -> None:
    text = "".join(chr(0xFF10 + d) for d in digits)  # full-width digits
    assert normalise_hs(text[:4] + separator + text[4:]) == "".join(map(str, digits))


@pytest.mark.parametrize(("raw", "digits"), [
    ("８５４２３１", "854231"), ("８５４２．３１．００", "85423100"), ("٨٥٤٢٣١", "854231"), ("۸۵۴۲۳۱", "854231"),
    ("८५४२३१", "854231"), ("8542.３１", "854231"), ("８４５７－１０", "845710"),
])
def test_hs_examples_in_other_scripts(raw: str, digits: str) -> None:
    assert normalise_hs(raw) == digits


@pytest.mark.parametrize("raw", ["８５Ａ２３１", "８５４", "٨٥٤٢٣١٢٣٤٥٦٧", "８５４２３Ⅰ", "８５４２½"])
def test_what_still_does_not_parse_is_rejected(raw: str) -> None:
    with pytest.raises(CodeError) as info:
        normalise_hs(raw)
    assert repr(raw) in str(info.value)


@pytest.mark.parametrize(("raw", "code"), [
    ("３Ａ００１", "3A001"), ("３ａ００１．ａ．２", "3A001.A.2"), ("٥A٩٩٢", "5A992"), ("ＥＡＲ９９", "EAR99"),
])
def test_eccn_in_full_width(raw: str, code: str) -> None:
    assert parse_eccn(raw).code == code


@given(st.text(max_size=20))
def test_ascii_form_leaves_no_unicode_digit(text: str) -> None:
    folded = ascii_form(text)
    assert not any(unicodedata.category(c) == "Nd" and not c.isascii() for c in folded)
    assert ascii_form(folded) == folded


@pytest.mark.parametrize(("raw", "undeclared"), [
    ("", True), ("  ", True), ("none", True), ("N/A", True), ("-", True), ("ＮＯＮＥ", True),
    ("EAR99", False), ("3A001", False), ("not controlled", False),
])
def test_placeholders_declare_nothing(raw: str, undeclared: bool) -> None:
    assert is_undeclared(raw) is undeclared
