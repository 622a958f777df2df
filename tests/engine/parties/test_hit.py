import copy
import pickle

import pytest

from service.engine.checks.parties import PartyHit as ReExported
from service.engine.parties.hit import PartyHit
from service.engine.verdict import Action


def _hit() -> PartyHit:
    return PartyHit(list_name="ofac", entry_id="36", listed_name="AEROCARIBBEAN AIRLINES",
                    matched_name="AERO-CARIBBEAN", score=91.5, action=Action.BLOCK,
                    explanation="alias; matched words: aerocaribbean", programs=("CUBA",),
                    source="https://example.org/sdn", details={"kind": "organisation", "countries": ["CU"]})


def test_the_check_module_hands_out_the_same_class() -> None:
    assert ReExported is PartyHit


def test_a_hit_is_unhashable() -> None:
    # (its fields are Final, which mypy holds to; compiled, an assignment also fails at run time)
    with pytest.raises(TypeError):
        hash(_hit())


def test_equality_is_by_every_field() -> None:
    assert _hit() == _hit()
    other = PartyHit(list_name="ofac", entry_id="36", listed_name="AEROCARIBBEAN AIRLINES",
                     matched_name="AERO-CARIBBEAN", score=91.4, action=Action.BLOCK,
                     explanation="alias; matched words: aerocaribbean", programs=("CUBA",),
                     source="https://example.org/sdn", details={"kind": "organisation", "countries": ["CU"]})
    assert other != _hit()
    assert PartyHit(list_name="l", entry_id="1", listed_name="n", matched_name="n", score=70.0,
                    action=Action.REVIEW, explanation="").details == {}


def test_a_hit_survives_pickling_and_copying() -> None:
    # compiled (mypyc), the class is not rebuilt from its slots as a Python class would be
    hit = _hit()
    for again in (pickle.loads(pickle.dumps(hit)), copy.copy(hit), copy.deepcopy(hit)):
        assert type(again) is PartyHit
        assert again == hit
