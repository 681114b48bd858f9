"""`secondopinion import-records PATH` and `secondopinion labs list`: portal downloads from the command line.
``cli.build_parser`` registers these; the shared plumbing (the data folder, its lock, one-line errors) is
``cli``'s. Each command imports the services it uses, so start-up stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from secondopinion_desktop import cli
from secondopinion_desktop.core.words import plural


def add_commands(commands: Any) -> None:
    records = commands.add_parser(
        "import-records",
        help="read a patient-portal download (C-CDA, IHE XDM zip, FHIR JSON or NDJSON, Apple Health export) and "
             "add its records, results, medications, allergies and problems",
    )
    cli._add_data_dir(records, default=argparse.SUPPRESS)
    records.add_argument("path", metavar="PATH",
                         help="a .xml, .json, .ndjson or .zip file, or a folder of them")
    records.add_argument("--dry-run", action="store_true", help="only show what would be added; write nothing")
    records.add_argument("--json", action="store_true", help="print what was found (and imported) as JSON")
    records.add_argument("--yes", action="store_true",
                         help="import even when the name or birth date on the download differs from the profile")
    records.set_defaults(func=cmd_import_records)

    labs = commands.add_parser("labs", help="list the lab results read from portal downloads")
    actions = labs.add_subparsers(dest="labs_command", metavar="ACTION", parser_class=cli._Parser)
    labs.set_defaults(func=lambda args: cli._usage(labs, "choose an action: list"))
    listing = actions.add_parser("list", help="list the lab results, newest first")
    cli._add_data_dir(listing, default=argparse.SUPPRESS)
    listing.add_argument("--json", action="store_true", help="print the results as JSON")
    listing.add_argument("--test", metavar="NAME", help="only results whose test name contains NAME (or LOINC code)")
    listing.set_defaults(func=cmd_labs_list)


@contextlib.contextmanager
def _compared_with(args: argparse.Namespace) -> Iterator[Any]:
    """The data folder a preview is compared with: the real one, or for a dry run where there is none (or one
    an older version wrote), an empty one in a private temporary folder, removed afterwards."""
    from secondopinion_desktop.core.db import SCHEMA_HEAD, open_data_folder, read_schema_revision
    from secondopinion_desktop.core.paths import DB_NAME, resolve_data_dir

    if args.dry_run:
        db_path = resolve_data_dir(args.data_dir) / DB_NAME
        if not db_path.is_file() or read_schema_revision(db_path) != SCHEMA_HEAD:
            with tempfile.TemporaryDirectory(prefix="secondopinion-preview-") as tmp:
                folder = open_data_folder(Path(tmp) / "data")
                try:
                    yield folder
                finally:
                    folder.close()
            return
    with cli._open(args) as folder:
        yield folder


def cmd_import_records(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.errors import ValidationError
    from secondopinion_desktop.core.portal.importer import import_package, preview_import
    from secondopinion_desktop.core.portal.package import read_path

    path = Path(args.path)
    if not path.exists():
        raise ValidationError(f"{path} does not exist.")
    package = read_path(path)
    with _compared_with(args) as folder:
        preview = preview_import(folder, package)
        result = None
        refused = bool(preview.warnings) and not args.yes and not args.dry_run
        if not args.dry_run and not refused and not preview.nothing_new:
            result = import_package(folder, package, confirmed=args.yes)
    if args.json:
        payload = preview.to_json()
        payload["import"] = result.to_json() if result is not None else None
        payload["dry_run"] = bool(args.dry_run)
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print_preview(preview)
        if result is not None:
            cli._say(result.sentence())
        elif args.dry_run:
            print("Dry run: nothing was written.")
    if refused:
        raise ValidationError(
            "the records may not be yours (see the warning above); nothing was imported — check the download, "
            "or run again with --yes to import anyway"
        )
    return 0


def _print_preview(preview: Any) -> None:
    for p in preview.patients:
        born = f", born {p.birth_date.isoformat()}" if p.birth_date else ""
        cli._say(f"Patient: {p.name or 'not named'}{born}")
    for warning in preview.warnings:
        cli._say(f"Warning: {warning}")
    cli._say(f"{plural(preview.documents, 'document')} read"
             + (f", {plural(preview.repeats, 'repeated document')} left out" if preview.repeats else "")
             + (f", {plural(preview.repeated_results, 'repeated result')} left out" if preview.repeated_results
                else "") + ".")
    if preview.nothing_new:
        cli._say(preview.sentence())
    else:
        for r in preview.to_add:
            when = r.date.isoformat() if r.date else "no date"
            extra = f" — adds to record {r.adds_to}" if r.adds_to is not None else ""
            cli._say(f"  + {r.kind.label}: {r.title} ({when}{', ' + r.facility if r.facility else ''}){extra}")
        cli._say(preview.sentence())
    already = [r for r in preview.records if r.already]
    if already and not preview.nothing_new:
        cli._say(f"{plural(len(already), 'record')} imported before, left as they are.")
    for s in preview.skipped:
        where = f" ({s.where})" if s.where else ""
        cli._say(f"Skipped: {s.source}{where}: {s.reason}")


def cmd_labs_list(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.portal.labs import list_lab_results

    with cli._open(args) as folder:
        rows = list_lab_results(folder, test=args.test)
    if args.json:
        json.dump([r.to_json() for r in rows], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not rows:
        cli._say(f"No lab results{' for “' + args.test.strip() + '”' if args.test else ''} yet.")
        return 0
    print(f"{'WHEN':16}  {'TEST':32}  {'VALUE':>12} {'UNIT':10}  {'RANGE':16}  FLAG")
    for r in rows:
        when = r.observed_at.replace("T", " ")[:16]
        cli._say(f"{when:16}  {r.test[:32]:32}  {r.value[:12]:>12} {r.unit[:10]:10}  "
                 f"{r.reference_range[:16]:16}  {r.flag}")
    return 0
