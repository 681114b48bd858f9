"""Command-line front door. No subcommand opens the window; subcommands run headless.

Imports stay light here (argparse only) so that the window starts fast; each command imports what it uses.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from secondopinion_desktop import __version__
from secondopinion_desktop.core import words
from secondopinion_desktop.core.words import plural

PROG = "secondopinion"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line instead of the usage block. Options are never
    abbreviated: ``--passphrase TEXT`` must be refused, not taken as ``--passphrase-file``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _usage(parser: argparse.ArgumentParser, message: str) -> int:
    print(f"{parser.prog}: error: {message} (see --help)", file=sys.stderr)
    return 2


# The largest row id SQLite can hold; a larger (or non-positive) id is a usage mistake, not a database error.
MAX_ID = 2**63 - 1


def _record_id(value: str) -> int:
    """An ``--appointment`` / ``--record`` id: a whole number SQLite can hold."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_ID:
        raise argparse.ArgumentTypeError(f"'{_shown(value)}' is not an id; give a whole number such as 3")
    return number


def _folder_name(value: str) -> str:
    """``--data-dir``: never empty (an unset shell variable must not fall back to the real data folder)."""
    if not value.strip():
        raise argparse.ArgumentTypeError(
            "the folder name is empty (is a shell variable unset?); give the data folder, or leave the option out"
        )
    return value


def _text(value: str) -> str:
    """Typed text (a title, notes …) must be valid UTF-8: bytes that are not would be stored garbled, so they are
    refused here, shown escaped, rather than silently replaced."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        raise argparse.ArgumentTypeError(
            f"'{_shown(value)}' holds bytes that are not UTF-8 text; set your terminal to UTF-8 and type it again"
        )
    return value


_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _shown(text: object) -> str:
    """``text`` safe to print on a terminal, on one line: control characters (escape sequences, line breaks),
    bidirectional overrides and undecodable bytes are shown escaped (``\\x1b``), everything else as is."""
    import unicodedata

    out = []
    for ch in str(text):
        if "\udc80" <= ch <= "\udcff":  # an undecodable byte of a file name or argument
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _say(*parts: object, sep: str = "", file: Any = None) -> None:
    """Print one line built from ``parts`` for a person to read, with their text shown safely (see ``_shown``)."""
    print(_shown(sep.join(str(p) for p in parts)), file=file)


def _add_data_dir(parser: argparse.ArgumentParser, *, default: Any) -> None:
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        type=_folder_name,
        default=default,
        help="data folder to use (default: $SECONDOPINION_DATA_DIR, else your user data folder)",
    )
    from secondopinion_desktop.cli_crypto import add_secret_options

    add_secret_options(parser, default=default)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Second Opinion: gather your records and prepare for a second-opinion consult. "
        "Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"Second Opinion {__version__}")
    _add_data_dir(parser, default=None)
    parser.add_argument(
        "--demo", action="store_true", help="open the window on a throwaway folder filled with sample data"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = commands.add_parser("demo", help="fill a new data folder with sample data (no window)")
    _add_data_dir(demo, default=argparse.SUPPRESS)
    demo.set_defaults(func=cmd_demo)

    records = commands.add_parser("records", help="list or add records")
    record_commands = records.add_subparsers(dest="records_command", metavar="ACTION", parser_class=_Parser)
    records.set_defaults(func=lambda args: _usage(records, "choose an action: list or add"))

    listing = record_commands.add_parser("list", help="list the records inventory")
    _add_data_dir(listing, default=argparse.SUPPRESS)
    listing.add_argument("--json", action="store_true", help="print the records as JSON")
    listing.add_argument("--kind", type=_text, help="only records of this kind")
    listing.add_argument("--status", type=_text, help="only records with this status")
    listing.set_defaults(func=cmd_records_list)

    add = record_commands.add_parser("add", help="add a record, optionally with attached files")
    _add_data_dir(add, default=argparse.SUPPRESS)
    add.add_argument("--kind", type=_text, help="lab, imaging, pathology, molecular, clinical, "
                     "treatment, identity or other (with --guess: taken from the file's text when not given)")
    add.add_argument("--title", type=_text, help="(with --guess: taken from the file's text when not given)")
    add.add_argument("--date", type=_text, help="date of service, YYYY-MM-DD")
    add.add_argument("--facility", type=_text, help="facility name (created if new)")
    add.add_argument("--status", default=None, type=_text,
                     help="needed, requested, received or sent "
                          "(default: received when files are attached, else needed)")
    add.add_argument("--summary", default="", type=_text)
    add.add_argument("--notes", default="", type=_text)
    add.add_argument("--attach", nargs="+", default=[], metavar="FILE",
                     help="files to attach (their text is read before the command returns, so search finds them)")
    add.add_argument("--guess", action="store_true",
                     help="fill in what was not given (kind, title, date, facility, accession number, clinician) "
                          "from the attached file's text and name, and say what was guessed")
    add.add_argument("--json", action="store_true", help="print the new record as JSON")
    add.set_defaults(func=cmd_records_add)

    packet = commands.add_parser("packet", help="make the PDF packet to bring to the second-opinion consult")
    _add_data_dir(packet, default=argparse.SUPPRESS)
    packet.add_argument("--out", required=True, metavar="FILE",
                        help="where to write the PDF (outside the data folder; - for standard output)")
    packet.add_argument("--appointment", type=_record_id, metavar="ID",
                        help="the appointment whose questions and notes go in (default: the next upcoming one)")
    packet.add_argument("--with-image-thumbnails", action="store_true",
                        help="also put the pictures of imaging records (previews, not diagnostic) in the appendix")
    packet.set_defaults(func=cmd_packet)

    imaging = commands.add_parser(
        "import-imaging", help="read an imaging CD or folder (DICOM) and add its studies to the records"
    )
    _add_data_dir(imaging, default=argparse.SUPPRESS)
    imaging.add_argument("path", metavar="PATH", help="the folder or mounted disc holding the images")
    imaging.add_argument("--record", type=_record_id, metavar="ID",
                         help="attach everything to this existing imaging record instead of one new record per study")
    imaging.add_argument("--dry-run", action="store_true", help="only show what was found; write nothing")
    imaging.add_argument("--json", action="store_true", help="print what was found (and imported) as JSON")
    imaging.add_argument("--yes", action="store_true",
                         help="import even when the name or birth date on the images differs from the profile")
    imaging.set_defaults(func=cmd_import_imaging)

    export_imaging = commands.add_parser(
        "export-imaging", help="write a record's images to a folder with a DICOMDIR, for the doctor"
    )
    _add_data_dir(export_imaging, default=argparse.SUPPRESS)
    export_imaging.add_argument("--record", type=_record_id, required=True, metavar="ID", help="the imaging record")
    export_imaging.add_argument("--out", required=True, metavar="DIR",
                                help="a new or empty folder to write, outside the data folder")
    export_imaging.set_defaults(func=cmd_export_imaging)

    backup = commands.add_parser("backup", help="write one archive of the whole data folder (database and files)")
    _add_data_dir(backup, default=argparse.SUPPRESS)
    backup.add_argument("--out", required=True, metavar="FILE",
                        help="where to write the backup (.zip), outside the data folder; - for standard output")
    backup.set_defaults(func=cmd_backup)

    restore = commands.add_parser(
        "restore", help="check a backup, keep the current data as a backup, then restore the archive"
    )
    _add_data_dir(restore, default=argparse.SUPPRESS)
    restore.add_argument("archive", metavar="FILE", help="the backup archive (.zip) to restore")
    restore.add_argument("--backup-passphrase-file", metavar="FILE",
                         help="an encrypted backup made under another passphrase than the data folder's: a file "
                              "holding that passphrase (otherwise --passphrase-file's, or asked)")
    restore.add_argument("--backup-recovery-key-file", metavar="FILE",
                         help="… or a file holding the recovery key printed for it")
    restore.set_defaults(func=cmd_restore)

    check = commands.add_parser(
        "check", help="check the committed database and the stored files (exit 1 on problems)",
        description="Check what is committed: the database as SQLite has committed it, and every stored file "
        "against its SHA-256. Exit 1 on problems. Changes SQLite never committed cannot be seen: a write-ahead "
        "log (secondopinion.db-wal) cut short by a crash or a damaged disk is ignored by SQLite by design, so "
        "the changes in its lost part cannot be checked or reported.",
    )
    _add_data_dir(check, default=argparse.SUPPRESS)
    check.add_argument("--repair", action="store_true",
                       help="after a backup, remove stored files nothing refers to and leftover temporary files")
    check.set_defaults(func=cmd_check)

    from secondopinion_desktop.cli_requests import add_commands as add_request_commands

    add_request_commands(commands)
    from secondopinion_desktop.cli_portal import add_commands as add_portal_commands

    add_portal_commands(commands)
    from secondopinion_desktop.cli_documents import add_commands as add_document_commands

    add_document_commands(commands)
    from secondopinion_desktop.cli_health import add_commands as add_health_commands

    add_health_commands(commands)
    from secondopinion_desktop.cli_preflight import add_commands as add_preflight_commands

    add_preflight_commands(commands)
    from secondopinion_desktop.cli_handoff import add_commands as add_handoff_commands

    add_handoff_commands(commands)
    from secondopinion_desktop.cli_calendar import add_commands as add_calendar_commands

    add_calendar_commands(commands)
    from secondopinion_desktop.cli_crypto import add_commands as add_crypto_commands

    add_crypto_commands(commands)
    return parser


def _creates_folder(args: argparse.Namespace) -> bool:
    """Commands that store something may create the data folder; reading commands never do."""
    if args.command == "records":
        return args.records_command == "add"
    if args.command == "import-records":
        return not args.dry_run
    if args.command == "labs":  # a value typed in from a paper result, like `records add`
        return getattr(args, "labs_command", None) == "add"
    return args.command == "demo" or (args.command == "import-imaging" and not args.dry_run)


def _data_dir(args: argparse.Namespace) -> Path:
    """The data folder of this command; for a reading command it must hold data already (a mistyped --data-dir
    is said so, not turned into a new empty folder)."""
    from secondopinion_desktop.core.errors import DataFolderError
    from secondopinion_desktop.core.paths import holds_data, resolve_data_dir

    path = resolve_data_dir(args.data_dir)
    if not _creates_folder(args) and not holds_data(path):
        raise DataFolderError(f"There is no Second Opinion data in {path}; check the folder name.")
    return path


def _writes(args: argparse.Namespace) -> bool:
    """Commands that change the data folder; the others only read it (and work on a read-only disk)."""
    if args.command == "requests":  # a request needs data there already, so it never creates the folder
        from secondopinion_desktop.cli_requests import WRITERS

        return args.requests_command in WRITERS
    if args.command == "check":
        return bool(args.repair)
    if args.command == "restore":
        return True
    from secondopinion_desktop.cli_crypto import WRITERS

    if args.command in WRITERS:
        return True
    return _creates_folder(args)


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The data folder, read-only for reading commands. A folder an older version wrote is brought up to date
    first (that is a change, so it takes the folder's lock like any writer). An encrypted folder is unlocked with
    the passphrase the command was given, or asks for it (``cli_crypto.unlock_key``)."""
    from secondopinion_desktop.cli_crypto import unlock_key
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.errors import NeedsUpgradeError

    path = _data_dir(args)
    key = unlock_key(args, path)
    if _writes(args):
        return open_data_folder(path, key=key)
    try:
        return open_data_folder(path, read_only=True, key=key)
    except NeedsUpgradeError:
        from secondopinion_desktop.core.lock import default_wait, folder_lock

        with folder_lock(path, "upgrade", wait=default_wait()):
            open_data_folder(path, key=key).close()
        return open_data_folder(path, read_only=True, key=key)


# What each command with --out writes there, for the one output rule (core/outputs.py); None: a folder.
_OUTPUTS = {"packet": ("the packet", "packet.pdf"), "backup": ("the backup", "backup.zip"),
            "export-imaging": ("the images", None),
            "requests letter": ("the letter", "letter.pdf"), "requests release": ("the release request", "release.pdf"),
            "calendar": ("the calendar", "appointments.ics")}


def _check_out(args: argparse.Namespace) -> None:
    """Refuse an --out inside the data folder or onto a device, before anything is opened or built."""
    from secondopinion_desktop.core.outputs import STDOUT, check_output
    from secondopinion_desktop.core.paths import resolve_data_dir

    command = _purpose(args)  # "requests letter": a command group's action has its own entry
    if command not in _OUTPUTS:
        return
    if args.out == STDOUT and command != "export-imaging":
        if sys.stdout.isatty():
            from secondopinion_desktop.core.errors import ValidationError

            raise ValidationError(f"--out - writes {_OUTPUTS[command][0]} to standard output, which is a "
                                  "terminal here; redirect it to a file or a program", field="out")
        return
    what, example = _OUTPUTS[command]
    check_output(args.out, resolve_data_dir(args.data_dir), what=what, folder=example is None,
                 example=example or "")


def _to_stdout(folder, name: str, write) -> Path:  # type: ignore[no-untyped-def]
    """Write with ``write(path)`` into a private staging folder, then copy the file to standard output."""
    from secondopinion_desktop.core.outputs import copy_to_stream, private_staging

    with private_staging(folder.path) as work:
        staged = work / name
        result = write(staged)
        sys.stdout.flush()
        copy_to_stream(staged, sys.stdout.buffer)
    return result


def cmd_demo(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.demo import fill_demo_data
    from secondopinion_desktop.core.errors import ValidationError
    from secondopinion_desktop.core.paths import ENV_VAR

    if not args.data_dir and not os.environ.get(ENV_VAR):
        raise ValidationError(
            "the demo command needs --data-dir DIR, so sample data never lands in your own records folder",
            field="data_dir",
        )
    with _open(args) as folder:
        summary = fill_demo_data(folder)
        _say(
            f"Filled {folder.path} with sample data: {plural(summary.records, 'record')}, "
            f"{plural(summary.attachments, 'attachment')}, {plural(summary.facilities, 'facility', 'facilities')}, "
            f"{plural(summary.clinicians, 'clinician')}, "
            f"{plural(summary.requests, 'request for records', 'requests for records')}, "
            f"{plural(summary.shipments, 'slide shipment')}."
        )
    return 0


def cmd_records_list(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.records import list_records

    with _open(args) as folder, folder.session() as session:
        records = list_records(session, kind=args.kind, status=args.status)
    if args.json:
        json.dump([r.to_json() for r in records], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not records:
        print("No records yet.")
        return 0
    print(f"{'ID':>4}  {'DATE':10}  {'KIND':10}  {'STATUS':9}  {'FILES':>5}  TITLE — FACILITY")
    for r in records:
        date = r.date_of_service.isoformat() if r.date_of_service else "—"
        where = f" — {r.facility_name}" if r.facility_name else ""
        _say(f"{r.id:>4}  {date:10}  {r.kind.value:10}  {r.status.value:9}  {len(r.attachments):>5}  {r.title}{where}")
    return 0


def cmd_records_add(args: argparse.Namespace) -> int:
    from secondopinion_desktop import cli_documents as docs
    from secondopinion_desktop.core import records as svc
    from secondopinion_desktop.core.errors import ValidationError

    files = [Path(f).expanduser() for f in args.attach]
    if args.guess and not files:
        raise ValidationError("--guess needs a file to read: add --attach FILE.")
    missing = " and ".join(f"--{n}" for n in ("kind", "title") if not getattr(args, n))
    if not args.guess and missing and not files:
        raise ValidationError(f"Give {missing}.")
    reads = docs.read_sources(files) if files else []  # read first: the guess needs the text
    if not args.guess and missing:  # nothing is added (nor a folder made), but what the file proposes is said
        from secondopinion_desktop.core.paths import holds_data, resolve_data_dir

        if holds_data(resolve_data_dir(args.data_dir)):
            with _open(args) as folder:  # its facilities and clinicians are matched
                proposed = docs.proposal(folder, args, reads)
        else:
            proposed = docs.proposal(None, args, reads)
        raise ValidationError(f"Give {missing}, or add --guess to take {proposed}.")
    with _open(args) as folder:
        fields = {"date_of_service": args.date, "facility": args.facility}
        guessed: list = []
        if args.guess:
            fields, guessed = docs.guess_fields(folder, args, reads)
        kind = fields.pop("kind", None) or args.kind
        title = fields.pop("title", None) or args.title
        if not kind or not title:
            from secondopinion_desktop.core.records import guess_kind, title_from_file_name

            kind = kind or guess_kind(files[0].name, svc.guess_media_type(files[0]))
            title = title or title_from_file_name(files[0].name)
        record = svc.create_record_with_files(  # the record and its files land together, or not at all
            folder, kind, title, files, status=args.status, summary=args.summary, notes=args.notes, **fields,
        )
        unread = docs.store_read(folder, record, reads) if files else []
    if args.json:
        out = record.to_json()
        if args.guess:
            out["guessed"] = [{"field": g.field, "value": svc.json_ready(g.value), "why": g.why} for g in guessed]
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for item in guessed:
            _say(docs.describe_guess(item))
        files_note = f" with {plural(len(record.attachments), 'attached file')}" if record.attachments else ""
        _say(f"Added record {record.id}: {record.title} ({record.kind.label}, {record.status.label}){files_note}.")
    for sentence in unread:
        _say(sentence, file=sys.stderr)
    return 0


def cmd_packet(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.outputs import STDOUT
    from secondopinion_desktop.core.packet import PacketOptions, build_packet

    options = PacketOptions(appointment_id=args.appointment, include_image_thumbnails=args.with_image_thumbnails)
    if args.out == STDOUT:  # the PDF goes to stdout, so what is said about it goes to stderr
        with _open(args) as folder:
            result = _to_stdout(folder, "packet.pdf", lambda path: build_packet(folder, path, options))
        where, said = "the packet to standard output", sys.stderr
    else:
        out = Path(args.out).expanduser()
        with _open(args) as folder:
            result = build_packet(folder, out, options)
        where, said = str(out), sys.stdout
    _say(f"Wrote {where}: {plural(result.pages, 'page')}", file=said)
    for problem in result.problems:
        _say(f"Not included: {problem.what}: {problem.reason}", file=said)
    return 0


def _plan_for_check(args: argparse.Namespace, scan, *, dry_run: bool):  # type: ignore[no-untyped-def]
    """The import plan (whose images, what is stored already) and the profile it was checked against; a dry run
    reads the data folder only when it exists and is up to date, and never creates it."""
    from secondopinion_desktop.core.db import SCHEMA_HEAD, read_schema_revision
    from secondopinion_desktop.core.imaging.plan import plan_import
    from secondopinion_desktop.core.paths import DB_NAME, resolve_data_dir
    from secondopinion_desktop.core.profile import ProfileData, get_profile

    if dry_run:
        from secondopinion_desktop.core.crypto.seal import is_encrypted

        db_path = resolve_data_dir(args.data_dir) / DB_NAME
        if not db_path.is_file() or (not is_encrypted(db_path.parent)  # an encrypted one opens with its key
                                     and read_schema_revision(db_path) != SCHEMA_HEAD):
            profile = ProfileData()
            return plan_import(None, scan, profile), profile
    with _open(args) as folder, folder.dry_run() as session:
        profile = get_profile(session)
        return plan_import(session, scan, profile, folder.vault), profile


def cmd_import_imaging(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.errors import ValidationError
    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.plan import NOT_CHECKED, patient_mismatch
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.paths import holds_data, resolve_data_dir

    scan = scan_folder(Path(args.path))
    plan, profile = _plan_for_check(args, scan, dry_run=args.dry_run)
    warnings = patient_mismatch(scan, profile)
    result = None
    someone_else = any(s.needs_confirmation and s.importable for s in plan.studies)
    refused = someone_else and not args.yes and not args.dry_run
    if not args.dry_run and scan.studies and not refused:
        with _open(args) as folder:
            result = import_imaging(folder, scan, record_id=args.record)
    skipped = ([s.to_json() for s in result.skipped] if result is not None else
               [{"study_uid": s.study_uid, "label": s.study.label(), "images": s.stored_images,
                 "whole": s.already_imported} for s in plan.studies if s.stored_images])
    if args.json:
        payload = {
            "scan": scan.to_json(), "patient_mismatch": warnings,
            "import": result.to_json() if result is not None else None,
            "skipped": skipped, "plan": plan.to_json(),
        }
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for line in scan.summary_lines():
            _say(line)
        for warning in warnings:
            _say(f"Warning: {warning}")
        if NOT_CHECKED in plan.warnings:
            _say(f"Note: {NOT_CHECKED}")
        if args.dry_run and not holds_data(resolve_data_dir(args.data_dir)):
            _say(f"Note: there is no Second Opinion data in {resolve_data_dir(args.data_dir)} yet, so these "
                 "images were not compared with any records.")
        if result is not None:
            for line in result.summary_lines():
                _say(line)
        else:
            for line in plan.skipped_lines():
                _say(line)
            if args.dry_run:
                print("Dry run: nothing was written.")

    if not args.dry_run and not scan.studies:
        raise ValidationError(f"no DICOM images were found in {scan.root}; nothing was imported")
    if refused and scan.studies:
        raise ValidationError(
            "the images may not be yours (see the warning above); nothing was imported — check the disc, "
            "or run again with --yes to import anyway"
        )
    return 0


def cmd_export_imaging(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.imaging.export import export_study

    with _open(args) as folder:
        out = export_study(folder, args.record, Path(args.out))
    print(f"Wrote the images of record {args.record} with a DICOMDIR to {out}")
    problems = getattr(out, "problems", ())
    if problems:
        print(f"Note: left out {plural(len(problems), 'image')} that cannot be put in a DICOMDIR:")
        for problem in problems:
            print(f"  {problem.line()}")
    return 0


def _made_when(created_at: str) -> str:
    """A manifest's creation time as the window says it ("4 Mar 2026 at 14:05", local time)."""
    import datetime as dt

    try:
        return words.stamp(dt.datetime.fromisoformat(created_at))
    except ValueError:
        return "at an unknown time"


def cmd_backup(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.backup import create_backup, verify_backup
    from secondopinion_desktop.core.outputs import STDOUT

    def write(out: Path) -> tuple[Any, int]:
        create_backup(folder, out)
        return verify_backup(out, folder.key), out.stat().st_size

    if args.out == STDOUT:  # the archive goes to stdout, so what is said about it goes to stderr
        with _open(args) as folder:
            manifest, size = _to_stdout(folder, "backup.zip", write)
        where, said = "the backup to standard output", sys.stderr
    else:
        out = Path(args.out).expanduser().absolute()
        with _open(args) as folder:
            manifest, size = write(out)
        where, said = str(out), sys.stdout
    _say(f"Wrote {where}: the database and {plural(manifest.vault_files, 'stored file')}, "
         f"{words.size(size)}; checked against its manifest.", file=said)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from secondopinion_desktop.cli_crypto import obtain_key, unlock_key
    from secondopinion_desktop.core.backup import backup_keyring, restore_backup_with_details, unlock_backup
    from secondopinion_desktop.core.crypto.seal import is_encrypted
    from secondopinion_desktop.core.paths import resolve_data_dir

    archive = Path(args.archive).expanduser()
    data_dir = resolve_data_dir(args.data_dir)

    def unlock(passphrase: str | None, recovery: str | None) -> Any:
        return unlock_backup(archive, passphrase=passphrase, recovery_key=recovery)

    current = unlock_key(args, data_dir) if is_encrypted(data_dir) else None
    key = None  # an encrypted backup opens with the passphrase or recovery key it was made under
    ring = backup_keyring(archive)
    if ring is not None and current is not None and ring.key_id == current.key_id:
        key = current  # a backup of this folder (from before a passphrase change too): its keys open it
    elif ring is not None:
        given = args.backup_passphrase_file or args.backup_recovery_key_file
        asked = argparse.Namespace(passphrase_file=args.backup_passphrase_file,
                                   recovery_key_file=args.backup_recovery_key_file) if given else args
        key = obtain_key(asked, f"The backup {archive.name}", f"Passphrase for the backup {archive.name}: ", unlock)
    result = restore_backup_with_details(archive, data_dir, lock=args.folder_lock, key=key, current_key=current)
    if result.kept is not None:
        _say(f"Kept your previous data as a backup: {result.kept}")
    else:
        _say(f"There was no data in {result.data_dir} before, so nothing needed keeping.")
    _say(f"Restored {archive} (made {_made_when(result.manifest.created_at)}): the database and "
          f"{plural(result.manifest.vault_files, 'stored file')} into {result.data_dir}.")
    if current is not None and key is None:
        _say("The backup was made before the folder was protected with a passphrase, so the restored folder is "
             "not encrypted; run `secondopinion encrypt` to protect it again.")
    elif key is not None and key is not current:
        _say(f"The restored folder opens with the passphrase (or recovery key) of {archive.name} from now on.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.check import check_data, repair
    from secondopinion_desktop.core.staging import sweep_places

    with _open(args) as folder:
        swept = sweep_places(folder.path)  # plain copies of the records that killed writers left elsewhere
        if swept:
            _say(f"Removed {plural(swept, 'leftover folder')} of a backup, export or restore that was cut short.")
        report = check_data(folder)
        for line in report.lines():
            _say(line)
        if args.repair and not report.ok:
            print()
            done = repair(folder, report)
            print("Repair:" if done else "Repair: nothing it can safely fix.")
            for line in done:
                _say(f"  {line}")
            report = check_data(folder)
            print()
            print("After the repair:")
            for line in report.lines():
                _say(line)
    return 0 if report.ok else 1


def _purpose(args: argparse.Namespace) -> str:
    """The command as the lock's owner names it ('records add', 'check --repair'); never its arguments."""
    if args.command in ("records", "requests", "labs"):
        return f"{args.command} {getattr(args, args.command + '_command', None) or ''}".strip()
    if args.command == "check":
        return "check --repair"
    return str(args.command)


@contextlib.contextmanager
def _writer_lock(args: argparse.Namespace) -> Iterator[None]:
    """A command that changes the data folder holds its lock while it runs (waiting a while for another command,
    never for the window); reading commands take none. The held lock is ``args.folder_lock``."""
    args.folder_lock = None
    if not _writes(args):
        yield
        return
    from secondopinion_desktop.core.lock import default_wait, folder_lock
    from secondopinion_desktop.core.paths import resolve_data_dir

    # restore may make a new folder; the others that do not create one need data there already
    path = resolve_data_dir(args.data_dir) if args.command == "restore" else _data_dir(args)
    if args.command == "restore":
        from secondopinion_desktop.core.backup import refuse_mount_point

        refuse_mount_point(path)  # before the lock leaves its file on the disk

    def waiting(owner) -> None:  # type: ignore[no-untyped-def]
        who = owner.describe() if owner is not None else "another Second Opinion command"
        _say(f"{PROG}: waiting for {who} to finish with the data folder…", file=sys.stderr)

    with folder_lock(path, _purpose(args), wait=default_wait(), on_wait=waiting) as lock:
        args.folder_lock = lock
        yield


def _storage_error(exc: BaseException, args: argparse.Namespace) -> Exception | None:
    """The one-sentence error for a full or read-only disk under the data folder, else None."""
    from secondopinion_desktop.core.db import explain_storage_error
    from secondopinion_desktop.core.paths import resolve_data_dir

    try:
        data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    except Exception:  # noqa: BLE001 - the message then names no folder
        data_dir = None
    return explain_storage_error(exc, data_dir)


def _gui(args: argparse.Namespace) -> int:
    from secondopinion_desktop.ui.app import run_gui

    return run_gui(data_dir=args.data_dir, demo=args.demo)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage mistakes: argparse already printed its line
        return exc.code if isinstance(exc.code, int) else 2
    func = getattr(args, "func", None)
    from secondopinion_desktop.core.errors import SecondOpinionError

    for stream in (sys.stdout, sys.stderr):  # a name that is not valid text is printed escaped, never a traceback
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        if not func:
            return _gui(args)
        _check_out(args)
        with _writer_lock(args):
            return func(args)
    except SecondOpinionError as exc:  # a full or read-only disk under it is said as such
        from secondopinion_desktop.core.errors import DataFolderError

        explained = None if isinstance(exc, DataFolderError) else _storage_error(exc, args)
        _say(f"{PROG}: error: {explained or exc}", file=sys.stderr)
        return 1
    except UnicodeEncodeError as exc:  # a name that is not valid text reached a place that stores text
        _say(f"{PROG}: error: '{exc.object}' holds bytes that are not UTF-8 text, so it cannot be stored; "
             "rename it and try again", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # a full or read-only disk is said so in one line; anything else is a bug
        explained = _storage_error(exc, args)
        if explained is not None:
            _say(f"{PROG}: error: {explained}", file=sys.stderr)
            return 1
        if isinstance(exc, OSError):
            where = f" ({exc.filename})" if exc.filename else ""
            _say(f"{PROG}: error: {exc.strerror or exc}{where}", file=sys.stderr)
            return 1
        from secondopinion_desktop.core.log import log_failure, start_logging

        if start_logging() is not None:  # a bug: its type and place go in the log (never the person's data)
            log_failure(f"command {_purpose(args) if getattr(args, 'command', None) else 'window'} failed", exc)
        raise
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
