"""The files a screening context is loaded from, as bytes named by their content hash.

A cluster worker cannot read the coordinating machine's rules directory or list snapshots. It gets the
very files the local pool would load, once, and loads them with the same code (service.runtime), so the
rulebook lock, the list manifest and every snapshot's own hash are checked there too. Each worker process
keeps the loaded context by content hash: the party index is built once per worker per list version,
however many chunks and runs follow.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from service import __version__
from service.batch.screening import ChunkScreener, ContextUnavailable
from service.engine.screen import ScreeningContext
from service.lists.manifest import manifest_path
from service.lists.store import SUFFIX, snapshot_dir
from service.settings import Settings

RULES, LISTS, DATA = "rules", "lists", "data"
KEEP_VERSIONS = 2  # contexts a worker keeps: the one in force and the one before (two jobs across an update)
_PLACES = ("rules_dir", "lists_dir", "data_dir", "database_url")  # not part of what a context holds


@dataclass(frozen=True)
class ContextBundle:
    """Rule files, curated lists, list snapshots and the manifest, with the settings that shape loading."""

    digest: str
    files: dict[str, bytes]  # "rules/<file>", "lists/<file>", "data/<manifest>", "data/lists/<snapshot>"
    settings: Settings  # the database URL removed: a worker never needs it
    service_version: str

    @property
    def size(self) -> int:
        """Bytes of file content shipped."""
        return sum(len(data) for data in self.files.values())


def bundle_context(settings: Settings) -> ContextBundle:
    """Read the files `load_context(settings)` would read; raise ContextUnavailable if one cannot be read."""
    try:
        files = _files(settings)
    except OSError as exc:
        raise ContextUnavailable(f"rules or lists could not be read, nothing screened: {exc}") from exc
    shipped = settings.model_copy(update={"database_url": ""})
    return ContextBundle(_digest(files, shipped), files, shipped, __version__)


def _files(settings: Settings) -> dict[str, bytes]:
    files = {f"{RULES}/{path.name}": path.read_bytes() for path in _plain_files(settings.rules_dir)}
    files |= {f"{LISTS}/{path.name}": path.read_bytes() for path in _plain_files(settings.lists_dir)}
    manifest = manifest_path(settings.data_dir)
    if manifest.is_file():
        files[f"{DATA}/{manifest.name}"] = manifest.read_bytes()
    snapshots = snapshot_dir(settings.data_dir)
    for path in _plain_files(snapshots):
        if path.name.endswith(SUFFIX):
            files[f"{DATA}/{snapshots.name}/{path.name}"] = path.read_bytes()
    return files


def _plain_files(directory: Path) -> list[Path]:
    """The regular files directly in `directory` (none if it does not exist: loading then says what is missing)."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if path.is_file())


def _digest(files: dict[str, bytes], settings: Settings) -> str:
    """One hash over every file (name and content) and the settings that shape the loaded context."""
    digest = hashlib.sha256(settings.model_dump_json(exclude=set(_PLACES)).encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return "sha256:" + digest.hexdigest()


def load_bundle(bundle: ContextBundle) -> ScreeningContext:
    """Write the files into a scratch directory, load the context from there, remove the directory."""
    if bundle.service_version != __version__:
        raise ContextUnavailable(f"this worker runs export-screen {__version__}, the coordinator "
                                 f"{bundle.service_version}: install the same version on every machine")
    with tempfile.TemporaryDirectory(prefix="export-screen-context-") as scratch:
        root = Path(scratch)
        for name, data in bundle.files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for folder in (RULES, LISTS, DATA):
            (root / folder).mkdir(exist_ok=True)
        settings = bundle.settings.model_copy(update={
            "rules_dir": root / RULES, "lists_dir": root / LISTS, "data_dir": root / DATA})
        return ChunkScreener.load(settings)


class LoadedContexts:
    """The contexts this process loaded, by bundle digest (at most KEEP_VERSIONS), and how often it loaded."""

    def __init__(self) -> None:
        self._contexts: OrderedDict[str, ScreeningContext] = OrderedDict()
        self._lock = threading.Lock()  # one load at a time, so two threads never build the same index
        self.loads = 0

    def context_for(self, bundle: ContextBundle) -> ScreeningContext:
        """The bundle's context, loaded on first use."""
        with self._lock:
            context = self._contexts.get(bundle.digest)
            if context is None:
                context = load_bundle(bundle)
                self.loads += 1
                self._contexts[bundle.digest] = context
                while len(self._contexts) > KEEP_VERSIONS:
                    self._contexts.popitem(last=False)
            self._contexts.move_to_end(bundle.digest)
            return context

    def attach(self, screener: ChunkScreener, bundle: ContextBundle) -> ChunkScreener:
        """The screener with the bundle's context attached (once per screener object)."""
        if not screener.attached:
            context = self.context_for(bundle)
            with self._lock:
                if not screener.attached:
                    screener.attach(context)
        return screener


LOADED = LoadedContexts()  # per process: a cluster worker's contexts (loading happens on first use only)
