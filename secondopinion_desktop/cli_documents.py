"""`secondopinion search QUERY` and the reading half of `secondopinion records add`: the text of documents from the
command line. ``cli.build_parser`` registers these; the shared plumbing (the data folder, its lock, one-line errors)
is ``cli``'s. Each command imports the services it uses, so start-up stays light.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secondopinion_desktop import cli


def add_commands(commands: Any) -> None:
    search = commands.add_parser(
        "search", help="find records by the words in their documents' text and in their typed fields")
    cli._add_data_dir(search, default=argparse.SUPPRESS)
    search.add_argument("query", metavar="QUERY", nargs="+",
                        help="words to find (all of them; a word may be the start of a longer one)")
    search.add_argument("--json", action="store_true", help="print the matches as JSON")
    search.add_argument("--limit", type=int, default=100, help="at most this many matches (default 100)")
    search.set_defaults(func=cmd_search)


def _fold(text: str) -> str:
    """Case and accents set aside, as the document search does ("lopez" finds "López")."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def _plain(snippet: str) -> str:
    from secondopinion_desktop.core.documents.model import MARK_END, MARK_START

    return " ".join(snippet.replace(MARK_START, "").replace(MARK_END, "").split())


def cmd_search(args: argparse.Namespace) -> int:
    from secondopinion_desktop.core.documents import index
    from secondopinion_desktop.core.errors import ValidationError
    from secondopinion_desktop.core.records import list_record_rows

    typed = " ".join(args.query)
    if index.fts_query(typed) is None:
        raise ValidationError("Give at least one word to search for.")
    if args.limit < 1:
        raise ValidationError("--limit must be 1 or more.")
    with cli._open(args) as folder:
        hits = index.search(folder, typed, limit=args.limit)
        rows = list_record_rows(folder)
    matches: list[dict[str, Any]] = [h.to_json() for h in hits]
    by_text = {h.record_id for h in hits}
    words = [_fold(w) for w in typed.split()]
    for row in rows:  # records whose typed fields hold every word, as the Records search box finds them
        if row.id in by_text or len(matches) >= args.limit:
            continue
        fields = {"title": row.title, "facility": row.facility_name, "clinician": row.clinician_name,
                  "summary": row.summary, "notes": row.notes}
        haystack = _fold(" ".join(fields.values()))
        if all(w in haystack for w in words):
            where = next((name for name, value in fields.items() if words[0] in _fold(value)), "title")
            matches.append({"record_id": row.id, "title": row.title, "attachment_id": None, "attachment": None,
                            "page": None, "snippet": " ".join(fields[where].split())[:200], "field": where})
    if args.json:
        json.dump(matches, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not matches:
        cli._say(f"Nothing found for {typed!r}.")
        return 0
    for m in matches:
        where = (f"{m['attachment']}, page {m['page']}" if m["attachment"] is not None else f"its {m['field']}")
        cli._say(f"{m['record_id']:>4}  {m['title']} — {where}")
        if m["snippet"]:
            cli._say(f"      {_plain(m['snippet'])}")
    return 0


# --- records add: read the new files' text before returning, and --guess -----------------------------------

@dataclass(frozen=True)
class _Read:
    path: Path
    sha256: str
    result: Any  # ReadResult | None
    reason: str
    waits: bool = False  # not read because the reader could not work: left waiting, not marked


def read_sources(paths: list[Path]) -> list[_Read]:
    """Each file's text, read before it is stored (so a guess can fill the record in); a file that cannot be read
    keeps its reason. The file's content hash is taken before reading, so the text is kept only for that
    content."""
    from secondopinion_desktop.core.documents.model import ReaderUnavailable, Unreadable
    from secondopinion_desktop.core.documents.reader import ProcessReader
    from secondopinion_desktop.core.records import check_attachable, guess_media_type
    from secondopinion_desktop.core.vault import sha256_of

    out: list[_Read] = []
    with ProcessReader() as reader:
        for path in paths:
            check_attachable(path)
            digest = sha256_of(path)
            try:
                out.append(_Read(path, digest, reader.read(path, guess_media_type(path)), ""))
            except Unreadable as exc:
                out.append(_Read(path, digest, None, exc.reason))
            except ReaderUnavailable as exc:  # the file is still added; its text waits for the window
                out.append(_Read(path, digest, None, exc.reason, waits=True))
    return out


def store_read(folder: Any, record: Any, reads: list[_Read]) -> list[str]:
    """Keep what was read for the record's files (those whose stored content is what was read); read the others
    now. The sentences to say about files whose text could not be read."""
    from secondopinion_desktop.core.documents import index
    from secondopinion_desktop.core.documents.model import PENDING
    from secondopinion_desktop.core.documents.reader import ProcessReader

    by_digest = {r.sha256: r for r in reads}
    digests = {a.sha256 for a in record.attachments}
    for digest in digests:
        read = by_digest.get(digest)
        state = index.document_state(folder, digest)
        if read is None or state is None or state.state != PENDING:
            continue
        if read.result is not None:
            index.store_result(folder, digest, read.result)
        elif not read.waits:
            index.mark_failed(folder, digest, read.reason)
    said = []
    if any((s := index.document_state(folder, d)) is not None and s.state == PENDING for d in digests):
        from secondopinion_desktop.core.documents.model import ReaderUnavailable

        try:
            with ProcessReader() as reader:
                index.read_pending(folder, reader, only=sorted(digests))
        except ReaderUnavailable as exc:
            said.append(f"{exc.reason} The files were added; their text is read when the window next opens.")
            return said
    for attachment in record.attachments:
        state = index.document_state(folder, attachment.sha256)
        if state is not None and not state.has_text:
            said.append(f"The text of {attachment.original_name} could not be read: {state.describe()}")
    return said


def guess_fields(folder: Any, args: argparse.Namespace, reads: list[_Read]) -> tuple[dict[str, Any], list[Any]]:
    """The record's fields from the first readable file's text and every file's name, with what the patient typed
    winning; and the suggestions that were used (to print)."""
    from secondopinion_desktop.core.documents.suggest import suggest, suggest_for
    from secondopinion_desktop.core.models import RecordKind

    source = next((r for r in reads if r.result is not None and r.result.text.strip()), reads[0])
    pages = list(source.result.pages) if source.result is not None else []  # OCR pages are read as such
    suggestions = (suggest_for(folder, pages, file_name=source.path.name) if folder is not None
                   else suggest(pages, file_name=source.path.name))
    typed = {"kind": args.kind, "title": args.title, "date_of_service": args.date, "facility": args.facility}
    used = []
    fields: dict[str, Any] = {}
    for item in suggestions.items():
        if typed.get(item.field) not in (None, ""):
            continue
        fields[item.field] = item.value
        used.append(item)
    for key, value in typed.items():
        if value not in (None, ""):
            fields[key] = value
    kind = fields.get("kind")
    kind_value = kind.value if isinstance(kind, RecordKind) else str(kind or "")
    if kind_value != RecordKind.PATHOLOGY.value and "accession_number" in fields:
        fields.pop("accession_number")
        used = [u for u in used if u.field != "accession_number"]
    return fields, used


def proposal(folder: Any, args: argparse.Namespace, reads: list[_Read]) -> str:
    """What --guess would fill in for the missing kind and title, in a few words: 'kind Pathology and title
    "Surgical pathology report" from biopsy.pdf'."""
    fields, _used = guess_fields(folder, args, reads)
    parts = []
    kind = fields.get("kind")
    if not args.kind and kind:
        parts.append(f"kind {getattr(kind, 'label', kind)}")
    if not args.title and fields.get("title"):
        parts.append(f'title "{fields["title"]}"')
    if not parts:
        return "them from the attached file"
    return " and ".join(parts) + f" from {reads[0].path.name}"


def describe_guess(item: Any) -> str:
    from secondopinion_desktop.core.words import day_month_year

    value = item.value
    shown = getattr(value, "label", None) or (day_month_year(value) if hasattr(value, "isoformat") else str(value))
    name = item.field.replace("_", " ")
    return f"Guessed {name}: {shown} ({item.why})"
