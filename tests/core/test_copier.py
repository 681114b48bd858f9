"""Copies with their SHA-256 in child processes (``core.copier``): the bytes and checksums, a source that cannot
be read, a target that cannot be written, stopping half way, and the copies made here when no child can."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from secondopinion_desktop.core import copier
from secondopinion_desktop.core.copier import ChildCopies, CopyFailed, copy_file


def _sources(tmp_path: Path, count: int = 120) -> list[Path]:
    source = tmp_path / "source"
    source.mkdir()
    made = []
    for i in range(count):
        path = source / f"{i:04d}"
        path.write_bytes(os.urandom(1 + (i * 7919) % 300_000))  # 1 byte to ~300 KB, some over one block
        made.append(path)
    return made


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_children_copy_every_file_with_its_checksum(tmp_path: Path) -> None:
    sources = _sources(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    copies = ChildCopies(workers=2, batch=8)
    assert copies.running
    for i, path in enumerate(sources):
        copies.add(i, path, out / path.name)
    results = copies.finish()
    assert sorted(results) == list(range(len(sources)))
    for i, path in enumerate(sources):
        assert results[i].digest == _digest(path) and results[i].size == path.stat().st_size
        assert results[i].head == path.read_bytes()[:4096]
        assert (out / path.name).read_bytes() == path.read_bytes()
    assert copies.copied == sum(p.stat().st_size for p in sources)
    assert not copies.running


def test_a_source_that_cannot_be_read_is_reported_and_the_rest_copied(tmp_path: Path) -> None:
    sources = _sources(tmp_path, 10)
    out = tmp_path / "out"
    out.mkdir()
    link = tmp_path / "source" / "link"
    link.symlink_to(sources[0])  # a stored file replaced by a link is never followed
    copies = ChildCopies(workers=1)
    copies.add("missing", tmp_path / "source" / "gone", out / "gone")
    copies.add("link", link, out / "link")
    copies.add("folder", tmp_path / "source", out / "folder")
    for path in sources:
        copies.add(path.name, path, out / path.name)
    results = copies.finish()
    assert results["missing"].unreadable == "No such file or directory"
    assert results["link"].unreadable and results["folder"].unreadable
    assert not (out / "gone").exists() and not (out / "link").exists() and not (out / "folder").exists()
    assert all(results[p.name].digest == _digest(p) for p in sources)


def test_a_target_that_cannot_be_written_stops_the_copies(tmp_path: Path) -> None:
    sources = _sources(tmp_path, 40)
    out = tmp_path / "out"
    out.mkdir()
    copies = ChildCopies(workers=2, batch=4)
    for i, path in enumerate(sources):
        target = out / "no such folder" / path.name if i == 5 else out / path.name
        copies.add(i, path, target)
    with pytest.raises(CopyFailed) as caught:
        copies.finish()
    assert caught.value.strerror == "No such file or directory" and caught.value.errno == 2
    assert not copies.running
    # an existing target is never replaced
    (out / "taken").write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        copy_file(sources[0], out / "taken")
    assert (out / "taken").read_bytes() == b"mine"


def test_abandon_stops_the_children_where_they_are(tmp_path: Path) -> None:
    sources = _sources(tmp_path, 300)
    out = tmp_path / "out"
    out.mkdir()
    copies = ChildCopies(workers=2, batch=4)
    for i, path in enumerate(sources):
        copies.add(i, path, out / path.name)
    copies.close_input()
    deadline = time.monotonic() + 30
    while not any(out.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.005)
    copies.abandon()
    assert not copies.running
    written = sorted(p.name for p in out.iterdir())
    time.sleep(0.2)
    assert sorted(p.name for p in out.iterdir()) == written, "nothing is written after abandon"
    assert len(written) > 0


def test_without_children_the_copies_are_made_here(tmp_path: Path, monkeypatch) -> None:
    import multiprocessing.context

    def refuse(self):  # type: ignore[no-untyped-def]
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", refuse)
    sources = _sources(tmp_path, 20)
    out = tmp_path / "out"
    out.mkdir()
    copies = ChildCopies(workers=2, batch=4)
    assert not copies.running
    for i, path in enumerate(sources):
        copies.add(i, path, out / path.name)
    results = copies.finish()
    assert all(results[i].digest == _digest(p) for i, p in enumerate(sources))
    assert all(results[i].head == p.read_bytes()[:4096] for i, p in enumerate(sources))


def test_a_child_that_goes_away_leaves_its_copies_to_the_others(tmp_path: Path) -> None:
    sources = _sources(tmp_path, 200)
    out = tmp_path / "out"
    out.mkdir()
    copies = ChildCopies(workers=2, batch=2)
    first = copies._children[0][0]
    for i, path in enumerate(sources):
        copies.add(i, path, out / path.name)
    first.kill()  # as the system might, half way
    results = copies.finish()
    assert sorted(results) == list(range(len(sources)))
    for i, path in enumerate(sources):
        assert results[i].digest == _digest(path)
        assert (out / path.name).read_bytes() == path.read_bytes()


def test_the_children_import_no_qt_and_no_database(tmp_path: Path) -> None:
    """What a child imports is this module and the vault's safe open: it starts in a fraction of a second."""
    import subprocess
    import sys

    code = ("import sys, secondopinion_desktop.core.copier as c, secondopinion_desktop.core.vault; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'sqlalchemy', 'reportlab')))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "[]"
    assert copier.default_workers() in (1, 2)
