"""Encrypting a file in chunks, so memory stays flat whatever its size: the STREAM construction over AES-256-GCM.

A file is a 24-byte header (``MAGIC``, the chunk size, a random 7-byte nonce prefix) and then chunks of
``CHUNK`` plaintext bytes (the last one may be shorter; an empty file is one empty chunk), each followed by GCM's
16-byte tag. Chunk ``i``
is sealed with the nonce ``prefix ‖ i (4 bytes) ‖ last (1 byte)`` and the header as associated data, so a chunk
changed, moved, dropped or added, a file cut at a chunk boundary or grown past its last chunk, or a header
edited, each fails to decrypt (``DamagedFile``) instead of giving other bytes. A new file gets a new random prefix,
so the same key never seals two chunks with one nonce (2^56 prefixes; a file holds at most 2^32 chunks).

``keyed_digest`` is the vault's name for a file in an encrypted folder: HMAC-SHA256 under a key of its own, so
the same file is still stored once, and a name says nothing about a file without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Callable
from typing import BinaryIO

from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.progress import CancelCheck, check

MAGIC = b"SOENC\x00\x01\n"  # name, format version 1
CHUNK = 1 << 20  # 1 MiB: large enough to run at the cipher's speed, small enough to keep memory flat
TAG = 16
PREFIX = 7
HEADER = struct.Struct(">8sI5x7s")  # magic, chunk size, padding, nonce prefix: 24 bytes
MAX_CHUNKS = 1 << 32


class DamagedFile(SecondOpinionError):
    """An encrypted file does not decrypt: changed, cut short, or sealed under another key."""


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def encrypted_size(plain_size: int, chunk: int = CHUNK) -> int:
    """The size of the encrypted file holding ``plain_size`` bytes."""
    chunks = max(1, -(-plain_size // chunk))  # an empty file is one empty chunk
    return HEADER.size + plain_size + chunks * TAG


def encrypt_stream(key: bytes, source: BinaryIO, target: BinaryIO, *, chunk: int = CHUNK,
                   advance: Callable[[int], None] | None = None, cancelled: CancelCheck | None = None,
                   hasher: object | None = None) -> int:
    """Encrypt what ``source`` reads into ``target``; returns the plaintext size. ``hasher`` (e.g. an HMAC) is fed
    the plaintext as it goes; ``advance(n)`` after each chunk; ``cancelled`` is checked between chunks."""
    import secrets

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not 16 <= chunk <= 1 << 26:
        raise ValueError("chunk size out of range")
    cipher = AESGCM(key)
    prefix = secrets.token_bytes(PREFIX)
    header = HEADER.pack(MAGIC, chunk, prefix)
    target.write(header)
    total = 0
    index = 0
    block = _read_full(source, chunk)
    while True:
        check(cancelled)
        following = _read_full(source, chunk) if len(block) == chunk else b""
        last = not following  # the chunk that ends the file says so: a file cut after any chunk does not open
        if hasher is not None:
            hasher.update(block)  # type: ignore[attr-defined]
        target.write(cipher.encrypt(_nonce(prefix, index, last), block, header))
        total += len(block)
        if advance is not None:
            advance(len(block))
        if last:
            return total
        index += 1
        if index >= MAX_CHUNKS:
            raise ValueError("the file is too large to encrypt in one stream")
        block = following


def _read_full(source: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    wanted = size
    while wanted > 0:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def read_header(head: bytes) -> tuple[int, bytes]:
    """The chunk size and nonce prefix from a file's first bytes; DamagedFile when they are not a header."""
    if len(head) < HEADER.size:
        raise DamagedFile("The encrypted file is cut short (it has no complete header).")
    magic, chunk, prefix = HEADER.unpack_from(head)
    if magic != MAGIC:
        raise DamagedFile("The file is not one of this app's encrypted files (or its header was changed).")
    if not 16 <= chunk <= 1 << 26:
        raise DamagedFile("The encrypted file's header is damaged.")
    return chunk, prefix


def decrypt_chunks(key: bytes, source: BinaryIO, *, cancelled: CancelCheck | None = None):  # type: ignore[no-untyped-def]
    """The plaintext of an encrypted file, chunk by chunk (a generator). Raises DamagedFile at the first chunk
    that does not open, or at the end when the last chunk is missing (the file was cut short)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = _read_full(source, HEADER.size)
    chunk, prefix = read_header(header)
    cipher = AESGCM(key)
    index = 0
    sealed = _read_full(source, chunk + TAG)
    while True:
        check(cancelled)
        if len(sealed) < TAG:
            raise DamagedFile("The encrypted file is cut short (its last part is missing).")
        following = _read_full(source, chunk + TAG) if len(sealed) == chunk + TAG else b""
        last = not following
        try:
            plain = cipher.decrypt(_nonce(prefix, index, last), sealed, header)
        except InvalidTag:
            if last:
                raise DamagedFile("The encrypted file was changed or cut short (it does not decrypt).") from None
            raise DamagedFile("The encrypted file was changed (a part of it does not decrypt).") from None
        yield plain
        if last:
            return
        index += 1
        sealed = following


def decrypt_stream(key: bytes, source: BinaryIO, target: BinaryIO, *, advance: Callable[[int], None] | None = None,
                   cancelled: CancelCheck | None = None) -> int:
    """Decrypt ``source`` into ``target``; returns the plaintext size. Raises DamagedFile (``target`` then holds
    only chunks that did decrypt: write it to a temporary file and keep it only on success)."""
    total = 0
    for plain in decrypt_chunks(key, source, cancelled=cancelled):
        target.write(plain)
        total += len(plain)
        if advance is not None:
            advance(len(plain))
    return total


def keyed_digest(key: bytes) -> hmac.HMAC:
    """A new HMAC-SHA256 under ``key`` (``update`` it with a file's bytes; ``hexdigest`` names the file)."""
    return hmac.new(key, digestmod=hashlib.sha256)
