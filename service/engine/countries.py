"""Country normalisation: ISO alpha-2/alpha-3 codes, English names and common variants to alpha-2.

ERP exports spell countries every way imaginable ("Turkey", "TÜRKİYE", "TUR", "Russian Fed.", "中國"),
and a screening rule keyed on `RU` must see all of them. Unknown values are an error, never a guess.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import pycountry

# Variants that pycountry does not know (its names follow ISO 3166 official spelling).
_VARIANTS: dict[str, str] = {
    "turkey": "TR", "turkiye": "TR", "republic of turkey": "TR", "republic of turkiye": "TR", "土耳其": "TR",
    "russia": "RU", "russian fed": "RU", "russian federation": "RU", "rossiya": "RU", "россия": "RU",
    "российская федерация": "RU", "俄羅斯": "RU", "俄罗斯": "RU",
    "belarus": "BY", "byelorussia": "BY", "belorussia": "BY", "white russia": "BY", "беларусь": "BY",
    "白俄羅斯": "BY", "白俄罗斯": "BY",
    "taiwan": "TW", "republic of china": "TW", "roc": "TW", "chinese taipei": "TW", "taiwan roc": "TW",
    "台灣": "TW", "臺灣": "TW", "中華民國": "TW",
    "china": "CN", "prc": "CN", "peoples republic of china": "CN", "people s republic of china": "CN",
    "mainland china": "CN", "pr china": "CN", "中國": "CN", "中国": "CN", "中國大陸": "CN", "大陸": "CN",
    "hong kong": "HK", "hongkong": "HK", "hong kong sar": "HK", "hong kong china": "HK", "香港": "HK",
    "macau": "MO", "macao": "MO", "macau sar": "MO", "澳門": "MO", "澳门": "MO",
    "uae": "AE", "u a e": "AE", "emirates": "AE", "united arab emirates": "AE", "阿聯酋": "AE",
    "usa": "US", "u s a": "US", "us": "US", "u s": "US", "united states": "US",
    "united states of america": "US", "america": "US", "美國": "US",
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "united kingdom": "GB",
    "south korea": "KR", "korea": "KR", "republic of korea": "KR", "korea south": "KR", "韓國": "KR",
    "north korea": "KP", "dprk": "KP", "korea north": "KP",
    "vietnam": "VN", "viet nam": "VN", "越南": "VN",
    "iran": "IR", "syria": "SY", "laos": "LA", "moldova": "MD", "bolivia": "BO", "venezuela": "VE",
    "tanzania": "TZ", "ivory coast": "CI", "cote d ivoire": "CI", "burma": "MM", "myanmar": "MM",
    "czech republic": "CZ", "czechia": "CZ", "kyrgyz republic": "KG", "kirghizia": "KG",
    "holland": "NL", "the netherlands": "NL", "netherlands": "NL", "japan": "JP", "日本": "JP",
    "germany": "DE", "德國": "DE", "kazakhstan": "KZ", "哈薩克": "KZ", "uzbekistan": "UZ",
    "armenia": "AM", "georgia": "GE", "singapore": "SG", "新加坡": "SG", "india": "IN", "印度": "IN",
    "palestine": "PS", "vatican": "VA", "brunei": "BN", "cape verde": "CV", "swaziland": "SZ",
    "macedonia": "MK", "north macedonia": "MK", "micronesia": "FM", "kosovo": "XK",
    # as the official sanctions lists spell them (OFAC, UN, CSL addresses)
    "congo, democratic republic of the": "CD", "democratic republic of the congo": "CD", "drc": "CD",
    "congo, republic of the": "CG", "the gambia": "GM", "gambia, the": "GM", "bahamas, the": "BS",
    "palestinian": "PS", "west bank": "PS", "gaza": "PS", "region: gaza": "PS",
    "macedonia, the former yugoslav republic of": "MK",
}

_DROP = re.compile(r"[.'’]")  # "U.S.A." -> "usa", "People's" -> "peoples"
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")


class UnknownCountryError(ValueError):
    """Raised for a value that is not a country this service can recognise."""


def _key(value: str) -> str:
    """Fold case, accents and punctuation so that 'TÜRKİYE', 'Türkiye' and 'turkiye' share a key."""
    text = unicodedata.normalize("NFKD", value.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PUNCT.sub(" ", _DROP.sub("", text))
    return _SPACE.sub(" ", text).strip()


@cache
def _table() -> dict[str, str]:
    """Build the lookup table on first use (pycountry reads its data files lazily)."""
    table: dict[str, str] = {}
    for country in pycountry.countries:
        alpha2 = country.alpha_2
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                table[_key(value)] = alpha2
    for variant, alpha2 in _VARIANTS.items():
        table[_key(variant)] = alpha2
    return table


@lru_cache(maxsize=8192)
def normalise_country(value: str) -> str:
    """Return the ISO 3166-1 alpha-2 code for a code or name, or raise UnknownCountryError."""
    key = _key(value)
    found = _table().get(key)
    if found is None:
        raise UnknownCountryError(f"unknown country {value!r}")
    return found


# Short names for messages where ISO's official form reads oddly ("Russian Federation").
_DISPLAY = {"RU": "Russia", "BY": "Belarus", "TW": "Taiwan", "KR": "South Korea", "KP": "North Korea",
            "IR": "Iran", "SY": "Syria", "VN": "Vietnam", "MO": "Macao", "HK": "Hong Kong", "XK": "Kosovo",
            "MD": "Moldova", "LA": "Laos", "BO": "Bolivia", "VE": "Venezuela", "TZ": "Tanzania"}


@lru_cache(maxsize=512)
def country_name(alpha2: str) -> str:
    """An English name for messages ('RU' -> 'Russia'); remembered, since pycountry's look-up takes a lock
    and walks its index, and the rules name the same few countries in every screening."""
    if alpha2 in _DISPLAY:
        return _DISPLAY[alpha2]
    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        return alpha2
    return str(getattr(country, "common_name", None) or country.name)
