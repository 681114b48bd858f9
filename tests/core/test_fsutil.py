"""Atomic writes: a file is there whole (0600) or the old one is untouched, and nothing temporary is left."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

import pytest

from secondopinion_desktop.core import fsutil
from secondopinion_desktop.core.progress import Cancelled


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_bytes_are_written_private_and_whole(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    old_umask = os.umask(0)  # even a permissive umask gives a private file
    try:
        fsutil.write_atomically(target, b"first")
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == b"first" and mode_of(target) == 0o600
    fsutil.write_atomically(target, b"second")
    assert target.read_bytes() == b"second" and mode_of(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_writer_function_streams_into_the_file(tmp_path: Path) -> None:
    def writer(out: BinaryIO) -> None:
        for part in (b"a" * 1000, b"b" * 1000):
            out.write(part)

    fsutil.write_atomically(tmp_path / "out.bin", writer, mode=0o640)
    assert (tmp_path / "out.bin").read_bytes() == b"a" * 1000 + b"b" * 1000
    assert mode_of(tmp_path / "out.bin") == 0o640


def test_a_failing_writer_leaves_the_target_untouched_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "summary.pdf"
    target.write_bytes(b"the old one")

    def writer(out: BinaryIO) -> None:
        out.write(b"half of the new one")
        raise RuntimeError("the writer broke")

    with pytest.raises(RuntimeError, match="the writer broke"):
        fsutil.write_atomically(target, writer)
    assert target.read_bytes() == b"the old one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.pdf"]


def test_a_failing_writer_creates_nothing_where_there_was_nothing(tmp_path: Path) -> None:
    def writer(out: BinaryIO) -> None:
        raise KeyboardInterrupt  # even an interrupt that is no Exception cleans up

    with pytest.raises(KeyboardInterrupt):
        fsutil.write_atomically(tmp_path / "new.txt", writer)
    assert list(tmp_path.iterdir()) == []


def test_a_copy_reports_progress_and_keeps_the_content(tmp_path: Path) -> None:
    source = tmp_path / "scan.dcm"
    source.write_bytes(os.urandom(2500))
    seen: list[tuple[int, int]] = []
    fsutil.copy_atomically(source, tmp_path / "copy.dcm", progress=lambda d, t: seen.append((d, t)), chunk=1000)
    assert (tmp_path / "copy.dcm").read_bytes() == source.read_bytes()
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert mode_of(tmp_path / "copy.dcm") == 0o600


def test_a_cancelled_copy_leaves_nothing(tmp_path: Path) -> None:
    source = tmp_path / "src" / "scan.dcm"
    source.parent.mkdir()
    source.write_bytes(os.urandom(5000))
    out = tmp_path / "out"
    out.mkdir()
    chunks = []

    def cancelled() -> bool:
        chunks.append(1)
        return len(chunks) > 2  # after two chunks were written

    with pytest.raises(Cancelled):
        fsutil.copy_atomically(source, out / "scan.dcm", cancelled=cancelled, chunk=1000)
    assert list(out.iterdir()) == []


def test_a_cancelled_copy_over_an_older_file_keeps_the_older_one(tmp_path: Path) -> None:
    source, target = tmp_path / "new.bin", tmp_path / "kept.bin"
    source.write_bytes(b"n" * 3000)
    target.write_bytes(b"old")
    with pytest.raises(Cancelled):
        fsutil.copy_atomically(source, target, cancelled=lambda: True, chunk=1000)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.bin", "new.bin"]


def test_write_small_file_replaces_whole_and_never_writes_through_a_link(tmp_path: Path) -> None:
    target, tmp = tmp_path / "owner.json", tmp_path / ".owner.json.tmp"
    fsutil.write_small_file(target, b"{}", tmp)
    assert target.read_bytes() == b"{}" and mode_of(target) == 0o600 and not tmp.exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"not yours")
    tmp.symlink_to(elsewhere)
    with pytest.raises(OSError):
        fsutil.write_small_file(target, b"{ }", tmp)
    assert elsewhere.read_bytes() == b"not yours" and target.read_bytes() == b"{}"


def test_fsync_folder_of_a_missing_folder_is_quiet(tmp_path: Path) -> None:
    fsutil.fsync_folder(tmp_path)
    fsutil.fsync_folder(tmp_path / "gone")  # best effort: the data is already written


def test_identity_follows_links_and_is_none_for_nothing(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"x")
    (tmp_path / "link").symlink_to(real)
    assert fsutil.identity(tmp_path / "link") == fsutil.identity(real) is not None
    assert fsutil.identity(tmp_path / "missing") is None
