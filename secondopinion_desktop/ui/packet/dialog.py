"""Build packet…: check, choose what goes in, build in the background (cancellable), preview, save, print.

Before the first build the right-hand side shows the pre-flight check (``core.preflight.preflight``, read off the
GUI thread): each finding is one sentence with its action button (``ui.preflight.FindingsList``); with findings
the build button says "Build the packet anyway". A button that takes the patient elsewhere (a record, the
profile, a new request) closes the dialog; one that changes the data here (mark requested) is followed by a new
check, as is any change announced while the dialog is open.

Data path: the choices come from ``core.packet.data.packet_choices(folder)``; building, saving a copy and
printing each run as an operation (``ui.ops.run_op``) with its own progress and cancel. A record whose documents
name someone other than the patient (``core.documents.identity.problems_by_record``) is marked in the list with
its sentence, and the status after a build says how many such records went in: a second-opinion center rejects
records with mismatched identity.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.readiness import Action, Finding
from secondopinion_desktop.core.words import day_month_year, plural, when_text
from secondopinion_desktop.ui.events import Changes, watch
from secondopinion_desktop.ui.ops import Op, is_cancel, run_op
from secondopinion_desktop.ui.packet.preview import PdfPreview, print_pdf
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

IDENTITY_ROLE = Qt.ItemDataRole.UserRole + 1  # a record item's identity sentences (a list, maybe empty)
BUILD_TEXT = "&Build preview"
BUILD_ANYWAY_TEXT = "&Build the packet anyway"
#: What a new check follows: any change to what the findings read.
CHECKED_CHANGES = (Changes.RECORDS | Changes.ATTACHMENTS | Changes.IMAGING | Changes.APPOINTMENTS
                   | Changes.PROFILE | Changes.TREATMENTS | Changes.HEALTH | Changes.DIRECTORY | Changes.REQUESTS
                   | Changes.SHIPMENTS | Changes.DOCUMENT_TEXT)
#: Findings whose button changes the data without leaving the dialog; every other button goes elsewhere.
STAYS = frozenset({Action.MARK_REQUESTED})


class PacketDialog(QDialog):
    """The packet for the second-opinion doctor, built from the chosen records and appointment."""

    def __init__(self, folder: DataFolder, appointment_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.setObjectName("packetDialog")
        self.setWindowTitle("Build the packet for the doctor")
        self.job: Op | None = None  # the build
        self.copy_op: Op | None = None  # Save as… (or print to a PDF file)
        self.print_op: Op | None = None
        self._closed = False
        self.result = None
        self.built_ids: frozenset[int] = frozenset()
        self.built_path: Path | None = None
        self.last_saved: Path | None = None
        from secondopinion_desktop.core.scratch import scratch_dir

        self._tmpdir = scratch_dir(folder.path, "packet-")  # private, inside the data folder; swept at start-up
        self._scratch = PrivateFolder(self._tmpdir)

        from secondopinion_desktop.core.packet.data import packet_choices

        choices = packet_choices(folder)
        appointments, rows = choices.appointments, choices.records
        from secondopinion_desktop.core.documents.identity import problems_by_record

        try:
            self.identity_problems = {rid: [p.sentence for p in found]
                                      for rid, found in problems_by_record(folder).items() if found}
        except SecondOpinionError:
            self.identity_problems = {}
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

        self.appointment_combo = QComboBox()
        self.appointment_combo.setObjectName("packetAppointment")
        self.appointment_combo.setAccessibleName("Appointment the packet is for")
        self.appointment_combo.addItem("No appointment", None)
        for a in appointments:
            who = f" — {a.clinician_name}" if a.clinician_name else ""
            self.appointment_combo.addItem(f"{when_text(a.starts_at)}{who}", a.id)
        chosen = appointment_id if appointment_id is not None else (appointments[0].id if appointments and
                                                                      appointments[0].is_upcoming() else None)
        self.appointment_combo.setCurrentIndex(max(0, self.appointment_combo.findData(chosen)))

        self.records = QTreeWidget()
        self.records.setObjectName("packetRecords")
        self.records.setAccessibleName("Records to include")
        self.records.setHeaderLabels(["Record", "Date", "Files"])
        header = self.records.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the title gives way, never the date
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        by_kind: dict[RecordKind, list] = {}
        for row in rows:
            by_kind.setdefault(row.kind, []).append(row)
        self._items: dict[int, QTreeWidgetItem] = {}
        for kind in RecordKind:
            if kind not in by_kind:
                continue
            group = QTreeWidgetItem([kind.label])
            group.setFlags(group.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate)
            group.setCheckState(0, Qt.CheckState.Checked)
            self.records.addTopLevelItem(group)
            for row in sorted(by_kind[kind], key=lambda r: (r.date_of_service is None, r.date_of_service)):
                item = QTreeWidgetItem([
                    row.title, day_month_year(row.date_of_service),
                    str(row.attachment_count or ""),
                ])
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked)
                item.setData(0, Qt.ItemDataRole.UserRole, row.id)
                item.setToolTip(0, row.title)
                sentences = self.identity_problems.get(row.id, [])
                item.setData(0, IDENTITY_ROLE, sentences)
                if sentences:
                    item.setIcon(0, warning)
                    item.setToolTip(0, "<qt>" + escape(row.title, quote=False) + "".join(
                        f"<br>⚠ {escape(s, quote=False)}" for s in sentences) + "</qt>")
                group.addChild(item)
                self._items[row.id] = item
            group.setExpanded(True)
        self.select_all = QPushButton("All")
        self.select_all.clicked.connect(lambda: self._check_all(True))
        self.select_none = QPushButton("None")
        self.select_none.clicked.connect(lambda: self._check_all(False))
        flagged = [rid for rid in self._items if rid in self.identity_problems]
        self.identity_note = QLabel()
        self.identity_note.setObjectName("packetIdentityNote")
        self.identity_note.setTextFormat(Qt.TextFormat.PlainText)
        self.identity_note.setWordWrap(True)
        self.identity_note.setStyleSheet("QLabel#packetIdentityNote { background: #FEF3C7; color: #7C2D12;"
                                         " border: 1px solid #D97706; border-radius: 4px; padding: 4px 6px; }")
        if flagged:
            first = self.identity_problems[flagged[0]][0]
            more = "" if len(flagged) == 1 else f" {len(flagged) - 1} more marked ⚠ below."
            self.identity_note.setText(
                f"⚠ {plural(len(flagged), 'record')} may not be the patient's: {first}{more} A second-opinion "
                "center rejects records with another patient's name or date of birth.")
        self.identity_note.setVisible(bool(flagged))
        self.appendix = QCheckBox("Add the attached files at the end (appendix)")
        self.appendix.setObjectName("packetAppendix")
        self.appendix.setChecked(True)
        self.thumbnails = QCheckBox("Also add imaging previews (not diagnostic)")
        self.thumbnails.setObjectName("packetThumbnails")
        self.thumbnails.setToolTip("<qt>Pictures attached to imaging records, such as a series' middle slice, are "
                                   "left out by default: a doctor reads the images themselves (DICOM), not "
                                   "previews.</qt>")
        self.thumbnails.setChecked(False)
        self.appendix.toggled.connect(self.thumbnails.setEnabled)
        self.build_button = QPushButton(BUILD_TEXT)
        self.build_button.setObjectName("buildButton")
        self.build_button.setDefault(True)
        self.build_button.clicked.connect(lambda: self.build())

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>For the appointment</b>"))
        left_layout.addWidget(self.appointment_combo)
        heading = QHBoxLayout()
        heading.addWidget(QLabel("<b>Records to include</b>"), 1)
        heading.addWidget(self.select_all)
        heading.addWidget(self.select_none)
        left_layout.addLayout(heading)
        left_layout.addWidget(self.identity_note)
        left_layout.addWidget(self.records, 1)
        left_layout.addWidget(self.appendix)
        left_layout.addWidget(self.thumbnails)
        left_layout.addWidget(self.build_button)

        self.preview = PdfPreview()
        self.status = QLabel("Choose what goes in, then build the preview.")
        self.status.setObjectName("packetStatus")
        self.status.setWordWrap(True)
        self.problems = QListWidget()
        self.problems.setObjectName("packetProblems")
        self.problems.setAccessibleName("Files left out of the packet")
        self.problems.setMaximumHeight(110)
        self.problems.hide()
        self.save_button = QPushButton("&Save as…")
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(lambda: self.save_as())  # clicked(bool) must not reach `target`
        self.print_button = QPushButton("&Print…")
        self.print_button.setObjectName("printButton")
        self.print_button.clicked.connect(lambda: self.print_packet())
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        self.check_toggle = QPushButton("What to check")
        self.check_toggle.setObjectName("packetCheckToggleButton")
        self.check_toggle.clicked.connect(lambda: self.show_check(not self.showing_check()))
        self.check_toggle.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.check_toggle)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.close_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.check_page = self._check_page()
        self.right_stack = QStackedWidget()
        self.right_stack.setObjectName("packetRightStack")
        self.right_stack.addWidget(self.check_page)
        self.right_stack.addWidget(self.preview)
        right_layout.addWidget(self.right_stack, 1)
        right_layout.addWidget(self.problems)
        right_layout.addLayout(buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([430, 750])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        fit_to_screen(self, 1180, 820, min_width=760, min_height=480)
        self._set_built(None)
        self.findings: list[Finding] | None = None  # None until the first check has come back
        self.check_op: Op | None = None
        self._check_again = False
        self._watcher = watch(self, CHECKED_CHANGES, lambda _changes: self.check())
        self.check()

    # --- the pre-flight check ----------------------------------------------------------------------------------

    def _check_page(self) -> QWidget:
        from secondopinion_desktop.ui.preflight import FindingsList

        page = QWidget()
        page.setObjectName("packetCheckPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Before you build: what to check</b>")
        self.check_intro = QLabel("Checking your records…")
        self.check_intro.setObjectName("packetCheckIntro")
        self.check_intro.setWordWrap(True)
        self.findings_list = FindingsList(page)
        self.findings_list.empty.setText("Checking…")
        self.findings_list.acted.connect(self._acted)
        self.check_again_button = QPushButton("Check &again")
        self.check_again_button.setObjectName("checkAgainButton")
        self.check_again_button.clicked.connect(lambda: self.check())
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.check_again_button)
        layout.addWidget(title)
        layout.addWidget(self.check_intro)
        layout.addWidget(self.findings_list, 1)
        layout.addLayout(row)
        return page

    def check(self) -> Op | None:
        """Run the pre-flight check off the GUI thread; the findings replace what the check page shows."""
        if self._closed:
            return None
        if self.check_op is not None and not self.check_op.done:
            self._check_again = True  # a change came while checking: once more when this one is back
            return self.check_op
        folder = self.folder

        def work(_control: object) -> list[Finding]:
            from secondopinion_desktop.core.preflight import preflight

            return preflight(folder)

        self.check_again_button.setEnabled(False)
        self.check_op = run_op(self, work, name="check the packet", writes=False, on_success=self.show_findings,
                               on_failure=self._check_failed, on_done=self._check_ended)
        return self.check_op

    def _check_ended(self) -> None:
        self.check_again_button.setEnabled(True)
        if self._check_again and not self._closed:
            self._check_again = False
            self.check()

    def show_findings(self, findings: list[Finding]) -> None:
        if self._closed:
            return
        from secondopinion_desktop.ui.preflight import READY_TEXT

        self.findings = list(findings)
        self.findings_list.empty.setText(READY_TEXT)
        self.findings_list.set_findings(self.findings)
        n = len(self.findings)
        if n:
            self.check_intro.setText(
                f"{plural(n, 'thing')} to look at before the packet goes out. Each button takes you where to fix "
                "it; or build the packet anyway.")
        else:
            self.check_intro.setText("Second Opinion found nothing to fix. The doctor may still ask for more.")
        self.build_button.setText(BUILD_ANYWAY_TEXT if n else BUILD_TEXT)
        self.check_toggle.setText(f"What to check ({n})" if n else "What to check")
        self.check_toggle.setVisible(self.built_path is not None)

    def _check_failed(self, exc: BaseException) -> bool:
        if self._closed:
            return True
        self.findings = []
        self.findings_list.empty.setText("")
        self.check_intro.setText("The check could not be finished. You can still build the packet, or try again.")
        return False

    def _acted(self, finding: Finding) -> None:
        """A finding's button asked the window for something: leave for it, unless it changes the data here."""
        if finding.action not in STAYS:
            self.reject()

    def showing_check(self) -> bool:
        return self.right_stack.currentWidget() is self.check_page

    def show_check(self, shown: bool) -> None:
        self.right_stack.setCurrentWidget(self.check_page if shown else self.preview)
        n = len(self.findings or [])
        self.check_toggle.setText("Show the preview" if shown else (f"What to check ({n})" if n else
                                                                     "What to check"))

    # --- choosing --------------------------------------------------------------------------------------------

    def _check_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for i in range(self.records.topLevelItemCount()):
            self.records.topLevelItem(i).setCheckState(0, state)

    def chosen_record_ids(self) -> frozenset[int]:
        return frozenset(rid for rid, item in self._items.items() if item.checkState(0) == Qt.CheckState.Checked)

    def set_record_checked(self, record_id: int, checked: bool) -> None:
        self._items[record_id].setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    # --- building --------------------------------------------------------------------------------------------

    def build(self) -> Op | None:
        """Build the packet into the dialog's private folder in the background; the preview shows it when done."""
        from secondopinion_desktop.core.packet import PacketOptions, build_packet

        if self.job is not None and not self.job.done:
            return self.job
        self.preview.close_document()
        options = PacketOptions(
            appointment_id=self.appointment_combo.currentData(),
            record_ids=self.chosen_record_ids(),
            include_appendix=self.appendix.isChecked(),
            include_image_thumbnails=self.appendix.isChecked() and self.thumbnails.isChecked(),
        )
        self.built_ids = options.record_ids
        out = self._tmpdir / "packet.pdf"
        folder = self.folder
        self.build_button.setEnabled(False)
        self.status.setText("Building…")
        self.job = run_op(
            self,
            lambda control: build_packet(folder, out, options,
                                         progress=lambda done, total, _what: control.progress(done, total),
                                         cancelled=control.cancelled),
            name="build packet", writes=False, label="Building the packet…", title="Building the packet",
            delay_ms=300, failure_title="Packet",
            on_success=self._built, on_failure=self._build_failed, on_done=self._build_ended,
            cleanup=self._scratch.use(),
        )
        return self.job

    def _build_ended(self) -> None:
        self.build_button.setEnabled(True)

    def _built(self, result) -> None:  # type: ignore[no-untyped-def]
        if self._closed:
            return
        self.result = result
        self._set_built(result.path)
        self.show_check(False)
        self.check_toggle.show()
        self.problems.clear()
        for problem in result.problems:
            self.problems.addItem(f"{problem.what}: {problem.reason}")
        self.problems.setVisible(bool(result.problems))
        left_out = (f" {plural(len(result.problems), 'item')} could not be included — listed below."
                    if result.problems else "")
        flagged = [rid for rid in self.built_ids if rid in self.identity_problems]
        check = (f" Check before sending: {plural(len(flagged), 'record')} in it may not be the patient's (⚠)."
                 if flagged else "")
        self.status.setText(f"{plural(result.pages, 'page')}, "
                            f"{plural(result.included_files, 'attached file')} included.{left_out}{check}")

    def _build_failed(self, exc: BaseException) -> bool:
        self._set_built(None)
        if is_cancel(exc):
            self.status.setText("Cancelled. Nothing was written.")
            return True
        if isinstance(exc, SecondOpinionError | OSError):
            self.status.setText("The packet could not be built.")
            if self._closed:
                return True
            if isinstance(exc, OSError):
                QMessageBox.warning(self, "Packet", f"The packet could not be built: {exc.strerror or exc}.")
                return True
        return False  # a SecondOpinionError: its sentence in a warning; anything else: the crash dialog

    def _set_built(self, path: Path | None) -> None:
        self.built_path = path
        self.save_button.setEnabled(path is not None)
        self.print_button.setEnabled(path is not None)
        self.preview.load(path)

    # --- saving and printing ---------------------------------------------------------------------------------

    def default_name(self) -> str:
        from secondopinion_desktop.core.people import file_name_part, person_name

        return f"second-opinion-packet-{file_name_part(person_name(self.folder)) or 'patient'}.pdf"

    def save_as(self, target: Path | None = None) -> Op | None:
        """Save the built packet: to ``target``, or where the user picks in a file dialog. Returns the copying
        operation (None when nothing is saved); ``last_saved`` is the file once it is done."""
        if self.built_path is None:
            return None
        if target is None:
            from secondopinion_desktop.ui.widgets.forms import export_title

            chosen, _ = QFileDialog.getSaveFileName(
                self, export_title("Save the packet", self.folder), str(Path.home() / self.default_name()),
                "PDF files (*.pdf)"
            )
            if not chosen:
                return None
            target = Path(chosen)
            if not target.suffix:
                target = target.with_suffix(".pdf")
        return self._copy_built(target)

    def _copy_built(self, target: Path) -> Op | None:
        """Copy the built PDF to ``target`` in the background: whole or not at all, private to this user."""
        from secondopinion_desktop.core.outputs import check_output
        from secondopinion_desktop.core.packet.build import save_copy

        assert self.built_path is not None
        try:  # never over the database, a stored file or a device
            target = check_output(target, self.folder.path, what="the packet")
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Packet", str(exc))
            return None
        built = self.built_path

        def saved(path: Path) -> None:
            self.last_saved = path
            self.status.setText(f"Saved to {path}.")

        self.copy_op = run_op(
            self, lambda control: save_copy(built, target, progress=control.progress, cancelled=control.cancelled),
            name="save packet", writes=False, label=f"Saving the packet to {target.name}…", title="Saving the packet",
            failure_title="Packet", on_success=saved, cleanup=self._scratch.use(),
        )
        return self.copy_op

    def print_packet(self) -> Op | None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if self.built_path is None:
            return None
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return None
        if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and printer.outputFileName():
            # "Print to file" as PDF: the packet already is one — copy it (seconds, not a minute of page images).
            return self._copy_built(Path(printer.outputFileName()))
        built = self.built_path
        self._printer = printer  # painted on by the job: kept until it is done

        def work(control) -> int:  # type: ignore[no-untyped-def]
            def step(i: int, count: int) -> bool:
                control.progress(i, count)
                return not control.cancelled()

            return print_pdf(built, printer, step)

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, OSError):
                QMessageBox.warning(self, "Packet", f"Printing failed: {exc}")
                return True
            return False

        self.print_op = run_op(self, work, name="print packet", writes=False, label="Printing…", title="Printing",
                               failure_title="Packet", on_failure=failed, cleanup=self._scratch.use())
        return self.print_op

    def done(self, code: int) -> None:
        """Close: building, saving and printing still running are cancelled; the private copy goes once every
        one of them has stopped (without waiting here: each operation's clean-up tells ``PrivateFolder``)."""
        self._closed = True
        for op in (self.job, self.copy_op, self.print_op, self.check_op):
            if op is not None and not op.done:
                op.cancel()
        self.preview.close_document()
        self._scratch.close()
        super().done(code)


class PrivateFolder:
    """The dialog's private folder (the built packet.pdf): removed once the dialog is closed and no operation
    still reads or writes it. Holds only the path — the operations' clean-ups call it even after the dialog is
    deleted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.users = 0
        self.closed = False

    def use(self) -> Callable[[], None]:
        """One more operation uses the folder; the returned function says it has stopped (call it once)."""
        self.users += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.users -= 1
                self._remove_if_unused()

        return release

    def close(self) -> None:
        self.closed = True
        self._remove_if_unused()

    def _remove_if_unused(self) -> None:
        if self.closed and self.users == 0:
            shutil.rmtree(self.path, ignore_errors=True)
