"""The vault of an encrypted folder: files sealed chunk by chunk under keyed names, read back seekably, every kind
of damage refused, the same content still stored once, memory flat."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from secondopinion_desktop.core.crypto import stream
from secondopinion_desktop.core.crypto.seal import FolderKey, open_sealed
from secondopinion_desktop.core.errors import VaultError
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.vault import Vault, VaultDamaged

KEY = FolderKey.from_data_key(bytes(range(32)))
OTHER = FolderKey.from_data_key(bytes(32))
PDF_HEAD = b"%PDF-1.7\n% Pathology report of Jane Quill, born 1961-04-09\n"


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    v = Vault(tmp_path / "vault", KEY)
    v.ensure()
    return v


def _source(tmp_path: Path, data: bytes, name: str = "report.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_sealed_file_holds_no_plain_byte_and_no_plain_hash(vault: Vault, tmp_path: Path) -> None:
    data = PDF_HEAD + os.urandom(3000)
    stored = vault.store(_source(tmp_path, data))
    sha = hashlib.sha256(data).hexdigest()
    assert stored.sha256 == sha and stored.size == len(data) and not stored.already_present
    on_disk = vault.path_for(sha)
    assert on_disk.name == KEY.name_of(sha) != sha
    raw = on_disk.read_bytes()
    assert PDF_HEAD[:16] not in raw and b"Jane Quill" not in raw
    assert len(raw) == stream.encrypted_size(len(data))
    names = [p.name for p in vault.root.rglob("*")]
    assert sha not in names
    assert list(vault.stored()) == [on_disk.name]
    with vault.open_verified(sha) as fh:
        assert fh.read() == data
    assert vault.read_verified(sha) == data and vault.verify(sha)


def test_the_same_content_is_stored_once(vault: Vault, tmp_path: Path) -> None:
    data = b"same scan" * 1000
    first = vault.store(_source(tmp_path, data, "a.bin"))
    again = vault.store(_source(tmp_path, data, "b.bin"))
    assert again.already_present and again.sha256 == first.sha256
    assert len(list(vault.stored())) == 1
    assert vault.store_bytes(data).already_present


def test_names_depend_on_the_folder_key(tmp_path: Path) -> None:
    sha = hashlib.sha256(b"x").hexdigest()
    assert KEY.name_of(sha) != OTHER.name_of(sha)
    assert Vault(tmp_path, KEY).name_of(sha) == KEY.name_of(sha)
    assert Vault(tmp_path).name_of(sha) == sha
    with pytest.raises(VaultError):
        Vault(tmp_path, KEY).name_of("not a digest")
    assert KEY.data_key.hex() not in repr(KEY) and KEY.key_id in repr(KEY)


@pytest.mark.parametrize("size", [0, 1, stream.CHUNK - 1, stream.CHUNK, stream.CHUNK + 1, 2 * stream.CHUNK,
                                  3 * stream.CHUNK + 17])
def test_reads_and_seeks_at_every_edge_of_a_chunk(vault: Vault, tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    sha = vault.store(_source(tmp_path, data)).sha256
    with vault.open(sha) as fh:
        assert fh.read() == data
        for pos in {0, 1, stream.CHUNK - 3, stream.CHUNK, stream.CHUNK + 5, size - 2, size}:
            if 0 <= pos <= size:
                fh.seek(pos)
                assert fh.read(10) == data[pos:pos + 10]
        fh.seek(-min(size, 7), io.SEEK_END)
        assert fh.read() == data[-min(size, 7):] if size else fh.read() == b""
        assert fh.seekable() and fh.read(5) == b""


def _damaged(vault: Vault, sha: str) -> None:
    assert not vault.verify(sha)
    with pytest.raises(VaultDamaged) as caught:
        vault.read_verified(sha)
    message = str(caught.value)
    assert message.startswith(f"The stored file {sha[:12]}… is damaged") and "\n" not in message
    with pytest.raises(VaultDamaged), vault.open_verified(sha):
        pass


@pytest.mark.parametrize("where", ["header", "first", "middle", "tag", "last"])
def test_a_flipped_bit_anywhere_is_refused(vault: Vault, tmp_path: Path, where: str) -> None:
    data = os.urandom(2 * stream.CHUNK + 100)
    sha = vault.store(_source(tmp_path, data)).sha256
    path = vault.path_for(sha)
    raw = bytearray(path.read_bytes())
    at = {"header": 10, "first": 30, "middle": stream.HEADER.size + stream.CHUNK + 40,
          "tag": stream.HEADER.size + stream.CHUNK + 2, "last": len(raw) - 1}[where]
    raw[at] ^= 0x01
    path.chmod(0o600)
    path.write_bytes(bytes(raw))
    _damaged(vault, sha)


@pytest.mark.parametrize("cut", [0, 5, stream.HEADER.size, stream.HEADER.size + 10,
                                 stream.HEADER.size + stream.CHUNK + stream.TAG, -1])
def test_a_cut_file_is_refused(vault: Vault, tmp_path: Path, cut: int) -> None:
    data = os.urandom(stream.CHUNK + 500)
    sha = vault.store(_source(tmp_path, data)).sha256
    path = vault.path_for(sha)
    raw = path.read_bytes()
    path.chmod(0o600)
    path.write_bytes(raw[:cut])
    _damaged(vault, sha)


def test_a_file_sealed_under_another_key_is_refused(tmp_path: Path) -> None:
    data = b"other folder's file"
    sha = Vault(tmp_path / "a", OTHER).store(_source(tmp_path, data)).sha256
    mine = Vault(tmp_path / "b", KEY)
    target = mine.path_for(sha)
    target.parent.mkdir(parents=True)
    target.write_bytes(Vault(tmp_path / "a", OTHER).path_for(sha).read_bytes())
    _damaged(mine, sha)


def test_chunks_cannot_be_swapped(vault: Vault, tmp_path: Path) -> None:
    data = b"A" * stream.CHUNK + b"B" * stream.CHUNK + b"C"
    sha = vault.store(_source(tmp_path, data)).sha256
    path = vault.path_for(sha)
    raw = path.read_bytes()
    h, c = stream.HEADER.size, stream.CHUNK + stream.TAG
    swapped = raw[:h] + raw[h + c:h + 2 * c] + raw[h:h + c] + raw[h + 2 * c:]
    path.chmod(0o600)
    path.write_bytes(swapped)
    _damaged(vault, sha)


def test_cancel_and_unreadable_source_leave_nothing(vault: Vault, tmp_path: Path) -> None:
    src = _source(tmp_path, os.urandom(3 * stream.CHUNK))
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(Cancelled):
        vault.store(src, cancelled=cancelled)
    assert [p for p in vault.root.rglob("*") if p.is_file()] == []


def test_memory_stays_flat_while_storing_and_reading(vault: Vault, tmp_path: Path) -> None:
    size = 64 * stream.CHUNK
    src = tmp_path / "big.bin"
    with open(src, "wb") as fh:
        for _ in range(64):
            fh.write(os.urandom(stream.CHUNK))
    tracemalloc.start()
    try:
        sha = vault.store(src).sha256
        assert vault.verify(sha)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * stream.CHUNK, peak
    assert vault.path_for(sha).stat().st_size == stream.encrypted_size(size)


def test_the_reader_closes_its_descriptor(tmp_path: Path) -> None:
    path = tmp_path / "f"
    with open(path, "wb") as out:
        stream.encrypt_stream(KEY.content, io.BytesIO(b"hello"), out)
    fd = os.open(path, os.O_RDONLY)
    with open_sealed(fd, KEY.content) as fh:
        assert fh.read() == b"hello"
    with pytest.raises(OSError):
        os.fstat(fd)
    bad = os.open(path, os.O_RDONLY)
    with pytest.raises(stream.DamagedFile):
        open_sealed(bad, OTHER.content).read()
