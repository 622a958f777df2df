"""Every country spelling an ERP might send normalises to one alpha-2 code; unknown ones are errors."""

from __future__ import annotations

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.engine.countries import UnknownCountryError, country_name, normalise_country

SPELLINGS = [
    ("RU", ["RU", "ru", "RUS", "Russia", "russia", "RUSSIA", "Russian Federation", "russian federation",
            "Russian Fed.", "Россия", "俄羅斯"]),
    ("BY", ["BY", "BLR", "Belarus", "BELARUS", "Byelorussia", "Беларусь", "白俄羅斯"]),
    ("TR", ["TR", "TUR", "Turkey", "turkey", "Türkiye", "TÜRKİYE", "Turkiye", "Republic of Türkiye", "土耳其"]),
    ("HK", ["HK", "HKG", "Hong Kong", "HONG KONG", "Hong Kong SAR", "Hongkong", "香港"]),
    ("TW", ["TW", "TWN", "Taiwan", "Taiwan, Province of China", "Republic of China", "R.O.C.", "台灣", "臺灣"]),
    ("CN", ["CN", "CHN", "China", "People's Republic of China", "PRC", "P.R.C.", "Mainland China", "中國", "中国"]),
    ("AE", ["AE", "ARE", "UAE", "U.A.E.", "United Arab Emirates", "Emirates"]),
    ("MO", ["MO", "MAC", "Macau", "Macao"]),
    ("KG", ["KG", "KGZ", "Kyrgyzstan", "Kyrgyz Republic"]),
    ("KZ", ["KZ", "KAZ", "Kazakhstan"]),
    ("US", ["US", "USA", "U.S.A.", "United States", "United States of America"]),
    ("GB", ["GB", "GBR", "UK", "United Kingdom", "Great Britain"]),
    ("KR", ["KR", "KOR", "South Korea", "Korea, Republic of", "Republic of Korea"]),
    ("VN", ["VN", "VNM", "Vietnam", "Viet Nam"]),
    ("DE", ["DE", "DEU", "Germany", " germany "]),
    ("CD", ["Congo, Democratic Republic of the", "Democratic Republic of the Congo", "DRC"]),
    ("GM", ["The Gambia", "Gambia, The"]),
    ("PS", ["West Bank", "Region: Gaza"]),
]


@pytest.mark.parametrize(("expected", "spelling"), [(code, s) for code, ss in SPELLINGS for s in ss])
def test_spellings(expected: str, spelling: str) -> None:
    assert normalise_country(spelling) == expected


@pytest.mark.parametrize("value", ["Atlantis", "XX", "", "R U S", "Russland?"])
def test_unknown_country_is_an_error(value: str) -> None:
    with pytest.raises(UnknownCountryError, match="unknown country"):
        normalise_country(value)


def test_display_names_read_naturally() -> None:
    assert country_name("RU") == "Russia"
    assert country_name("DE") == "Germany"


@given(st.sampled_from(list(pycountry.countries)), st.sampled_from(["alpha_2", "alpha_3", "name"]),
       st.sampled_from([str.lower, str.upper, str.title, lambda s: f"  {s} "]))
def test_every_iso_country_in_any_case(country: object, attr: str, case: object) -> None:
    value = case(getattr(country, attr))  # type: ignore[operator]
    assert normalise_country(value) == country.alpha_2  # type: ignore[attr-defined]


@given(st.text(max_size=12))
def test_normalise_is_idempotent_or_raises(value: str) -> None:
    try:
        code = normalise_country(value)
    except UnknownCountryError:
        return
    assert normalise_country(code) == code
