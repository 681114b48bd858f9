"""The keys of an encrypted data folder: one random data key, wrapped twice.

- The **data key** (32 random bytes) is what everything is encrypted with (through ``subkey``: one key per use,
  derived with HKDF-SHA256, so the database, the vault's contents and the vault's names never share a key).
- It is stored only **wrapped** (AES-256-GCM) in ``keys.json`` beside the database: once under a key derived from
  the **passphrase**, once under a key derived from the **recovery key** (a random key printed on the recovery
  sheet, shown once). Either unlocks the folder.
- The wrapping keys come from **Argon2id** (RFC 9106) with a random salt per slot and parameters calibrated on
  this machine to about half a second (``calibrate``), stored with the folder so another machine derives the same.
  The slot's name, the parameters and the salt are the wrap's associated data: changing any of them in the file
  makes the slot fail to open instead of deriving a weaker key.

Changing the passphrase rewraps the data key (``with_passphrase``): nothing else is re-encrypted, and the file
is replaced in one rename (``write_keyring``), so a crash leaves the old or the new file, never half of one.
The passphrase, the recovery key and every key exist only in memory: none is ever written or logged.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from secondopinion_desktop.core.errors import SecondOpinionError

KEYRING_NAME = "keys.json"
FORMAT = "secondopinion-keys"
VERSION = 1
KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
RECOVERY_BYTES = 20  # 160 bits: 32 characters of base32, printed as eight groups of four
# Crockford's base32: no I, L, O or U, so a key copied by hand from paper is read back as meant
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"O": "0", "I": "1", "L": "1"}
TARGET_SECONDS = 0.5
MIN_MEMORY_KIB = 64 * 1024  # RFC 9106's second recommended option starts at 64 MiB
MAX_MEMORY_KIB = 1024 * 1024
PARALLELISM = 4


class KeyringError(SecondOpinionError):
    """The folder's keys cannot be read (missing, damaged, or from a newer version of the app)."""


class WrongSecret(SecondOpinionError):
    """The passphrase or recovery key does not open the folder (its message says which)."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id's costs: passes over memory, memory in KiB, lanes."""

    time_cost: int = 3
    memory_kib: int = MIN_MEMORY_KIB
    parallelism: int = PARALLELISM

    def to_json(self) -> dict[str, Any]:
        return {"algorithm": "argon2id", "time_cost": self.time_cost, "memory_kib": self.memory_kib,
                "parallelism": self.parallelism}

    @classmethod
    def from_json(cls, data: Any) -> KdfParams:
        if not isinstance(data, dict) or data.get("algorithm") != "argon2id":
            raise KeyringError("The folder's keys use a key derivation this version does not know.")
        try:
            params = cls(int(data["time_cost"]), int(data["memory_kib"]), int(data["parallelism"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise KeyringError("The folder's keys are damaged (their key derivation settings are unreadable).") \
                from exc
        if not (1 <= params.time_cost <= 64 and 8 * params.parallelism <= params.memory_kib <= 4 * MAX_MEMORY_KIB
                and 1 <= params.parallelism <= 64):
            raise KeyringError("The folder's keys are damaged (their key derivation settings are out of range).")
        return params


@dataclass(frozen=True)
class Slot:
    """The data key wrapped under one secret."""

    name: str  # "passphrase" or "recovery"
    kdf: KdfParams
    salt: bytes
    nonce: bytes
    wrapped: bytes  # the data key and GCM's tag

    def associated_data(self) -> bytes:
        return json.dumps({"format": FORMAT, "version": VERSION, "slot": self.name, "kdf": self.kdf.to_json(),
                           "salt": _b64(self.salt)}, sort_keys=True).encode("ascii")

    def to_json(self) -> dict[str, Any]:
        return {"kdf": self.kdf.to_json(), "salt": _b64(self.salt), "nonce": _b64(self.nonce),
                "wrapped": _b64(self.wrapped)}


@dataclass(frozen=True)
class Keyring:
    passphrase: Slot
    recovery: Slot
    key_id: str  # a keyed check of the data key (HMAC), to tell folders apart; reveals nothing of the key

    def to_bytes(self) -> bytes:
        data = {"format": FORMAT, "version": VERSION, "key_id": self.key_id,
                "slots": {"passphrase": self.passphrase.to_json(), "recovery": self.recovery.to_json()}}
        return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("ascii")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Keyring:
        try:
            data = json.loads(raw.decode("ascii"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise KeyringError(f"The folder's keys ({KEYRING_NAME}) are damaged and cannot be read.") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise KeyringError(f"{KEYRING_NAME} is not a key file of Second Opinion.")
        if data.get("version") != VERSION:
            raise KeyringError(f"The folder's keys are from a newer version of Second Opinion (format "
                               f"{data.get('version')!r}); update the app to open it.")
        slots = data.get("slots")
        if not isinstance(slots, dict):
            raise KeyringError(f"The folder's keys ({KEYRING_NAME}) are damaged and cannot be read.")
        return cls(_slot("passphrase", slots.get("passphrase")), _slot("recovery", slots.get("recovery")),
                   str(data.get("key_id", "")))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, length: int | None, what: str) -> bytes:
    try:
        data = base64.b64decode(str(text), validate=True)
    except (ValueError, TypeError) as exc:
        raise KeyringError(f"The folder's keys are damaged ({what} is unreadable).") from exc
    if length is not None and len(data) != length:
        raise KeyringError(f"The folder's keys are damaged ({what} has the wrong length).")
    return data


def _slot(name: str, data: Any) -> Slot:
    if not isinstance(data, dict):
        raise KeyringError(f"The folder's keys are damaged (the {name} slot is missing).")
    return Slot(name, KdfParams.from_json(data.get("kdf")), _unb64(data.get("salt"), SALT_BYTES, "a salt"),
                _unb64(data.get("nonce"), NONCE_BYTES, "a nonce"),
                _unb64(data.get("wrapped"), KEY_BYTES + 16, "a wrapped key"))


# --- secrets -------------------------------------------------------------------------------------------------


def new_recovery_key() -> str:
    """A new random recovery key, as printed: eight groups of four characters ("7F3K-…")."""
    value = int.from_bytes(secrets.token_bytes(RECOVERY_BYTES), "big")
    chars = "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(RECOVERY_BYTES * 8 // 5)))
    return "-".join(chars[i:i + 4] for i in range(0, len(chars), 4))


def recovery_secret(typed: str) -> bytes:
    """The recovery key's bytes from what was typed: case, spaces and dashes do not matter, and O, I and L are
    read as 0, 1 and 1. Raises WrongSecret (one sentence) when it cannot be a recovery key."""
    cleaned = "".join(_READ_AS.get(c, c) for c in typed.upper() if c not in " -\t\r\n")
    length = RECOVERY_BYTES * 8 // 5
    if len(cleaned) != length or any(c not in _ALPHABET for c in cleaned):
        raise WrongSecret(f"A recovery key has {length} letters and digits (eight groups of four); "
                          "check it against the recovery sheet.")
    value = 0
    for c in cleaned:
        value = (value << 5) | _ALPHABET.index(c)
    return value.to_bytes(RECOVERY_BYTES, "big")


def passphrase_secret(passphrase: str) -> bytes:
    """The passphrase as Argon2 takes it: NFC-normalised UTF-8, so the same words typed on another system match."""
    import unicodedata

    if not passphrase:
        raise WrongSecret("Type the passphrase.")
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


# --- deriving and wrapping -----------------------------------------------------------------------------------


def derive(secret: bytes, salt: bytes, params: KdfParams) -> bytes:
    """Argon2id of ``secret`` (32 bytes)."""
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(secret, salt, time_cost=params.time_cost, memory_cost=params.memory_kib,
                           parallelism=params.parallelism, hash_len=KEY_BYTES, type=Type.ID)


def calibrate(target_seconds: float = TARGET_SECONDS, *, clock: Callable[[], float] = time.perf_counter,
              run: Callable[[KdfParams], object] | None = None) -> KdfParams:
    """Argon2id costs that take about ``target_seconds`` here: memory first (from 64 MiB, doubling up to 1 GiB
    while a derivation stays under a quarter of the target), then passes until the target is reached."""
    run = run or (lambda p: derive(b"calibration", b"\0" * SALT_BYTES, p))

    def timed(params: KdfParams) -> float:
        start = clock()
        run(params)
        return clock() - start

    params = KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=PARALLELISM)
    took = timed(params)
    while took < target_seconds / 4 and params.memory_kib * 2 <= MAX_MEMORY_KIB:
        params = replace(params, memory_kib=params.memory_kib * 2)
        took = timed(params)
    per_pass = max(took, 1e-6)
    passes = max(1, min(64, round(target_seconds / per_pass)))
    return replace(params, time_cost=max(params.time_cost, passes))


def _wrap(data_key: bytes, name: str, secret: bytes, params: KdfParams) -> Slot:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = secrets.token_bytes(SALT_BYTES), secrets.token_bytes(NONCE_BYTES)
    slot = Slot(name, params, salt, nonce, b"")
    wrapped = AESGCM(derive(secret, salt, params)).encrypt(nonce, data_key, slot.associated_data())
    return replace(slot, wrapped=wrapped)


def _unwrap(slot: Slot, secret: bytes) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(derive(secret, slot.salt, slot.kdf)).decrypt(slot.nonce, slot.wrapped, slot.associated_data())
    except InvalidTag:
        return None


def key_id(data_key: bytes) -> str:
    return subkey(data_key, "key-id")[:8].hex()


def create_keyring(passphrase: str, recovery_key: str, params: KdfParams | None = None) -> tuple[Keyring, bytes]:
    """A new data key and its keyring (not yet written: ``write_keyring``)."""
    params = params or calibrate()
    data_key = secrets.token_bytes(KEY_BYTES)
    ring = Keyring(_wrap(data_key, "passphrase", passphrase_secret(passphrase), params),
                   _wrap(data_key, "recovery", recovery_secret(recovery_key), params), key_id(data_key))
    return ring, data_key


def unlock(ring: Keyring, *, passphrase: str | None = None, recovery_key: str | None = None) -> bytes:
    """The data key, from the passphrase or the recovery key. Raises WrongSecret when it does not open."""
    if passphrase is not None:
        opened = _unwrap(ring.passphrase, passphrase_secret(passphrase))
        if opened is None:
            raise WrongSecret("That passphrase does not open this data folder.")
    elif recovery_key is not None:
        opened = _unwrap(ring.recovery, recovery_secret(recovery_key))
        if opened is None:
            raise WrongSecret("That recovery key does not open this data folder.")
    else:
        raise WrongSecret("Type the passphrase or the recovery key.")
    if ring.key_id and key_id(opened) != ring.key_id:
        raise KeyringError("The folder's keys are damaged (the key opened is not this folder's).")
    return opened


def with_passphrase(ring: Keyring, data_key: bytes, new_passphrase: str, params: KdfParams | None = None
                    ) -> Keyring:
    """The keyring with the data key wrapped under a new passphrase (the recovery key still opens it)."""
    return replace(ring, passphrase=_wrap(data_key, "passphrase", passphrase_secret(new_passphrase),
                                          params or ring.passphrase.kdf))


def with_recovery_key(ring: Keyring, data_key: bytes, new_recovery_key: str) -> Keyring:
    """The keyring with a new recovery key (the old sheet no longer opens it)."""
    return replace(ring, recovery=_wrap(data_key, "recovery", recovery_secret(new_recovery_key),
                                        ring.recovery.kdf))


def subkey(data_key: bytes, purpose: str, length: int = KEY_BYTES) -> bytes:
    """A key for one use ("database", "vault-content", "vault-names"…), derived from the data key with HKDF."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                info=f"secondopinion/{purpose}".encode("ascii")).derive(data_key)


# --- the file ------------------------------------------------------------------------------------------------


def keyring_path(folder: Path | str) -> Path:
    return Path(folder) / KEYRING_NAME


def read_keyring(folder: Path | str) -> Keyring | None:
    """The folder's keyring; None when the folder is not encrypted (no key file)."""
    path = keyring_path(folder)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeyringError(f"The folder's keys cannot be read: {exc.strerror or exc}.") from exc
    return Keyring.from_bytes(raw)


def write_keyring(folder: Path | str, ring: Keyring) -> Path:
    """Write the key file (0600) temp → fsync → rename, so it is the old or the new one after any crash."""
    from secondopinion_desktop.core.fsutil import write_atomically

    path = keyring_path(folder)
    write_atomically(path, ring.to_bytes(), mode=0o600)
    return path
