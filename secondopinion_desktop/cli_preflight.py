"""`secondopinion preflight [--json]`: what to fix before the packet goes out (the pre-flight check).

Read-only: the data folder is opened for reading (it must hold data already; nothing is created or locked). The
findings are Still missing's (``core.preflight.preflight``), one a line grouped by kind, or as JSON. The exit
status is 0 whether or not there are findings; an error is one line on standard error and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from secondopinion_desktop import cli

KIND_HEADINGS = {
    "identity": "Whose records",
    "completeness": "What is missing",
    "freshness": "How recent",
    "language": "Language",
    "timing": "Timing",
}


def add_commands(commands: Any) -> None:
    preflight = commands.add_parser(
        "preflight", help="check the packet before it goes out: whose records, what is missing, how recent, "
                          "language and timing")
    cli._add_data_dir(preflight, default=argparse.SUPPRESS)
    preflight.add_argument("--json", action="store_true",
                           help="print the findings as JSON: a list of {kind, rule, message, action, record_ids…}")
    preflight.set_defaults(func=cmd_preflight)


def finding_json(f: Any) -> dict[str, Any]:
    return {
        "kind": f.category,
        "rule": f.rule,
        "message": f.message,
        "action": f.action.value,
        "record_ids": list(f.record_ids),
        "request_id": f.request_id,
        "shipment_id": f.shipment_id,
        "suggested_kind": f.kind.value if f.kind is not None else None,
        "suggested_title": f.suggested_title,
        "facility": f.facility,
        "health_section": f.health_section,
    }


def cmd_preflight(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.preflight import preflight
    from secondopinion_desktop.core.readiness import CATEGORIES

    with cli._open(args) as folder:
        findings = preflight(folder)
    if args.json:
        json.dump([finding_json(f) for f in findings], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not findings:
        cli._say("Nothing to fix: the packet is ready.")
        return 0
    first = True
    for kind in CATEGORIES:
        group = [f for f in findings if f.category == kind]
        if not group:
            continue
        if not first:
            print()
        first = False
        cli._say(f"{KIND_HEADINGS[kind]}:")
        for f in group:
            cli._say(f"- {' '.join(f.message.split())}")
    return 0
