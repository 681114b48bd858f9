"""Each attached file's text, the queue of files waiting to be read, and search inside them (SQLite FTS5).

The tables are made by migration 0008: ``document_text`` (one row per distinct file, by vault sha256),
``document_page`` (its text page by page) and the FTS5 index ``document_fts`` over the pages. A trigger on
``attachment`` queues every newly attached file in the transaction that attaches it, so the dialog, a drop, the
CLI, a portal import and an undo all queue the same way; removing a file's last attachment removes its text.

``read_pending`` is the reader's loop: it takes the waiting files one at a time, reads each outside any
transaction (through a ``DocumentReader``, which does the slow part in a separate process with a time limit per
page) and stores the result in one short transaction. A file that cannot be read is marked ``failed`` with its
reason and not tried again; a file whose reading was cut short by a crash is tried ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from secondopinion_desktop.core.documents.identity import found_in
from secondopinion_desktop.core.documents.model import (
    FAILED,
    MARK_END,
    MARK_START,
    NO_TEXT,
    PENDING,
    READ,
    DocumentState,
    Hit,
    IndexSummary,
    PageText,
    PendingFile,
    QueueCounts,
    ReaderUnavailable,
    ReadResult,
    Unreadable,
)
from secondopinion_desktop.core.errors import VaultError
from secondopinion_desktop.core.models import Attachment, DocumentPage, DocumentText, utcnow
from secondopinion_desktop.core.progress import CancelCheck, Cancelled, Progress
from secondopinion_desktop.core.unit import reading, unit_of_work

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

MAX_ATTEMPTS = 3  # a file that stopped the reader this often (a crash, a kill) is marked failed
MAX_PAGE_CHARS = 200_000  # one page's stored text; a page with more is cut (no real page holds that much)
SNIPPET_WORDS = 14
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# the ligatures of text layers written by word processors and TeX ("ﬁbrosis"), as the letters they join
_LIGATURES = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)}


class DocumentReader(Protocol):
    """Reads one file's text (``core.documents.reader`` has the real one). Raises ``Unreadable`` with a reason
    when nothing can be read, ``Cancelled`` when ``cancelled()`` turned true."""

    def read(self, path: Path, media_type: str, *, cancelled: CancelCheck | None = None) -> ReadResult: ...


def clean_page_text(value: str) -> str:
    """Text fit to store: NFC, no control characters but newlines and tabs (so the snippet marks stay unique),
    trailing spaces trimmed, at most MAX_PAGE_CHARS."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).translate(_LIGATURES)
    value = _CONTROL.sub(" ", value)
    lines = [line.rstrip() for line in value.split("\n")]
    cleaned = "\n".join(lines).strip("\n")
    return cleaned[:MAX_PAGE_CHARS]


# --- the queue --------------------------------------------------------------------------------------------------

@unit_of_work
def queue_missing(session: Session) -> int:
    """Queue every attached file that has no text row yet (a folder restored from an old backup, rows written
    before the trigger existed); how many were queued."""
    missing = select(Attachment.sha256).where(
        Attachment.sha256.not_in(select(DocumentText.sha256))).distinct()
    digests = list(session.scalars(missing))
    for sha256 in digests:
        session.add(DocumentText(sha256=sha256, state=PENDING))
    session.flush()
    return len(digests)


@unit_of_work
def queue_again(session: Session, digests: Iterable[str]) -> int:
    """Put files back in the queue (the patient asked to try again): their old text and reason go."""
    wanted = sorted(set(digests))
    if not wanted:
        return 0
    session.execute(delete(DocumentPage).where(DocumentPage.sha256.in_(wanted)))
    result = session.execute(
        update(DocumentText).where(DocumentText.sha256.in_(wanted)).values(
            state=PENDING, reason="", pages=0, pages_read=0, method="", attempts=0, queued_at=utcnow(),
            read_at=None))
    return int(getattr(result, "rowcount", 0) or 0)


@reading
def queue_counts(session: Session) -> QueueCounts:
    """How many attached files are waiting, read and failed (files no longer attached are not counted)."""
    attached = select(Attachment.sha256).distinct()
    rows = session.execute(
        select(DocumentText.state, func.count()).where(DocumentText.sha256.in_(attached))
        .group_by(DocumentText.state)).all()
    counts = {str(state): int(n) for state, n in rows}
    return QueueCounts(pending=counts.get(PENDING, 0), read=counts.get(READ, 0), failed=counts.get(FAILED, 0))


@reading
def pending_files(session: Session, limit: int = 50) -> list[PendingFile]:
    """The files waiting to be read, oldest first, each with the media type and name of its first attachment."""
    first = (select(Attachment.sha256, func.min(Attachment.id).label("first_id"))
             .group_by(Attachment.sha256).subquery())
    rows = session.execute(
        select(DocumentText.sha256, Attachment.media_type, Attachment.original_name, Attachment.size)
        .join(first, first.c.sha256 == DocumentText.sha256)
        .join(Attachment, Attachment.id == first.c.first_id)
        .where(DocumentText.state == PENDING)
        .order_by(DocumentText.queued_at, DocumentText.sha256)
        .limit(limit)).all()
    return [PendingFile(str(sha), str(media), str(name), int(size)) for sha, media, name, size in rows]


def _state(row: DocumentText) -> DocumentState:
    return DocumentState(row.sha256, row.state, row.reason, row.pages, row.pages_read, row.method, row.read_at)


@reading
def document_state(session: Session, sha256: str) -> DocumentState | None:
    row = session.get(DocumentText, sha256)
    return _state(row) if row is not None else None


@reading
def document_states(session: Session, digests: Iterable[str]) -> dict[str, DocumentState]:
    wanted = sorted(set(digests))
    out: dict[str, DocumentState] = {}
    for start in range(0, len(wanted), 500):
        for row in session.scalars(select(DocumentText).where(DocumentText.sha256.in_(wanted[start:start + 500]))):
            out[row.sha256] = _state(row)
    return out


# --- storing what was read --------------------------------------------------------------------------------------

@unit_of_work
def begin_reading(session: Session, sha256: str) -> bool:
    """Count one more attempt at this file before it is read; False (and the file marked failed) when earlier
    attempts stopped the reader MAX_ATTEMPTS times, or when it is no longer waiting."""
    row = session.get(DocumentText, sha256)
    if row is None or row.state != PENDING:
        return False
    if row.attempts >= MAX_ATTEMPTS:
        row.state, row.reason, row.read_at = FAILED, "Reading it stopped the reader several times.", utcnow()
        return False
    row.attempts += 1
    return True


def _page_rows(result: ReadResult) -> list[tuple[int, str, str]]:
    """The pages to store, cleaned, once each, in order: (number, text, method; NO_TEXT for an empty page)."""
    seen: set[int] = set()
    rows: list[tuple[int, str, str]] = []
    for page in result.pages:
        if page.number in seen or page.number < 1:
            continue
        seen.add(page.number)
        body = clean_page_text(page.text)
        rows.append((page.number, body, page.method if body.strip() else NO_TEXT))
    return rows


def _add_pages(session: Session, sha256: str, rows: Iterable[tuple[int, str, str]]) -> None:
    for number, body, method in rows:
        session.add(DocumentPage(sha256=sha256, page=number, text=body, method=method))


def _mark_read(session: Session, row: DocumentText, result: ReadResult, rows: list[tuple[int, str, str]],
               identity: str) -> DocumentState:
    row.state = READ
    row.pages = max(result.page_count, len(rows))
    row.pages_read = sum(1 for _n, body, _m in rows if body.strip())
    row.method = result.method
    row.reason = result.reason[:500]
    row.identity = identity
    row.read_at = utcnow()
    session.flush()
    return _state(row)


@unit_of_work
def store_result(session: Session, sha256: str, result: ReadResult) -> DocumentState | None:
    """Store a file's pages (replacing any earlier text) in one transaction; None when the file is no longer
    attached. (The reader's loop stores long documents in parts: ``store_in_parts``.)"""
    row = session.get(DocumentText, sha256)
    if row is None:
        return None
    rows = _page_rows(result)
    session.execute(delete(DocumentPage).where(DocumentPage.sha256 == sha256))
    _add_pages(session, sha256, rows)
    return _mark_read(session, row, result, rows, found_in(result.pages).to_json())


STORE_PAGES_AT_ONCE = 200  # a long document's pages go in several short transactions of this many pages
LOCKED_RETRIES = 5  # a transaction the window's own writes kept waiting is tried again this often


def _retrying(write: Callable[[], object]) -> object:
    """Run one short write, trying again (a second apart) while another writer holds the database."""
    import time

    from sqlalchemy.exc import OperationalError

    for attempt in range(LOCKED_RETRIES + 1):
        try:
            return write()
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or attempt == LOCKED_RETRIES:
                raise
            time.sleep(1.0)
    return None  # pragma: no cover - the loop returns or raises


def store_in_parts(folder: DataFolder, sha256: str, result: ReadResult) -> DocumentState | None:
    """``store_result`` for the reader's loop: the pages cleaned and the identity found before any transaction,
    then written STORE_PAGES_AT_ONCE at a time, each in a short transaction of its own (the patient's own saves
    never wait long behind a 5,000-page document); the file turns READ with its last part. Until then it is
    still waiting, so a crash half-way reads it again from the start."""
    rows = _page_rows(result)
    identity = found_in(result.pages).to_json()
    parts = [rows[i:i + STORE_PAGES_AT_ONCE] for i in range(0, len(rows), STORE_PAGES_AT_ONCE)] or [[]]
    state: DocumentState | None = None
    for n, part in enumerate(parts):
        def write(part: list[tuple[int, str, str]] = part, first: bool = n == 0, last: bool = n == len(parts) - 1
                  ) -> DocumentState | None:
            with folder.session() as session:
                row = session.get(DocumentText, sha256)
                if row is None or row.state != PENDING:
                    return None  # no longer attached, or put back by the patient meanwhile
                if first:
                    session.execute(delete(DocumentPage).where(DocumentPage.sha256 == sha256))
                _add_pages(session, sha256, part)
                return _mark_read(session, row, result, rows, identity) if last else _state(row)
        written = _retrying(write)
        if written is None:
            return None
        state = written  # type: ignore[assignment]
    return state


@unit_of_work
def mark_failed(session: Session, sha256: str, reason: str) -> DocumentState | None:
    row = session.get(DocumentText, sha256)
    if row is None:
        return None
    session.execute(delete(DocumentPage).where(DocumentPage.sha256 == sha256))
    row.state, row.reason, row.read_at = FAILED, reason[:500] or "Its text could not be read.", utcnow()
    row.pages = row.pages_read = 0
    row.method = row.identity = ""
    session.flush()
    return _state(row)


@reading
def pages_of(session: Session, sha256: str, limit: int | None = None) -> list[PageText]:
    """A file's stored text, page by page (empty when it has not been read or gave no text); at most ``limit``
    pages, the first ones (a view of a 5,000-page file reads only what it shows)."""
    query = (select(DocumentPage.page, DocumentPage.text, DocumentPage.method)
             .where(DocumentPage.sha256 == sha256).order_by(DocumentPage.page))
    rows = session.execute(query if limit is None else query.limit(limit)).all()
    return [PageText(int(number), str(body), str(method)) for number, body, method in rows]


@reading
def text_of(session: Session, sha256: str) -> str:
    return "\n\n".join(p.text for p in pages_of(session, sha256) if p.text)


@reading
def record_text(session: Session, record_id: int) -> dict[int, str]:
    """The text of every file of a record, by attachment id (files not read yet are left out)."""
    rows = session.execute(select(Attachment.id, Attachment.sha256).where(Attachment.record_id == record_id)
                           .order_by(Attachment.id)).all()
    out: dict[int, str] = {}
    for attachment_id, sha256 in rows:
        body = text_of(session, sha256)
        if body:
            out[int(attachment_id)] = body
    return out


# --- the reader's loop ------------------------------------------------------------------------------------------

def read_pending(
    folder: DataFolder,
    reader: DocumentReader,
    *,
    cancelled: CancelCheck | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
    only: Sequence[str] | None = None,
    on_read: Callable[[str, DocumentState], None] | None = None,
) -> IndexSummary:
    """Read waiting files until none is left (or ``limit`` were read, or ``cancelled()``): each read outside any
    transaction, stored in its own short one. ``only`` limits it to those files (the CLI reads what it just
    added). ``progress(done, total)`` counts files; ``on_read`` is told of each file's new state.

    A cancel between files returns what was done so far; the file being read stays waiting."""
    done = failed = 0
    failures: list[tuple[str, str]] = []
    tried: set[str] = set()
    wanted = set(only) if only is not None else None
    while limit is None or done + failed < limit:
        if cancelled is not None and cancelled():
            break
        with folder.session() as session:
            waiting = [f for f in pending_files(session, limit=200) if f.sha256 not in tried
                       and (wanted is None or f.sha256 in wanted)]
            total = done + failed + queue_counts(session).pending if wanted is None else len(wanted)
            if not waiting:
                break
            item = waiting[0]
            tried.add(item.sha256)
            if not begin_reading(session, item.sha256):
                state = document_state(session, item.sha256)
                if state is not None and state.state == FAILED:
                    failed += 1
                    failures.append((item.sha256, state.reason))
                continue
        if progress is not None:
            progress(done + failed, max(total, done + failed + 1))
        try:
            path = folder.vault.plain_path(item.sha256)  # an encrypted folder's: a private plain copy
        except VaultError:
            path = folder.vault.path_for(item.sha256)  # missing or damaged: the reader says it cannot read it
        try:
            result = reader.read(path, item.media_type, cancelled=cancelled)
        except (Cancelled, ReaderUnavailable) as exc:
            with folder.session() as session:  # a cancelled try, or a reader that cannot work, is not the file's
                row = session.get(DocumentText, item.sha256)
                if row is not None and row.attempts > 0:
                    row.attempts -= 1
            if isinstance(exc, Cancelled):
                break
            raise  # the reader itself cannot work: every file stays waiting (the caller says why)
        except Unreadable as exc:
            with folder.session() as session:
                state = mark_failed(session, item.sha256, exc.reason)
            failed += 1
            failures.append((item.sha256, exc.reason))
        else:
            state = store_in_parts(folder, item.sha256, result)
            done += 1
        if state is not None and on_read is not None:
            on_read(item.sha256, state)
    with folder.session() as session:
        left = queue_counts(session).pending
    if progress is not None:
        progress(done + failed, done + failed + left)
    return IndexSummary(read=done, failed=failed, left=left, failures=tuple(failures))


# --- search -----------------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w", re.UNICODE)


def fts_query(typed: str) -> str | None:
    """The FTS5 query for what the patient typed: every word must be there (in any order), the last letters of
    each may still be coming (prefix match); quotes and FTS5 operators are taken as plain text. None when
    nothing searchable was typed."""
    terms = []
    for word in _CONTROL.sub(" ", typed).translate(_LIGATURES).split():
        if not _WORD.search(word):
            continue
        terms.append('"' + word.replace('"', '""') + '"*')
    return " ".join(terms) if terms else None


_HITS_SQL = """
    WITH ranked AS (
        SELECT f.rowid AS id, p.sha256 AS sha256, p.page AS page, f.rank AS rank,
               row_number() OVER (PARTITION BY p.sha256 ORDER BY f.rank, p.page) AS nth
        FROM document_fts f JOIN document_page p ON p.id = f.rowid
        WHERE document_fts MATCH :query
    )
    SELECT a.record_id, r.title, a.id, a.original_name, ranked.sha256, ranked.page, ranked.id
    FROM ranked JOIN attachment a ON a.sha256 = ranked.sha256 JOIN record r ON r.id = a.record_id
    WHERE ranked.nth = 1
    ORDER BY ranked.rank, a.record_id, a.id
    LIMIT :limit
"""  # the best-ranked page of each file, then every attachment of that file (one record may hold it twice)
_SNIPPET = f"snippet(document_fts, 0, '{MARK_START}', '{MARK_END}', '…', {SNIPPET_WORDS})"


def _is_fts_syntax(exc: Exception) -> bool:
    """A MATCH that SQLite refused (what was typed, not the database): an FTS5 syntax error, an unterminated
    string."""
    from sqlalchemy.exc import OperationalError

    said = str(exc).lower()
    return isinstance(exc, OperationalError) and ("fts5" in said or "unterminated" in said or "syntax" in said)


@reading
def search(session: Session, typed: str, *, limit: int = 100, snippets: bool = True) -> list[Hit]:
    """Files whose text holds every typed word (a word may be the start of a longer one; case and diacritics
    do not matter), best match first: one hit per attachment, at its best page, with a snippet."""
    query = fts_query(typed)
    if query is None:
        return []
    try:
        rows = session.execute(text(_HITS_SQL), {"query": query, "limit": limit}).all()
        marked: dict[int, str] = {}
        page_ids = sorted({int(r[6]) for r in rows})
        for start in range(0, len(page_ids) if snippets else 0, 400):
            chunk = page_ids[start:start + 400]
            marks = ", ".join(str(i) for i in chunk)  # integers from the query above
            sql = (f"SELECT rowid, {_SNIPPET} FROM document_fts "  # noqa: S608 - fixed text and integers
                   f"WHERE document_fts MATCH :query AND rowid IN ({marks})")
            marked.update((int(i), str(v or "")) for i, v in session.execute(text(sql), {"query": query}))
    except Exception as exc:  # an FTS5 syntax the quoting did not foresee: no hits rather than a failure
        if _is_fts_syntax(exc):
            return []
        raise
    return [Hit(int(rid), str(title), int(aid), str(name), str(sha), int(page), marked.get(int(pid), ""))
            for rid, title, aid, name, sha, page, pid in rows]


_MATCHING_SQL = """
    WITH found AS (
        SELECT p.sha256 AS sha256, min(p.page) AS page
        FROM document_fts f JOIN document_page p INDEXED BY ix_document_page_owner ON p.id = f.rowid
        WHERE document_fts MATCH :query GROUP BY p.sha256)
    SELECT a.record_id, a.id, a.original_name, found.sha256, found.page
    FROM found JOIN attachment a ON a.sha256 = found.sha256 ORDER BY a.record_id, a.id
"""  # the first matching page of each file; no ranking and no page text read (the index covers the join)


@reading
def matching_records(session: Session, typed: str, *, limit: int = 5000) -> dict[int, Hit]:
    """For the search box, on every keystroke: the records with a file whose text matches, each with its first
    file and page that match (no title and no snippet: ``snippet_for`` makes one when it is shown)."""
    query = fts_query(typed)
    if query is None:
        return {}
    try:
        rows = session.execute(text(_MATCHING_SQL), {"query": query}).all()
    except Exception as exc:
        if _is_fts_syntax(exc):
            return {}
        raise
    best: dict[int, Hit] = {}
    for rid, aid, name, sha, page in rows:
        if int(rid) not in best:
            if len(best) >= limit:
                break
            best[int(rid)] = Hit(int(rid), "", int(aid), str(name), str(sha), int(page))
    return best


@reading
def snippet_for(session: Session, typed: str, sha256: str, page: int) -> str:
    """The snippet of one page for what was typed (marked as in ``Hit.snippet``); "" when it does not match."""
    query = fts_query(typed)
    if query is None:
        return ""
    sql = (f"SELECT {_SNIPPET} FROM document_fts f JOIN document_page p ON p.id = f.rowid "
           "WHERE document_fts MATCH :query AND p.sha256 = :sha AND p.page = :page")
    try:
        value = session.execute(text(sql), {"query": query, "sha": sha256, "page": page}).scalar()
    except Exception as exc:
        if _is_fts_syntax(exc):
            return ""
        raise
    return str(value or "")


