"""PartyHit: a denied-party list entry that matched a declared party's name.

Made by the party index for every listed name that reaches review, so it is compiled with the index
(setup.py): as a Python class its keyword __init__ cost about 8,000 instructions a hit, a twentieth
of a query on the benchmark list (docs/performance.md). service.engine.checks.parties, which turns
hits into findings, re-exports it.
"""

from __future__ import annotations

from typing import Final

from service.engine.verdict import Action


class PartyHit:
    """A denied-party list entry that matched a declared party's name.

    Immutable: the attributes are Final (mypy refuses an assignment). A plain class rather than a
    frozen dataclass, whose __init__ sets each of the eleven fields through object.__setattr__: at
    two or three hits per screened name that was a fifteenth of the party index's query time.
    Unhashable (details is a dict)."""

    __slots__ = ("action", "details", "entry_id", "explanation", "legal_basis", "list_name", "listed_name",
                 "matched_name", "programs", "score", "source")

    def __init__(self, *, list_name: str, entry_id: str, listed_name: str, matched_name: str, score: float,
                 action: Action, explanation: str, programs: tuple[str, ...] = (), legal_basis: str = "",
                 source: str = "", details: dict[str, object] | None = None) -> None:
        self.list_name: Final = list_name
        self.entry_id: Final = entry_id
        self.listed_name: Final = listed_name  # the entry's primary name
        self.matched_name: Final = matched_name  # the name or alias that matched
        self.score: Final = score  # 0-100
        self.action: Final = action  # block at or above the block threshold, review in the grey band
        self.explanation: Final = explanation
        self.programs: Final = programs
        self.legal_basis: Final = legal_basis
        self.source: Final = source
        self.details: Final[dict[str, object]] = {} if details is None else details

    def _fields(self) -> tuple[object, ...]:
        return (self.list_name, self.entry_id, self.listed_name, self.matched_name, self.score, self.action,
                self.explanation, self.programs, self.legal_basis, self.source, self.details)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartyHit) and self._fields() == other._fields()  # (unhashable: details)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # (compiled, the class is not rebuilt from its slots as a Python class is: by its fields)
        return _rebuilt, self._fields()

    def __repr__(self) -> str:
        return (f"PartyHit(list_name={self.list_name!r}, entry_id={self.entry_id!r}, "
                f"matched_name={self.matched_name!r}, score={self.score!r}, action={self.action!r})")


def _rebuilt(list_name: str, entry_id: str, listed_name: str, matched_name: str, score: float, action: Action,
             explanation: str, programs: tuple[str, ...], legal_basis: str, source: str,
             details: dict[str, object]) -> PartyHit:
    """A pickled hit, unpickled."""
    return PartyHit(list_name=list_name, entry_id=entry_id, listed_name=listed_name, matched_name=matched_name,
                    score=score, action=action, explanation=explanation, programs=programs,
                    legal_basis=legal_basis, source=source, details=details)
