"""`lists update` against httpx.MockTransport: success, retries, and every way a download can go wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from service.lists.store import current_info, snapshot_dir
from service.lists.update import update_lists
from service.settings import ListSource, Settings
from tests.lists.helpers import OFAC_MINI, SHARED_DATA, ofac_copy, ofac_source, settings_for

Handler = Callable[[httpx.Request], httpx.Response]


def _stored(settings: Settings) -> list[str]:
    """Files in the snapshot directory besides the writers' lock file."""
    return sorted(p.name for p in snapshot_dir(settings.data_dir).iterdir() if p.name != ".lock")


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.iterdir()}


def _serve(files: dict[str, bytes], calls: list[str] | None = None) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(request.url.path)
        name = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, content=files[name]) if name in files else httpx.Response(404)
    return httpx.MockTransport(handler)


def _no_sleep(delays: list[float] | None = None) -> Callable[[float], None]:
    return (lambda seconds: delays.append(seconds)) if delays is not None else (lambda seconds: None)


def test_successful_update_stores_the_snapshot(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, list_sources=[ofac_source()])
    outcomes = update_lists(settings, transport=_serve(_files(OFAC_MINI)), sleep=_no_sleep())
    assert [o.ok for o in outcomes] == [True]
    info = current_info(snapshot_dir(settings.data_dir), "ofac-sdn")
    assert info is not None and info.entries == 5 and info.source.startswith("https://lists.test/ofac/sdn.csv")
    assert _stored(settings) == ["ofac-sdn.jsonl.gz"]  # the download scratch directory is gone


def test_single_file_formats_and_upper_case_urls(tmp_path: Path) -> None:
    un = (SHARED_DATA / "un-consolidated" / "UN_consolidated.xml").read_bytes()
    sources = [ListSource(name="un-sc", format="un", urls=["https://lists.test/xml/en/consolidated.xml"]),
               ListSource(name="ofac-sdn", format="ofac",
                          urls=[f"https://lists.test/exports/{n.upper()}" for n in ("sdn.csv", "alt.csv", "add.csv")])]
    files = {"consolidated.xml": un, **{name.upper(): data for name, data in _files(OFAC_MINI).items()}}
    outcomes = update_lists(settings_for(tmp_path, list_sources=sources), transport=_serve(files), sleep=_no_sleep())
    assert [(o.name, o.ok) for o in outcomes] == [("un-sc", True), ("ofac-sdn", True)]
    assert outcomes[0].stored is not None and outcomes[0].stored.info.entries == 1003


def test_transient_errors_are_retried_with_backoff(tmp_path: Path) -> None:
    files, failures = _files(OFAC_MINI), {"sdn.csv": 2}

    def flaky(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        if failures.get(name, 0) > 0:
            failures[name] -= 1
            if failures[name] == 1:
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(503)
        return httpx.Response(200, content=files[name])

    delays: list[float] = []
    settings = settings_for(tmp_path, list_sources=[ofac_source()])
    outcomes = update_lists(settings, transport=httpx.MockTransport(flaky), sleep=_no_sleep(delays))
    assert outcomes[0].ok and delays == [1.0, 2.0]


def _first_import(tmp_path: Path):
    settings = settings_for(tmp_path, list_sources=[ofac_source()])
    update_lists(settings, transport=_serve(_files(OFAC_MINI)), sleep=_no_sleep())
    previous = current_info(snapshot_dir(settings.data_dir), "ofac-sdn")
    assert previous is not None
    return settings, previous


def _assert_kept(settings, previous, outcome, reason: str) -> None:
    assert not outcome.ok and outcome.stored is None
    assert reason in (outcome.error or "")
    assert "keeping the previous snapshot" in (outcome.error or "") and outcome.kept == previous
    assert current_info(snapshot_dir(settings.data_dir), "ofac-sdn") == previous
    assert _stored(settings) == ["ofac-sdn.jsonl.gz"]


def test_server_keeps_failing(tmp_path: Path) -> None:
    settings, previous = _first_import(tmp_path)
    calls: list[str] = []
    transport = httpx.MockTransport(lambda request: calls.append(request.url.path) or httpx.Response(503))
    outcome = update_lists(settings, transport=transport, sleep=_no_sleep())[0]
    _assert_kept(settings, previous, outcome, "HTTP 503 (after 3 attempts)")
    assert len(calls) == 3  # list_download_retries=2 in the helper settings


def test_not_found_is_not_retried(tmp_path: Path) -> None:
    settings, previous = _first_import(tmp_path)
    calls: list[str] = []
    files = _files(OFAC_MINI)
    del files["alt.csv"]
    outcome = update_lists(settings, transport=_serve(files, calls), sleep=_no_sleep())[0]
    _assert_kept(settings, previous, outcome, "alt.csv: HTTP 404")
    assert calls.count("/ofac/alt.csv") == 1


def test_truncated_ofac_file_is_refused(tmp_path: Path) -> None:
    settings, previous = _first_import(tmp_path)
    files = _files(OFAC_MINI)
    files["sdn.csv"] = files["sdn.csv"][: len(files["sdn.csv"]) * 2 // 3]  # cut mid-file: no Ctrl-Z end
    outcome = update_lists(settings, transport=_serve(files), sleep=_no_sleep())[0]
    _assert_kept(settings, previous, outcome, "does not end with its Ctrl-Z byte")


def test_short_body_against_content_length_is_refused(tmp_path: Path) -> None:
    settings, previous = _first_import(tmp_path)
    files = _files(OFAC_MINI)

    def short(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        body = files[name]
        headers = {"Content-Length": str(len(body) + 100)} if name == "add.csv" else {}
        return httpx.Response(200, content=body, headers=headers)

    outcome = update_lists(settings, transport=httpx.MockTransport(short), sleep=_no_sleep())[0]
    _assert_kept(settings, previous, outcome, "truncated download")


def test_list_that_shrank_too_much_is_refused(tmp_path: Path) -> None:
    settings, previous = _first_import(tmp_path)
    files = _files(ofac_copy(tmp_path, keep_rows=2))
    outcome = update_lists(settings, transport=_serve(files), sleep=_no_sleep())[0]
    _assert_kept(settings, previous, outcome, "60% fewer")


@pytest.mark.parametrize("body", [b"", b"<html>Service unavailable</html>\r\n\x1a"])
def test_empty_or_unparsable_download_is_refused(tmp_path: Path, body: bytes) -> None:
    settings, previous = _first_import(tmp_path)
    files = {**_files(OFAC_MINI), "sdn.csv": body}
    outcome = update_lists(settings, transport=_serve(files), sleep=_no_sleep())[0]
    _assert_kept(settings, previous, outcome, "empty" if not body else "no list entries")


def test_one_failure_does_not_stop_the_others(tmp_path: Path) -> None:
    sources = [ListSource(name="un-sc", format="un", urls=["https://lists.test/missing.xml"]), ofac_source()]
    settings = settings_for(tmp_path, list_sources=sources)
    outcomes = update_lists(settings, transport=_serve(_files(OFAC_MINI)), sleep=_no_sleep())
    assert [(o.name, o.ok) for o in outcomes] == [("un-sc", False), ("ofac-sdn", True)]
    assert "NOT available" in (outcomes[0].error or "")


def test_only_named_lists(tmp_path: Path) -> None:
    sources = [ListSource(name="un-sc", format="un", urls=["https://lists.test/missing.xml"]), ofac_source()]
    outcomes = update_lists(settings_for(tmp_path, list_sources=sources), transport=_serve(_files(OFAC_MINI)),
                            sleep=_no_sleep(), names=["ofac-sdn"])
    assert [o.name for o in outcomes] == ["ofac-sdn"]


def test_force_stores_a_shrunken_list_but_never_a_failed_download(tmp_path: Path) -> None:
    settings, _previous = _first_import(tmp_path)
    files = _files(ofac_copy(tmp_path, keep_rows=2))
    outcome = update_lists(settings, transport=_serve(files), sleep=_no_sleep(), force=True)[0]
    assert outcome.ok and outcome.stored is not None and outcome.stored.info.entries == 2
    del files["add.csv"]
    failed = update_lists(settings, transport=_serve(files), sleep=_no_sleep(), force=True)[0]
    assert not failed.ok and "HTTP 404" in (failed.error or "")


def test_an_unexpected_error_fails_only_its_own_list(tmp_path: Path) -> None:
    files = _files(OFAC_MINI)

    def handler(request: httpx.Request) -> httpx.Response:
        if "broken" in request.url.path:
            raise ValueError("a bug somewhere below")
        return httpx.Response(200, content=files[request.url.path.rsplit("/", 1)[-1]])

    sources = [ListSource(name="un-sc", format="un", urls=["https://lists.test/broken.xml"]), ofac_source()]
    outcomes = update_lists(settings_for(tmp_path, list_sources=sources), transport=httpx.MockTransport(handler),
                            sleep=_no_sleep())
    assert [(o.name, o.ok) for o in outcomes] == [("un-sc", False), ("ofac-sdn", True)]
    assert "a bug somewhere below" in (outcomes[0].error or "")


TW_SHTC = Path(__file__).resolve().parents[1] / "fixtures" / "tw-shtc" / "entity-list.csv"


def _tw_shtc_source() -> ListSource:
    return ListSource(name="tw-shtc", format="tw-shtc", urls=["https://lists.test/icp/Download.action?file=x"])


def test_the_tw_shtc_list_is_a_default_source_with_a_size_floor() -> None:
    settings = Settings()
    assert [s.format for s in settings.list_sources if s.name == "tw-shtc"] == ["tw-shtc"]
    assert settings.list_min_entries["tw-shtc"] == 9000


def test_a_much_smaller_tw_shtc_file_is_a_failed_download(tmp_path: Path) -> None:
    files = {"Download.action": TW_SHTC.read_bytes()}
    small_floor = settings_for(tmp_path, list_sources=[_tw_shtc_source()], list_min_entries={"tw-shtc": 5})
    [stored] = update_lists(small_floor, transport=_serve(files), sleep=_no_sleep())
    assert stored.ok and stored.stored is not None and stored.stored.info.entries == 7
    default_floor = settings_for(tmp_path, list_sources=[_tw_shtc_source()])  # 9,000 entries expected
    [refused] = update_lists(default_floor, transport=_serve(files), sleep=_no_sleep())
    assert not refused.ok and "7 entries, fewer than the 9000 expected" in (refused.error or "")
    assert refused.kept is not None and refused.kept.version == stored.stored.info.version
