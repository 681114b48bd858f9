"""Compare with the first opinion: the first and the second opinion of one appointment side by side, topic by
topic, each difference said in words and tinted (``core.comparison.compare``), and the PDF and the two letters
to the treating doctor written from it (``core.packet.after_consult``), off the GUI thread with progress and
Cancel."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.comparison import Comparison, compare
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.packet import after_consult
from secondopinion_desktop.ui.ops import Op, failure_sentence, is_cancel, run_op
from secondopinion_desktop.ui.widgets.form_dialog import remember_size

DIFFERS_TINT = "#fff0d0"  # pale amber behind a row that differs; the last column says "Differs" too
SAME_TINT = "#eaf4ea"
COLUMNS = ("Topic", "First opinion", "Second opinion", "Difference")


def difference_words(differs: bool | None, note: str) -> str:
    """What the Difference column says: never a tint alone."""
    head = {True: "Differs", False: "Same", None: "Cannot tell"}[differs]
    return f"{head} — {note}" if note and note != head else head


def safe_name(text: str) -> str:
    kept = "".join(ch if ch.isalnum() or ch in " -_" else " " for ch in text)
    return "-".join(kept.split())[:60] or "appointment"


class CompareDialog(QDialog):
    """The side-by-side table for one appointment, with Save as PDF… and the two letters."""

    def __init__(self, folder: DataFolder, appointment_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.appointment_id = appointment_id
        self.last_op: Op | None = None
        self.setObjectName("compareDialog")
        self.setWindowTitle("The first and the second opinion")
        self.heading = QLabel()
        self.heading.setObjectName("compareHeading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("comparisonTable")
        self.table.setAccessibleName("The first and the second opinion, topic by topic")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.footer = QLabel()
        self.footer.setObjectName("compareFooter")
        self.footer.setTextFormat(Qt.TextFormat.RichText)
        self.footer.setWordWrap(True)
        self.result_label = QLabel()
        self.result_label.setObjectName("compareResult")
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.pdf_button = QPushButton("&Save as PDF…")
        self.pdf_button.setObjectName("savePdfButton")
        self.pdf_button.setAccessibleName("Save the side-by-side comparison as a PDF")
        self.pdf_button.clicked.connect(lambda: self.save_pdf())
        self.cover_button = QPushButton("&Cover letter to my doctor…")
        self.cover_button.setObjectName("coverLetterButton")
        self.cover_button.setAccessibleName("Write a cover letter to the treating doctor")
        self.cover_button.clicked.connect(lambda: self.cover_letter())
        self.records_button = QPushButton("&Letter asking my doctor to send records…")
        self.records_button.setObjectName("recordsLetterButton")
        self.records_button.setAccessibleName("Write a letter asking the treating doctor to send records or join")
        self.records_button.clicked.connect(lambda: self.physician_letter())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setObjectName("closeButton")
        row = QHBoxLayout()
        row.addWidget(self.pdf_button)
        row.addWidget(self.cover_button)
        row.addWidget(self.records_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.footer)
        layout.addWidget(self.result_label)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self.comparison: Comparison | None = None
        self.load()
        remember_size(self, "compareDialog", 1180, 660)

    def load(self) -> None:
        try:
            self.comparison = c = compare(self.folder, self.appointment_id)
        except SecondOpinionError as exc:
            self.comparison = None
            self.heading.setText(escape(str(exc)))
            self.table.setRowCount(0)
            for button in (self.pdf_button, self.cover_button, self.records_button):
                button.setEnabled(False)
            return
        consultant = ", ".join(p for p in (c.consultant, c.institution) if p) or "the consultant"
        first = escape(c.first_by) if c.first_by else "your treating team"
        self.heading.setText(
            f"<b>First opinion:</b> {first}<br><b>Second opinion:</b> {escape(consultant)}, visit on "
            f"{c.visit_on:%Y-%m-%d}"
            + ("" if c.has_opinion else "<br><i>Nothing of the second opinion is written down yet: use Edit the "
                                         "opinion… on the Second opinion page first.</i>"))
        self.table.setRowCount(len(c.rows))
        for r, row in enumerate(c.rows):
            cells = (row.topic, row.first or "Not known", row.second or "Not said",
                     difference_words(row.differs, row.note))
            tint = DIFFERS_TINT if row.differs else SAME_TINT if row.differs is False else None
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if tint is not None:
                    item.setBackground(QBrush(QColor(tint)))
                if col == 3 and row.differs:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, col, item)
        self.table.setColumnWidth(3, self.table.fontMetrics().horizontalAdvance("Differs — Changed by") + 16)
        differences = sum(1 for row in c.rows if row.differs)
        extra = [f"<b>{differences} of {len(c.rows)} topics differ.</b>" if differences
                 else "No topic differs where both opinions say something."]
        if c.next_steps:
            extra.append(f"<b>Next steps:</b> {escape(c.next_steps)}")
        extra.append(f"<b>Written report:</b> {escape(c.report_title)}" if c.report_title
                     else "<b>Written report:</b> <i>not attached yet</i>")
        self.footer.setText("<br>".join(extra))

    # --- writing ---------------------------------------------------------------------------------------------

    def _write(self, what: str, suggested: str, writer: Callable[..., Path], name: str, label: str,
               out: Path | None) -> Op | None:
        if self.last_op is not None and not self.last_op.done:
            return None
        if out is None:
            chosen, _filter = QFileDialog.getSaveFileName(self, what, str(Path.home() / suggested), "PDF (*.pdf)")
            if not chosen:
                return None
            out = Path(chosen)
            if out.suffix.lower() != ".pdf":
                out = out.with_name(out.name + ".pdf")
        folder, appointment_id, target = self.folder, self.appointment_id, out

        def failed(exc: BaseException) -> bool:
            if is_cancel(exc):
                self.result_label.setText(f"Stopped: the {what.lower()} was not written.")
                return True
            if isinstance(exc, SecondOpinionError | OSError):
                self.result_label.setText(failure_sentence(exc))
                return True
            return False

        self.result_label.setText("")
        self.last_op = run_op(
            self, lambda control: writer(folder, appointment_id, target, progress=control.progress,
                                         cancelled=control.cancelled),
            name=name, writes=False, label=label, title=what,
            on_success=lambda written: self.result_label.setText(f"{what} saved to {written}."),
            on_failure=failed, on_done=self._update_buttons)
        self._update_buttons()
        return self.last_op

    def _update_buttons(self) -> None:
        busy = self.last_op is not None and not self.last_op.done
        for button in (self.pdf_button, self.cover_button, self.records_button):
            button.setEnabled(self.comparison is not None and not busy)

    def _stem(self) -> str:
        c = self.comparison
        return f"{c.visit_on:%Y-%m-%d}-{safe_name(c.consultant or 'consult')}" if c is not None else "consult"

    def save_pdf(self, out: Path | None = None) -> Op | None:
        return self._write("Comparison", f"Opinions-side-by-side-{self._stem()}.pdf",
                           after_consult.write_comparison_pdf, "write the comparison PDF", "Writing the PDF…", out)

    def cover_letter(self, out: Path | None = None) -> Op | None:
        return self._write("Cover letter", f"Cover-letter-{self._stem()}.pdf", after_consult.write_cover_letter,
                           "write the cover letter", "Writing the letter…", out)

    def physician_letter(self, out: Path | None = None) -> Op | None:
        return self._write("Letter", f"Letter-asking-for-records-{self._stem()}.pdf",
                           after_consult.write_physician_letter, "write the letter to the treating doctor",
                           "Writing the letter…", out)
