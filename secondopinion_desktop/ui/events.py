"""One app-wide change notice, and the window-wide requests one tab makes of another.

Every operation that changes the data folder says so once, through ``announce(changes, initiator)``; every view
that shows something from the folder watches for the kinds it shows (``watch``) and decides what to reload. A
view that is hidden only marks itself stale and reloads when it is shown again. No tab is wired to another by
hand: a tab that needs another to do something (show a record, open the profile) asks through ``requests()``,
and the main window, the one place that knows every tab, answers.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal


class Changes(enum.Flag):
    """What changed in the data folder. Combine with ``|``; test with ``&``."""

    NONE = 0
    RECORDS = enum.auto()  # records added, edited, removed, or their status changed
    ATTACHMENTS = enum.auto()  # files attached to records or removed from them
    IMAGING = enum.auto()  # imaging studies imported or removed
    APPOINTMENTS = enum.auto()
    QUESTIONS = enum.auto()
    NOTES = enum.auto()  # consult notes started, saved or deleted
    DIRECTORY = enum.auto()  # clinicians and facilities
    PROFILE = enum.auto()  # the patient profile (diagnosis, stage, markers, insurer, name)
    TREATMENTS = enum.auto()
    CHECKLIST = enum.auto()  # steps of the guide's checklist done or undone
    REQUESTS = enum.auto()  # records requests made, sent, logged, received; their letters
    SHIPMENTS = enum.auto()  # pathology material shipped, received by the consultant, returned
    FOLDER = enum.auto()  # a different folder (or a restored one) is open: everything may differ
    DOCUMENT_TEXT = enum.auto()  # attached files were read (their text, what it names) or queued to be read again
    HEALTH = enum.auto()  # medications, allergies and lab results (typed in, edited, removed, or imported)
    OPINIONS = enum.auto()  # what a consultant said, its follow-up questions; a center's list of required items
    EVERYTHING = (RECORDS | ATTACHMENTS | IMAGING | APPOINTMENTS | QUESTIONS | NOTES | DIRECTORY | PROFILE
                  | TREATMENTS | CHECKLIST | REQUESTS | SHIPMENTS | FOLDER | DOCUMENT_TEXT | HEALTH | OPINIONS)


class ChangeNotice(QObject):
    """The one signal: ``changed(Changes, initiator)``. ``initiator`` is the object whose action it was (or
    None), so a view that already shows its own change can skip reloading."""

    changed = Signal(object, object)


class Requests(QObject):
    """What one part of the window asks of another; the main window connects each once."""

    showRecord = Signal(int)  # switch to Records with this record selected
    newRecord = Signal(object, str)  # (RecordKind, suggested title): the new-record dialog
    editProfile = Signal()  # the patient profile dialog
    buildPacket = Signal(object)  # the packet dialog, for this appointment id (or None)
    markRequested = Signal(int)  # this needed record is now requested: a step of the Records tab's undo history
    newRequest = Signal(str)  # the Requests tab's new-request dialog, for this facility's name
    showRequest = Signal(int)  # switch to Requests with this request selected
    showHealth = Signal(str)  # switch to the health summary, at "medications", "allergies", "labs" or "" (top)
    checkPacket = Signal()  # Help → Check my packet: the pre-flight check's findings


_notice: ChangeNotice | None = None
_requests: Requests | None = None


def _app() -> QObject:
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("the change notice needs the application object")
    return app


def notice() -> ChangeNotice:
    """The application's change notice (made on first use, owned by the application)."""
    global _notice
    if _notice is None or not _alive(_notice):
        _notice = ChangeNotice(_app())
        _notice.setObjectName("changeNotice")
    return _notice


def requests() -> Requests:
    """The application's request signals (made on first use, owned by the application)."""
    global _requests
    if _requests is None or not _alive(_requests):
        _requests = Requests(_app())
        _requests.setObjectName("windowRequests")
    return _requests


def _alive(obj: QObject) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def announce(changes: Changes, initiator: QObject | None = None) -> None:
    """Tell every view that ``changes`` happened (on the GUI thread; nothing is said for ``Changes.NONE``)."""
    if changes:
        notice().changed.emit(changes, initiator)


class Watcher(QObject):
    """Calls ``reload(changes)`` when a change in ``kinds`` is announced while ``view`` is visible; while it is
    hidden, remembers what changed and reloads once when it is shown. Made by ``watch``."""

    def __init__(self, view: QObject, kinds: Changes, reload: Callable[[Changes], None], *,
                 skip_own: bool = False) -> None:
        super().__init__(view)
        self.view = view
        self.kinds = kinds | Changes.FOLDER
        self.reload = reload
        self.skip_own = skip_own
        self.pending = Changes.NONE
        notice().changed.connect(self._changed)
        view.installEventFilter(self)

    @property
    def stale(self) -> bool:
        return bool(self.pending)

    def _changed(self, changes: Changes, initiator: object) -> None:
        relevant = changes & self.kinds
        if not relevant or (self.skip_own and initiator is self.view):
            return
        if self._visible():
            self.reload(relevant)
        else:
            self.pending |= relevant

    def _visible(self) -> bool:
        is_visible = getattr(self.view, "isVisible", None)
        return bool(is_visible()) if is_visible is not None else True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Type.Show and self.pending:
            pending, self.pending = self.pending, Changes.NONE
            self.reload(pending)
        return False

    def flush(self) -> None:
        """Reload now for whatever changed while hidden."""
        if self.pending:
            pending, self.pending = self.pending, Changes.NONE
            self.reload(pending)

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError, TypeError):
            notice().changed.disconnect(self._changed)


def watch(view: QObject, kinds: Changes, reload: Callable[[Changes], None], *, skip_own: bool = False) -> Watcher:
    """Reload ``view`` (through ``reload(changes)``) when a change it shows is announced; see ``Watcher``."""
    return Watcher(view, kinds, reload, skip_own=skip_own)
