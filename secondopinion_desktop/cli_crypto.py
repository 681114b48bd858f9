"""An encrypted data folder on the command line: turning it on and off, changing the passphrase, and unlocking
the folder for every other command.

    secondopinion encrypt [--recovery-sheet FILE]
    secondopinion decrypt
    secondopinion change-passphrase [--new-passphrase-file FILE]

Every command opening an encrypted folder reads its passphrase from ``--passphrase-file FILE``, else from the
file named by ``SECONDOPINION_PASSPHRASE_FILE``, else asks for it when run in a terminal (three tries);
``--recovery-key-file FILE`` opens it with the recovery key instead. A secret is never taken from an argument
(other accounts can read those) and never written anywhere. A secret file's first line is the secret (its line
ending is not part of it).
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secondopinion_desktop import cli
from secondopinion_desktop.core.words import plural

if TYPE_CHECKING:
    from secondopinion_desktop.core.crypto.seal import FolderKey

PASSPHRASE_FILE_ENV = "SECONDOPINION_PASSPHRASE_FILE"
_MAX_SECRET_FILE = 4096
TRIES = 3
WRITERS = frozenset({"encrypt", "decrypt", "change-passphrase"})


def add_secret_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    """``--passphrase-file`` and ``--recovery-key-file``, on the top level and on every command."""
    parser.add_argument("--passphrase-file", metavar="FILE", default=default,
                        help=f"read the data folder's passphrase from FILE (default: ${PASSPHRASE_FILE_ENV}; "
                             "else you are asked when the folder is encrypted)")
    parser.add_argument("--recovery-key-file", metavar="FILE", default=default,
                        help="open an encrypted data folder with the recovery key in FILE instead")


def add_commands(commands: Any) -> None:
    encrypt = commands.add_parser(
        "encrypt", help="protect the data folder with a passphrase (the database and every stored file encrypted)",
        description="Encrypt the data folder: its database and every stored file. You choose a passphrase "
        "(asked twice, or read from --passphrase-file) and get a recovery key, shown once: keep it on paper "
        "(--recovery-sheet writes a sheet to print). Without both the passphrase and the recovery key, the data "
        "cannot be recovered by anyone.")
    cli._add_data_dir(encrypt, default=argparse.SUPPRESS)
    encrypt.add_argument("--recovery-sheet", metavar="FILE",
                         help="also write the recovery key on a sheet to print (a PDF); keep it away from the "
                              "computer")
    encrypt.set_defaults(func=cmd_encrypt)

    decrypt = commands.add_parser(
        "decrypt", help="turn the passphrase off: write the data folder plain again",
        description="Decrypt the data folder (opened with its passphrase or recovery key): afterwards anyone "
        "using this account, or holding the disk, can read it.")
    cli._add_data_dir(decrypt, default=argparse.SUPPRESS)
    decrypt.set_defaults(func=cmd_decrypt)

    change = commands.add_parser(
        "change-passphrase", help="choose a new passphrase (the recovery key stays the same)",
        description="Change the passphrase of an encrypted data folder: opened with the current passphrase (or "
        "the recovery key), the new one is asked twice or read from --new-passphrase-file. Instant: only the "
        "folder's key file is rewritten.")
    cli._add_data_dir(change, default=argparse.SUPPRESS)
    change.add_argument("--new-passphrase-file", metavar="FILE", help="read the new passphrase from FILE")
    change.set_defaults(func=cmd_change_passphrase)


# --- secrets --------------------------------------------------------------------------------------------------


def read_secret_file(name: str, what: str) -> str:
    """The secret in the file ``name``: its first line, without the line ending."""
    from secondopinion_desktop.core.errors import ValidationError

    path = Path(name).expanduser()
    try:
        with open(path, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):  # a pipe: ``--passphrase-file <(pass show …)``
                raise ValidationError(f"The {what} file {path} is not a file.")
            raw = fh.read(_MAX_SECRET_FILE + 1)
    except FileNotFoundError:
        raise ValidationError(f"The {what} file {path} does not exist.") from None
    except IsADirectoryError:
        raise ValidationError(f"The {what} file {path} is a folder, not a file.") from None
    except OSError as exc:
        raise ValidationError(f"The {what} file {path} cannot be read: {exc.strerror or exc}.") from None
    if len(raw) > _MAX_SECRET_FILE:
        raise ValidationError(f"The {what} file {path} is too long to hold a {what}; its first line is used, "
                              f"and it must be under {_MAX_SECRET_FILE} bytes.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"The {what} file {path} is not UTF-8 text.") from None
    secret = text.splitlines()[0] if text else ""
    if not secret:
        raise ValidationError(f"The {what} file {path} is empty: its first line must be the {what}.")
    return secret


def _ask(prompt: str) -> str:
    import getpass

    try:
        return getpass.getpass(prompt, stream=sys.stderr)
    except EOFError:
        return ""


def _can_ask() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _given_passphrase_file(args: argparse.Namespace) -> str | None:
    return getattr(args, "passphrase_file", None) or os.environ.get(PASSPHRASE_FILE_ENV) or None


def unlock_key(args: argparse.Namespace, path: Path, *, asking: str = "Passphrase") -> FolderKey | None:
    """The keys of the data folder at ``path`` when it is encrypted (None when it is not), from the secret the
    command was given or asked for; kept on ``args`` so a command opening the folder twice derives it once."""
    from secondopinion_desktop.core.crypto.seal import needs_key, unlock_folder

    cached = getattr(args, "_folder_key", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    if not needs_key(path):
        return None
    key = obtain_key(args, f"The data folder {path}", f"{asking} for {path}: ",
                     lambda passphrase, recovery: unlock_folder(path, passphrase=passphrase, recovery_key=recovery))
    args._folder_key = key
    return key


def obtain_key(args: argparse.Namespace, what: str, prompt: str,
               unlock: Callable[[str | None, str | None], FolderKey]) -> FolderKey:
    """Keys from ``unlock(passphrase, recovery_key)`` with the secret the command was given: its recovery key
    file, its passphrase file (or $SECONDOPINION_PASSPHRASE_FILE), else asked in a terminal (three tries)."""
    from secondopinion_desktop.core.crypto.keys import WrongSecret
    from secondopinion_desktop.core.errors import FolderLocked

    recovery_file = getattr(args, "recovery_key_file", None)
    passphrase_file = _given_passphrase_file(args)
    if recovery_file:
        return unlock(None, read_secret_file(recovery_file, "recovery key"))
    if passphrase_file:
        return unlock(read_secret_file(passphrase_file, "passphrase"), None)
    if not _can_ask():
        raise FolderLocked(f"{what} is protected with a passphrase: give it with --passphrase-file FILE (or "
                           f"${PASSPHRASE_FILE_ENV}), or run the command in a terminal to be asked for it.")
    for attempt in range(TRIES):
        typed = _ask(prompt)
        if not typed:
            break
        try:
            return unlock(typed, None)
        except WrongSecret:
            if attempt < TRIES - 1:
                print("That passphrase does not open it; try again.", file=sys.stderr)
    raise WrongSecret(f"{what} was not opened: the passphrase did not open it (use --recovery-key-file FILE if "
                      "it is lost).")


def _new_passphrase(args: argparse.Namespace, given: str | None, avoid: tuple[str, ...]) -> str:
    """A new passphrase: from the file ``given``, else asked twice; refused when too easy to guess."""
    from secondopinion_desktop.core.crypto.strength import strength
    from secondopinion_desktop.core.errors import ValidationError

    refused = "Not encrypted:" if args.command == "encrypt" else "Not changed:"
    if given:
        passphrase = read_secret_file(given, "passphrase")
    elif _can_ask():
        passphrase = _ask("New passphrase: ")
        judged = strength(passphrase, avoid)
        if not judged.acceptable:
            raise ValidationError(f"{refused} {judged.sentence}")
        print(judged.sentence, file=sys.stderr)
        if _ask("The same passphrase again: ") != passphrase:
            raise ValidationError("The two passphrases typed are not the same; nothing was changed.")
        return passphrase
    else:
        raise ValidationError(f"Give the new passphrase with --{'new-' if args.command != 'encrypt' else ''}"
                              "passphrase-file FILE, or run the command in a terminal to be asked for it.")
    judged = strength(passphrase, avoid)
    if not judged.acceptable:
        raise ValidationError(f"{refused} {judged.sentence}")
    return passphrase


def _avoid(path: Path, key: FolderKey | None) -> tuple[str, ...]:
    """What the folder's profile holds that a guesser would try first (the patient's name, date of birth)."""
    from secondopinion_desktop.core.crypto.strength import guessable_words
    from secondopinion_desktop.core.db import open_data_folder

    with open_data_folder(path, key=key) as folder:
        return guessable_words(folder)


def _progress(label: str) -> Any:
    from secondopinion_desktop.cli_handoff import _progress as progress

    return progress(label)


# --- the commands -----------------------------------------------------------------------------------------------


def cmd_encrypt(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.crypto.convert import encrypt_folder
    from secondopinion_desktop.core.crypto.keys import new_recovery_key
    from secondopinion_desktop.core.crypto.seal import is_encrypted
    from secondopinion_desktop.core.errors import ValidationError

    path = cli._data_dir(args)
    if is_encrypted(path):
        raise ValidationError(f"The data folder {path} is already protected with a passphrase; use "
                              "change-passphrase to choose a new one.")
    sheet = Path(args.recovery_sheet).expanduser().absolute() if args.recovery_sheet else None
    if sheet is not None:
        from secondopinion_desktop.core.outputs import check_output

        check_output(str(sheet), path, what="the recovery sheet", example="recovery-sheet.pdf")
    passphrase = _new_passphrase(args, _given_passphrase_file(args), _avoid(path, None))
    recovery = new_recovery_key()
    key, result = encrypt_folder(path, passphrase, recovery, lock=args.folder_lock,
                                 progress=_progress("Encrypting"))
    cli._say(f"Encrypted {path}: the database and {plural(result.files, 'stored file')}. It now opens only with "
             "the passphrase or the recovery key.")
    if sheet is not None:
        from secondopinion_desktop.core.crypto.sheet import recovery_sheet_pdf

        try:
            recovery_sheet_pdf(sheet, recovery, folder=path, key_id=key.key_id)
            cli._say(f"Wrote the recovery sheet {sheet}: print it, keep it away from the computer, then delete "
                     "the file.")
        except OSError as exc:
            cli._say(f"The recovery sheet could not be written ({exc.strerror or exc}); write down the key "
                     "below.", file=sys.stderr)
    print(f"Recovery key: {recovery}")
    print("It is shown only this once. Keep it on paper: without the passphrase and the recovery key, the data "
          "cannot be recovered by anyone.")
    if result.plain_backups:
        cli._say(f"The {plural(result.plain_backups, 'backup')} made before in {path / 'backups'} stay "
                 "unencrypted; delete them once you have a new backup.")
    return 0


def cmd_decrypt(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.crypto.convert import decrypt_folder
    from secondopinion_desktop.core.errors import ValidationError

    path = cli._data_dir(args)
    key = unlock_key(args, path)
    if key is None:
        raise ValidationError(f"The data folder {path} is not protected with a passphrase.")
    result = decrypt_folder(path, key, lock=args.folder_lock, progress=_progress("Decrypting"))
    cli._say(f"Decrypted {path}: the database and {plural(result.files, 'stored file')} are written plain again; "
             "anyone using this account or holding the disk can read them.")
    return 0


def cmd_change_passphrase(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.crypto.convert import change_passphrase
    from secondopinion_desktop.core.errors import ValidationError

    path = cli._data_dir(args)
    key = unlock_key(args, path, asking="Current passphrase")
    if key is None:
        raise ValidationError(f"The data folder {path} is not protected with a passphrase; use encrypt to "
                              "protect it.")
    new = _new_passphrase(args, args.new_passphrase_file, _avoid(path, key))
    change_passphrase(path, key, new)
    cli._say(f"Changed the passphrase of {path}; the recovery key is the same.")
    return 0
