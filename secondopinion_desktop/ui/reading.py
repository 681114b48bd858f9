"""Reading attached documents in the background, and the status-bar indicator that says so.

While a data folder is open, one low-priority worker reads the files waiting to be read (``core.documents.index.
read_pending`` with ``core.documents.reader.ProcessReader``: the slow work happens in a child process). It runs
on ``ui.jobs.background_pool`` (one thread, low priority), never on the writer: ``read_pending`` writes in short
transactions of its own, which SQLite (WAL, busy timeout) lets through beside the writer's. It starts a moment
after the folder opens (the folders of earlier versions queue their files first: ``queue_missing``), again when
files are attached (the change notice) and, cheaply, when a poll of the queue finds files waiting.

The indicator on the right of the status bar reads "Reading 3 documents…" with a busy bar and a Cancel (×)
button; it is hidden when nothing is waiting. A cancelled pass leaves its files waiting: they are read when new
files are attached, at the next start, or when the patient asks ("Read waiting documents" in the indicator's
context menu). Each file read is announced (``Changes.DOCUMENT_TEXT``, a few at a time), so search, the Text
view and the identity marks follow. Closing the window (or the folder) stops the pass; ``ui.jobs.shut_down``
waits for it with every other job. The reader's child process is closed on the worker's own thread as the pass
ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMenu, QProgressBar, QToolButton, QWidget

from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import Changes, announce, notice
from secondopinion_desktop.ui.jobs import Job, JobControl, background_pool, start_job

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.core.documents.index import DocumentReader
    from secondopinion_desktop.core.documents.model import IndexSummary

START_DELAY_MS = 1500  # after the folder opens: the window and its tabs come first
POLL_MS = 15_000  # how often an idle window looks at the queue (one small count)
CHANGE_DELAY_MS = 300  # after files were attached: the queue is looked at once the burst of notices is over
ANNOUNCE_MS = 700  # files read are announced at most this often (a pass of many small files stays calm)
WATCHED = Changes.RECORDS | Changes.ATTACHMENTS | Changes.DOCUMENT_TEXT | Changes.FOLDER


def _process_reader() -> DocumentReader:
    from secondopinion_desktop.core.documents.reader import ProcessReader

    return ProcessReader()


# What reads the files: made on the worker's thread for each pass, closed when the pass ends (tests replace it).
reader_factory: Callable[[], Any] = _process_reader


def reading_words(waiting: int) -> str:
    return f"Reading {plural(waiting, 'document')}…"


def waiting_words(waiting: int) -> str:
    return f"{plural(waiting, 'document')} waiting to be read"


class ReadingIndicator(QWidget):
    """"Reading 3 documents…", a busy bar and a Cancel (×) button; while reading is stopped, "3 documents
    waiting to be read" and a Read button. The context menu has "Read waiting documents"."""

    cancelClicked = Signal()
    readClicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readingIndicator")
        self.setAccessibleName("Reading documents")
        self.label = QLabel()
        self.label.setObjectName("readingLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.bar.setObjectName("readingBar")
        self.bar.setRange(0, 0)  # busy: a file's pages are not counted here
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(self.fontMetrics().averageCharWidth() * 10)
        self.bar.setMaximumHeight(self.fontMetrics().height())
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("readingCancel")
        self.cancel_button.setText("×")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.setToolTip("Stop reading (the documents stay waiting and are read later)")
        self.cancel_button.setAccessibleName("Stop reading documents")
        self.cancel_button.clicked.connect(self.cancelClicked)
        self.read_button = QToolButton()
        self.read_button.setObjectName("readingResume")
        self.read_button.setText("Read now")
        self.read_button.setAutoRaise(True)
        self.read_button.setToolTip("Read the waiting documents now, so that search finds their words")
        self.read_button.clicked.connect(self.readClicked)
        self.menu = QMenu(self)
        self.menu.setObjectName("readingMenu")
        self.read_action = self.menu.addAction("Read waiting documents")
        self.read_action.setObjectName("readWaitingAction")
        self.read_action.triggered.connect(self.readClicked)
        self.stop_action = self.menu.addAction("Stop reading")
        self.stop_action.triggered.connect(self.cancelClicked)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 2, 0)
        layout.setSpacing(6)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.read_button)
        self.show_state(0, reading=False)

    def _menu(self, where: QPoint) -> None:
        self.menu.popup(self.mapToGlobal(where))

    def show_state(self, waiting: int, *, reading: bool) -> None:
        """What the indicator says: ``waiting`` files, being read or not; hidden when none is waiting."""
        if waiting <= 0:
            self.hide()
            return
        words = reading_words(waiting) if reading else waiting_words(waiting)
        self.label.setText(words)
        self.setToolTip("The app reads the text of attached documents, so that search finds their words."
                        if reading else "Reading was stopped. Right-click for Read waiting documents.")
        self.bar.setVisible(reading)
        self.cancel_button.setVisible(reading)
        self.read_button.setVisible(not reading)
        self.read_action.setEnabled(not reading)
        self.stop_action.setEnabled(reading)
        self.show()


class BackgroundReading(QObject):
    """The background reader of one window: see the module's docstring."""

    fileRead = Signal(str, object)  # (sha256, DocumentState), from the worker's thread
    passEnded = Signal()  # on the GUI thread, after a pass has ended (read everything, cancelled or failed)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.folder: DataFolder | None = None
        self.indicator = ReadingIndicator()
        self.indicator.cancelClicked.connect(self.cancel)
        self.indicator.readClicked.connect(self.read_now)
        self.pool = background_pool()  # one low-priority thread; ui.jobs waits for it once at shutdown
        self.job: Job | None = None
        self.last_summary: IndexSummary | None = None
        self.waiting = 0
        self.stopped = False  # the patient cancelled: no pass starts by itself until files are attached
        self._upgraded = False  # queue_missing has run for this folder
        self._again = False  # files were queued while a pass ran: look again when it ends
        self._read_since_notice = 0
        self.fileRead.connect(self._file_read)  # queued: emitted on the worker's thread
        self._start_timer = QTimer(self)
        self._start_timer.setSingleShot(True)
        self._start_timer.timeout.connect(self.look)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.look)
        self._announce_timer = QTimer(self)
        self._announce_timer.setSingleShot(True)
        self._announce_timer.setInterval(ANNOUNCE_MS)
        self._announce_timer.timeout.connect(self._announce)
        notice().changed.connect(self._changed)

    # --- the folder --------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder, *, delay_ms: int | None = None) -> None:
        """Start reading this folder's waiting files in a moment (the folder opened, or a restored one)."""
        if self.folder is not None and self.folder is not folder:
            self.shut_down()
        self.folder = folder
        self.stopped = False
        self._upgraded = False
        self._start_timer.start(START_DELAY_MS if delay_ms is None else delay_ms)
        self._poll.start()

    def shut_down(self) -> None:
        """Stop the pass (the window closes, or the folder is about to be replaced). Its job is one of
        ``ui.jobs``', so the ``jobs.shut_down`` that follows waits for it with every other job, once; the
        reader's child process is closed on the worker's thread as the pass ends."""
        self._start_timer.stop()
        self._poll.stop()
        if self._announce_timer.isActive():
            self._announce_timer.stop()
            self._announce()
        if self.job is not None and not self.job.done:
            self.job.cancel()
        self.folder = None
        self.indicator.show_state(0, reading=False)

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.done

    # --- when to read ------------------------------------------------------------------------------------

    def _changed(self, changes: Changes, initiator: object) -> None:
        if initiator is self or not changes & (Changes.RECORDS | Changes.ATTACHMENTS | Changes.DOCUMENT_TEXT):
            return
        if self.folder is None:
            return
        if self.running:
            self._again = True
            return
        self.stopped = False if changes & (Changes.ATTACHMENTS | Changes.DOCUMENT_TEXT) else self.stopped
        self._look_soon()

    def _look_soon(self) -> None:
        """Look at the queue once the burst of notices is over (sooner than a look already planned)."""
        if not self._start_timer.isActive() or self._start_timer.remainingTime() > CHANGE_DELAY_MS:
            self._start_timer.start(CHANGE_DELAY_MS)

    def look(self) -> None:
        """Count the waiting files; start a pass when there are some (unless the patient stopped reading)."""
        if self.folder is None or self.running:
            return
        if not self._upgraded:  # the first pass queues what an earlier version never queued, then reads
            self._start()
            return
        from secondopinion_desktop.core.errors import SecondOpinionError

        try:
            from secondopinion_desktop.core.documents import index

            self.waiting = index.queue_counts(self.folder).pending
        except SecondOpinionError:
            return  # the folder cannot be read just now: the next look tries again
        if self.waiting and not self.stopped:
            self._start()
        else:
            self.indicator.show_state(self.waiting, reading=False)

    def read_now(self) -> None:
        """The patient asked: read the waiting files now."""
        self.stopped = False
        if self.folder is not None and not self.running:
            self._start()

    def cancel(self) -> None:
        """Stop the current pass; its files stay waiting."""
        self.stopped = True
        if self.job is not None and not self.job.done:
            self.job.cancel()
            self.indicator.label.setText("Stopping…")
            self.indicator.cancel_button.setEnabled(False)

    # --- a pass ------------------------------------------------------------------------------------------

    def _start(self) -> None:
        folder = self.folder
        assert folder is not None
        upgrade = not self._upgraded
        self._upgraded = True
        self._again = False
        emit = self.fileRead.emit

        def work(control: JobControl) -> IndexSummary:
            from secondopinion_desktop.core.documents import index
            from secondopinion_desktop.core.documents.model import IndexSummary

            if upgrade:
                index.queue_missing(folder)
            if not index.queue_counts(folder).pending:
                return IndexSummary()
            reader = reader_factory()
            try:
                return index.read_pending(folder, reader, cancelled=control.cancelled, progress=control.progress,
                                          on_read=lambda sha256, state: emit(sha256, state))
            finally:
                close = getattr(reader, "close", None)
                if close is not None:
                    close()

        self.indicator.cancel_button.setEnabled(True)
        if self.waiting:
            self.indicator.show_state(self.waiting, reading=True)
        self.job = start_job(work, self._ended, self._failed, self._progressed, background=True)

    def _progressed(self, done: int, total: int) -> None:
        if self.job is None or self.job.control.cancelled():
            return
        self.waiting = max(0, total - done)
        self.indicator.show_state(self.waiting, reading=True)

    def _file_read(self, _sha256: str, _state: object) -> None:
        self._read_since_notice += 1
        if not self._announce_timer.isActive():
            self._announce_timer.start()

    def _announce(self) -> None:
        if self._read_since_notice:
            self._read_since_notice = 0
            announce(Changes.DOCUMENT_TEXT, self)

    def _ended(self, summary: IndexSummary) -> None:
        self.last_summary = summary
        self.waiting = summary.left
        self._finish()

    def _failed(self, exc: BaseException) -> None:
        from secondopinion_desktop.ui.ops import is_cancel

        if not is_cancel(exc):  # never a message: the files stay waiting, the next pass tries again
            from secondopinion_desktop.core.log import log_failure

            log_failure("read documents in the background", exc)
            self.stopped = True  # no pass restarts by itself after a failure (the patient may ask for one)
        self._finish()

    def _finish(self) -> None:
        self.job = None
        self.passEnded.emit()
        if self._announce_timer.isActive():
            self._announce_timer.stop()
        self._announce()
        if self.folder is None:
            self.indicator.show_state(0, reading=False)
            return
        again, self._again = self._again, False
        if again and not self.stopped:
            self._look_soon()
        self.indicator.show_state(self.waiting, reading=False)

