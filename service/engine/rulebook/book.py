"""The compiled rulebook: validated rule files plus the lookups the checks need at speed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from service.engine.rulebook import lock
from service.engine.rulebook.load import RulebookError, content_hash, parse_rule_file, rule_paths
from service.engine.rulebook.models import (
    EccnClassRule,
    HsCodesRule,
    HsEntry,
    HubRouteRule,
    MissingEndUserRule,
    Rule,
    RuleBase,
    RuleFile,
)

R = TypeVar("R", bound=RuleBase)
_MEMO_LIMIT = 200_000


@dataclass(frozen=True)
class HsMatch:
    """An item code matched against a listed code."""

    rule: HsCodesRule
    entry: HsEntry
    coarse: bool  # the item code is shorter than the listed code


@dataclass
class Rulebook:
    """All rules in force, their content hash, and an HS prefix index."""

    rules: list[Rule]
    version: str
    files: list[str]
    _codes: dict[str, list[HsEntry]] = field(default_factory=dict, repr=False)
    _exact: dict[str, list[tuple[HsCodesRule, HsEntry]]] = field(default_factory=dict, repr=False)
    _coarse: dict[str, list[tuple[HsCodesRule, HsEntry]]] = field(default_factory=dict, repr=False)
    _by_kind: dict[type, list[Rule]] = field(default_factory=dict, repr=False)
    _controlled: frozenset[str] = field(default=frozenset(), repr=False)
    _matches: dict[str, tuple[HsMatch, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # Lookups the checks make for every declaration are computed once here.
        for rule in self.rules:
            self._by_kind.setdefault(type(rule), []).append(rule)
        self._controlled = frozenset(
            country
            for rule in self.rules
            if isinstance(rule, EccnClassRule | HsCodesRule) and rule.effective
            for country in rule.effective
            if country != "ALL"
        )
        self._check_references()
        exact: defaultdict[str, list[tuple[HsCodesRule, HsEntry]]] = defaultdict(list)
        coarse: defaultdict[str, list[tuple[HsCodesRule, HsEntry]]] = defaultdict(list)
        for rule in self.of_kind(HsCodesRule):
            for entry in self.codes_of(rule):
                exact[entry.code].append((rule, entry))
                for length in range(4, len(entry.code)):
                    coarse[entry.code[:length]].append((rule, entry))
        self._exact, self._coarse = dict(exact), dict(coarse)

    def _check_references(self) -> None:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RulebookError("rules", f"duplicate rule ids: {', '.join(duplicates)}")
        by_id = {rule.id: rule for rule in self.rules}
        for rule in self.of_kind(HsCodesRule):
            refs = [*rule.superseded_by, *([rule.codes_from] if rule.codes_from else [])]
            for ref in refs:
                if ref not in by_id:
                    raise RulebookError("rules", f"rule {rule.id} refers to unknown rule {ref}")
            if rule.codes_from and not isinstance(by_id[rule.codes_from], HsCodesRule):
                raise RulebookError("rules", f"rule {rule.id}: codes_from {rule.codes_from} is not an hs_codes rule")
        for flag in self.of_kind(MissingEndUserRule):
            if not isinstance(by_id.get(flag.hubs_from), HubRouteRule):
                raise RulebookError("rules", f"rule {flag.id}: hubs_from {flag.hubs_from} is not a hub_route rule")

    def of_kind(self, kind: type[R]) -> list[R]:
        """Rules of one model type, in file order."""
        return self._by_kind.get(kind, [])  # type: ignore[return-value]

    def by_id(self, rule_id: str) -> Rule:
        """A rule by id (KeyError if absent)."""
        return next(rule for rule in self.rules if rule.id == rule_id)

    def codes_of(self, rule: HsCodesRule) -> list[HsEntry]:
        """A rule's code list, following codes_from."""
        if rule.codes is not None:
            return rule.codes
        source = self.by_id(rule.codes_from or "")
        assert isinstance(source, HsCodesRule)
        return self.codes_of(source)

    def hs_matches(self, hs_code: str) -> tuple[HsMatch, ...]:
        """Listed codes that are a prefix of the item code, or that the item code is too coarse to exclude.

        Memoised per code: ERP data repeats the same codes, and the rulebook never changes once loaded.
        """
        cached = self._matches.get(hs_code)
        if cached is None:
            cached = self._find_matches(hs_code)
            if len(self._matches) < _MEMO_LIMIT:  # bounded: a hostile file cannot grow it forever
                self._matches[hs_code] = cached
        return cached

    def _find_matches(self, hs_code: str) -> tuple[HsMatch, ...]:
        found = [
            HsMatch(rule, entry, coarse=False)
            for length in range(4, len(hs_code) + 1)
            for rule, entry in self._exact.get(hs_code[:length], ())
        ]
        found.extend(HsMatch(rule, entry, coarse=True) for rule, entry in self._coarse.get(hs_code, ()))
        return tuple(found)

    def controlled_countries(self) -> frozenset[str]:
        """Countries that goods rules control exports to (RU and BY in the Taiwan rulebook)."""
        return self._controlled

    def in_force(self, country: str, day: date) -> list[Rule]:
        """Rules that apply to `country` on `day` (guidance rules without dates always apply)."""
        return [rule for rule in self.rules if rule.in_force(country, day)]


def read_rule_files(directory: Path) -> list[tuple[Path, bytes]]:
    """The bytes of every rule file of `directory`, in a stable order."""
    contents = []
    for path in rule_paths(directory):
        try:
            contents.append((path, path.read_bytes()))
        except OSError as exc:
            raise RulebookError(path, f"cannot read: {exc}") from exc
    return contents


def load_rulebook(directory: Path | str, locked: bool = False) -> Rulebook:
    """Load and validate every rule file in `directory`, or raise RulebookError.

    With `locked`, the files must also be exactly those of the directory's lock (rules.lock.json):
    every load that screens asks for it, so a rule file cut short, deleted or edited is refused.
    """
    directory = Path(directory)
    contents = read_rule_files(directory)
    parsed: dict[str, RuleFile] = {}
    errors: list[RulebookError] = []
    for path, data in contents:
        try:
            parsed[path.name] = parse_rule_file(path, data)
        except RulebookError as exc:
            errors.append(exc)
    if errors and locked and lock.read_lock(directory) is not None:
        lock.verify(directory, _reads(contents, parsed))  # "rules missing" says more than a parse error
    if errors:
        raise errors[0]
    if locked:
        lock.verify(directory, _reads(contents, parsed))
    rules = [rule for path, _ in contents for rule in parsed[path.name].rules]
    return Rulebook(rules=rules, version=content_hash([(path.name, data) for path, data in contents]),
                    files=[path.name for path, _ in contents])


def rule_file_reads(directory: Path | str) -> list[lock.RuleFileRead]:
    """Every rule file with its hash and rule ids, for writing a lock (each file must parse)."""
    contents = read_rule_files(Path(directory))
    parsed = {path.name: parse_rule_file(path, data) for path, data in contents}
    return _reads(contents, parsed)


def _reads(contents: list[tuple[Path, bytes]], parsed: dict[str, RuleFile]) -> list[lock.RuleFileRead]:
    return [
        lock.RuleFileRead(path.name, data, [rule.id for rule in parsed[path.name].rules] if path.name in parsed
                          else None)
        for path, data in contents
    ]
