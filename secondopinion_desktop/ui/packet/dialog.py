"""Build packet…: choose what goes in, build in the background (cancellable), preview, save, print."""

from __future__ import annotations

import contextlib
import os
import shutil
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
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.jobs import Job, start_job
from secondopinion_desktop.ui.widgets.screen import fit_to_screen
from secondopinion_desktop.ui.packet.preview import PdfPreview, print_pdf


class PacketDialog(QDialog):
    """The packet for the second-opinion doctor, built from the chosen records and appointment."""

    def __init__(self, folder: DataFolder, appointment_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.setObjectName("packetDialog")
        self.setWindowTitle("Build the packet for the doctor")
        self.job: Job | None = None
        self.result = None
        self.built_path: Path | None = None
        self.last_saved: Path | None = None
        from secondopinion_desktop.core.scratch import scratch_dir

        self._tmpdir = scratch_dir(folder.path, "packet-")  # private, inside the data folder; swept at start-up

        from secondopinion_desktop.core.appointments import list_appointments
        from secondopinion_desktop.core.records import list_record_rows

        with folder.session() as session:
            appointments = list_appointments(session)
            rows = list_record_rows(session)

        self.appointment_combo = QComboBox()
        self.appointment_combo.setObjectName("packetAppointment")
        self.appointment_combo.setAccessibleName("Appointment the packet is for")
        self.appointment_combo.addItem("No appointment", None)
        for a in appointments:
            who = f" — {a.clinician_name}" if a.clinician_name else ""
            self.appointment_combo.addItem(f"{a.starts_at:%Y-%m-%d %H:%M}{who}", a.id)
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
            for row in sorted(by_kind[kind], key=lambda r: (r.date_of_service is None, r.date_of_service), reverse=False):
                item = QTreeWidgetItem([
                    row.title, row.date_of_service.isoformat() if row.date_of_service else "—",
                    str(row.attachment_count or ""),
                ])
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked)
                item.setData(0, Qt.ItemDataRole.UserRole, row.id)
                item.setToolTip(0, row.title)
                group.addChild(item)
                self._items[row.id] = item
            group.setExpanded(True)
        self.select_all = QPushButton("All")
        self.select_all.clicked.connect(lambda: self._check_all(True))
        self.select_none = QPushButton("None")
        self.select_none.clicked.connect(lambda: self._check_all(False))
        self.appendix = QCheckBox("Add the attached files at the end (appendix)")
        self.appendix.setObjectName("packetAppendix")
        self.appendix.setChecked(True)
        self.build_button = QPushButton("&Build preview")
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
        left_layout.addWidget(self.records, 1)
        left_layout.addWidget(self.appendix)
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
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.close_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.preview, 1)
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

    def build(self) -> Job | None:
        from secondopinion_desktop.core.progress import Cancelled
        from secondopinion_desktop.core.packet import PacketOptions, build_packet

        if self.job is not None and not self.job.done:
            return self.job
        self.preview.close_document()
        options = PacketOptions(
            appointment_id=self.appointment_combo.currentData(),
            record_ids=self.chosen_record_ids(),
            include_appendix=self.appendix.isChecked(),
        )
        out = self._tmpdir / "packet.pdf"
        folder = self.folder
        progress = QProgressDialog("Building the packet…", "Cancel", 0, 1000, self)
        progress.setWindowTitle("Building the packet")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setAutoReset(False)
        progress.setValue(0)

        def work(control):  # type: ignore[no-untyped-def]
            return build_packet(
                folder, out, options,
                progress=lambda done, total, what: control.progress(done * 1000 // max(total, 1), 1000),
                cancelled=control.cancelled,
            )

        def finished() -> None:
            progress.reset()
            progress.deleteLater()
            self.build_button.setEnabled(True)

        def succeeded(result) -> None:  # type: ignore[no-untyped-def]
            finished()
            self.result = result
            self._set_built(result.path)
            self.problems.clear()
            for problem in result.problems:
                self.problems.addItem(f"{problem.what}: {problem.reason}")
            self.problems.setVisible(bool(result.problems))
            left_out = (f" {plural(len(result.problems), 'item')} could not be included — listed below."
                        if result.problems else "")
            self.status.setText(f"{plural(result.pages, 'page')}, "
                                f"{plural(result.included_files, 'attached file')} included.{left_out}")

        def failed(exc: BaseException) -> None:
            finished()
            self._set_built(None)
            if isinstance(exc, Cancelled):
                self.status.setText("Cancelled. Nothing was written.")
            elif isinstance(exc, SecondOpinionError | OSError):
                self.status.setText("The packet could not be built.")
                QMessageBox.warning(self, "Packet", str(exc))
            else:
                raise exc

        self.build_button.setEnabled(False)
        self.status.setText("Building…")
        self.job = start_job(work, succeeded, failed, lambda d, t: progress.setValue(int(d)))
        progress.canceled.connect(self.job.cancel)
        return self.job

    def _set_built(self, path: Path | None) -> None:
        self.built_path = path
        self.save_button.setEnabled(path is not None)
        self.print_button.setEnabled(path is not None)
        self.preview.load(path)

    # --- saving and printing ---------------------------------------------------------------------------------

    def default_name(self) -> str:
        from secondopinion_desktop.core.people import file_name_part, person_name

        return f"second-opinion-packet-{file_name_part(person_name(self.folder)) or 'patient'}.pdf"

    def save_as(self, target: Path | None = None) -> Path | None:
        """Save the built packet: to ``target``, or where the user picks in a file dialog."""
        if self.built_path is None:
            return None
        if target is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Save the packet", str(Path.home() / self.default_name()), "PDF files (*.pdf)"
            )
            if not chosen:
                return None
            target = Path(chosen)
            if not target.suffix:
                target = target.with_suffix(".pdf")
        return self._copy_built(target)

    def _copy_built(self, target: Path) -> Path | None:
        """The built PDF copied to ``target``: temp → fsync → rename, private to this user."""
        from secondopinion_desktop.core.outputs import check_output

        assert self.built_path is not None
        try:  # never over the database, a stored file or a device
            target = check_output(target, self.folder.path, what="the packet")
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Packet", str(exc))
            return None
        tmp = target.with_name(f".{target.name}.part")
        try:
            shutil.copyfile(self.built_path, tmp)
            os.chmod(tmp, 0o600)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            QMessageBox.warning(self, "Packet", f"Cannot save the packet to {target}: {exc.strerror or exc}.")
            return None
        self.last_saved = target
        self.status.setText(f"Saved to {target}.")
        return target

    def print_packet(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if self.built_path is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return
        if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and printer.outputFileName():
            # "Print to file" as PDF: the packet already is one — copy it (seconds, not a minute of page images).
            self._copy_built(Path(printer.outputFileName()))
            return
        progress = QProgressDialog("Printing…", "Cancel", 0, 100, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)

        def step(i: int, count: int) -> bool:
            progress.setMaximum(count)
            progress.setValue(i)
            return not progress.wasCanceled()

        try:
            print_pdf(self.built_path, printer, step)
        except OSError as exc:
            QMessageBox.warning(self, "Packet", f"Printing failed: {exc}")
        finally:
            progress.reset()

    def done(self, code: int) -> None:  # noqa: D401 - Qt override: clean up the private copy
        if self.job is not None and not self.job.done:
            self.job.cancel()
            from PySide6.QtCore import QThreadPool

            QThreadPool.globalInstance().waitForDone(30_000)
        self.preview.close_document()
        shutil.rmtree(self._tmpdir, ignore_errors=True)
        super().done(code)
