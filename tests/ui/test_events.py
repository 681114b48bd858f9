"""The one change notice: a visible view reloads at once, a hidden one marks itself stale and reloads once when
shown; a view can skip its own changes; the window-wide requests are one set of signals."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QLabel, QTabWidget

from secondopinion_desktop.ui.events import Changes, announce, notice, requests, watch


def shown_tabs(qtbot) -> tuple[QTabWidget, QLabel, QLabel]:
    tabs = QTabWidget()
    first, second = QLabel("records"), QLabel("guidance")
    tabs.addTab(first, "Records")
    tabs.addTab(second, "Guidance")
    qtbot.addWidget(tabs)
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs, first, second


def test_a_visible_view_reloads_at_once_for_what_it_shows(qtbot) -> None:
    _tabs, view, _other = shown_tabs(qtbot)
    reloads: list[Changes] = []
    watch(view, Changes.RECORDS | Changes.ATTACHMENTS, reloads.append)
    announce(Changes.APPOINTMENTS)
    assert reloads == [], "a change it does not show leaves it alone"
    announce(Changes.RECORDS | Changes.APPOINTMENTS)
    assert reloads == [Changes.RECORDS], "only the part it shows is passed on"
    announce(Changes.FOLDER)
    assert reloads == [Changes.RECORDS, Changes.FOLDER], "a different folder always reloads"


def test_a_hidden_view_marks_itself_stale_and_reloads_once_when_shown(qtbot) -> None:
    tabs, _first, hidden = shown_tabs(qtbot)
    assert not hidden.isVisible()
    reloads: list[Changes] = []
    watcher = watch(hidden, Changes.PROFILE | Changes.RECORDS, reloads.append)
    announce(Changes.PROFILE)
    announce(Changes.RECORDS)
    announce(Changes.NOTES)
    assert reloads == [] and watcher.stale
    tabs.setCurrentWidget(hidden)  # as a click on its tab does
    assert reloads == [Changes.PROFILE | Changes.RECORDS], "one reload for everything that changed meanwhile"
    assert not watcher.stale
    tabs.setCurrentIndex(0)
    tabs.setCurrentWidget(hidden)
    assert len(reloads) == 1, "shown again with nothing new: no reload"


def test_a_view_can_skip_the_changes_it_made_itself(qtbot) -> None:
    _tabs, view, other = shown_tabs(qtbot)
    reloads: list[Changes] = []
    watch(view, Changes.RECORDS, reloads.append, skip_own=True)
    announce(Changes.RECORDS, view)
    assert reloads == [], "it already shows its own change"
    announce(Changes.RECORDS, other)
    announce(Changes.RECORDS)
    assert reloads == [Changes.RECORDS, Changes.RECORDS]
    everyone: list[Changes] = []
    watch(view, Changes.RECORDS, everyone.append)
    announce(Changes.RECORDS, view)
    assert everyone == [Changes.RECORDS], "without skip_own its own changes reload it too"


def test_the_notice_carries_what_changed_and_who_changed_it(qtbot) -> None:
    _tabs, view, _other = shown_tabs(qtbot)
    heard: list[tuple[object, object]] = []
    notice().changed.connect(lambda changes, initiator: heard.append((changes, initiator)))
    announce(Changes.NONE, view)
    announce(Changes.TREATMENTS | Changes.CHECKLIST, view)
    assert heard == [(Changes.TREATMENTS | Changes.CHECKLIST, view)], "nothing is said when nothing changed"
    assert Changes.EVERYTHING & Changes.DIRECTORY and Changes.EVERYTHING & Changes.FOLDER


def test_a_deleted_view_is_no_longer_reloaded(qtbot) -> None:
    _tabs, view, _other = shown_tabs(qtbot)
    reloads: list[str] = []
    watch(view, Changes.RECORDS, lambda changes: reloads.append(view.text()))
    shiboken6.delete(view)
    announce(Changes.RECORDS)
    assert reloads == []


def test_a_stopped_watcher_no_longer_reloads(qtbot) -> None:
    _tabs, view, _other = shown_tabs(qtbot)
    reloads: list[Changes] = []
    watcher = watch(view, Changes.RECORDS, reloads.append)
    watcher.stop()
    announce(Changes.RECORDS)
    assert reloads == []


def test_the_requests_are_one_set_of_signals_for_the_whole_window(qtbot) -> None:
    asked: list[tuple] = []
    desk = requests()
    assert requests() is desk
    desk.showRecord.connect(lambda record_id: asked.append(("show", record_id)))
    desk.newRecord.connect(lambda kind, title: asked.append(("new", kind, title)))
    desk.editProfile.connect(lambda: asked.append(("profile",)))
    desk.buildPacket.connect(lambda appointment_id: asked.append(("packet", appointment_id)))
    desk.markRequested.connect(lambda record_id: asked.append(("mark", record_id)))
    requests().showRecord.emit(12)
    requests().newRecord.emit("pathology", "Biopsy report")
    requests().editProfile.emit()
    requests().buildPacket.emit(None)
    requests().buildPacket.emit(3)
    requests().markRequested.emit(7)
    assert asked == [("show", 12), ("new", "pathology", "Biopsy report"), ("profile",), ("packet", None),
                     ("packet", 3), ("mark", 7)]
