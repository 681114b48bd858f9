"""Reading a file's text: ``read_document`` in this process, ``ProcessReader`` in a child process.

The slow, risky part (PDFium, image decoders, the recognition engine) runs in ONE long-lived child process
started with the "spawn" method at lowered priority, which never imports Qt. The parent sends it one file at a
time and receives the pages one by one as they are read, so a 5,000-page PDF streams through and neither side
holds more than a page of the file. The parent enforces the time limit: when no page arrives within
``page_seconds``, the child is killed, that page is kept empty with the reason, and reading goes on with the
next page in a fresh child (after ``MAX_SLOW_PAGES`` such pages reading stops, with the reason). A child that
dies makes that file unreadable ("Reading it stopped unexpectedly.") and the next file gets a fresh child.
``cancelled()`` is polled every few hundredths of a second: the child is stopped and ``Cancelled`` raised.

On Linux the child tells the C allocator (glibc) to keep the memory a page needed for the next page: by default
glibc hands it back to the system after every page and PDFium's next page touches it afresh, a page fault per
4 KiB (about 230 for a page of dense text: a fifth of the time its text takes to read).

A file whose size or modification time differs after reading from before is refused: what was read may be
part old, part new. Logs say how many pages and how long, never a file's name or text.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from secondopinion_desktop.core.documents.model import (
    BY_TEXT,
    NO_TEXT,
    PageText,
    ReaderUnavailable,
    ReadResult,
    Unreadable,
)
from secondopinion_desktop.core.progress import CancelCheck, Cancelled

log = logging.getLogger(__name__)

PAGE_SECONDS = 60.0  # the longest one page may take (opening the file counts towards the first page)
MAX_SLOW_PAGES = 3  # pages over the limit in one file before reading it stops
MAX_FILE_BYTES = 1 << 30  # 1 GiB: larger files are not read (no real record is that large)
MAX_PAGES = 10_000  # pages read of one PDF at most
POLL_SECONDS = 0.05
BATCH_SECONDS = 0.01  # the child sends the pages read within this long together
START_SECONDS = 120.0  # the longest a new child may take to start
NICENESS = 10  # the child's priority on Linux and macOS (Windows: below normal)
# glibc's allocator in the child: blocks up to MMAP_BYTES come from its heap (not mapped and unmapped one by one),
# and up to TRIM_BYTES of free heap are kept for the next page. 32 MiB is the largest threshold glibc takes (and
# where its own adapting stops): a scan's 10-30 MB arrays are then reused page after page, where at 8 MiB they
# were mapped afresh each time (recognition ran at 88 % of the bare engine's speed, against 94 % now)
MMAP_BYTES = 32 << 20
TRIM_BYTES = 64 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)

EMPTY = "The file is empty."
TOO_LARGE = "It is larger than 1 GB, too large to read its text."
MISSING = "The file is missing, so its text cannot be read."
CHANGED = "It changed while it was being read, so its text was not kept."
CRASHED = "Reading it stopped unexpectedly."


def slow_page(seconds: float) -> str:
    return f"Reading this page took longer than {_seconds(seconds)}."


def _seconds(seconds: float) -> str:
    n = f"{seconds:g}"
    return f"{n} second" if n == "1" else f"{n} seconds"


# --- what a file is ---------------------------------------------------------------------------------------------

def _signature(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise Unreadable(MISSING) from exc
    except OSError as exc:
        raise Unreadable("The file cannot be opened, so its text cannot be read.") from exc
    return st.st_size, st.st_mtime_ns


def check_file(path: Path) -> tuple[int, int]:
    """The file's (size, mtime) after the checks every reading starts with: there, not empty, not too large."""
    signature = _signature(path)
    if signature[0] == 0:
        raise Unreadable(EMPTY)
    if signature[0] > MAX_FILE_BYTES:
        raise Unreadable(TOO_LARGE)
    return signature


def kind_of(path: Path, media_type: str = "") -> str:
    """"pdf", "picture" or "text", by the file's first bytes (the media type only decides plain text)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError as exc:
        raise Unreadable("The file cannot be opened, so its text cannot be read.") from exc
    if b"%PDF-" in head[:1024]:
        return "pdf"
    pictures = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a", b"BM")
    if head.startswith(pictures) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "picture"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"hevc",
                                               b"hevx", b"avif", b"avis"):
        return "picture"
    if media_type.split(";")[0].strip().lower().startswith("text/") and b"\x00" not in head:
        return "text"
    from secondopinion_desktop.core.documents.ocr import NOT_A_PICTURE

    raise Unreadable(NOT_A_PICTURE)


class _Source(Protocol):
    count: int

    def pages(self, first: int = 1, *, ocr: bool = True) -> Iterator[PageText]: ...

    def close(self) -> None: ...


class _TextFile:
    count = 1

    def __init__(self, path: Path) -> None:
        self._path = path

    def pages(self, first: int = 1, *, ocr: bool = True) -> Iterator[PageText]:
        if first > 1:
            return
        body = self._path.read_bytes().decode("utf-8", errors="replace")
        yield PageText(1, body.strip(), BY_TEXT) if body.strip() else PageText(1, "", NO_TEXT, "It holds no text.")

    def close(self) -> None:
        pass


@contextmanager
def _opened(path: Path, media_type: str) -> Iterator[_Source]:
    kind = kind_of(path, media_type)
    source: _Source
    if kind == "pdf":
        from secondopinion_desktop.core.documents.text import PdfFile

        source = PdfFile(path)
    elif kind == "picture":
        from secondopinion_desktop.core.documents.ocr import PictureFile

        source = PictureFile(path)
    else:
        source = _TextFile(path)
    try:
        yield source
    finally:
        source.close()


def _stream(path: Path, media_type: str, *, ocr: bool, first: int = 1,
            hooks: dict[str, int] | None = None) -> Iterator[int | PageText]:
    """The page count, then the pages from ``first`` as they are read (raises Unreadable)."""
    with _opened(path, media_type) as source:
        count = source.count
        yield count
        for page in source.pages(first, ocr=ocr):
            if page.number > MAX_PAGES:
                break
            if hooks:
                _apply_hooks(hooks, page.number)
            yield page


def _apply_hooks(hooks: dict[str, int], number: int) -> None:
    """Test hooks (ProcessReader's private ``_hooks``): make one page hang, or the process die, at that page."""
    if hooks.get("hang_page") == number or number >= hooks.get("hang_every_page_from", number + 1):
        time.sleep(3600)
    if hooks.get("crash_page") == number:
        os._exit(70)


def _result(pages: list[PageText], count: int, reason: str = "") -> ReadResult:
    if count > MAX_PAGES and not reason:
        reason = f"Only the first {MAX_PAGES:,} of its {count:,} pages were read."
    return ReadResult(tuple(pages), count, reason)


def read_document(path: Path, media_type: str = "", *, cancelled: CancelCheck | None = None, ocr: bool = True,
                  page_seconds: float | None = None) -> ReadResult:
    """Read a file's text in this process (what the child process runs; tests and tools may call it directly).

    Raises Unreadable with its reason, Cancelled when ``cancelled()`` turns true between pages. In this process
    a page cannot be interrupted, so ``page_seconds`` only stops reading after a page that took longer."""
    path = Path(path)
    before = check_file(path)
    pages: list[PageText] = []
    count = 0
    reason = ""
    started = time.monotonic()
    for item in _stream(path, media_type, ocr=ocr):
        if cancelled is not None and cancelled():
            raise Cancelled()
        if isinstance(item, int):
            count = item
            continue
        pages.append(item)
        now = time.monotonic()
        if page_seconds is not None and now - started > page_seconds and item.number < count:
            reason = f"Reading stopped after page {item.number}: it took longer than {_seconds(page_seconds)}."
            break
        started = now
    if _signature(path) != before:
        raise Unreadable(CHANGED)
    return _result(pages, count, reason)


# --- the child process ------------------------------------------------------------------------------------------

def _lower_priority() -> None:
    try:
        if sys.platform == "win32":
            import ctypes

            below_normal = 0x00004000
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), below_normal)
        elif os.getpriority(os.PRIO_PROCESS, 0) < NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, NICENESS)
    except (OSError, AttributeError):  # pragma: no cover - a priority is a wish, not a requirement
        pass


def keep_freed_memory() -> None:
    """Let glibc's allocator keep freed memory for reuse (``MMAP_BYTES``, ``TRIM_BYTES``): what a page needed
    is there for the next page, without the system handing it out again page by page. Elsewhere (macOS,
    Windows, another C library) nothing changes. The reader's child calls it as it starts."""
    if not sys.platform.startswith("linux"):
        return
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return
        import ctypes

        libc = ctypes.CDLL(None)  # the running program's own C library
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - a tuning, not a requirement
        pass


class _Outbox:
    """The child's replies, sent by a thread of their own: pages read in quick succession go together in one
    message (a text PDF's pages come a millisecond apart), while a page is never held back longer than
    ``BATCH_SECONDS`` — so the parent's clock for the next page starts when this page is done. A reply that
    ends a request (``send(..., last=True)``) goes at once, with the pages before it."""

    def __init__(self, conn: Any) -> None:
        import queue
        import threading

        self._conn = conn
        self._queue: queue.Queue[tuple[object, ...] | None] = queue.Queue(maxsize=64)  # memory stays flat
        self._now = threading.Event()  # a request's last reply is waiting: no need to wait for more pages
        self._thread = threading.Thread(target=self._run, name="document-reader-outbox", daemon=True)
        self._thread.start()

    def send(self, message: tuple[object, ...], *, last: bool = False) -> None:
        self._queue.put(message)
        if last:
            self._now.set()

    def close(self) -> None:
        self._queue.put(None)
        self._now.set()
        self._thread.join(5)

    def _run(self) -> None:
        import queue

        while True:
            first = self._queue.get()
            if first is None:
                return
            self._now.wait(BATCH_SECONDS)
            self._now.clear()  # set again after this: the next batch goes at once, which does no harm
            batch = [first]
            last = False
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    last = True
                    break
                batch.append(item)
            try:
                self._conn.send(("batch", batch))
            except (OSError, ValueError):  # the parent went away: the child ends at its next request
                return
            if last:
                return


def child_main(conn: Any) -> None:
    """The child process: read the files the parent asks for, sending each page as it is read.

    Requests: ("read", path, media_type, ocr, first_page, hooks) and ("modules",). Replies (in "batch"
    messages, in order): ("ready",) once; to a read ("count", n), then ("page", number, text, method, reason)
    for each page, then ("done",) or ("unreadable", reason)."""
    _lower_priority()
    keep_freed_memory()
    logging.getLogger("RapidOCR").setLevel(logging.CRITICAL)
    outbox = _Outbox(conn)
    outbox.send(("ready",), last=True)
    try:
        _serve(conn, outbox)
    finally:
        outbox.close()


def _serve(conn: Any, outbox: _Outbox) -> None:
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request[0] == "modules":
            outbox.send(("modules", sorted(name for name in sys.modules if name.split(".")[0] == "PySide6")),
                        last=True)
            continue
        if request[0] != "read":
            return
        _, path, media_type, ocr, first, hooks = request
        try:
            check_file(Path(path))
            for item in _stream(Path(path), media_type, ocr=ocr, first=first, hooks=hooks):
                if isinstance(item, int):
                    outbox.send(("count", item))
                else:
                    outbox.send(("page", item.number, item.text, item.method, item.reason))
        except Unreadable as exc:
            outbox.send(("unreadable", exc.reason), last=True)
            continue
        except ReaderUnavailable as exc:  # not this file's fault: the parent leaves it waiting
            outbox.send(("unavailable", exc.reason), last=True)
            continue
        except MemoryError:
            outbox.send(("unreadable", "It needs more memory than this computer has free, so its text cannot "
                                       "be read."), last=True)
            continue
        except Exception as exc:  # an engine's or decoder's surprise: one file, one sentence
            log.warning("reading a file failed (%s)", type(exc).__name__)
            outbox.send(("unreadable", "Its text could not be read (the file may be damaged)."), last=True)
            continue
        outbox.send(("done",), last=True)


class _Duplex:
    """One end of the conversation: receives on one one-way pipe, sends on the other."""

    def __init__(self, incoming: Any, outgoing: Any) -> None:
        self._incoming, self._outgoing = incoming, outgoing

    def send(self, message: object) -> None:
        self._outgoing.send(message)

    def recv(self) -> Any:
        return self._incoming.recv()

    def poll(self, timeout: float = 0.0) -> bool:
        return bool(self._incoming.poll(timeout))

    def close(self) -> None:
        for end in (self._incoming, self._outgoing):
            with suppress(OSError):
                end.close()


class _Timeout(Exception):
    pass


class _Died(Exception):
    pass


class ProcessReader:
    """Reads files in one long-lived child process (``index.DocumentReader``); a context manager.

    ``read`` streams the pages back and enforces ``page_seconds`` per page; ``close`` stops the child."""

    def __init__(self, *, page_seconds: float = PAGE_SECONDS, ocr: bool = True,
                 _hooks: dict[str, int] | None = None) -> None:
        self.page_seconds = float(page_seconds)
        self.ocr = ocr
        self._hooks = dict(_hooks or {})
        self._process: Any = None
        self._conn: Any = None
        self._inbox: list[Any] = []  # messages received and not yet handled

    def __enter__(self) -> ProcessReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def child_pid(self) -> int | None:
        """The child process's id while it runs (None before the first file and after a stop)."""
        return self._process.pid if self._process is not None and self._process.is_alive() else None

    def _start(self, cancelled: CancelCheck | None = None) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._stop()
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        # two one-way pipes (os.pipe on Linux and macOS, named pipes on Windows): a two-way Pipe would be a
        # socket pair, and the reader opens no socket of any kind
        replies, child_replies = context.Pipe(duplex=False)
        child_requests, requests = context.Pipe(duplex=False)
        process = context.Process(target=child_main, args=(_Duplex(child_requests, child_replies),),
                                  name="document-reader", daemon=True)
        process.start()
        child_requests.close()
        child_replies.close()
        self._process, self._conn = process, _Duplex(replies, requests)
        try:  # starting a child (a new interpreter, its imports) does not count towards the first page
            self._receive(START_SECONDS, cancelled)
        except (_Died, _Timeout) as exc:
            self._stop()
            log.warning("the document reader could not be started")
            raise ReaderUnavailable("The document reader could not be started.") from exc

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        self._inbox = []
        if conn is not None:
            with suppress(OSError):
                conn.close()
        if process is not None:
            if process.is_alive():
                process.kill()
            process.join(5)
            with suppress(ValueError):  # still running after kill + join: left to the OS
                process.close()

    def close(self) -> None:
        """Stop the child (asking it to end first, so it leaves as it should)."""
        if self._conn is not None and self._process is not None and self._process.is_alive():
            try:
                self._conn.send(("quit",))
                self._process.join(2)
            except (OSError, ValueError):
                pass
        self._stop()

    def _receive(self, seconds: float | None, cancelled: CancelCheck | None) -> Any:
        """The child's next message; _Timeout after ``seconds`` without one, _Died when it went away."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            if cancelled is not None and cancelled():
                self._stop()
                raise Cancelled()
            if self._inbox:
                return self._inbox.pop(0)
            try:
                if self._conn.poll(POLL_SECONDS):
                    self._unpack(self._conn.recv())
                    continue
            except (EOFError, OSError) as exc:
                raise _Died() from exc
            if not self._process.is_alive():
                try:
                    if self._conn.poll(0):
                        self._unpack(self._conn.recv())
                        continue
                except (EOFError, OSError):
                    pass
                raise _Died()
            if deadline is not None and time.monotonic() > deadline:
                raise _Timeout()

    def _unpack(self, message: Any) -> None:
        if message[0] == "batch":
            self._inbox.extend(message[1])
        else:  # pragma: no cover - the child sends batches only
            self._inbox.append(message)

    def modules(self) -> list[str]:
        """The Qt modules loaded in the child (there must be none)."""
        self._start()
        self._conn.send(("modules",))
        reply = self._receive(30, None)
        return list(reply[1])

    def read(self, path: Path, media_type: str, *, cancelled: CancelCheck | None = None,
             progress: Callable[[int, int], None] | None = None) -> ReadResult:
        """Read one file's text in the child; ``progress(pages_read, page_count)`` after every page."""
        path = Path(path)
        before = check_file(path)
        pages: list[PageText] = []
        count = 0
        slow = 0
        reason = ""
        first = 1
        started = time.monotonic()
        self._count = 0
        while True:
            if cancelled is not None and cancelled():
                raise Cancelled()
            self._start(cancelled)
            self._conn.send(("read", str(path), media_type, self.ocr, first, self._hooks))
            try:
                finished = self._collect(pages, cancelled, progress)
            except _Timeout:
                self._stop()
                count = max(count, self._count)
                number = len(pages) + 1
                slow += 1
                pages.append(PageText(number, "", NO_TEXT, slow_page(self.page_seconds)))
                if progress is not None:
                    progress(len(pages), count)
                if number >= count:
                    break
                if slow >= MAX_SLOW_PAGES:
                    reason = (f"Reading stopped after {slow} pages that each took longer than "
                              f"{_seconds(self.page_seconds)}.")
                    break
                first = number + 1
                continue
            except _Died as exc:
                self._stop()
                log.warning("the document reader stopped unexpectedly")
                raise Unreadable(CRASHED) from exc
            except BaseException:  # e.g. a progress callback's error: the child's later pages must not linger
                self._stop()
                raise
            count = max(count, self._count)
            if finished is not None:
                raise Unreadable(finished)
            break
        if _signature(path) != before:
            raise Unreadable(CHANGED)
        log.info("read %d of %d pages in %.1f s", len(pages), count, time.monotonic() - started)
        return _result(pages, count, reason)

    _count = 0

    def _collect(self, pages: list[PageText], cancelled: CancelCheck | None,
                 progress: Callable[[int, int], None] | None) -> str | None:
        """Receive one request's replies into ``pages``: None when done, the reason when unreadable."""
        while True:
            message = self._receive(self.page_seconds, cancelled)
            kind = message[0]
            if kind == "count":
                self._count = int(message[1])
            elif kind == "page":
                _, number, text, method, why = message
                pages.append(PageText(int(number), str(text), str(method), str(why)))
                if progress is not None:
                    progress(len(pages), self._count)
            elif kind == "unreadable":
                return str(message[1])
            elif kind == "unavailable":
                self._stop()
                raise ReaderUnavailable(str(message[1]))
            elif kind == "done":
                return None


def read_file(path: Path, media_type: str = "", *, cancelled: CancelCheck | None = None) -> ReadResult:
    """Read one file's text in a child process of its own (the CLI, a dialog)."""
    with ProcessReader() as reader:
        return reader.read(Path(path), media_type, cancelled=cancelled)


if TYPE_CHECKING:  # pragma: no cover - the type checker confirms the reader is what the index's loop takes
    from secondopinion_desktop.core.documents.index import DocumentReader

    _reader: DocumentReader = ProcessReader()

__all__ = [
    "MAX_FILE_BYTES",
    "PAGE_SECONDS",
    "ProcessReader",
    "check_file",
    "child_main",
    "keep_freed_memory",
    "kind_of",
    "read_document",
    "read_file",
]
