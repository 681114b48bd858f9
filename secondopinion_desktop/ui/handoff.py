"""File › Prepare a folder for the doctor…: where it goes, what goes in, then write it and check it.

``HandoffDialog(folder, parent)``. What would be written (counts, size, free space, FAT32 limits, what is left out)
is planned off the GUI thread each time the choices change (``core.handoff.plan_handoff`` through
``ui.ops.run_op``); Write runs ``write_handoff`` with progress and Cancel; "Check the folder again" and "Check a
folder…" run ``verify_handoff`` against a folder's manifest (after copying it to a stick, say). The dialog reads
the data folder only through those services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.words import when_text
from secondopinion_desktop.ui.ops import Op, is_cancel, run_op
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

USB, BURN, ZIP = "usb", "burn", "zip"
DEFAULT_NAME = "Records for the doctor"
_WHERE = {
    USB: "A folder on a USB stick or disk",
    BURN: "A folder to burn onto a CD or DVD",
    ZIP: "One zip file (to send or upload)",
}


class HandoffDialog(QDialog):
    def __init__(self, folder: DataFolder, parent: QWidget | None = None) -> None:
        from secondopinion_desktop.core.appointments import list_appointments

        super().__init__(parent)
        self.setObjectName("handoffDialog")
        self.setWindowTitle("Prepare a folder for the doctor")
        self.folder = folder
        self.plan: Any = None
        self.written: Path | None = None
        self.plan_op: Op | None = None
        self.write_op: Op | None = None
        self.verify_op: Op | None = None
        self._generation = 0
        self._closed = False

        intro = QLabel("Everything the receiving doctor asks for, in one place: the records packet, every imaging "
                       "study as DICOM with a DICOMDIR (as on an imaging CD), the original documents, a page "
                       "that lists them all (INDEX.HTM, opens in any browser) and a list of checksums to check "
                       "the copy.")
        intro.setWordWrap(True)

        self.where_group = QButtonGroup(self)
        where_box = QVBoxLayout()
        for key, text in _WHERE.items():
            button = QRadioButton(text)
            button.setObjectName(f"handoff_{key}")
            button.setProperty("kind", key)
            self.where_group.addButton(button)
            where_box.addWidget(button)
        self.where_group.buttons()[0].setChecked(True)
        self.where_group.buttonToggled.connect(lambda *_: self._choices_changed())

        self.place = QLineEdit()
        self.place.setObjectName("handoffPlace")
        self.place.setAccessibleName("Where to write it")
        self.place.setPlaceholderText("Choose the USB stick or a folder")
        self.place.textChanged.connect(lambda _t: self._choices_changed())
        self.choose_button = QPushButton("Choose…")
        self.choose_button.setObjectName("handoffChooseButton")
        self.choose_button.clicked.connect(self.choose_place)
        place_row = QHBoxLayout()
        place_row.addWidget(self.place, 1)
        place_row.addWidget(self.choose_button)

        self.name = QLineEdit(DEFAULT_NAME)
        self.name.setObjectName("handoffName")
        self.name.setAccessibleName("Name of the new folder or zip file")
        self.name.textChanged.connect(lambda _t: self._choices_changed())

        self.appointment = QComboBox()
        self.appointment.setObjectName("handoffAppointment")
        self.appointment.setAccessibleName("Appointment the packet is for")
        self.appointment.addItem("The next appointment", None)
        for a in list_appointments(folder):
            who = f" — {a.clinician_name}" if a.clinician_name else ""
            self.appointment.addItem(f"{when_text(a.starts_at)}{who}", a.id)
        self.appointment.currentIndexChanged.connect(lambda _i: self._choices_changed())

        self.thumbnails = QCheckBox("Also the imaging previews (not diagnostic)")
        self.thumbnails.setObjectName("handoffThumbnails")
        self.thumbnails.setToolTip("The pictures attached to imaging records (a series' middle slice, a photo "
                                   "of a screen), among the documents and in the packet")
        self.thumbnails.toggled.connect(lambda _c: self._choices_changed())

        form = QFormLayout()
        form.addRow("Write to:", where_box)
        form.addRow("Place:", place_row)
        form.addRow("Name:", self.name)
        form.addRow("Packet for:", self.appointment)
        form.addRow("", self.thumbnails)

        self.summary = QLabel("Choose where to write it.")
        self.summary.setObjectName("handoffSummary")
        self.summary.setWordWrap(True)
        self.problems = QListWidget()
        self.problems.setObjectName("handoffProblems")
        self.problems.setAccessibleName("What will be left out")
        self.problems.setWordWrap(True)
        self.problems.setMaximumHeight(110)
        self.problems.hide()
        self.status = QLabel("")
        self.status.setObjectName("handoffStatus")
        self.status.setWordWrap(True)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems)
        layout.addWidget(self.status)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)

        self.buttons = QDialogButtonBox()
        self.write_button = self.buttons.addButton("Write", QDialogButtonBox.ButtonRole.AcceptRole)
        self.write_button.setObjectName("handoffWriteButton")
        self.write_button.setEnabled(False)
        self.again_button = self.buttons.addButton("Check the folder again", QDialogButtonBox.ButtonRole.ActionRole)
        self.again_button.setObjectName("handoffAgainButton")
        self.again_button.setEnabled(False)
        self.check_button = self.buttons.addButton("Check a folder…", QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.setObjectName("handoffCheckButton")
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("handoffCloseButton")
        self.write_button.clicked.connect(self.write)
        self.again_button.clicked.connect(lambda: self.verify(self.written))
        self.check_button.clicked.connect(lambda: self.verify(None))
        close.clicked.connect(self.reject)

        outer = QVBoxLayout(self)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.replan)
        fit_to_screen(self, 820, 640, min_width=520, min_height=400)

    # --- choices ---------------------------------------------------------------------------------------------

    def kind(self) -> str:
        checked = self.where_group.checkedButton()
        return str(checked.property("kind")) if checked is not None else USB

    def target(self) -> Path | None:
        place, name = self.place.text().strip(), self.name.text().strip()
        if not place or not name:
            return None
        if self.kind() == ZIP and not name.lower().endswith(".zip"):
            name += ".zip"
        return Path(place).expanduser() / name

    def options(self) -> Any:
        from secondopinion_desktop.core.handoff import HandoffOptions

        return HandoffOptions(appointment_id=self.appointment.currentData(), as_zip=self.kind() == ZIP,
                              include_image_thumbnails=self.thumbnails.isChecked())

    def choose_place(self) -> None:
        from secondopinion_desktop.ui.widgets.forms import export_title

        chosen = QFileDialog.getExistingDirectory(self, export_title("Where to write the folder for the doctor",
                                                                     self.folder),
                                                  self.place.text() or str(Path.home()))
        if chosen:
            self.place.setText(chosen)

    def _choices_changed(self) -> None:
        self.write_button.setEnabled(False)
        self._generation += 1
        self._timer.start()

    # --- planning --------------------------------------------------------------------------------------------

    def replan(self) -> Op | None:
        """Work out (off the GUI thread) what would be written where the person chose."""
        from secondopinion_desktop.core.handoff import plan_handoff

        self._timer.stop()
        target = self.target()
        self.plan = None
        self.problems.clear()
        self.problems.hide()
        if target is None:
            self.summary.setText("Choose where to write it.")
            return None
        self.summary.setText("Looking at what will be written…")
        generation = self._generation
        folder, options = self.folder, self.options()

        def planned(plan: Any) -> None:
            if self._closed or generation != self._generation:
                return
            self.show_plan(plan)

        def failed(exc: BaseException) -> bool:
            if self._closed or generation != self._generation:
                return True
            if isinstance(exc, SecondOpinionError | OSError):
                self.summary.setText(str(exc) if isinstance(exc, SecondOpinionError) else
                                     f"That place cannot be used: {exc.strerror or exc}.")
                return True
            return False

        self.plan_op = run_op(self, lambda _control: plan_handoff(folder, target, options),
                              name="plan the folder for the doctor", writes=False, on_success=planned,
                              on_failure=failed)
        return self.plan_op

    def show_plan(self, plan: Any) -> None:
        self.plan = plan
        lines = plan.summary_lines()
        problems = list(plan.problems)
        sentences = [line for line in lines if line not in problems]
        if self.kind() == BURN:
            sentences.append("Then burn the folder's contents (not the folder itself) to a disc with your "
                             "system's disc burning; the DICOMDIR must be at the top of the disc.")
        self.summary.setText("\n".join(sentences))
        self.problems.clear()
        self.problems.addItems(problems)
        self.problems.setVisible(bool(problems))
        self.write_button.setEnabled(True)

    # --- writing and checking -------------------------------------------------------------------------------

    def write(self) -> Op | None:
        from secondopinion_desktop.core.handoff import write_handoff

        target = self.target()
        if target is None or self.plan is None or (self.write_op is not None and not self.write_op.done):
            return None
        folder, options = self.folder, self.options()
        self.write_button.setEnabled(False)
        self.status.setText("Writing…")

        def written(result: Any) -> None:
            self.written = result.path
            if self._closed:
                return
            self.plan = None  # written: a new place or name is needed for another one
            self.summary.setText("Written. To write another, choose a new place or name.")
            self.problems.hide()
            self.again_button.setEnabled(True)
            self.status.setText("\n".join(result.summary_lines()))

        def failed(exc: BaseException) -> bool:
            if self._closed:
                return True
            if is_cancel(exc):
                self.status.setText("Cancelled. Nothing was left behind.")
                return True
            if isinstance(exc, SecondOpinionError | OSError):
                self.status.setText(str(exc) if isinstance(exc, SecondOpinionError) else
                                    f"The folder could not be written: {exc.strerror or exc}.")
                return True
            return False

        def ended() -> None:
            if not self._closed and self.plan is not None:
                self.write_button.setEnabled(self.plan is not None)

        self.write_op = run_op(
            self, lambda control: write_handoff(folder, target, options, progress=control.progress,
                                                cancelled=control.cancelled),
            name="write the folder for the doctor", writes=False, label="Writing the folder for the doctor…",
            title="Prepare a folder for the doctor", delay_ms=200, on_success=written, on_failure=failed,
            on_done=ended)
        return self.write_op

    def verify(self, path: Path | None) -> Op | None:
        """Check a folder (or zip file) against its manifest; ``None``: ask which."""
        from secondopinion_desktop.core.handoff import verify_handoff

        if path is None:
            start = self.place.text() or str(Path.home())
            if self.kind() == ZIP:
                chosen, _ = QFileDialog.getOpenFileName(self, "Which zip file for the doctor to check", start,
                                                        "Zip files (*.zip)")
            else:
                chosen = QFileDialog.getExistingDirectory(self, "Which folder for the doctor to check", start)
            if not chosen:
                return None
            path = Path(chosen)
        target = path

        def checked(result: Any) -> None:
            if not self._closed:
                lines = result.summary_lines()
                shown = lines[:12] + ([f"… and {len(lines) - 12} more."] if len(lines) > 12 else [])
                self.status.setText("\n".join(shown))

        def failed(exc: BaseException) -> bool:
            if self._closed:
                return True
            if is_cancel(exc):
                self.status.setText("The check was stopped.")
                return True
            if isinstance(exc, SecondOpinionError | OSError):
                self.status.setText(str(exc) if isinstance(exc, SecondOpinionError) else
                                    f"The folder cannot be read: {exc.strerror or exc}.")
                return True
            return False

        self.verify_op = run_op(self, lambda control: verify_handoff(target, progress=control.progress,
                                                                     cancelled=control.cancelled),
                                name="check the folder for the doctor", writes=False, label="Checking the folder…",
                                title="Check the folder", delay_ms=300, on_success=checked, on_failure=failed)
        return self.verify_op

    def done(self, code: int) -> None:
        self._closed = True
        self._timer.stop()
        for op in (self.plan_op, self.write_op, self.verify_op):
            if op is not None and not op.done:
                op.cancel()
        super().done(code)


def prepare_folder(window: Any, folder: Any) -> None:
    """Opens the dialog (window-modal; the window keeps it as ``handoff_dialog``)."""
    dialog = HandoffDialog(folder, parent=window)
    window.handoff_dialog = dialog
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
