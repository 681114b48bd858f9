"""After a restore the tab shows the restored data: the answer box's grey hint is repainted whole, so the hint
shown before the restore does not show through the new one (seen when an older backup had no appointments)."""

from __future__ import annotations

import datetime as dt
import shutil

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QRegion

from secondopinion_desktop.core import appointments as svc
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.ui.appointments.tab import AppointmentsTab


class PaintedRegion(QObject):
    """Collects what a widget repaints."""

    def __init__(self, widget) -> None:
        super().__init__(widget)
        self.region = QRegion()
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.region = self.region.united(event.region())
        return False


def test_the_answer_hint_is_repainted_whole_after_restoring_an_older_backup(qtbot, tmp_path, data_dir) -> None:
    older = tmp_path / "older"
    open_data_folder(older).close()  # the backup: from before the first appointment
    current = open_data_folder(data_dir)
    with current.session() as s:
        made = svc.create_appointment(s, dt.datetime.now() + dt.timedelta(days=3))
        svc.add_question(s, made.id, "What would you recommend?")
    tab = AppointmentsTab()
    qtbot.addWidget(tab)
    tab.resize(900, 640)
    tab.set_folder(current)
    tab.show()
    qtbot.waitExposed(tab)
    edit = tab.questions.answer_edit
    assert edit.placeholderText() == "Select a question to write down the doctor's answer."

    # the restore: the window lets go of the folder, the backup replaces it, the folder opens again
    tab.shutdown()
    current.close()
    shutil.rmtree(data_dir)
    shutil.copytree(older, data_dir)
    restored = open_data_folder(data_dir)
    try:
        qtbot.wait(50)  # whatever was pending is painted
        painted = PaintedRegion(edit.viewport())
        tab.set_folder(restored)
        assert edit.placeholderText().startswith("Add the questions you want answered")
        whole = QRegion(edit.viewport().rect())
        qtbot.waitUntil(lambda: whole.subtracted(painted.region).isEmpty(), timeout=2000)
        tab.shutdown()
    finally:
        restored.close()
