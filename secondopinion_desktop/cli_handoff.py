"""`secondopinion handoff`: the folder for the doctor, and checking one against its manifest.

    secondopinion handoff --out DIR [--appointment ID] [--zip] [--with-image-thumbnails] [--json]
    secondopinion handoff --verify DIR

Read-only: the data folder is opened for reading. ``--out`` is checked by the one output rule (not inside the data
folder, not a device) before anything is read. Progress goes to standard error when it is a terminal. ``--verify``
exits 1 with one line per problem when the folder (or zip file) does not match its manifest. Errors are one line
on standard error and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from secondopinion_desktop import cli


def add_commands(commands: Any) -> None:
    handoff = commands.add_parser(
        "handoff", help="write a folder for the doctor (packet, DICOM images with a DICOMDIR, documents, index, "
                        "manifest), or check one with --verify")
    cli._add_data_dir(handoff, default=argparse.SUPPRESS)
    what = handoff.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", metavar="DIR", help="the new (or empty) folder to write; with --zip, the .zip file")
    what.add_argument("--verify", metavar="DIR", help="check a folder for the doctor (or its zip) against its "
                                                      "manifest")
    handoff.add_argument("--appointment", type=int, metavar="ID",
                         help="the appointment the packet is for (default: the next upcoming one)")
    handoff.add_argument("--zip", action="store_true", help="write one zip file instead of a folder")
    handoff.add_argument("--with-image-thumbnails", action="store_true",
                         help="include imaging records' pictures among the documents and in the packet")
    handoff.add_argument("--json", action="store_true", help="print the result as JSON")
    handoff.set_defaults(func=cmd_handoff)


def _progress(label: str) -> Any:
    if not sys.stderr.isatty():
        return None
    last = [-1]

    def report(done: int, total: int) -> None:
        percent = done * 100 // total if total > 0 else 0
        if percent != last[0]:
            last[0] = percent
            sys.stderr.write(f"\r{label}… {percent}%")
            sys.stderr.flush()
            if done >= total > 0:
                sys.stderr.write("\n")

    return report


def cmd_handoff(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.handoff import HandoffOptions, verify_handoff, write_handoff

    if args.verify is not None:
        if args.zip or args.appointment is not None or args.with_image_thumbnails:
            from secondopinion_desktop.core.errors import ValidationError

            raise ValidationError("--verify checks a folder that exists; it takes no --zip, --appointment or "
                                  "--with-image-thumbnails", field="verify")
        result = verify_handoff(Path(args.verify), progress=_progress("Checking"))
        if args.json:
            json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            for line in result.summary_lines():
                cli._say(line, file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 1

    from secondopinion_desktop.core.outputs import check_output
    from secondopinion_desktop.core.paths import resolve_data_dir

    out = check_output(args.out, resolve_data_dir(args.data_dir), what="the folder for the doctor",
                       folder=not args.zip, example="for-the-doctor.zip")
    options = HandoffOptions(appointment_id=args.appointment, as_zip=args.zip,
                             include_image_thumbnails=args.with_image_thumbnails)
    with cli._open(args) as folder:
        written = write_handoff(folder, out, options, progress=_progress("Writing the folder for the doctor"))
    if args.json:
        json.dump(written.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    for line in written.summary_lines():
        cli._say(line)
    return 0
