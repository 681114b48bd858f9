"""Make letter…: the written request (or, for pathology, the material release request) as a PDF to sign.

The dialog says what the letter will lack before it is made (``letters.letter_warnings``: no mailing address
or fax, for example, leaves a line to fill by hand), lets the patient write a paragraph of their own (kept with
the request), and saves the PDF where the patient chooses, off the GUI thread (``letters.make_letter``, which
also keeps a copy with the request); Print… then prints that PDF (``ui.widgets.pdf_print``). Kept letters are
saved again from the detail pane (``save_kept_letter``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import LetterKind
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.ops import Op, run_op
from secondopinion_desktop.ui.widgets.form_dialog import remember_size, text_box
from secondopinion_desktop.ui.widgets.forms import error_label, show_error

LETTER_DIR_KEY = "requests/letterDir"  # where the next letter is saved


def letter_file_name(q: svc.RequestData, kind: LetterKind) -> str:
    words = "".join(c if c.isalnum() else "-" for c in q.facility_name.lower()).strip("-")
    words = "-".join(part for part in words.split("-") if part)[:60] or "facility"
    return f"{'release' if kind is LetterKind.RELEASE else 'request'}-{words}.pdf"


def choose_pdf(parent: QWidget, title: str, name: str) -> Path | None:
    """Ask where to save a PDF (starting where the last letter went); None when the person cancels."""
    start = Path(str(QSettings().value(LETTER_DIR_KEY, "") or Path.home()))
    if not start.is_dir():
        start = Path.home()
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(start / name), "PDF files (*.pdf)")
    if not chosen:
        return None
    target = Path(chosen)
    return target if target.suffix.lower() == ".pdf" else target.with_name(target.name + ".pdf")


def save_kept_letter(parent: QWidget, folder: DataFolder, q: svc.RequestData, letter: svc.LetterData) -> Path | None:
    """Save a copy of a letter kept with the request where the person chooses; raises the core's refusal."""
    from secondopinion_desktop.core.fsutil import write_atomically
    from secondopinion_desktop.core.outputs import check_output

    target = choose_pdf(parent, "Save the kept letter as PDF", letter_file_name(q, letter.kind))
    if target is None:
        return None
    out = check_output(target, folder.path, what="the letter", example=target.name)
    write_atomically(out, svc.letter_pdf(folder, letter.id))
    QSettings().setValue(LETTER_DIR_KEY, str(out.parent))
    return out


class LetterDialog(QDialog):
    """Choose the letter, read what it will lack, add a paragraph, save it as PDF."""

    def __init__(self, folder: DataFolder, q: svc.RequestData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.request = q
        self.job: Op | None = None
        self.saved_to: Path | None = None
        self.setObjectName("letterDialog")
        self.setWindowTitle(f"Make letter — {q.facility_name}")
        self.error_label = error_label()
        self.request_radio = QRadioButton("&Records request letter (to the records department)")
        self.request_radio.setObjectName("requestLetterRadio")
        self.release_radio = QRadioButton("Pathology material &release request (to the lab: slides and blocks)")
        self.release_radio.setObjectName("releaseLetterRadio")
        self.release_radio.setEnabled(q.asks_for_pathology)
        if not q.asks_for_pathology:
            self.release_radio.setToolTip("Only for a request that asks for a pathology record")
        group = QButtonGroup(self)
        group.addButton(self.request_radio)
        group.addButton(self.release_radio)
        self.request_radio.setChecked(True)
        self.request_radio.toggled.connect(lambda _on: self._show_warnings())
        self.warnings_label = QLabel()
        self.warnings_label.setObjectName("letterWarnings")
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setAccessibleName("What the letter will lack")
        self.warnings_label.setStyleSheet("QLabel#letterWarnings { color: #6b4e00; background: #fff3cd;"
                                          " border: 1px solid #e6c66b; border-radius: 4px; padding: 6px; }")
        paragraph_label = QLabel("Your &paragraph (printed before your signature; kept with the request):")
        paragraph_label.setWordWrap(True)
        self.paragraph_edit = text_box(5, "For example: “I am seeking a second opinion at … on …; please send the "
                                          "records before then.”")
        self.paragraph_edit.setObjectName("letterParagraphEdit")
        self.paragraph_edit.setAccessibleName("Your paragraph")
        self.paragraph_edit.setPlainText(q.extra_paragraph)
        paragraph_label.setBuddy(self.paragraph_edit)
        note = QLabel("The letter states the facts of your request and cites your right of access to your own "
                      "health information (45 CFR 164.524). Sign and date it before you send it.")
        note.setWordWrap(True)
        self.status_label = QLabel()
        self.status_label.setObjectName("letterStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = QPushButton("&Save as PDF…")
        self.save_button.setObjectName("saveLetterButton")
        self.save_button.setAccessibleName("Save the letter as PDF")
        self.save_button.setDefault(True)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(lambda: self.save_pdf())
        self.print_button = QPushButton("Pr&int…")
        self.print_button.setObjectName("printLetterButton")
        self.print_button.setAccessibleName("Print the letter saved")
        self.print_button.setToolTip("Prints the letter once it is saved as PDF")
        self.print_button.setEnabled(False)
        self.buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.clicked.connect(lambda: self.print_letter())
        self._printer = None
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.error_label, self.request_radio, self.release_radio, self.warnings_label,
                       paragraph_label, self.paragraph_edit, note, self.status_label):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._show_warnings()
        remember_size(self, "requestLetter", 620, 460)
        self.request_radio.setFocus()

    def kind(self) -> LetterKind:
        return LetterKind.RELEASE if self.release_radio.isChecked() else LetterKind.REQUEST

    def _show_warnings(self) -> None:
        from secondopinion_desktop.core import letters

        try:
            warnings = letters.letter_warnings(self.folder, self.request.id, self.kind())
        except SecondOpinionError as exc:
            warnings = (str(exc),)
        self.warnings_label.setText("\n".join(f"• {w}" for w in warnings))
        self.warnings_label.setVisible(bool(warnings))

    def _keep_paragraph(self) -> bool:
        text = self.paragraph_edit.toPlainText()
        if text == self.request.extra_paragraph:
            return True
        try:
            self.request = svc.update_request(self.folder, self.request.id, extra_paragraph=text)
        except SecondOpinionError as exc:
            show_error(self.error_label, str(exc))
            self.paragraph_edit.setFocus()
            return False
        announce(Changes.REQUESTS, self)
        return True

    def save_pdf(self) -> Op | None:
        """Keep the paragraph, ask where, and make the letter off the GUI thread."""
        from secondopinion_desktop.core import letters
        from secondopinion_desktop.core.outputs import check_output

        if self.job is not None and not self.job.done:
            return None
        if not self._keep_paragraph():
            return None
        kind = self.kind()
        target = choose_pdf(self, "Save the letter as PDF", letter_file_name(self.request, kind))
        if target is None:
            return None
        try:
            out = check_output(target, self.folder.path, what="the letter", example=target.name)
        except SecondOpinionError as exc:
            show_error(self.error_label, str(exc))
            return None
        QSettings().setValue(LETTER_DIR_KEY, str(out.parent))
        folder, request_id = self.folder, self.request.id
        self.save_button.setEnabled(False)
        self.job = run_op(
            self, lambda control: letters.make_letter(folder, request_id, kind, out, cancelled=control.cancelled),
            name="make request letter", changes=Changes.REQUESTS, label="Making the letter…",
            title="Make letter", on_success=lambda result: self._made(out, result), on_done=self._done,
        )
        return self.job

    def _made(self, out: Path, result: object) -> None:
        self.saved_to = out
        pages = getattr(result, "pages", 1)
        warnings = getattr(result, "warnings", ())
        text = f"Saved {plural(pages, 'page')} to {out}. A copy is kept with the request."
        if warnings:
            text += " Fill in by hand: " + " ".join(warnings)
        self.status_label.setText(text)

    def _done(self) -> None:
        self.save_button.setEnabled(True)
        self.print_button.setEnabled(self.saved_to is not None)

    def print_letter(self) -> Op | None:
        """Print the letter just saved (the PDF as it was kept), off the GUI thread."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        from secondopinion_desktop.ui.widgets.pdf_print import print_pdf

        saved = self.saved_to
        if saved is None or (self.job is not None and not self.job.done):
            return None
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return None
        self._printer = printer  # painted on by the job: kept until it is done

        def work(control) -> int:  # type: ignore[no-untyped-def]
            def step(i: int, count: int) -> bool:
                control.progress(i, count)
                return not control.cancelled()

            return print_pdf(saved, printer, step)

        self.print_button.setEnabled(False)
        self.save_button.setEnabled(False)
        self.job = run_op(self, work, name="print request letter", writes=False, label="Printing…",
                          title="Printing", on_success=lambda pages: self.status_label.setText(
                              f"Sent {plural(pages, 'page')} to the printer."), on_done=self._done)
        return self.job

    def reject(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
        super().reject()
