"""Abbreviations of business words and places, written out before names are compared.

A clerk types "Koryo Credit Devt Bank", "Jetlink Textiles Trdg" or "Sino Trading HK Ltd" for a listed
"KORYO CREDIT DEVELOPMENT BANK", "JETLINK TEXTILES TRADING" or "SINO TRADING HONG KONG LTD". The
scorer recognises regular abbreviations (letters in order, much shorter), but the index finds names by
their words: an abbreviation it does not know is a word no listed name holds, or worse, a word another
listed name happens to hold. Written out during normalisation, the abbreviation is the word it stands for
on both sides, and the index and the scorer see the same thing.

Only abbreviations that are not also a word of people's or companies' names are listed: each is checked
by a test against every personal name of the OFAC and UN lists. "Eng" (a Chinese family name) and "Ind"
as a word of Indian company names are left to the scorer's abbreviation rule.
"""

from __future__ import annotations

from typing import Final

# abbreviation -> the business word it stands for (one word: the comparison is word for word)
BUSINESS: Final = {
    "trdg": "trading", "tradg": "trading",
    "devt": "development", "devel": "development", "dvpt": "development",
    "intl": "international", "intnl": "international",
    "mfg": "manufacturing", "mfr": "manufacturing", "mfrs": "manufacturing", "manuf": "manufacturing",
    "inds": "industries", "indust": "industries",
    "engg": "engineering", "engr": "engineering", "engrg": "engineering",
    "tech": "technology", "techn": "technology",
    "hldgs": "holdings", "hldg": "holding",
    "svcs": "services", "svc": "services", "serv": "services", "servs": "services",
    "natl": "national",
    "assn": "association",
    "bros": "brothers",
    "corp": "corporation", "corpn": "corporation",
    "mgmt": "management", "mgt": "management", "mngt": "management",
    "grp": "group", "entp": "enterprises", "entps": "enterprises", "enterp": "enterprises",
    "invt": "investment", "invst": "investment",
    "elec": "electronics", "electr": "electronics",
    "mach": "machinery", "mchy": "machinery",
    "equip": "equipment", "eqpt": "equipment",
    "chem": "chemical", "chems": "chemicals",
    "shpg": "shipping", "shipg": "shipping",
    "navig": "navigation",
    "transp": "transport", "trnsp": "transport",
    "logist": "logistics",
    "constr": "construction", "constrn": "construction",
    "dept": "department",
    "govt": "government", "gov": "government",
    "admin": "administration", "adm": "administration",
    "inst": "institute", "instit": "institute",
    "univ": "university",
    "ctr": "center", "cntr": "center",
    "acad": "academy",
    "fdn": "foundation",
    "org": "organization", "orgn": "organization",
    "prod": "products", "prods": "products",
    "coml": "commercial", "comml": "commercial",
    "cia": "compania", "flli": "fratelli", "com": "comercio", "handl": "handlowe", "przeds": "przedsiebiorstwo",
    "ind": "industria", "st": "saint",
}

# place abbreviations -> the one word the place is written as (country words: see scoring.country_words)
PLACES: Final = {
    "hk": "hongkong", "hksar": "hongkong",
    "uae": "emirates",
    "ksa": "saudi",
    "prc": "china",
    "usa": "usa", "us": "usa",
    "uk": "uk",
    "rf": "russia",
    "dprk": "korea",
}

# places written in several words, as the one word of PLACES: matched as runs of words
PLACE_PHRASES: Final = {
    ("hong", "kong"): "hongkong",
    ("united", "arab", "emirates"): "emirates",
    ("saudi", "arabia"): "saudi",
    ("kingdom", "saudi", "arabia"): "saudi",
    ("peoples", "republic", "china"): "china",
    ("people", "republic", "china"): "china",
    ("united", "states", "america"): "usa",
    ("united", "states"): "usa",
    ("united", "kingdom"): "uk",
    ("great", "britain"): "uk",
    ("russian", "federation"): "russia",
}
