"""The content-addressed vault: storing, de-duplicating, streaming, atomic writes, cancelling and checking."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
import tracemalloc
from pathlib import Path

import pytest

from secondopinion_desktop.core import vault as vault_module
from secondopinion_desktop.core.errors import VaultError
from secondopinion_desktop.core.vault import (
    CHUNK_SIZE,
    STALE_TEMP_SECONDS,
    TEMP_PREFIX,
    Cancelled,
    Vault,
    sha256_of,
)


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    v = Vault(tmp_path / "vault")
    v.ensure()
    return v


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _temp_files(root: Path) -> list[Path]:
    return sorted(root.rglob(TEMP_PREFIX + "*"))


def test_store_returns_digest_and_size(vault: Vault, tmp_path: Path) -> None:
    data = b"pathology report\n" * 1000
    stored = vault.store(_write(tmp_path / "report.pdf", data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.already_present is False
    final = vault.path_for(stored.sha256)
    assert final == vault.root / stored.sha256[:2] / stored.sha256
    assert final.read_bytes() == data
    assert vault.exists(stored.sha256)
    assert list(vault.stored()) == [stored.sha256]
    assert _all_files(vault.root) == [final]


def test_stored_files_are_private(vault: Vault, tmp_path: Path) -> None:
    src = _write(tmp_path / "scan.png", b"\x89PNG\r\n\x1a\n" + b"x" * 100)
    src.chmod(0o644)
    stored = vault.store(src)
    assert stat.S_IMODE(vault.path_for(stored.sha256).stat().st_mode) == 0o600
    assert stat.S_IMODE(vault.root.stat().st_mode) == 0o700


def test_same_content_is_stored_once(vault: Vault, tmp_path: Path) -> None:
    data = os.urandom(5000)
    first = vault.store(_write(tmp_path / "a.bin", data))
    second = vault.store(_write(tmp_path / "copy with another name.bin", data))
    assert first.already_present is False
    assert second.already_present is True
    assert second.sha256 == first.sha256
    assert second.size == first.size == len(data)
    assert _all_files(vault.root) == [vault.path_for(first.sha256)]
    assert _temp_files(vault.root) == []


def test_storing_the_original_again_mends_a_damaged_copy(vault: Vault, tmp_path: Path) -> None:
    data = os.urandom(5000)
    stored = vault.store(_write(tmp_path / "a.bin", data))
    damaged = vault.path_for(stored.sha256)
    damaged.write_bytes(b"\x00" * len(data))  # same size, wrong bytes
    assert not vault.verify(stored.sha256)
    again = vault.store(_write(tmp_path / "a again.bin", data))
    assert again.already_present is True
    assert vault.verify(stored.sha256)
    assert _temp_files(vault.root) == []


def test_different_content_is_stored_separately(vault: Vault, tmp_path: Path) -> None:
    a = vault.store(_write(tmp_path / "a", b"aaa"))
    b = vault.store(_write(tmp_path / "b", b"bbb"))
    assert a.sha256 != b.sha256
    assert sorted(vault.stored()) == sorted([a.sha256, b.sha256])


def test_empty_file(vault: Vault, tmp_path: Path) -> None:
    stored = vault.store(_write(tmp_path / "empty", b""))
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert stored.size == 0
    assert vault.path_for(stored.sha256).read_bytes() == b""


def test_store_creates_the_vault_folder_if_needed(tmp_path: Path) -> None:
    v = Vault(tmp_path / "not-yet")
    stored = v.store(_write(tmp_path / "f", b"hello"))
    assert v.verify(stored.sha256)


def test_chunked_streaming_gives_the_right_digest(vault: Vault, tmp_path: Path) -> None:
    size = CHUNK_SIZE * 3 + CHUNK_SIZE // 2
    data = os.urandom(size)
    progress: list[tuple[int, int]] = []
    stored = vault.store(_write(tmp_path / "big.dcm", data), progress=lambda d, t: progress.append((d, t)))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == size
    assert sha256_of(vault.path_for(stored.sha256)) == stored.sha256
    assert vault.path_for(stored.sha256).read_bytes() == data
    # four chunks: three full and a half one
    assert [d for d, _ in progress] == [CHUNK_SIZE, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE, size]


def test_progress_is_monotonic_up_to_total(vault: Vault, tmp_path: Path) -> None:
    size = CHUNK_SIZE * 5 + 123
    src = _write(tmp_path / "f", os.urandom(size))
    calls: list[tuple[int, int]] = []
    vault.store(src, progress=lambda done, total: calls.append((done, total)))
    assert len(calls) == 6
    assert all(total == size for _, total in calls)
    dones = [done for done, _ in calls]
    assert all(b > a for a, b in zip(dones, dones[1:], strict=False))
    assert dones[0] > 0
    assert dones[-1] == size


def test_memory_stays_flat_for_a_large_file(vault: Vault, tmp_path: Path) -> None:
    size = 200 * 1024 * 1024
    src = tmp_path / "huge.bin"
    with open(src, "wb") as fh:
        fh.truncate(size)  # sparse: no disk space used by the source
    tracemalloc.start()
    try:
        stored = vault.store(src)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    expected = hashlib.sha256()
    zeros = bytes(CHUNK_SIZE)
    for _ in range(size // CHUNK_SIZE):
        expected.update(zeros)
    assert stored.size == size
    assert stored.sha256 == expected.hexdigest()
    assert vault.path_for(stored.sha256).stat().st_size == size
    assert peak < 4 * 1024 * 1024, f"peak Python memory {peak / 1e6:.1f} MB while storing a 200 MB file"


# --- failures leave nothing behind --------------------------------------------------------------------------


def test_fsync_failure_leaves_nothing(vault: Vault, tmp_path: Path, monkeypatch) -> None:
    data = os.urandom(CHUNK_SIZE * 2 + 10)
    src = _write(tmp_path / "f", data)

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(vault_module.os, "fsync", failing_fsync)
    with pytest.raises(VaultError, match="Cannot store f in the vault: Input/output error"):
        vault.store(src)
    monkeypatch.undo()
    assert not vault.exists(hashlib.sha256(data).hexdigest())
    assert _all_files(vault.root) == []


def test_write_failure_mid_copy_leaves_nothing(vault: Vault, tmp_path: Path, monkeypatch) -> None:
    data = os.urandom(CHUNK_SIZE * 4)
    src = _write(tmp_path / "scan.dcm", data)
    real_fdopen = os.fdopen
    writes = {"n": 0}

    class FullDisk:
        def __init__(self, fh):
            self._fh = fh

        def write(self, chunk: bytes) -> int:
            writes["n"] += 1
            if writes["n"] == 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self._fh.write(chunk)

        def __getattr__(self, name):
            return getattr(self._fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._fh.__exit__(*exc)

    monkeypatch.setattr(vault_module.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    with pytest.raises(VaultError, match="No space left on device") as info:
        vault.store(src)
    monkeypatch.undo()
    assert writes["n"] == 3  # it really failed part-way through
    assert isinstance(info.value.__cause__, OSError)
    assert _all_files(vault.root) == []


def test_rename_failure_leaves_nothing(vault: Vault, tmp_path: Path, monkeypatch) -> None:
    src = _write(tmp_path / "f", b"some content")

    def failing_replace(a, b):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(vault_module.os, "replace", failing_replace)
    with pytest.raises(VaultError):
        vault.store(src)
    monkeypatch.undo()
    assert [p for p in _all_files(vault.root)] == []


def test_missing_source_raises_vault_error(vault: Vault, tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="Cannot read nope.pdf"):
        vault.store(tmp_path / "nope.pdf")
    assert _all_files(vault.root) == []


def test_cancel_part_way_leaves_nothing(vault: Vault, tmp_path: Path) -> None:
    src = _write(tmp_path / "f", os.urandom(CHUNK_SIZE * 4))
    progress: list[int] = []
    asked = {"n": 0}

    def cancelled() -> bool:
        asked["n"] += 1
        return asked["n"] > 2  # after two chunks

    with pytest.raises(Cancelled):
        vault.store(src, progress=lambda d, t: progress.append(d), cancelled=cancelled)
    assert progress == [CHUNK_SIZE, 2 * CHUNK_SIZE]
    assert _all_files(vault.root) == []
    assert list(vault.stored()) == []


def test_cancel_before_start_leaves_nothing(vault: Vault, tmp_path: Path) -> None:
    src = _write(tmp_path / "f", b"abc")
    with pytest.raises(Cancelled):
        vault.store(src, cancelled=lambda: True)
    assert _all_files(vault.root) == []


def test_cancel_never_true_stores(vault: Vault, tmp_path: Path) -> None:
    src = _write(tmp_path / "f", b"abc")
    stored = vault.store(src, cancelled=lambda: False)
    assert vault.verify(stored.sha256)


def test_progress_callback_error_leaves_nothing(vault: Vault, tmp_path: Path) -> None:
    src = _write(tmp_path / "f", os.urandom(CHUNK_SIZE * 2))

    def progress(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        vault.store(src, progress=progress)
    assert _all_files(vault.root) == []


# --- remove, exists, verify, open --------------------------------------------------------------------------


def test_remove_and_exists(vault: Vault, tmp_path: Path) -> None:
    stored = vault.store(_write(tmp_path / "f", b"to be removed"))
    other = vault.store(_write(tmp_path / "g", b"kept"))
    assert vault.exists(stored.sha256)
    assert vault.remove(stored.sha256) is True
    assert not vault.exists(stored.sha256)
    assert not (vault.root / stored.sha256[:2]).exists() or stored.sha256[:2] == other.sha256[:2]
    assert vault.remove(stored.sha256) is False
    assert vault.exists(other.sha256)
    assert list(vault.stored()) == [other.sha256]


def test_remove_keeps_a_shared_subfolder(vault: Vault) -> None:
    a, b = "ab" + "0" * 62, "ab" + "1" * 62
    for sha in (a, b):
        vault.path_for(sha).parent.mkdir(exist_ok=True)
        vault.path_for(sha).write_bytes(b"x")
    assert vault.remove(a)
    assert vault.path_for(b).is_file()
    assert vault.remove(b)
    assert not (vault.root / "ab").exists()


def test_verify_detects_tampering(vault: Vault, tmp_path: Path) -> None:
    data = b"%PDF-1.7 original report"
    stored = vault.store(_write(tmp_path / "r.pdf", data))
    assert vault.verify(stored.sha256) is True
    path = vault.path_for(stored.sha256)
    path.chmod(0o600)
    path.write_bytes(data.replace(b"original", b"modified"))  # same size, other bytes
    assert vault.verify(stored.sha256) is False
    path.unlink()
    assert vault.verify(stored.sha256) is False


def test_open_reads_the_bytes_and_reports_missing_files(vault: Vault, tmp_path: Path) -> None:
    stored = vault.store(_write(tmp_path / "f", b"content"))
    with vault.open(stored.sha256) as fh:
        assert fh.read() == b"content"
    vault.remove(stored.sha256)
    with pytest.raises(VaultError, match="missing from the vault"):
        vault.open(stored.sha256)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "abc",
        "0" * 63,
        "0" * 65,
        "A" * 64,  # upper case is not how digests are stored
        "g" * 64,
        "../" + "0" * 61,
        "0" * 62 + "/x",
    ],
)
def test_path_for_rejects_non_digests(vault: Vault, bad: str) -> None:
    with pytest.raises(VaultError, match="not a SHA-256 digest"):
        vault.path_for(bad)
    with pytest.raises(VaultError):
        vault.exists(bad)
    with pytest.raises(VaultError):
        vault.remove(bad)
    with pytest.raises(VaultError):
        vault.verify(bad)


def test_path_for_accepts_a_digest(vault: Vault) -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    assert vault.path_for(sha) == vault.root / sha[:2] / sha


# --- temporary files ----------------------------------------------------------------------------------------


def test_sweep_removes_only_stale_temp_files(vault: Vault, tmp_path: Path) -> None:
    stored = vault.store(_write(tmp_path / "f", b"keep me"))
    stale = vault.root / f"{TEMP_PREFIX}stale"
    fresh = vault.root / f"{TEMP_PREFIX}fresh"
    other = vault.root / "notes.txt"
    for p in (stale, fresh, other):
        p.write_bytes(b"partial")
    old = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    final = vault.path_for(stored.sha256)
    os.utime(final, (old, old))

    assert vault.sweep_temp_files() == 1
    assert not stale.exists()
    assert fresh.exists()
    assert other.exists()
    assert final.exists()

    assert vault.sweep_temp_files(older_than=0) == 1
    assert not fresh.exists()
    assert vault.verify(stored.sha256)


def test_ensure_sweeps_stale_temp_files(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    root.mkdir()
    stale = root / f"{TEMP_PREFIX}leftover"
    stale.write_bytes(b"x")
    old = time.time() - STALE_TEMP_SECONDS - 1
    os.utime(stale, (old, old))
    Vault(root).ensure()
    assert not stale.exists()


def test_stored_ignores_foreign_files(vault: Vault, tmp_path: Path) -> None:
    stored = vault.store(_write(tmp_path / "f", b"x"))
    (vault.root / "README").write_text("hi")
    (vault.root / stored.sha256[:2] / "short").write_text("hi")
    (vault.root / f"{TEMP_PREFIX}abc").write_text("hi")
    assert list(vault.stored()) == [stored.sha256]
    assert list(Vault(tmp_path / "missing").stored()) == []
