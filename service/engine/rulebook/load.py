"""Loading rule files: YAML in, validated models out, or an error naming the file and line.

If any file cannot be read or validated, nothing is loaded: a partial rulebook could clear goods that a
missing rule would have stopped.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from service.engine.rulebook.models import RuleFile


class RulebookError(Exception):
    """The rules could not be loaded; the message names the file and, where known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


def rule_paths(directory: Path) -> list[Path]:
    """The rule files of a directory, in a stable order (curated lists in rules/lists/ are not rules)."""
    if not directory.is_dir():
        raise RulebookError(directory, "rules directory not found")
    paths = sorted(p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())
    if not paths:
        raise RulebookError(directory, "no rule files (*.yaml) found")
    return paths


def content_hash(files: list[tuple[str, bytes]]) -> str:
    """A version that changes whenever any rule file's name or content changes."""
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return "sha256:" + digest.hexdigest()[:16]


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a 1-based line number."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
        else:
            child = None
        if child is None:
            continue  # a union tag (e.g. 'hs_codes') or a missing key: stay on the enclosing node
        node = child
        line = node.start_mark.line + 1
    return line


def parse_rule_file(path: Path, data: bytes) -> RuleFile:
    """Parse and validate one rule file."""
    try:
        text = data.decode("utf-8")
        raw: Any = yaml.safe_load(text)
        tree = yaml.compose(text)
    except UnicodeDecodeError as exc:
        raise RulebookError(path, f"not UTF-8: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RulebookError(path, f"invalid YAML: {exc}", mark.line + 1 if mark else None) from exc
    try:
        return RuleFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(part) for part in loc) or "(file)"
        value = first.get("input")
        shown = "" if isinstance(value, dict | list) else f" (value {value!r})"
        message = f"{field}: {first['msg']}{shown}"
        if exc.error_count() > 1:
            message += f" (and {exc.error_count() - 1} more errors)"
        raise RulebookError(path, message, _line_of(tree, loc)) from exc
