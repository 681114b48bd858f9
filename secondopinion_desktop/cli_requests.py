"""`secondopinion requests …`: records requests from the command line (list, new, sent, received, and the two
letters). ``cli.build_parser`` registers these; the shared plumbing (the data folder, its lock, the one output
rule, one-line errors) is ``cli``'s.

Imports stay light here too: each command imports the services it uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from secondopinion_desktop import cli
from secondopinion_desktop.core.words import plural

VIA = ("fax", "mail", "email", "portal", "in-person", "phone")
#: The commands that change the data folder (``cli._writes``); ``list`` only reads.
WRITERS = frozenset({"new", "sent", "received", "letter", "release"})


def add_commands(commands: Any) -> None:
    """Add the ``requests`` command group to the subcommands of the main parser."""
    requests = commands.add_parser("requests", help="list records requests, make one, mark it sent or received, "
                                   "print its letters")
    actions = requests.add_subparsers(dest="requests_command", metavar="ACTION", parser_class=cli._Parser)
    requests.set_defaults(func=lambda args: cli._usage(
        requests, "choose an action: list, new, sent, received, letter or release"))

    listing = actions.add_parser("list", help="list the requests, by facility")
    cli._add_data_dir(listing, default=argparse.SUPPRESS)
    listing.add_argument("--json", action="store_true", help="print the requests as JSON")
    listing.add_argument("--overdue", action="store_true", help="only requests past their due date")
    listing.set_defaults(func=cmd_list)

    new = actions.add_parser("new", help="make a draft request to a facility's records department")
    cli._add_data_dir(new, default=argparse.SUPPRESS)
    new.add_argument("--facility", required=True, type=cli._text, metavar="NAME",
                     help="the facility (created if new)")
    new.add_argument("--record", nargs="+", action="extend", type=cli._record_id, metavar="ID",
                     help="the records asked for (default: the facility's records still needed)")
    new.add_argument("--send-to", type=cli._text, metavar="TEXT",
                     help="send the copies directly to this person or center instead of to you")
    new.add_argument("--json", action="store_true", help="print the new request as JSON")
    new.set_defaults(func=cmd_new)

    sent = actions.add_parser("sent", help="mark a request sent: it is then due after the folder's number of days "
                              "(30 unless changed), and its records needed become requested")
    cli._add_data_dir(sent, default=argparse.SUPPRESS)
    sent.add_argument("id", type=cli._record_id, metavar="ID", help="the request")
    sent.add_argument("--on", type=cli._text, metavar="YYYY-MM-DD", help="the day it was sent (default: today)")
    sent.add_argument("--via", choices=VIA, help="how it was sent")
    sent.add_argument("--due", type=cli._text, metavar="YYYY-MM-DD",
                      help="the day the answer is due (default: from the folder's setting)")
    sent.set_defaults(func=cmd_sent)

    received = actions.add_parser("received", help="mark what a request brought: the records that came become "
                                  "received")
    cli._add_data_dir(received, default=argparse.SUPPRESS)
    received.add_argument("id", type=cli._record_id, metavar="ID", help="the request")
    received.add_argument("--record", nargs="+", action="extend", type=cli._record_id, metavar="ID",
                          help="the records that came (default: all those still to come)")
    received.add_argument("--on", type=cli._text, metavar="YYYY-MM-DD", help="the day they came (default: today)")
    received.set_defaults(func=cmd_received)

    for name, words in (("letter", "the written request for the records, to sign"),
                        ("release", "the pathology material release request, for a request with pathology "
                                    "records")):
        letter = actions.add_parser(name, help=f"write {words} as a PDF (a copy is kept with the request)")
        cli._add_data_dir(letter, default=argparse.SUPPRESS)
        letter.add_argument("id", type=cli._record_id, metavar="ID", help="the request")
        letter.add_argument("--out", required=True, metavar="FILE",
                            help="where to write the PDF (outside the data folder; - for standard output)")
        letter.set_defaults(func=cmd_letter, letter_kind="request" if name == "letter" else "release")


def _dump(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else "—"


def _standing(q: Any, today: dt.date) -> str:
    """Overdue or due soon, in words ("" otherwise)."""
    from secondopinion_desktop.core.requests import due_words

    if not (q.is_overdue(today) or q.is_due_soon(today)):
        return ""
    words = due_words(q, today)
    return words[:1].lower() + words[1:]


def _json(q: Any, today: dt.date) -> dict[str, Any]:
    values = q.to_json()
    values["overdue"] = q.is_overdue(today)
    values["due_soon"] = q.is_due_soon(today)
    return values  # type: ignore[no-any-return]


def cmd_list(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.requests import list_requests

    today = dt.date.today()
    with cli._open(args) as folder:
        rows = list_requests(folder, overdue=args.overdue, today=today)
    if args.json:
        _dump([_json(q, today) for q in rows])
        return 0
    if not rows:
        print("No overdue requests." if args.overdue else "No requests yet.")
        return 0
    print(f"{'ID':>4}  {'STATUS':15}  {'SENT':10}  {'DUE':10}  FACILITY")
    for q in rows:
        standing = _standing(q, today)
        cli._say(f"{q.id:>4}  {q.status.label:15}  {_day(q.sent_on):10}  {_day(q.effective_due):10}  "
                 f"{q.facility_name}{f' — {standing}' if standing else ''}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core import requests as rq

    fields: dict[str, Any] = {}
    if args.send_to:
        fields["send_to_name"] = args.send_to
    with cli._open(args) as folder:
        record_ids = args.record if args.record is not None else [
            r.id for r in rq.draft_request(folder, args.facility).records]
        q = rq.create_request(folder, args.facility, record_ids=record_ids, **fields)
    if args.json:
        _dump(_json(q, dt.date.today()))
    else:
        cli._say(f"Made request {q.id} to {q.facility_name} for {plural(len(q.records), 'record')}; it is a draft "
                 "until you mark it sent.")
    return 0


def cmd_sent(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.requests import mark_sent, via_words

    with cli._open(args) as folder:
        q = mark_sent(folder, args.id, on=args.on, via=args.via, due_on=args.due)
    how = f" {via_words(q.sent_via)}" if q.sent_via else ""
    cli._say(f"Marked request {q.id} to {q.facility_name} sent on {_day(q.sent_on)}{how}; the answer is due on "
             f"{_day(q.due_on)}.")
    return 0


def cmd_received(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.requests import mark_received

    with cli._open(args) as folder:
        q = mark_received(folder, args.id, record_ids=args.record, on=args.on)
    still = len(q.records_to_come)
    more = f"; {plural(still, 'record')} still to come" if still else ""
    cli._say(f"Request {q.id} to {q.facility_name} is now {q.status.label.lower()}{more}.")
    return 0


def cmd_letter(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.letters import make_letter
    from secondopinion_desktop.core.outputs import STDOUT

    result: Any
    if args.out == STDOUT:  # the PDF goes to stdout, so what is said about it goes to stderr
        with cli._open(args) as folder:
            result = cli._to_stdout(folder, f"{args.letter_kind}.pdf",
                                    lambda path: make_letter(folder, args.id, args.letter_kind, path))
        where, said = "standard output", sys.stderr
    else:
        out = Path(args.out).expanduser()
        with cli._open(args) as folder:
            result = make_letter(folder, args.id, args.letter_kind, out)
        where, said = str(out), sys.stdout
    what = cli._OUTPUTS[cli._purpose(args)][0]
    cli._say(f"Wrote {what} to {where}: {plural(result.pages, 'page')}; a copy is kept with request {args.id}.",
             file=said)
    for warning in result.warnings:
        cli._say(f"Warning: {warning}", file=said)
    return 0
