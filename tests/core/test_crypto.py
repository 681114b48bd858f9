"""Encryption at rest, the foundations: the keyring (Argon2id-wrapped data key, passphrase and recovery key) and
chunked file encryption (STREAM over AES-256-GCM): round trips, every kind of tampering, wrong secrets, memory."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import tracemalloc
from pathlib import Path

import pytest

from secondopinion_desktop.core.crypto import keys, stream
from secondopinion_desktop.core.crypto.keys import KdfParams, KeyringError, WrongSecret
from secondopinion_desktop.core.crypto.stream import DamagedFile
from secondopinion_desktop.core.progress import Cancelled

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only: the app calibrates
PASSPHRASE = "correct horse battery staple, Zoë"


@pytest.fixture
def ring_and_key():  # type: ignore[no-untyped-def]
    recovery = keys.new_recovery_key()
    ring, data_key = keys.create_keyring(PASSPHRASE, recovery, FAST)
    return ring, data_key, recovery


# --- the keyring ---------------------------------------------------------------------------------------------


def test_either_secret_opens_the_same_data_key(ring_and_key, tmp_path: Path) -> None:
    ring, data_key, recovery = ring_and_key
    assert len(data_key) == 32
    path = keys.write_keyring(tmp_path, ring)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = keys.read_keyring(tmp_path)
    assert back == ring
    assert keys.unlock(back, passphrase=PASSPHRASE) == data_key
    assert keys.unlock(back, recovery_key=recovery) == data_key
    # typed from paper: lower case, spaces instead of dashes, O for 0 and l for 1
    sloppy = recovery.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert keys.unlock(back, recovery_key=sloppy) == data_key
    # the same words with another Unicode form (é as e + combining accent) still open it
    assert keys.unlock(back, passphrase=PASSPHRASE.replace("ë", "e\u0308")) == data_key


def test_the_key_file_holds_no_secret(ring_and_key, tmp_path: Path) -> None:
    ring, data_key, recovery = ring_and_key
    raw = keys.write_keyring(tmp_path, ring).read_bytes()
    for secret in (PASSPHRASE.encode(), recovery.encode(), recovery.replace("-", "").encode(), data_key,
                   keys.recovery_secret(recovery), data_key.hex().encode()):
        assert secret not in raw
    assert json.loads(raw)["slots"]["passphrase"]["kdf"] == FAST.to_json()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json"]  # no temporary file left


def test_wrong_secrets_are_refused_in_one_sentence(ring_and_key) -> None:
    ring, _data_key, recovery = ring_and_key
    with pytest.raises(WrongSecret, match="^That passphrase does not open this data folder.$"):
        keys.unlock(ring, passphrase=PASSPHRASE + " ")
    other = keys.new_recovery_key()
    assert other != recovery
    with pytest.raises(WrongSecret, match="^That recovery key does not open this data folder.$"):
        keys.unlock(ring, recovery_key=other)
    with pytest.raises(WrongSecret, match="eight groups of four"):
        keys.unlock(ring, recovery_key=recovery[:-1])
    with pytest.raises(WrongSecret, match="eight groups of four"):
        keys.unlock(ring, recovery_key=recovery[:-1] + "U")  # U is not in the alphabet
    with pytest.raises(WrongSecret, match="Type the passphrase"):
        keys.unlock(ring, passphrase="")


def test_a_tampered_key_file_does_not_open(ring_and_key, tmp_path: Path) -> None:
    ring, _data_key, recovery = ring_and_key
    raw = json.loads(ring.to_bytes())
    weaker = json.loads(json.dumps(raw))
    weaker["slots"]["passphrase"]["kdf"]["time_cost"] = 2  # parameters are bound to the wrap
    (tmp_path / "keys.json").write_text(json.dumps(weaker))
    with pytest.raises(WrongSecret):
        keys.unlock(keys.read_keyring(tmp_path), passphrase=PASSPHRASE)
    swapped = json.loads(json.dumps(raw))  # the recovery slot moved into the passphrase slot
    swapped["slots"]["passphrase"] = raw["slots"]["recovery"]
    (tmp_path / "keys.json").write_text(json.dumps(swapped))
    with pytest.raises(WrongSecret):  # neither secret opens a slot under another slot's name
        keys.unlock(keys.read_keyring(tmp_path), passphrase=PASSPHRASE)
    assert keys.unlock(keys.read_keyring(tmp_path), recovery_key=recovery)  # its own slot is intact
    flipped = json.loads(json.dumps(raw))
    wrapped = bytearray(base64.b64decode(flipped["slots"]["recovery"]["wrapped"]))
    wrapped[3] ^= 1
    flipped["slots"]["recovery"]["wrapped"] = base64.b64encode(bytes(wrapped)).decode()
    (tmp_path / "keys.json").write_text(json.dumps(flipped))
    with pytest.raises(WrongSecret):
        keys.unlock(keys.read_keyring(tmp_path), recovery_key=recovery)
    for bad, message in ((b"{not json", "damaged"), (b'{"format": "other"}', "not a key file"),
                         (json.dumps({**raw, "version": 99}).encode(), "newer version"),
                         (json.dumps({**raw, "slots": {}}).encode(), "slot is missing")):
        (tmp_path / "keys.json").write_bytes(bad)
        with pytest.raises(KeyringError, match=message):
            keys.read_keyring(tmp_path)
    assert keys.read_keyring(tmp_path / "nowhere") is None  # no key file: the folder is not encrypted


def test_changing_the_passphrase_rewraps_the_same_key(ring_and_key, tmp_path: Path) -> None:
    ring, data_key, recovery = ring_and_key
    changed = keys.with_passphrase(ring, data_key, "a new and longer passphrase")
    keys.write_keyring(tmp_path, changed)
    back = keys.read_keyring(tmp_path)
    assert keys.unlock(back, passphrase="a new and longer passphrase") == data_key
    assert keys.unlock(back, recovery_key=recovery) == data_key, "the recovery sheet still works"
    with pytest.raises(WrongSecret):
        keys.unlock(back, passphrase=PASSPHRASE)
    fresh = keys.new_recovery_key()
    renewed = keys.with_recovery_key(back, data_key, fresh)
    assert keys.unlock(renewed, recovery_key=fresh) == data_key
    with pytest.raises(WrongSecret):
        keys.unlock(renewed, recovery_key=recovery)


def test_recovery_keys_are_random_and_printable() -> None:
    made = {keys.new_recovery_key() for _ in range(200)}
    assert len(made) == 200
    for key in made:
        groups = key.split("-")
        assert len(groups) == 8 and all(len(g) == 4 for g in groups)
        assert not set(key.replace("-", "")) & set("ILOU")
        assert len(keys.recovery_secret(key)) == 20


def test_subkeys_differ_by_purpose(ring_and_key) -> None:
    _ring, data_key, _recovery = ring_and_key
    names = ("database", "vault-content", "vault-names")
    derived = {keys.subkey(data_key, n) for n in names}
    assert len(derived) == 3 and data_key not in derived
    assert keys.subkey(data_key, "database") == keys.subkey(data_key, "database")


def test_calibration_raises_memory_then_passes_to_reach_the_target() -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    def run(params: KdfParams) -> None:  # a machine where 64 MiB, one pass takes 20 ms, linear in both
        now[0] += 0.02 * (params.memory_kib / keys.MIN_MEMORY_KIB) * params.time_cost

    params = keys.calibrate(0.5, clock=clock, run=run)
    assert params.memory_kib == 8 * keys.MIN_MEMORY_KIB  # 160 ms at 512 MiB: over a quarter of the target
    assert params.time_cost == 3  # 3 × 160 ms ≈ 0.5 s
    slow = keys.calibrate(0.5, clock=clock, run=lambda p: now.__setitem__(0, now[0] + 2.0))
    assert (slow.memory_kib, slow.time_cost) == (keys.MIN_MEMORY_KIB, 1), "never below RFC 9106's floor"
    fast = keys.calibrate(0.5, clock=clock, run=lambda p: now.__setitem__(0, now[0] + 1e-4))
    assert fast.memory_kib == keys.MAX_MEMORY_KIB and fast.time_cost == 64


# --- files ---------------------------------------------------------------------------------------------------


KEY = bytes(range(32))


def _seal(data: bytes, chunk: int = 64) -> bytes:
    out = io.BytesIO()
    assert stream.encrypt_stream(KEY, io.BytesIO(data), out, chunk=chunk) == len(data)
    return out.getvalue()


def _open(sealed: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    stream.decrypt_stream(key, io.BytesIO(sealed), out)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 128, 200])
def test_files_of_every_size_round_trip(size: int) -> None:
    data = os.urandom(size)
    sealed = _seal(data)
    assert len(sealed) == stream.encrypted_size(size, 64)
    assert _open(sealed) == data
    assert data[:16] not in sealed[stream.HEADER.size:] or size < 16
    assert _seal(data) != sealed, "a new nonce prefix each time"


def test_every_change_is_found() -> None:
    data = os.urandom(200)  # four chunks of 64: 64, 64, 64, 8
    sealed = _seal(data)
    for at in range(len(sealed)):  # one bit anywhere: header, a chunk, a tag
        changed = bytearray(sealed)
        changed[at] ^= 0x01
        with pytest.raises(DamagedFile):
            _open(bytes(changed))
    step = 64 + stream.TAG
    head = stream.HEADER.size
    chunks = [sealed[head + i * step: head + (i + 1) * step] for i in range(4)]
    with pytest.raises(DamagedFile, match="cut short"):
        _open(sealed[:head + 2 * step])  # cut at a chunk boundary
    with pytest.raises(DamagedFile):
        _open(sealed[:head] + chunks[1] + chunks[0] + chunks[2] + chunks[3])  # two chunks swapped
    with pytest.raises(DamagedFile):
        _open(sealed[:head] + chunks[0] + chunks[2] + chunks[3])  # one dropped
    with pytest.raises(DamagedFile):
        _open(sealed + chunks[3])  # one added at the end
    with pytest.raises(DamagedFile, match="no complete header"):
        _open(sealed[:10])
    with pytest.raises(DamagedFile, match="not one of this app's"):
        _open(b"%PDF-1.7 " + sealed[9:])
    with pytest.raises(DamagedFile):
        _open(sealed, key=bytes(32))  # another key
    other = _seal(data)
    with pytest.raises(DamagedFile):  # a chunk from another file sealed under the same key
        _open(sealed[:head] + other[head:head + step] + sealed[head + step:])


def test_memory_stays_flat_for_a_large_file(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with open(source, "wb") as fh:
        for _ in range(64):
            fh.write(os.urandom(1 << 20))
    sealed, back = tmp_path / "big.enc", tmp_path / "big.out"
    tracemalloc.start()
    try:
        with open(source, "rb") as src, open(sealed, "wb") as dst:
            digest = stream.keyed_digest(KEY)
            stream.encrypt_stream(KEY, src, dst, hasher=digest)
        with open(sealed, "rb") as src, open(back, "wb") as dst:
            stream.decrypt_stream(KEY, src, dst)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * (1 << 20), f"peak {peak / 2**20:.1f} MiB for a 64 MiB file"
    assert back.read_bytes() == source.read_bytes()
    assert sealed.stat().st_size == stream.encrypted_size(64 << 20)
    import hashlib
    import hmac

    assert digest.hexdigest() == hmac.new(KEY, source.read_bytes(), hashlib.sha256).hexdigest()
    assert digest.hexdigest() != hashlib.sha256(source.read_bytes()).hexdigest()


def test_cancel_stops_between_chunks() -> None:
    calls = 0

    def cancelled() -> bool:
        nonlocal calls
        calls += 1
        return calls > 2

    with pytest.raises(Cancelled):
        stream.encrypt_stream(KEY, io.BytesIO(os.urandom(1000)), io.BytesIO(), chunk=64, cancelled=cancelled)
    assert calls == 3
