"""Help → Check data…: the integrity check in the background, its report in the window's words, and Repair.

Data path: ``core.check.check_data(folder)`` (a reading operation) and ``core.check.repair(folder, report)``
(a writing one), both through ``ui.ops.run_op``; the report is read by its fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.ui.ops import Op, run_op
from secondopinion_desktop.ui.safety import common
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

if TYPE_CHECKING:
    from secondopinion_desktop.core.check import CheckReport
    from secondopinion_desktop.core.db import DataFolder

def report_lines(report: CheckReport) -> list[str]:
    """The report a person reads in the window: the core's, naming the window's Repair button where the command
    line names ``check --repair``."""
    return report.lines(repair="Repair")


class CheckDialog(QDialog):
    """Help → Check data…: the integrity check in the background, its report, and a Repair button.

    Repair is enabled only when the check found something provably orphaned (vault files nothing refers to,
    temporary files left by an interrupted copy); it backs up first (the core does) and removes only those.
    """

    def __init__(self, parent: QWidget | None, folder: DataFolder) -> None:
        super().__init__(parent)
        self.folder = folder
        self.setObjectName("checkDialog")
        self.setWindowTitle("Check your data")
        self.report: CheckReport | None = None
        self.repair_result: list[str] | None = None
        self.job: Op | None = None
        self.message: QMessageBox | None = None

        self.status = QLabel()
        self.status.setObjectName("checkStatus")
        self.status.setWordWrap(True)
        self.details = QPlainTextEdit()
        self.details.setObjectName("checkReport")
        self.details.setAccessibleName("Check report")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.details.setFont(mono)
        self.again_button = QPushButton("Check &again")
        self.again_button.setObjectName("checkAgainButton")
        self.again_button.clicked.connect(lambda _checked=False: self.check())
        self.repair_button = QPushButton("&Repair…")
        self.repair_button.setObjectName("repairButton")
        self.repair_button.setToolTip("Removes only files nothing refers to, after backing up your data first.")
        self.repair_button.clicked.connect(lambda _checked=False: self.repair())
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("closeButton")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.again_button)
        buttons.addWidget(self.repair_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.details, 1)
        layout.addLayout(buttons)
        fit_to_screen(self, 720, 440, min_width=420, min_height=280)
        self.check()

    def busy(self) -> bool:
        return self.job is not None and not self.job.done

    def _set_busy(self, text: str) -> None:
        self.status.setText(text)
        self.again_button.setEnabled(False)
        self.repair_button.setEnabled(False)

    def check(self) -> Op:
        """Run the check in the background; the report replaces what is shown."""
        from secondopinion_desktop.core.check import check_data

        if self.busy():
            assert self.job is not None
            return self.job
        folder = self.folder
        self._set_busy("Checking the database and every stored file…")

        def succeeded(report: CheckReport) -> None:
            self.report = report
            self._show_report(report)

        self.job = run_op(self, lambda _control: check_data(folder), name="check data", writes=False,
                          on_success=succeeded, on_failure=self._failed)
        return self.job

    def _show_report(self, report: CheckReport) -> None:
        self.details.setPlainText("\n".join(report_lines(report)))
        if report.ok:
            self.status.setText("<b>No problems found.</b> The database and every stored file are intact.")
        elif report.repairable:
            self.status.setText("<b>Problems found</b> — see below. Repair can remove the leftover files "
                                "listed; your records are not touched.")
        else:
            self.status.setText("<b>Problems found</b> — see below. Repair cannot fix these; restore a "
                                "backup (File → Restore…) or re-attach the missing files.")
        self.again_button.setEnabled(True)
        self.repair_button.setEnabled(report.repairable)

    def _failed(self, exc: BaseException) -> bool:
        self.again_button.setEnabled(True)
        self.repair_button.setEnabled(False)
        if not common.expected_failure(exc):
            self.status.setText("The check stopped with an unexpected error.")
            return False  # the crash dialog
        self.status.setText(f"The check could not run: {common.reason(exc)}")
        return True

    def repair(self) -> Op | None:
        """Ask, then remove what the check found orphaned (after a backup) and check again."""
        from secondopinion_desktop.core.check import repair

        if self.busy() or self.report is None or not self.report.repairable:
            return None
        if not common.confirm(self, "Repair", "Repair removes only the leftover files listed in the report — "
                              "files none of your records refers to. A backup of your data is saved first.\n\n"
                              "Repair now?", "&Repair"):
            return None
        folder, report = self.folder, self.report
        self._set_busy("Backing up, then removing the leftover files…")

        def succeeded(done: list[str]) -> None:
            self.repair_result = done
            self.message = common.show_message(self, QMessageBox.Icon.Information, "Repair done",
                                               "\n".join(done or ["Nothing needed removing."]))
            self.report = None
            self.job = None  # this operation is ending: the check below must start, not wait for it
            self.check()  # show the state after the repair

        self.job = run_op(self, lambda _control: repair(folder, report), name="repair data",
                          on_success=succeeded, on_failure=self._failed)
        return self.job

    def done(self, code: int) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
        super().done(code)
