"""`secondopinion import-records PATH` and `secondopinion labs list|add`: portal downloads and lab values from the
command line.
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

    labs = commands.add_parser("labs", help="list lab results (imported or typed in), or add one from a paper "
                                            "result")
    actions = labs.add_subparsers(dest="labs_command", metavar="ACTION", parser_class=cli._Parser)
    labs.set_defaults(func=lambda args: cli._usage(labs, "choose an action: list or add"))
    listing = actions.add_parser("list", help="list the lab results, newest first")
    cli._add_data_dir(listing, default=argparse.SUPPRESS)
    listing.add_argument("--json", action="store_true", help="print the results as JSON")
    listing.add_argument("--test", metavar="NAME", type=cli._text,
                         help="only results whose test name contains NAME (or LOINC code, or that are the same key "
                              "test: 'CA 15.3' finds 'CA 15-3')")
    listing.set_defaults(func=cmd_labs_list)
    adding = actions.add_parser(
        "add", help="add a value from a paper result, kept as written",
        description="Add one lab value typed in from a paper result. The value is kept as written (\"<0.5\", "
                    "\"positive\", \"1,234.5\") and its unit as given: units are never converted.")
    cli._add_data_dir(adding, default=argparse.SUPPRESS)
    adding.add_argument("--test", metavar="NAME", type=cli._text, required=True, help="the test, e.g. 'CA 15-3'")
    adding.add_argument("--value", metavar="V", type=cli._text, required=True,
                        help="the value as printed, e.g. 21, '<0.5' or positive")
    adding.add_argument("--unit", metavar="U", type=cli._text, default="", help="the unit as printed, e.g. U/mL")
    adding.add_argument("--range", metavar="TEXT", type=cli._text, default="", dest="reference_range",
                        help="the reference range as printed, e.g. '0 - 31' or '<35'")
    adding.add_argument("--date", metavar="YYYY-MM-DD", type=cli._text, help="the day the sample was taken")
    adding.add_argument("--flag", metavar="TEXT", type=cli._text, default="", help="the flag printed, e.g. H or L")
    adding.add_argument("--record", metavar="ID", type=cli._record_id,
                        help="the record of the paper it was copied from")
    adding.add_argument("--json", action="store_true", help="print the stored result as JSON")
    adding.set_defaults(func=cmd_labs_add)


@contextlib.contextmanager
def _compared_with(args: argparse.Namespace) -> Iterator[Any]:
    """The data folder a preview is compared with: the real one, or for a dry run where there is none (or one
    an older version wrote), an empty one in a private temporary folder, removed afterwards."""
    from secondopinion_desktop.core.db import SCHEMA_HEAD, open_data_folder, read_schema_revision
    from secondopinion_desktop.core.paths import DB_NAME, resolve_data_dir

    if args.dry_run:
        from secondopinion_desktop.core.crypto.seal import is_encrypted

        db_path = resolve_data_dir(args.data_dir) / DB_NAME
        if not db_path.is_file() or (not is_encrypted(db_path.parent)  # an encrypted one opens with its key
                                     and read_schema_revision(db_path) != SCHEMA_HEAD):
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


def _wanted(rows: list[Any], test: str | None) -> list[Any]:
    """The results of ``test``: its name contains it (any case), its LOINC code is it, or it is the same key test
    ("CA 15.3" finds "CA 15-3", "Hgb" finds "Hemoglobin")."""
    from secondopinion_desktop.core.health import key_test_for

    wanted = (test or "").strip()
    if not wanted:
        return rows
    key = key_test_for(wanted, wanted)
    lowered = wanted.lower()
    return [r for r in rows if lowered in r.test.lower() or r.loinc == wanted
            or (key is not None and key_test_for(r.test, r.loinc) == key)]


def cmd_labs_list(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.health import series_from, source_words
    from secondopinion_desktop.core.portal.labs import list_lab_results

    with cli._open(args) as folder:
        rows = _wanted(list_lab_results(folder), args.test)
    if args.json:
        json.dump([r.to_json() for r in rows], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not rows:
        cli._say(f"No lab results{' for “' + args.test.strip() + '”' if args.test else ''} yet.")
        return 0
    mixed = {p.result_id: s for s in series_from(rows) if s.mixed_units for p in s.points}
    print(f"{'WHEN':16}  {'TEST':32}  {'VALUE':>12} {'UNIT':10}  {'RANGE':16}  {'FLAG':6}  SOURCE")
    for r in rows:
        when = r.observed_at.replace("T", " ")[:16] or "no date"
        test = r.test[:31] + ("*" if r.id in mixed else "")
        source = source_words(r.origin, r.source.record_title, r.source.source_name)
        cli._say(f"{when:16}  {test:32}  {r.value[:12]:>12} {r.unit[:10]:10}  "
                 f"{r.reference_range[:16]:16}  {r.flag[:6]:6}  {source}")
    for series in {id(s): s for s in mixed.values()}.values():
        units = ", ".join(u or "no unit" for u in series.units)
        cli._say(f"* {series.name} has mixed units ({units}): values are kept as given, never converted, and a "
                 f"chart shows only those in {series.unit or 'no unit'}.")
    return 0


def cmd_labs_add(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.health import add_lab_result

    with cli._open(args) as folder:
        result = add_lab_result(folder, args.test, args.value, args.date, unit=args.unit,
                                reference_range=args.reference_range, flag=args.flag, record_id=args.record)
    if args.json:
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    unit = f" {result.unit}" if result.unit else ""
    words = "" if result.number is not None else " (kept as words: it will not be charted)"
    day = result.observed_on.isoformat() if result.observed_on else ""
    cli._say(f"Added lab result {result.id}: {result.test} {result.value}{unit} on {day}{words}.")
    return 0
