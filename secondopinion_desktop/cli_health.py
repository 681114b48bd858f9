"""`secondopinion meds list [--json]` and `secondopinion allergies list [--json]`: the health summary's lists.

``cli.build_parser`` registers these; the shared plumbing (the data folder, one-line errors) is ``cli``'s. Both
only read. JSON gives every field of the row, dates as ISO text, ``source`` as an object (its ``record_id`` is
null for a row typed in by hand from no record), and for medications ``current`` (taken now: not stopped).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from typing import Any

from secondopinion_desktop import cli


def add_commands(commands: Any) -> None:
    meds = commands.add_parser("meds", help="list the medications (current first, then past)")
    actions = meds.add_subparsers(dest="meds_command", metavar="ACTION", parser_class=cli._Parser)
    meds.set_defaults(func=lambda args: cli._usage(meds, "choose an action: list"))
    listing = actions.add_parser("list", help="list the medications, current first, then past")
    cli._add_data_dir(listing, default=argparse.SUPPRESS)
    listing.add_argument("--json", action="store_true", help="print the medications as JSON")
    listing.set_defaults(func=cmd_meds_list)

    allergies = commands.add_parser("allergies", help="list the allergies and intolerances")
    actions = allergies.add_subparsers(dest="allergies_command", metavar="ACTION", parser_class=cli._Parser)
    allergies.set_defaults(func=lambda args: cli._usage(allergies, "choose an action: list"))
    listing = actions.add_parser("list", help="list the allergies and intolerances")
    cli._add_data_dir(listing, default=argparse.SUPPRESS)
    listing.add_argument("--json", action="store_true", help="print the allergies as JSON")
    listing.set_defaults(func=cmd_allergies_list)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_json(row: Any, **extra: Any) -> dict[str, Any]:
    """Every field of a medication or allergy, dates as ISO text, ``source`` as an object."""
    values = {k: _plain(v) for k, v in dataclasses.asdict(row).items()}
    values.update(extra)
    return values


def _dump(payload: Any) -> None:
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _dates(start: str, end: str) -> str:
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"since {start}"
    return f"until {end}" if end else ""


def cmd_meds_list(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.health import health_summary, is_current, source_words

    with cli._open(args) as folder:
        summary = health_summary(folder)
    meds = summary.medications
    if args.json:
        _dump([row_json(m, current=is_current(m, summary.today)) for m in meds])
        return 0
    if not meds:
        cli._say("No medications listed yet.")
        return 0
    for title, group in (("Current medications", summary.current_medications),
                         ("Past medications", summary.past_medications)):
        if not group:
            continue
        cli._say(f"{title}:")
        for m in group:
            how = ", ".join(p for p in (m.dose, m.route, m.frequency) if p)
            parts = [f"  {m.id:>4}  {m.name}" + (f" — {how}" if how else "")]
            details = [d for d in (f"for {m.reason}" if m.reason else "", _dates(m.start, m.end),
                                   f"prescribed by {m.prescriber}" if m.prescriber else "") if d]
            if details:
                parts.append(" (" + "; ".join(details) + ")")
            cli._say("".join(parts))
            cli._say(f"        {source_words(m.origin, m.source.record_title, m.source.source_name)}")
    return 0


def cmd_allergies_list(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.health import list_allergies, source_words

    with cli._open(args) as folder:
        rows = list_allergies(folder)
    if args.json:
        _dump([row_json(a) for a in rows])
        return 0
    if not rows:
        cli._say("No allergies or intolerances listed yet.")
        return 0
    for a in rows:
        kind = {"allergy": "allergy", "intolerance": "intolerance"}.get(a.category, "allergy or intolerance")
        details = "; ".join(d for d in (a.reaction, a.severity, f"since {a.onset}" if a.onset else "") if d)
        cli._say(f"  {a.id:>4}  {a.substance} ({kind})" + (f": {details}" if details else ""))
        cli._say(f"        {source_words(a.origin, a.source.record_title, a.source.source_name)}")
    return 0
