"""Encodings Taiwanese exports come in: BOM first, then strict UTF-8, then CP950; lossy as a last resort."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.batch.encoding import detect_encoding

TEXT = "reference,consignee_name\nSO-1,台灣精密股份有限公司\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (TEXT.encode("utf-8-sig"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),  # Excel's "Unicode text": BOM + UTF-16 LE
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("cp950"), "cp950"),
        (TEXT.encode("big5"), "cp950"),
        (b"reference\nplain ascii\n", "utf-8"),
        ((TEXT + "香港 𨋢\n").encode("big5hkscs"), "big5hkscs"),
    ],
)
def test_detects_encoding(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    detected = detect_encoding(path)
    assert detected.name == expected
    assert not detected.lossy


def test_undecodable_bytes_fall_back_to_lossy_utf8(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"reference\n\x80\x80\xff\xfe\x81\n")
    assert detect_encoding(path).lossy


def test_override_is_used_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("a\nÄ\n".encode("latin-1"))
    assert detect_encoding(path, "latin-1").name == "latin-1"
    with pytest.raises(LookupError):
        detect_encoding(path, "no-such-codec")
    with pytest.raises(LookupError, match="unknown encoding"):  # not even a name Python can look up
        detect_encoding(path, "utf-8\x00")


def test_utf8_error_late_in_a_large_file_is_found(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"reference\n" + b"SO-1\n" * 400_000 + "台北".encode("cp950") + b"\n")
    assert detect_encoding(path).name == "cp950"
