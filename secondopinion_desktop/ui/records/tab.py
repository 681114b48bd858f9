"""The Records tab: the inventory table with search and filters, the detail pane, and the record actions.

Data path: an action → one core service called with the data folder (``core.records``, its own transaction) →
the table and pane refresh those rows → ``announce`` (RECORDS, ATTACHMENTS) with this tab as initiator. The tab
watches RECORDS, ATTACHMENTS, IMAGING and DIRECTORY changes made elsewhere and reloads (at once when shown, when
next shown otherwise). Files: ``attachments.py``; the table: ``table.py``; filters: ``filters.py``; actions:
``actions.py``; the undoable steps: ``commands.py``.

The search box also finds words in the documents' text: each keystroke asks the full-text index
(``core.documents.index.matching_records``) and shows the records found either way; the list's tooltip and the
detail pane say where the words were found. Records whose documents name another patient
(``core.documents.identity.problems_by_record``) are marked in the list and the pane; both follow the
background reader (``Changes.DOCUMENT_TEXT``) and the profile.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent, QUndoStack
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QVBoxLayout, QWidget

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.ui.events import Changes, Watcher, announce, watch
from secondopinion_desktop.ui.jobs import Job
from secondopinion_desktop.ui.ops import Op
from secondopinion_desktop.ui.records.actions import RecordActions
from secondopinion_desktop.ui.records.attachments import AttachmentsController
from secondopinion_desktop.ui.records.detail import RecordDetailPane
from secondopinion_desktop.ui.records.editing import RecordEditing
from secondopinion_desktop.ui.records.filters import FilterBar
from secondopinion_desktop.ui.records.model import Column, RecordsTableModel
from secondopinion_desktop.ui.records.table import RecordsTable
from secondopinion_desktop.ui.state import restore_layout, save_layout

LAYOUT_KEY = "records"
SHOWN_ELSEWHERE = Changes.RECORDS | Changes.ATTACHMENTS | Changes.IMAGING | Changes.DIRECTORY
TEXT_SHOWN = Changes.DOCUMENT_TEXT | Changes.PROFILE  # what the search in documents and the identity marks show
MIN_TEXT_SEARCH = 2  # characters typed before the documents' text is searched
HITS_KEPT = 32  # the documents' answers kept for the texts last typed


class RecordsTab(QWidget):
    """Inventory of the patient's records. Works on a DataFolder through core services only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Records")
        self.folder: DataFolder | None = None
        self.undo_stack = QUndoStack(self)
        self.last_job: Job | None = None
        self.last_notice = ""
        self._ops: list[Op | Job] = []
        self._kept_files: set[str] = set()
        self._kept_claim = None  # the undo history's hold on those files: no repair or purge removes them meanwhile
        self._current: svc.RecordData | None = None
        self._shows = 0  # how many times a record was shown: select_record shows it once
        self._shown = False  # the actions work only while the tab is shown (see RecordActions.update)

        self.model = RecordsTableModel(self)
        self.table = RecordsTable(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(lambda _index: self.edit_record())
        self.model.countsChanged.connect(self._update_summary)
        self.model.modelReset.connect(self._update_summary)

        self.filters = FilterBar()
        self.search, self.kind_filter, self.status_filter = (
            self.filters.search, self.filters.kind_filter, self.filters.status_filter)
        self.filters.changed.connect(self._apply_filter)

        self.summary = QLabel()
        self.summary.setObjectName("recordsSummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Record counts")

        self.detail = RecordDetailPane()
        self.files = AttachmentsController(self)
        self.editing = RecordEditing(self)
        self.open_button = self.files.open_button
        self.save_copy_button = self.files.save_copy_button
        self.remove_file_button = self.files.remove_file_button
        self.detail.attachmentActivated.connect(self.files.open_attachment)
        self.detail.attachmentSelectionChanged.connect(self._update_actions)
        self.detail.filesDropped.connect(self.files.files_dropped_on_detail)
        self.detail.openAtPage.connect(self.open_at_page)
        self.model.snippet_source = self._snippet
        self._problems: dict[int, list[str]] = {}
        self._hits_kept: dict[str, dict] = {}  # type: ignore[type-arg]  # FTS5 query → matching_records' answer
        self.table.filesDropped.connect(self.files.files_dropped)

        self.actions = RecordActions(self)
        for name in ("new_action", "edit_action", "delete_action", "next_action", "attach_action", "find_action",
                     "import_imaging_action", "export_images_action", "status_menu", "status_actions",
                     "status_menu_action"):
            setattr(self, name, getattr(self.actions, name))

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.detail, 1)
        right_layout.addLayout(self.files.buttons)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("recordsSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(self.actions.toolbar())
        layout.addWidget(self.filters)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)
        self.setTabOrder(self.status_filter, self.table)

        self._restore_layout()
        self.table.setSortingEnabled(True)
        self._watcher: Watcher | None = None
        self._text_watcher: Watcher | None = None
        self._watch()
        self._update_actions()

    # --- showing -------------------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if getattr(self, "_split_pending", False):
            QTimer.singleShot(0, self, self._split_table_and_pane)  # once the layout has its final width
        self._shown = True
        self._update_actions()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        if not event.spontaneous():  # a minimized window keeps its tab; another tab hides this one
            self._shown = False
            with contextlib.suppress(RuntimeError):  # the window is being taken down: the actions are gone
                self._update_actions()

    def _update_actions(self) -> None:
        shown = getattr(self, "_shown", False)
        self.actions.update(shown=shown)
        self.files.update_buttons()

    def selected_ids(self) -> list[int]:
        """The ids of the selected records, top to bottom (the current record when none is selected)."""
        selection = self.table.selectionModel()
        rows = sorted({index.row() for index in selection.selectedRows()}) if selection is not None else []
        ids = [self.model.record_id(r) for r in rows if r < self.model.rowCount()]
        if not ids and self._current is not None and self.model.row_of(self._current.id) is not None:
            ids = [self._current.id]
        return ids

    def selected_records(self) -> list[svc.RecordData]:
        ids = self.selected_ids()
        return svc.get_records(self.folder, ids) if self.folder is not None and ids else []

    # --- data ----------------------------------------------------------------------------------------------

    def _watch(self) -> None:
        """Hear the change notice (again, after ``shutdown`` closed the folder): one watcher at most."""
        if self._watcher is None:
            self._watcher = watch(self, SHOWN_ELSEWHERE, self._changed_elsewhere, skip_own=True)
        if self._text_watcher is None:
            self._text_watcher = watch(self, TEXT_SHOWN, self._text_changed)

    def set_folder(self, folder: DataFolder) -> None:
        self._watch()  # a restore closes the folder (``shutdown``) and sets it again
        new_folder = self.folder is None or self.folder.path != folder.path
        if new_folder and self.folder is not None:
            self.filters.save(self.folder.path)
        self.folder = folder
        if new_folder:
            self.filters.blockSignals(True)
            self.filters.restore(folder.path)
            self.filters.blockSignals(False)
        self.reload()

    def reload(self) -> None:
        """Read the whole inventory again; the first row becomes the current record."""
        if self.folder is None:
            return
        self._hits_kept.clear()
        self.model.set_rows(svc.list_record_rows(self.folder))
        self._load_problems()
        self._apply_filter(keep=False)

    def _changed_elsewhere(self, _changes: Changes) -> None:
        """Another part of the window changed records, files, imaging or the directory: read the inventory
        again, keeping the record shown when it is still there."""
        if self.folder is None:
            return
        self._hits_kept.clear()
        self.model.set_rows(svc.list_record_rows(self.folder))
        self._load_problems()
        self._apply_filter()

    def _text_changed(self, changes: Changes) -> None:
        """Documents were read (or the profile changed): the words found and the identity marks may differ."""
        self._hits_kept.clear()
        if self.folder is None or changes & Changes.FOLDER:
            return  # a new folder is shown through set_folder
        self._load_problems()
        if self.filters.text().strip():
            self._apply_filter()
        elif self._current is not None:
            self._show_found(self._current.id)

    def _load_problems(self) -> None:
        """Which records' documents name someone other than the patient (the list's marks, the pane's banner)."""
        problems: dict[int, list[str]] = {}
        if self.folder is not None:
            from secondopinion_desktop.core.documents import identity

            try:
                found = identity.problems_by_record(self.folder)
            except SecondOpinionError:
                found = {}
            problems = {rid: [p.sentence for p in listed] for rid, listed in found.items() if listed}
        self._problems = problems
        self.model.set_problems(problems)

    def _text_hits(self, typed: str) -> dict:  # type: ignore[type-arg]
        """The records whose documents hold the words typed: none for an empty search or a single letter (it
        would match nearly every page; the typed fields still filter). The answers for the last few texts are
        kept until documents, files or records change, so erasing a word asks nothing again."""
        if self.folder is None or len(typed.strip()) < MIN_TEXT_SEARCH:
            return {}
        from secondopinion_desktop.core.documents import index

        query = index.fts_query(typed)
        if query is None:
            return {}
        kept = self._hits_kept.pop(query, None)
        if kept is None:
            try:
                kept = index.matching_records(self.folder, typed)
            except SecondOpinionError:
                return {}
        self._hits_kept[query] = kept  # the most recent last
        while len(self._hits_kept) > HITS_KEPT:
            self._hits_kept.pop(next(iter(self._hits_kept)))
        return kept

    def _snippet(self, hit) -> str:  # type: ignore[no-untyped-def]
        if self.folder is None:
            return ""
        from secondopinion_desktop.core.documents import index

        try:
            return index.snippet_for(self.folder, self.filters.text(), hit.sha256, hit.page)
        except SecondOpinionError:
            return ""

    def _show_found(self, record_id: int | None) -> None:
        """The pane says where the search found the words in this record's documents, and whom they name."""
        hit = self.model.text_hit(record_id) if record_id is not None else None
        self.detail.set_found(hit, self.model.snippet(record_id) if hit is not None and record_id else "")
        self.detail.set_problems(self._problems.get(record_id, []) if record_id is not None else [])

    def open_at_page(self, attachment: svc.AttachmentData, page: int) -> object:
        """Open at page N: a PDF in the app's own viewer at that page; another file in the system's viewer (it
        takes no page), with the page said in the status bar."""
        from secondopinion_desktop.ui.records.preview import open_pdf_at_page

        if self.folder is None:
            return None
        shown = open_pdf_at_page(self, self.folder, attachment, page)
        if shown is not None:
            return shown
        opened = self.files.open_attachment(attachment)
        if opened is not None:
            self.notify(f"Opened {attachment.original_name}: the words are on page {page}.")
        return opened

    def _current_changed(self, current, _previous) -> None:  # type: ignore[no-untyped-def]
        self._show(self.model.record_id(current.row()) if current.isValid() else None)

    def _show(self, record_id: int | None) -> None:
        self._shows += 1
        record = None
        if record_id is not None and self.folder is not None:
            with contextlib.suppress(SecondOpinionError):
                record = svc.get_record(self.folder, record_id)
        self._current = record
        self.detail.show_record(record, self.folder)
        self._show_found(record.id if record is not None else None)
        self._update_actions()

    def select_record(self, record_id: int) -> bool:
        row = self.model.row_of(record_id)
        if row is None:
            return False
        shown = self._shows
        self.table.selectRow(row)  # a row that becomes current is shown from here (``_current_changed``)
        self.table.scrollTo(self.model.index(row, 0))
        if self._shows == shown or self._current is None or self._current.id != record_id:
            self._show(record_id)  # read again (after an edit) even when it was the current row already
        return True

    def select_records(self, record_ids: list[int]) -> bool:
        """Select these records (those shown); the first becomes the current one. False if none is shown."""
        shown = self.model.rows_of(record_ids)
        if not shown:
            return False
        first_row, first_id = shown[0]
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for row, _record_id in shown:
            selection.select(self.model.index(row, 0), self.model.index(row, last))
        model = self.table.selectionModel()
        model.setCurrentIndex(self.model.index(first_row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
        model.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.table.scrollTo(self.model.index(first_row, 0))
        self._show(first_id)
        return True

    @property
    def current_record(self) -> svc.RecordData | None:
        return self._current

    def _apply_filter(self, keep: bool = True) -> None:
        current = self._current.id if self._current and keep else None
        typed = self.filters.text()
        self.model.set_filter(typed, self.filters.kind(), self.filters.statuses(), self._text_hits(typed))
        if current is not None and self.model.row_of(current) is not None:
            self.select_record(current)
        elif self.model.rowCount():
            self.table.selectRow(0)
            self._show(self.model.record_id(0))
        else:
            self._show(None)

    def clear_filters(self) -> None:
        self.filters.clear()

    def _update_summary(self) -> None:
        self.summary.setText(self.model.summary())

    # --- RecordsContext (used by the undo commands) and the attachments controller ------------------------

    def refresh_rows(self, record_ids: list[int], *, select: int | list[int] | None = None) -> None:
        """Read these records' rows again (added or changed); ``select`` the one (or all of a list)."""
        assert self.folder is not None
        self._hits_kept.clear()  # a file attached or removed here: the documents' answers may differ
        self.model.upsert_rows(svc.list_record_rows(self.folder, record_ids))
        if isinstance(select, list):
            if not self.select_records(select):
                self._show(self._current.id if self._current else None)
        elif select is not None and not self.select_record(select):
            self._show(self._current.id if self._current else None)
        elif select is None and self._current is not None:
            self._show(self._current.id)

    def records_changed(self, record_ids: list[int], *, select: int | list[int] | None = None,
                        changes: Changes = Changes.RECORDS) -> None:
        """These records were added or changed here: show them, and tell the rest of the window."""
        self.refresh_rows(record_ids, select=select)
        announce(changes, self)

    def records_removed(self, record_ids: list[int], *,
                        changes: Changes = Changes.RECORDS | Changes.ATTACHMENTS) -> None:
        """These records were taken away here: drop their rows, and tell the rest of the window ``changes``."""
        self._hits_kept.clear()
        self.model.remove_ids(record_ids)
        if self.model.rowCount():
            self.table.selectRow(0)
        else:
            self._show(None)
        announce(changes, self)

    def kept_files(self, digests: set[str]) -> None:
        self._kept_files |= digests
        if self.folder is not None and digests:
            if self._kept_claim is None:
                self._kept_claim = self.folder.vault.claim()
            self._kept_claim.add(digests)

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "Second Opinion", message)

    def notify(self, message: str) -> None:
        """A passing message in the window's status bar."""
        self.last_notice = message
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(message, 6000)

    def track(self, op: Op | Job | None) -> Job | None:
        """Keep a background operation of this tab (``shutdown`` cancels it); its job, for the caller."""
        if op is None:
            return None
        self._ops = [o for o in self._ops if not o.done] + [op]
        job = op.job if isinstance(op, Op) else op
        self.last_job = job
        return job

    # --- record operations (see editing.py) ---------------------------------------------------------------

    def new_record(self, kind: RecordKind | None = None, title: str = "") -> int | None:
        return self.editing.new_record(kind, title)

    def edit_record(self) -> None:
        self.editing.edit_record()

    def delete_record(self) -> None:
        self.editing.delete_record()

    def mark_requested(self, record_id: int) -> None:
        self.editing.mark_requested(record_id)

    def advance_status(self) -> None:
        self.editing.advance_status()

    def set_status_of_selected(self, status: RecordStatus) -> None:
        self.editing.set_status_of_selected(status)

    # --- files and imaging (see attachments.py and ui/imaging) -------------------------------------------

    def attach_files(self, pairs: list[tuple[int, Path]]) -> Job | None:
        return self.files.attach_files(pairs)

    def import_files(self, paths: list[Path]) -> Job | None:
        return self.files.import_files(paths)

    def open_attachment(self, attachment: svc.AttachmentData | None) -> Path | None:
        return self.files.open_attachment(attachment)

    def save_attachment_copy(self, attachment: svc.AttachmentData | None, target: Path | None = None) -> Job | None:
        return self.files.save_attachment_copy(attachment, target)

    def remove_attachment(self, attachment: svc.AttachmentData | None) -> None:
        self.files.remove_attachment(attachment)

    def import_imaging(self, root: Path | None = None):  # type: ignore[no-untyped-def]
        """Import imaging…: a CD or folder of DICOM files, previewed before anything is written."""
        from secondopinion_desktop.ui.imaging import open_import_imaging

        if self.folder is None:
            return None
        record = self._current
        record_id = record.id if record is not None and record.kind is RecordKind.IMAGING else None
        # the dialog puts a finished import into this tab's undo history, which also shows the new records
        return open_import_imaging(self, self.folder, record_id, root, undo_stack=self.undo_stack, context=self)

    def import_portal(self, path: Path | None = None, *, note: str = ""):  # type: ignore[no-untyped-def]
        """Import records from a portal…: a download (``path``, when dropped) read and previewed before anything
        is written; a finished import is one step of this tab's undo history, which also shows the new records."""
        from secondopinion_desktop.ui.records.portal_import import open_portal_import

        if self.folder is None:
            return None
        return open_portal_import(self, self.folder, path, undo_stack=self.undo_stack, context=self, note=note)

    def export_images(self, target: Path | None = None) -> Job | None:
        """Export images for the doctor…: the record's DICOM files with a DICOMDIR."""
        from secondopinion_desktop.ui.imaging import export_images

        if self.folder is None or self._current is None:
            return None
        return self.track(export_images(self, self.folder, self._current.id, target))

    # --- layout and shutdown -------------------------------------------------------------------------------

    def _restore_layout(self) -> None:
        restored = restore_layout(self, LAYOUT_KEY)
        if "header/recordsTableHeader" not in restored:
            self.table.horizontalHeader().setSortIndicator(Column.DATE, Qt.SortOrder.DescendingOrder)
        self.table.size_columns()  # widths follow the text size; the order of the columns and the sort are kept
        self._split_pending = "splitter/recordsSplitter" not in restored
        if self._split_pending:
            self.splitter.setSizes([760, 440])  # refined once the real width is known (_split_table_and_pane)

    def _split_table_and_pane(self) -> None:
        """First show without a remembered layout: the table gets what its columns need (more with large text),
        at least 60 % of the width; the detail pane the rest."""
        total = self.splitter.width() - self.splitter.handleWidth()
        if total <= 0 or not self._split_pending:
            return
        self._split_pending = False
        pane_min = max(self.splitter.widget(1).minimumSizeHint().width(), 240)
        table = min(max(self.table.room_needed(), total * 3 // 5), total - pane_min)
        self.splitter.setSizes([table, total - table])

    def save_settings(self) -> None:
        save_layout(self, LAYOUT_KEY)
        if self.folder is not None:
            self.filters.save(self.folder.path)

    def shutdown(self) -> None:
        """Save the view state, cancel this tab's background work, drop the undo history, remove files no
        record uses. (The window waits for every job once, after all tabs.)"""
        from secondopinion_desktop.ui.imaging import ImportImagingDialog
        from secondopinion_desktop.ui.records.portal_import import PortalImportDialog

        for dialog in (*self.findChildren(ImportImagingDialog), *self.findChildren(PortalImportDialog)):
            dialog.reject()  # cancels a running import
        self.save_settings()
        for op in self._ops:
            if not op.done:
                op.cancel()  # a copy still running leaves nothing behind when cancelled
        self._ops.clear()
        for watcher in (self._watcher, self._text_watcher):
            if watcher is not None:
                watcher.stop()  # a closed folder is not read again
                self.removeEventFilter(watcher)
                watcher.deleteLater()
        self._watcher = self._text_watcher = None
        self.undo_stack.clear()
        if self._kept_claim is not None:
            self._kept_claim.release()  # the history is gone: its files may go now, if nothing else uses them
            self._kept_claim = None
        if self.folder is not None and self._kept_files:
            svc.purge_unused_files(self.folder, self._kept_files)
            self._kept_files.clear()
        self.files.shutdown()
