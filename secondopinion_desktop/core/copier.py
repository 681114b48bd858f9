"""Copying many stored files with their SHA-256 in child processes, while this process does other work.

A copy is mostly the kernel's work (reading, writing, making the file) and the checksum. In a thread of this
process each of its system calls gives the interpreter's lock back and waits to take it again, so copies beside
Python work (the folder for the doctor builds its packet meanwhile) crawl. ``ChildCopies`` hands the copies to
child processes started with "spawn" (each imports nothing but this module and the standard library), fed in
batches by one thread per child here, which spends its time waiting on a pipe.

Each source is opened without following a link (``open_regular_nofollow``, as the vault opens stored files); each
target is created new (``O_EXCL``), never replaced. The children write only the targets they are given, so
stopping them (``abandon``) and removing the folder they wrote into leaves nothing. A source that cannot be read
is reported for that file (the caller leaves it out); a target that cannot be written stops every copy, and
``finish`` raises it as ``CopyFailed``. When the children cannot be started, or one ends unexpectedly, the copies
it did not report are copied here instead (``copy_file``), so the result is the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
HEAD = 4096  # the first bytes of each file come back with its checksum (a DICOM file's meta header is there)
WORKERS = 2
BATCH = 32  # files per request: few round trips, and the children stay busy to the end
START_SECONDS = 60.0
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# On Linux, POSIX_FADV_DONTNEED on a file just written starts its write-back at once (and keeps no clean copy
# in memory): the copies then reach the disk while the rest is being made, and the last flush is short.
_FADV_DONTNEED = getattr(os, "POSIX_FADV_DONTNEED", None) if hasattr(os, "posix_fadvise") else None


def default_workers() -> int:
    """Two children (one on a one-core machine): most of a copy is the kernel's work, which two cores share out
    even while this process is busy; the children give way to it (``nice``)."""
    return max(1, min(WORKERS, os.cpu_count() or 1))


class CopyFailed(Exception):
    """A target could not be written; ``errno`` and ``strerror`` as the system gave them."""

    def __init__(self, strerror: str, errno_: int | None = None) -> None:
        super().__init__(strerror)
        self.errno = errno_
        self.strerror = strerror


class SourceUnreadable(Exception):
    """A source could not be opened or read (missing, a link, a folder, unreadable)."""


@dataclass(frozen=True)
class Copied:
    """One copy's outcome: the SHA-256 and size written and the file's first ``HEAD`` bytes, or why its source
    could not be read (nothing written)."""

    digest: str = ""
    size: int = 0
    unreadable: str = ""  # the reason, e.g. "No such file or directory"; "" when copied
    head: bytes = b""


def copy_file(source: str | os.PathLike[str], target: str | os.PathLike[str], view: memoryview | None = None
              ) -> tuple[str, int, bytes]:
    """Copy ``source`` (never through a link) to the new file ``target``; returns its SHA-256, its size and its
    first ``HEAD`` bytes.

    Raises SourceUnreadable when the source cannot be opened or read, OSError when the target cannot be written
    (the part written is left for the caller, who owns the folder, to remove)."""
    from secondopinion_desktop.core.vault import open_regular_nofollow

    if view is None:
        view = memoryview(bytearray(CHUNK))
    try:
        fd = open_regular_nofollow(Path(source))
    except OSError as exc:
        raise SourceUnreadable(exc.strerror or exc.__class__.__name__) from exc
    except Exception as exc:  # NotARegularFile: a link, a folder, a device
        raise SourceUnreadable("it is not a regular file") from exc
    try:
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY | _O_CLOEXEC, 0o666)
        try:
            digest = hashlib.sha256()
            total = 0
            head = b""
            while True:
                try:
                    n = os.readv(fd, [view]) if hasattr(os, "readv") else _read_into(fd, view)
                except OSError as exc:
                    raise SourceUnreadable(exc.strerror or exc.__class__.__name__) from exc
                if not n:
                    break
                block = view[:n]
                if total < HEAD:
                    head += bytes(block[:HEAD - total])
                digest.update(block)
                written = 0
                while written < n:
                    written += os.write(out, block[written:])
                total += n
            if _FADV_DONTNEED is not None:  # start writing it to the disk now, without waiting for it
                with contextlib.suppress(OSError):
                    os.posix_fadvise(out, 0, 0, _FADV_DONTNEED)
        finally:
            os.close(out)
    finally:
        os.close(fd)
    return digest.hexdigest(), total, head


def _read_into(fd: int, view: memoryview) -> int:
    data = os.read(fd, len(view))
    view[:len(data)] = data
    return len(data)


def child_main(requests: Any, replies: Any) -> None:
    """The child: ("copy", [(key, source, target), ...]) → ("done", [(key, digest, size, unreadable, head), ...]) or,
    at a target that cannot be written, ("failed", results so far, errno, strerror); ("quit",) or a closed pipe
    ends it."""
    view = memoryview(bytearray(CHUNK))
    with contextlib.suppress(OSError, AttributeError):
        os.nice(5)  # the parent's own work (the packet) comes first; copies fill the time left
    replies.send(("ready",))
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return
        if request[0] != "copy":
            return
        results: list[tuple[Any, str, int, str, bytes]] = []
        failure: tuple[int | None, str] | None = None
        for key, source, target in request[1]:
            try:
                digest, size, head = copy_file(source, target, view)
                results.append((key, digest, size, "", head))
            except SourceUnreadable as exc:
                results.append((key, "", 0, str(exc), b""))
            except OSError as exc:
                failure = (exc.errno, exc.strerror or str(exc))
                break
            except Exception as exc:  # noqa: BLE001 - reported to the parent as one failed copy
                failure = (None, exc.__class__.__name__)
                break
        try:
            replies.send(("done", results) if failure is None else ("failed", results, *failure))
        except (OSError, ValueError):
            return


class ChildCopies:
    """Copies in ``workers`` child processes. ``add`` jobs (from one thread), then ``finish``; ``abandon`` after
    a failure or a cancel. ``copied`` counts the bytes done so far (for progress); ``failure`` is the first target
    that could not be written, as soon as it is known."""

    def __init__(self, workers: int | None = None, batch: int = BATCH) -> None:
        workers = default_workers() if workers is None else workers
        self.batch = batch
        self.copied = 0
        self.results: dict[Any, Copied] = {}
        self.failure: CopyFailed | None = None
        self._jobs: queue.Queue[list[tuple[Any, str, str]] | None] = queue.Queue()
        self._pending: list[tuple[Any, str, str]] = []
        self._orphans: list[tuple[Any, str, str]] = []  # sent to a child that went away before answering
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._children: list[tuple[Any, Any, Any]] = []  # (process, requests end, replies end)
        self._threads: list[threading.Thread] = []
        self._closed_input = False
        self._added = 0
        try:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            for n in range(workers):
                # two one-way pipes (os.pipe on Linux and macOS, named pipes on Windows): no socket of any kind
                replies, child_replies = context.Pipe(duplex=False)
                child_requests, requests = context.Pipe(duplex=False)
                process = context.Process(target=child_main, args=(child_requests, child_replies),
                                          name=f"file-copier-{n}", daemon=True)
                process.start()
                child_requests.close()
                child_replies.close()
                self._children.append((process, requests, replies))
        except Exception:  # noqa: BLE001 - no children: every copy is made here (finish does it)
            self._kill()
        for child in self._children:
            thread = threading.Thread(target=self._feed, args=(child,), name="file-copier-feed", daemon=True)
            thread.start()
            self._threads.append(thread)

    @property
    def running(self) -> bool:
        """True while children are copying (False when none could be started)."""
        return any(t.is_alive() for t in self._threads)

    @property
    def all_copied(self) -> bool:
        """True once every job given has been answered (after ``close_input``)."""
        return self._closed_input and len(self.results) >= self._added

    def add(self, key: Any, source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        self._added += 1
        self._pending.append((key, os.fspath(source), os.fspath(target)))
        if len(self._pending) >= self.batch:
            self._send_pending()

    def _send_pending(self) -> None:
        if self._pending:
            if self._threads:
                self._jobs.put(self._pending)
            else:
                self._orphans.extend(self._pending)
            self._pending = []

    def close_input(self) -> None:
        """No more jobs: the last batch goes out (the copies go on; ``finish`` waits for them)."""
        if self._closed_input:
            return
        self._closed_input = True
        self._send_pending()
        for _ in self._threads:
            self._jobs.put(None)

    def _feed(self, child: tuple[Any, Any, Any]) -> None:
        process, requests, replies = child
        jobs: list[tuple[Any, str, str]] | None = None
        try:
            if not replies.poll(START_SECONDS):
                raise EOFError
            replies.recv()  # ("ready",)
            while not self._stop.is_set():
                jobs = self._jobs.get()
                if jobs is None:
                    return
                if self._stop.is_set():
                    self._jobs.put(jobs)  # left for the one who stopped us (it keeps nothing anyway)
                    jobs = None
                    return
                requests.send(("copy", jobs))
                answer = replies.recv()
                with self._lock:
                    for key, digest, size, unreadable, head in answer[1]:
                        self.results[key] = Copied(digest, size, unreadable, head)
                        self.copied += size
                if answer[0] == "failed":
                    self._fail(CopyFailed(answer[3], answer[2]))
                    return
                jobs = None
        except (EOFError, OSError, ValueError):
            # the child could not start or went away: what it did not answer is copied by ``finish``, as is
            # every batch no child takes any more
            with self._lock:
                if jobs is not None:
                    self._orphans.extend(job for job in jobs if job[0] not in self.results)

    def _fail(self, failure: CopyFailed) -> None:
        with self._lock:
            if self.failure is None:
                self.failure = failure
        self._stop.set()

    def finish(self, wait: Callable[[], None] | None = None) -> dict[Any, Copied]:
        """Wait for every copy (calling ``wait()`` about 20 times a second: it may raise to stop); returns each
        key's outcome, or raises the first target that could not be written (``CopyFailed``)."""
        self.close_input()
        for thread in self._threads:
            while thread.is_alive():
                thread.join(0.05)
                if wait is not None:
                    wait()
        self.close()
        if self.failure is not None:
            raise self.failure
        left: list[tuple[Any, str, str]] = list(self._orphans)
        while True:  # batches no child took (every child went away)
            try:
                batch = self._jobs.get_nowait()
            except queue.Empty:
                break
            if batch is not None:
                left.extend(batch)
        view = memoryview(bytearray(CHUNK))
        for key, source, target in left:
            if key in self.results:
                continue
            if wait is not None:
                wait()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)  # a child that went away may have begun it
            try:
                digest, size, head = copy_file(source, target, view)
            except SourceUnreadable as exc:
                self.results[key] = Copied(unreadable=str(exc))
                continue
            except OSError as exc:
                self._fail(CopyFailed(exc.strerror or str(exc), exc.errno))
                raise self.failure from exc  # type: ignore[misc]
            self.results[key] = Copied(digest, size, "", head)
            self.copied += size
        return self.results

    def abandon(self) -> None:
        """Stop the children where they are (the caller removes what they wrote)."""
        self._stop.set()
        self._kill()
        for _ in self._threads:  # a feeder waiting for a batch wakes and ends
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(5)

    def close(self) -> None:
        for process, requests, _replies in self._children:
            with contextlib.suppress(OSError, ValueError):
                requests.send(("quit",))
            process.join(2)
        self._kill()

    def _kill(self) -> None:
        children, self._children = self._children, []
        for process, requests, replies in children:
            if process.is_alive():
                process.kill()
            process.join(5)
            for end in (requests, replies):
                with contextlib.suppress(OSError):
                    end.close()
            with contextlib.suppress(ValueError):
                process.close()
