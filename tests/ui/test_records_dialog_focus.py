"""The record dialog puts the cursor on the input the core's refusal names (``ValidationError.field``), whatever
words its sentence uses."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QLineEdit, QWidget

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.ui.records import dialogs
from secondopinion_desktop.ui.records.dialogs import RecordDialog


@pytest.fixture
def dialogs_made():
    """Each dialog is taken down at the end of its test while its Python side is whole: left to the garbage
    collector, a later collection can run the date fields' event filters half taken apart."""
    made: list[RecordDialog] = []
    yield made
    import shiboken6

    for dialog in made:
        if shiboken6.isValid(dialog):
            dialog.reject()
            shiboken6.delete(dialog)


def open_dialog(qtbot, folder, made: list[RecordDialog], **kwargs) -> RecordDialog:
    dialog = RecordDialog(folder, **kwargs)
    made.append(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def click_ok(qtbot, dialog: RecordDialog) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def refused(qtbot, dialog: RecordDialog, fragment: str) -> None:
    label = dialog.findChild(QLabel, "errorLabel")
    qtbot.waitUntil(label.isVisible)
    assert fragment in label.text()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted


def has_cursor(dialog: RecordDialog, widget: QWidget) -> bool:
    focus = dialog.focusWidget()
    return focus is widget or (isinstance(widget, QComboBox) and focus is widget.lineEdit())


def test_a_bad_date_and_an_empty_title_put_the_cursor_there(qtbot, folder, dialogs_made) -> None:
    dialog = open_dialog(qtbot, folder, dialogs_made, title="CT report")
    qtbot.mouseClick(dialog.date_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.date_edit, "2026-02-30")
    qtbot.mouseClick(dialog.title_edit, Qt.MouseButton.LeftButton)  # the cursor is elsewhere when OK is clicked
    click_ok(qtbot, dialog)
    refused(qtbot, dialog, "does not exist on the calendar")
    assert dialog.focusWidget() is dialog.date_edit

    qtbot.keyClick(dialog.date_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog.date_edit, Qt.Key.Key_Delete)
    qtbot.mouseClick(dialog.title_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Delete)
    qtbot.mouseClick(dialog.notes_edit, Qt.MouseButton.LeftButton)
    click_ok(qtbot, dialog)
    refused(qtbot, dialog, "title is required")
    assert dialog.focusWidget() is dialog.title_edit
    with folder.session() as session:
        assert svc.list_records(session) == []


# (field named by the refusal, kind and status the form needs for that input to be there and enabled)
FIELDS = [
    ("kind", RecordKind.LAB, RecordStatus.NEEDED),
    ("title", RecordKind.LAB, RecordStatus.NEEDED),
    ("date_of_service", RecordKind.LAB, RecordStatus.NEEDED),
    ("facility", RecordKind.LAB, RecordStatus.NEEDED),
    ("clinician", RecordKind.LAB, RecordStatus.NEEDED),
    ("status", RecordKind.LAB, RecordStatus.RECEIVED),
    ("requested_on", RecordKind.LAB, RecordStatus.SENT),
    ("received_on", RecordKind.LAB, RecordStatus.SENT),
    ("sent_on", RecordKind.LAB, RecordStatus.SENT),
    ("summary", RecordKind.LAB, RecordStatus.NEEDED),
    ("notes", RecordKind.LAB, RecordStatus.NEEDED),
    ("imaging_modality", RecordKind.IMAGING, RecordStatus.NEEDED),
    ("imaging_body_region", RecordKind.IMAGING, RecordStatus.NEEDED),
    ("images_location", RecordKind.IMAGING, RecordStatus.NEEDED),
    ("accession_number", RecordKind.PATHOLOGY, RecordStatus.NEEDED),
    ("specimen_site", RecordKind.PATHOLOGY, RecordStatus.NEEDED),
    ("slides_count", RecordKind.PATHOLOGY, RecordStatus.NEEDED),
    ("blocks_count", RecordKind.PATHOLOGY, RecordStatus.NEEDED),
    ("material_holder", RecordKind.PATHOLOGY, RecordStatus.NEEDED),
]


@pytest.mark.parametrize(("field", "kind", "status"), FIELDS, ids=[f for f, _k, _s in FIELDS])
def test_the_input_the_refusal_names_gets_the_cursor(qtbot, folder, monkeypatch, dialogs_made, field, kind,
                                                     status) -> None:
    def refuse(_folder, _fields, _record_id=None) -> None:
        raise ValidationError("Please look at this again.", field=field)  # a sentence naming no input

    monkeypatch.setattr(dialogs, "check_record", refuse)
    dialog = open_dialog(qtbot, folder, dialogs_made, kind=kind, title="Report")
    qtbot.mouseClick(dialog.status_buttons[status], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status() is status)
    elsewhere = dialog.notes_edit if field == "title" else dialog.title_edit
    qtbot.mouseClick(elsewhere, Qt.MouseButton.LeftButton)  # the cursor is on another input when OK is clicked
    assert not has_cursor(dialog, dialog.inputs()[field])
    click_ok(qtbot, dialog)
    refused(qtbot, dialog, "Please look at this again.")
    widget = dialog.inputs()[field]
    assert has_cursor(dialog, widget), (field, dialog.focusWidget())
    if isinstance(widget, QLineEdit) and widget.text():
        assert widget.selectedText() == widget.text()
