"""`lists update`: download the configured official lists and store them, or keep the old snapshot.

Each file is fetched with a timeout and retried with exponential backoff on network errors, 5xx and
429 answers. A download that fails, comes back shorter than its Content-Length, does not parse, looks
truncated or shrank too much leaves the previous snapshot in place, and the outcome says so.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

import httpx

from service.lists.intake import Intake, SnapshotRefused, take_in
from service.lists.store import SnapshotError, SnapshotInfo, current_info, snapshot_dir
from service.settings import ListSource, Settings

RETRY_STATUS = {429, 500, 502, 503, 504}
Sleep = Callable[[float], None]


class DownloadError(Exception):
    """A file could not be downloaded completely."""


@dataclass(frozen=True)
class UpdateOutcome:
    """What happened to one configured list."""

    name: str
    stored: Intake | None  # the new snapshot, or None if the update failed
    error: str | None  # why it failed, with what was kept
    kept: SnapshotInfo | None  # the previous snapshot still in force after a failure

    @property
    def ok(self) -> bool:
        return self.stored is not None


def update_lists(
    settings: Settings, transport: httpx.BaseTransport | None = None, sleep: Sleep = time.sleep,
    names: list[str] | None = None, force: bool = False,
) -> list[UpdateOutcome]:
    """Update every configured list (or only `names`); one failure does not stop the others.

    `force` stores a list that parsed but looks truncated or shrank too much (never a failed download).
    """
    sources = [source for source in settings.list_sources if names is None or source.name in names]
    with httpx.Client(transport=transport, timeout=settings.list_download_timeout, follow_redirects=True,
                      headers={"User-Agent": "export-screen list update"}) as client:
        return [_update_one(settings, client, source, sleep, force) for source in sources]


def _update_one(
    settings: Settings, client: httpx.Client, source: ListSource, sleep: Sleep, force: bool
) -> UpdateOutcome:
    directory = snapshot_dir(settings.data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=directory, prefix=f".{source.name}.download.") as scratch:
            retries = settings.list_download_retries
            files = [_download(client, url, Path(scratch), retries, sleep) for url in source.urls]
            path = Path(scratch) if source.format == "ofac" else files[0]
            intake = take_in(settings, source.format, path, source.name, source=" ".join(source.urls), force=force)
        return UpdateOutcome(source.name, intake, None, None)
    except SnapshotRefused as exc:
        return UpdateOutcome(source.name, None, str(exc), exc.previous)
    except Exception as exc:  # any failure keeps the old snapshot and must not stop the other lists
        kept = _previous(directory, source.name)
        keeping = (f"keeping the previous snapshot {kept.version} ({kept.entries} entries)" if kept
                   else "no previous snapshot exists, so this list is NOT available")
        return UpdateOutcome(source.name, None, f"{source.name}: {exc}; {keeping}", kept)


def _previous(directory: Path, name: str) -> SnapshotInfo | None:
    try:
        return current_info(directory, name)
    except SnapshotError:
        return None


def _download(client: httpx.Client, url: str, directory: Path, retries: int, sleep: Sleep) -> Path:
    """Fetch one URL into `directory` (named after the URL's last path part, lower case)."""
    target = directory / (PurePosixPath(urlparse(url).path).name.lower() or "download")
    for attempt in range(retries + 1):
        try:
            _fetch(client, url, target)
            return target
        except _Retryable as exc:
            if attempt == retries:
                raise DownloadError(f"{url}: {exc} (after {retries + 1} attempts)") from exc
            sleep(min(2.0**attempt, 30.0))
    raise AssertionError("unreachable")  # pragma: no cover


class _Retryable(Exception):
    """A failure worth another attempt (network error, 5xx, 429, short body)."""


def _fetch(client: httpx.Client, url: str, target: Path) -> None:
    """Stream the body to `target`; raise _Retryable or DownloadError."""
    try:
        with client.stream("GET", url) as response:
            if response.status_code in RETRY_STATUS:
                raise _Retryable(f"HTTP {response.status_code}")
            if response.status_code != 200:
                raise DownloadError(f"{url}: HTTP {response.status_code}")
            received = 0
            with target.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    received += len(chunk)
            expected = response.headers.get("content-length", "")
            if expected.isdigit() and "content-encoding" not in response.headers and int(expected) != received:
                raise _Retryable(f"truncated download: {received} of {expected} bytes")
    except httpx.TransportError as exc:
        raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
    if received == 0:
        raise DownloadError(f"{url}: empty response")
