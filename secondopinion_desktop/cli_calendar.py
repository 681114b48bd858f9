"""`secondopinion calendar --out FILE [--json]`: appointments and due dates as an .ics file.

Read-only on the data folder. ``--out -`` writes the calendar to standard output (refused when that is a
terminal); what is said about it then goes to standard error. ``--json`` prints {path, events, appointments,
due_dates}. An error is one line on standard error and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from secondopinion_desktop import cli


def add_commands(commands: Any) -> None:
    calendar = commands.add_parser(
        "calendar", help="write appointments and the dates requests and slides are due as an .ics file",
        description="Write every appointment (with the questions still to ask and a reminder the day before), "
                    "every open records request's due date and every pathology shipment due back, as an "
                    "iCalendar file any calendar app imports. Importing a newer file updates the events.")
    cli._add_data_dir(calendar, default=argparse.SUPPRESS)
    calendar.add_argument("--out", required=True, metavar="FILE",
                          help="the .ics file to write (replaced if it exists), or - for standard output")
    calendar.add_argument("--json", action="store_true",
                          help="print {path, events, appointments, due_dates} as JSON")
    calendar.set_defaults(func=cmd_calendar)


def cmd_calendar(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.calendar import stream_calendar, write_calendar
    from secondopinion_desktop.core.outputs import STDOUT

    if args.out == STDOUT:
        with cli._open(args) as folder:
            result = stream_calendar(folder, sys.stdout.buffer.write)
        sys.stdout.flush()
        where, said = "the calendar to standard output", sys.stderr
    else:
        with cli._open(args) as folder:
            result = write_calendar(folder, Path(args.out).expanduser())
        where, said = str(result.path), sys.stdout
    if args.json:
        payload = {"path": str(result.path) if result.path is not None else None, "events": result.events,
                   "appointments": result.appointments, "due_dates": result.due_dates}
        json.dump(payload, said, ensure_ascii=False, indent=2)
        said.write("\n")
        return 0
    cli._say(f"Wrote {where}: {cli.plural(result.appointments, 'appointment')} and "
             f"{cli.plural(result.due_dates, 'due date')}", file=said)
    return 0
