"""`encrypt`, `decrypt`, `change-passphrase`, and every command on an encrypted folder: the passphrase from
--passphrase-file, $SECONDOPINION_PASSPHRASE_FILE or the prompt, never an argument; the recovery key instead."""

from __future__ import annotations

import json
import re
import shutil
import stat
from pathlib import Path

import pytest

pytest.importorskip("sqlcipher3")

from secondopinion_desktop import cli_crypto
from secondopinion_desktop.cli import main
from secondopinion_desktop.core.crypto.convert import encrypt_folder
from secondopinion_desktop.core.crypto.keys import MIN_MEMORY_KIB, KdfParams, new_recovery_key
from secondopinion_desktop.core.crypto.seal import is_encrypted
from secondopinion_desktop.core.lock import folder_lock

FAST = KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=1)
PASS = "violet umbrella quarry tides"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, *fragments: str, said_before: int = 0) -> str:
    """Exit 1 and one error line (after ``said_before`` lines a person was told while typing)."""
    assert code == 1, err
    lines = err.strip().splitlines()[said_before:]
    assert len(lines) == 1 and lines[0].startswith("secondopinion: error:"), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _secret(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def _all_bytes(where: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(where.rglob("*")) if p.is_file() and not p.is_symlink())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("demo") / "data"
    assert main(["demo", "--data-dir", str(where)]) == 0
    return where


@pytest.fixture
def sealed(demo: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the sample case encrypted with fast key derivation, and its recovery key."""
    where = tmp_path / "data"
    shutil.copytree(demo, where, symlinks=True)
    recovery = new_recovery_key()
    with folder_lock(where, "encrypt") as lock:
        encrypt_folder(where, PASS, recovery, lock=lock, params=FAST)
    return where, recovery


def test_encrypt_then_every_way_of_unlocking_then_decrypt(capsys, demo: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo, data, symlinks=True)
    code, before, err = run(capsys, "records", "list", "--json", "--data-dir", str(data))
    assert code == 0, err
    weak = _secret(tmp_path, "weak.txt", "password1")
    one_line_error(*run(capsys, "encrypt", "--data-dir", str(data), "--passphrase-file", str(weak))[::2],
                   "Not encrypted:")
    assert not is_encrypted(data)

    good = _secret(tmp_path, "pass.txt", PASS)
    sheet = tmp_path / "sheet.pdf"
    code, out, err = run(capsys, "encrypt", "--data-dir", str(data), "--passphrase-file", str(good),
                         "--recovery-sheet", str(sheet))
    assert code == 0, err
    assert out.startswith(f"Encrypted {data}: the database and 23 stored files.")
    recovery = re.search(r"^Recovery key: ([0-9A-Z-]+)$", out, re.M)
    assert recovery is not None and "shown only this once" in out
    assert sheet.read_bytes().startswith(b"%PDF") and stat.S_IMODE(sheet.stat().st_mode) == 0o600
    assert is_encrypted(data)
    assert stat.S_IMODE((data / "secondopinion.db").stat().st_mode) == 0o600
    assert PASS.encode() not in _all_bytes(data) and recovery.group(1).encode() not in _all_bytes(data)

    monkeypatch.setattr(cli_crypto, "_can_ask", lambda: False)
    line = one_line_error(*run(capsys, "records", "list", "--data-dir", str(data))[::2], "protected with a "
                          "passphrase", "--passphrase-file")
    assert PASS not in line
    wrong = _secret(tmp_path, "wrong.txt", "not the passphrase at all")
    one_line_error(*run(capsys, "records", "list", "--data-dir", str(data), "--passphrase-file", str(wrong))[::2],
                   "passphrase")
    assert run(capsys, "records", "list", "--json", "--data-dir", str(data), "--passphrase-file", str(good))[1] \
        == before
    assert run(capsys, "--passphrase-file", str(good), "records", "list", "--json", "--data-dir", str(data))[1] \
        == before
    monkeypatch.setenv("SECONDOPINION_PASSPHRASE_FILE", str(good))
    assert run(capsys, "records", "list", "--json", "--data-dir", str(data))[1] == before
    monkeypatch.delenv("SECONDOPINION_PASSPHRASE_FILE")
    key_file = _secret(tmp_path, "recovery.txt", recovery.group(1).lower())
    assert run(capsys, "records", "list", "--json", "--data-dir", str(data), "--recovery-key-file",
               str(key_file))[1] == before
    code, out, err = run(capsys, "check", "--data-dir", str(data), "--passphrase-file", str(good))
    assert code == 0 and out.rstrip().endswith("Everything is in order."), out + err

    new = _secret(tmp_path, "new.txt", "a quite different passphrase")
    code, out, err = run(capsys, "change-passphrase", "--data-dir", str(data), "--passphrase-file", str(good),
                         "--new-passphrase-file", str(new))
    assert code == 0 and "recovery key is the same" in out, err
    one_line_error(*run(capsys, "records", "list", "--data-dir", str(data), "--passphrase-file", str(good))[::2])
    assert run(capsys, "records", "list", "--json", "--data-dir", str(data), "--passphrase-file", str(new))[1] \
        == before

    code, out, err = run(capsys, "decrypt", "--data-dir", str(data), "--recovery-key-file", str(key_file))
    assert code == 0 and out.startswith(f"Decrypted {data}: the database and 23 stored files"), err
    assert not is_encrypted(data)
    assert run(capsys, "records", "list", "--json", "--data-dir", str(data))[1] == before
    assert run(capsys, "check", "--data-dir", str(data))[0] == 0


def test_a_passphrase_is_never_taken_from_an_argument(capsys, sealed: tuple[Path, str]) -> None:
    data, _ = sealed
    code, _out, err = run(capsys, "records", "list", "--data-dir", str(data), "--passphrase", PASS)
    assert code == 2 and "unrecognized arguments" in err


def test_bad_secret_files_are_one_sentence(capsys, sealed: tuple[Path, str], tmp_path: Path) -> None:
    data, _ = sealed
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"x" * 10000)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    cases = {str(tmp_path / "missing.txt"): "does not exist", str(tmp_path): "is a folder",
             str(empty): "is empty", str(huge): "too long", str(latin): "not UTF-8"}
    for name, said in cases.items():
        one_line_error(*run(capsys, "records", "list", "--data-dir", str(data), "--passphrase-file", name)[::2],
                       said)


def test_the_prompt_gives_three_tries(capsys, sealed: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    data, _ = sealed
    typed = iter(["first wrong", "second wrong", PASS])
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(typed)

    monkeypatch.setattr(cli_crypto, "_can_ask", lambda: True)
    monkeypatch.setattr(cli_crypto, "_ask", ask)
    code, out, err = run(capsys, "records", "list", "--json", "--data-dir", str(data))
    assert code == 0 and len(json.loads(out)) > 10, err
    assert asked == [f"Passphrase for {data}: "] * 3
    assert err.count("does not open it; try again") == 2

    typed = iter(["wrong"] * 5)
    asked.clear()
    one_line_error(*run(capsys, "records", "list", "--data-dir", str(data))[::2], "was not opened",
                   "--recovery-key-file", said_before=2)
    assert len(asked) == 3


def test_encrypt_asks_twice_and_refuses_a_mismatch(capsys, demo: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo, data, symlinks=True)
    typed = iter([PASS, PASS + "!"])
    monkeypatch.setattr(cli_crypto, "_can_ask", lambda: True)
    monkeypatch.setattr(cli_crypto, "_ask", lambda prompt: next(typed))
    code, _out, err = run(capsys, "encrypt", "--data-dir", str(data))
    assert err.startswith("Strong: hard to guess.\n")  # the hint, said after the first typing
    one_line_error(code, err, "not the same", "nothing was changed", said_before=1)
    assert not is_encrypted(data)
    monkeypatch.setattr(cli_crypto, "_can_ask", lambda: False)
    one_line_error(*run(capsys, "encrypt", "--data-dir", str(data))[::2], "--passphrase-file")


def test_the_patients_own_name_is_too_easy_a_passphrase(capsys, demo: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo, data, symlinks=True)
    code, out, _ = run(capsys, "records", "list", "--json", "--data-dir", str(data))
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.profile import get_profile

    with open_data_folder(data, read_only=True) as folder, folder.dry_run() as session:
        profile = get_profile(session)
    assert profile.name and profile.date_of_birth
    own = _secret(tmp_path, "own.txt", f"{profile.name} {profile.date_of_birth.isoformat()}")
    one_line_error(*run(capsys, "encrypt", "--data-dir", str(data), "--passphrase-file", str(own))[::2],
                   "your own name")
    assert not is_encrypted(data)


def test_writing_and_reading_commands_work_on_an_encrypted_folder(capsys, sealed: tuple[Path, str],
                                                                  tmp_path: Path) -> None:
    data, _ = sealed
    good = _secret(tmp_path, "pass.txt", PASS)
    scan = tmp_path / "biopsy-report.pdf"
    head = b"%PDF-1.4\n% Surgical pathology report, a record only this test knows about\n"
    scan.write_bytes(head + b"0" * 5000)
    code, out, err = run(capsys, "records", "add", "--kind", "pathology", "--title", "Core biopsy unique-title-7",
                         "--attach", str(scan), "--json", "--data-dir", str(data), "--passphrase-file", str(good))
    assert code == 0, err
    added = json.loads(out)
    packet = tmp_path / "packet.pdf"
    code, out, err = run(capsys, "packet", "--out", str(packet), "--data-dir", str(data), "--passphrase-file",
                         str(good))
    assert code == 0 and packet.read_bytes().startswith(b"%PDF"), err
    code, out, err = run(capsys, "records", "list", "--json", "--data-dir", str(data), "--passphrase-file", str(good))
    assert any(r["id"] == added["id"] for r in json.loads(out))
    raw = _all_bytes(data)
    assert head[:64] not in raw and b"unique-title-7" not in raw
    assert run(capsys, "check", "--data-dir", str(data), "--passphrase-file", str(good))[0] == 0


def test_backup_and_restore_of_an_encrypted_folder(capsys, sealed: tuple[Path, str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data, recovery = sealed
    good = _secret(tmp_path, "pass.txt", PASS)
    archive = tmp_path / "b.zip"
    code, out, err = run(capsys, "backup", "--out", str(archive), "--data-dir", str(data), "--passphrase-file",
                         str(good))
    assert code == 0 and "checked against its manifest" in out, err
    before = run(capsys, "records", "list", "--json", "--data-dir", str(data), "--passphrase-file", str(good))[1]
    monkeypatch.setattr(cli_crypto, "_can_ask", lambda: False)
    new = tmp_path / "new"
    one_line_error(*run(capsys, "restore", str(archive), "--data-dir", str(new))[::2], "The backup b.zip is "
                   "protected with a passphrase")
    assert not new.exists()
    key_file = _secret(tmp_path, "recovery.txt", recovery)
    code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(new), "--recovery-key-file",
                         str(key_file))
    assert code == 0 and "nothing needed keeping" in out, err
    assert is_encrypted(new)
    assert run(capsys, "records", "list", "--json", "--data-dir", str(new), "--passphrase-file", str(good))[1] \
        == before
    code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(new), "--passphrase-file", str(good))
    assert code == 0 and "Kept your previous data as a backup" in out, err


def test_restore_of_a_backup_under_other_keys_or_an_older_passphrase(capsys, sealed: tuple[Path, str],
                                                                     demo: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    data, _ = sealed
    monkeypatch.setattr(cli_crypto, "_can_ask", lambda: False)
    good = _secret(tmp_path, "pass.txt", PASS)
    # a backup of this folder, then the passphrase changes: the new one restores it and still opens the folder
    old = tmp_path / "old.zip"
    assert run(capsys, "backup", "--out", str(old), "--data-dir", str(data), "--passphrase-file", str(good))[0] == 0
    newer = _secret(tmp_path, "newer.txt", "marble canyon lantern drift")
    code, _, err = run(capsys, "change-passphrase", "--data-dir", str(data), "--passphrase-file", str(good),
                       "--new-passphrase-file", str(newer))
    assert code == 0, err
    code, out, err = run(capsys, "restore", str(old), "--data-dir", str(data), "--passphrase-file", str(newer))
    assert code == 0 and "opens with the passphrase" not in out, err
    assert run(capsys, "check", "--data-dir", str(data), "--passphrase-file", str(newer))[0] == 0
    one_line_error(*run(capsys, "check", "--data-dir", str(data), "--passphrase-file", str(good))[::2])

    # a backup of another encrypted folder: its own passphrase, from --backup-passphrase-file
    other = tmp_path / "other"
    shutil.copytree(demo, other, symlinks=True)
    theirs = _secret(tmp_path, "theirs.txt", "quiet harbour pebble orchard")
    with folder_lock(other, "encrypt") as lock:
        encrypt_folder(other, theirs.read_text().strip(), new_recovery_key(), lock=lock, params=FAST)
    archive = tmp_path / "other.zip"
    assert run(capsys, "backup", "--out", str(archive), "--data-dir", str(other), "--passphrase-file",
               str(theirs))[0] == 0
    before = _all_bytes(data)
    one_line_error(*run(capsys, "restore", str(archive), "--data-dir", str(data), "--passphrase-file",
                        str(newer))[::2], "does not open")
    assert _all_bytes(data) == before, "refused: nothing changed"
    code, out, err = run(capsys, "restore", str(archive), "--data-dir", str(data), "--passphrase-file", str(newer),
                         "--backup-passphrase-file", str(theirs))
    assert code == 0 and "Kept your previous data as a backup" in out, err
    assert "opens with the passphrase (or recovery key) of other.zip from now on" in out
    assert run(capsys, "check", "--data-dir", str(data), "--passphrase-file", str(theirs))[0] == 0
