"""What an unlocked encrypted folder holds in memory (``FolderKey``), and reading a sealed file back
(``SealedReader``).

``FolderKey`` carries the data key and the subkeys derived from it: the database's raw SQLCipher key, the key that
seals vault files (``stream``), and the key that names them. A stored file's name is HMAC-SHA256 under the names
key of its plain SHA-256, so the same content is still stored once while the names on disk reveal no plain hash;
the database (encrypted itself) keeps the plain SHA-256, which the vault checks the decrypted content against.

``SealedReader`` is a seekable, read-only binary file over a sealed file: it decrypts only the chunk holding the
position read, so a PDF reader can jump about a large file with memory flat. The number of chunks follows from
the file's size and the last one must say it is last, so a file cut at any point, or any changed byte, raises
the error the caller chose (``damaged``) at the read that reaches it, never wrong bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secondopinion_desktop.core.crypto import stream


@dataclass(frozen=True)
class FolderKey:
    """The keys of an unlocked folder; never written, never logged (``repr`` shows the fingerprint only)."""

    data_key: bytes = field(repr=False)
    database: bytes = field(repr=False, default=b"")
    content: bytes = field(repr=False, default=b"")
    names: bytes = field(repr=False, default=b"")
    key_id: str = ""

    @classmethod
    def from_data_key(cls, data_key: bytes) -> FolderKey:
        from secondopinion_desktop.core.crypto.keys import key_id, subkey

        return cls(data_key=data_key, database=subkey(data_key, "database"),
                   content=subkey(data_key, "vault-content"), names=subkey(data_key, "vault-names"),
                   key_id=key_id(data_key))

    def name_of(self, sha256: str) -> str:
        """The name on disk of the stored file whose plain content has this SHA-256."""
        return hmac.new(self.names, bytes.fromhex(sha256), hashlib.sha256).hexdigest()

    def subkey(self, purpose: str) -> bytes:
        from secondopinion_desktop.core.crypto.keys import subkey

        return subkey(self.data_key, purpose)


def is_encrypted(folder: Path | str) -> bool:
    """True when the data folder at ``folder`` is encrypted (it has a key file); reads nothing else."""
    from secondopinion_desktop.core.crypto.keys import keyring_path

    path = keyring_path(folder)
    return path.exists() or path.is_symlink()


def needs_key(folder: Path | str) -> bool:
    """Before unlocking a data folder: put back the folder a cut-short swap (a restore, an encryption or its
    undoing) left aside, then say whether it is encrypted. Opening the folder does the same putting back, but
    its key must be known before."""
    from secondopinion_desktop.core.paths import recover_interrupted_restore

    path = Path(folder).absolute()
    if not path.exists() and not path.is_symlink():
        recover_interrupted_restore(path)
    return is_encrypted(path)


def unlock_folder(folder: Path | str, *, passphrase: str | None = None, recovery_key: str | None = None
                  ) -> FolderKey:
    """The keys of the encrypted folder at ``folder``, from its passphrase or its recovery key (WrongSecret in
    one sentence when it does not open; ``DataFolderError`` when the folder is not encrypted)."""
    from secondopinion_desktop.core.crypto.keys import read_keyring, unlock
    from secondopinion_desktop.core.errors import DataFolderError

    ring = read_keyring(folder)
    if ring is None:
        raise DataFolderError(f"The data folder {folder} is not protected with a passphrase.")
    return FolderKey.from_data_key(unlock(ring, passphrase=passphrase, recovery_key=recovery_key))


def _damage(message: str) -> Exception:
    return stream.DamagedFile(message)


class SealedReader(io.RawIOBase):
    """Read a sealed file through an open descriptor (which it owns and closes)."""

    name = ""  # as a file opened from memory says (readers such as pydicom ask for one; no path is told)

    def __init__(self, fd: int, key: bytes, *, damaged: Callable[[str], Exception] = _damage) -> None:
        super().__init__()
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._fd = fd
        self._damaged = damaged
        try:
            size = os.fstat(fd).st_size
            head = os.pread(fd, stream.HEADER.size, 0)
            try:
                self._chunk, self._prefix = stream.read_header(head)
            except stream.DamagedFile as exc:
                raise damaged(str(exc)) from None
            self._header = head
            body = size - stream.HEADER.size
            sealed = self._chunk + stream.TAG
            full, rest = divmod(body, sealed)
            if rest == 0 and full > 0:
                self._chunks, self._last_plain = full, self._chunk
            elif rest >= stream.TAG:
                self._chunks, self._last_plain = full + 1, rest - stream.TAG
            else:
                raise damaged("The encrypted file is cut short (its last part is missing).")
        except BaseException:
            os.close(fd)
            raise
        self._size = (self._chunks - 1) * self._chunk + self._last_plain
        self._cipher = AESGCM(key)
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    @property
    def plain_size(self) -> int:
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = self._size + offset
        else:
            raise ValueError("invalid whence")
        if pos < 0:
            raise OSError(22, "negative seek position")
        self._pos = pos
        return pos

    def _plain_chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        from cryptography.exceptions import InvalidTag

        last = index == self._chunks - 1
        length = (self._last_plain if last else self._chunk) + stream.TAG
        offset = stream.HEADER.size + index * (self._chunk + stream.TAG)
        sealed = os.pread(self._fd, length, offset)
        if len(sealed) != length:
            raise self._damaged("The encrypted file was cut short while it was being read.")
        try:
            plain = self._cipher.decrypt(stream._nonce(self._prefix, index, last), sealed, self._header)
        except InvalidTag:
            raise self._damaged("The encrypted file was changed or cut short (a part of it does not decrypt)."
                                ) from None
        self._cached = (index, plain)
        return plain

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._pos >= self._size or not len(view):
            return 0
        index, within = divmod(self._pos, self._chunk)
        plain = self._plain_chunk(index)
        n = min(len(view), len(plain) - within)
        view[:n] = plain[within:within + n]
        self._pos += n
        return n

    def readall(self) -> bytes:
        parts: list[bytes] = []
        while True:
            part = self.read(self._chunk)
            if not part:
                return b"".join(parts)
            parts.append(part)

    def fileno(self) -> int:
        raise OSError("a sealed file has no plain descriptor")

    def close(self) -> None:
        if not self.closed:
            try:
                os.close(self._fd)
            finally:
                super().close()


def open_sealed(fd: int, key: bytes, *, damaged: Callable[[str], Exception] = _damage) -> io.BufferedReader:
    """A buffered, seekable reader of the plain content of the sealed file open at ``fd``."""
    return io.BufferedReader(SealedReader(fd, key, damaged=damaged), buffer_size=stream.CHUNK)
