"""New record from file…: files become records that fill themselves in from what their text says.

    choose files → their text is read off the GUI thread (progress, Cancel) → suggestions for each file
    (``core.documents.suggest``) → the New record dialog, pre-filled, each suggested field marked → the patient
    confirms → the record and its files in one transaction (``create_records_with_files``), one undo step.

Several files make one record each, one dialog after another ("Skip this file", "Cancel the rest"): a patient
who picks the pathology report, the CT report and the lab results from a portal's downloads expects three
records; pages of one report are put together with "Add files…" in the dialog itself. Nothing is written until
the patient presses "Add record"; a file whose text cannot be read still opens the dialog, with what its name
suggests and one line that says why.

A photo can be turned and cropped in the dialog ("Rotate or crop…", ``photo_edit.py``) before it is stored; the
edited picture and the original ("… (original).jpg") are attached, or the edited one only when the patient
unticks "Keep the original too". The copies live in a private scratch folder that goes when the dialog is done.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError, ValidationError
from secondopinion_desktop.core.paths import display_name
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.jobs import JobControl
from secondopinion_desktop.ui.ops import Op, is_cancel, run_op

if TYPE_CHECKING:
    from secondopinion_desktop.ui.records.tab import RecordsTab

FILES_CHANGED = Changes.ATTACHMENTS | Changes.RECORDS
FILE_FILTER = ("Documents and photos (*.pdf *.PDF *.jpg *.jpeg *.JPG *.JPEG *.png *.PNG *.heic *.HEIC *.heif "
               "*.tif *.tiff *.TIF *.TIFF *.txt);;All files (*)")
NO_TEXT_REASON = "No text was found in it."
QUICK_PAGE_SECONDS = 5.0  # a dropped PDF's text layer: a page slower than this is left without text


@dataclass(frozen=True)
class FileHints:
    """What one file suggests: its suggestions (``core.documents.suggest.Suggestions``), and why its text could
    not be read ("" when it was), for the dialog's one line."""

    path: Path
    name: str
    suggestions: Any
    unreadable: str = ""


# --- the two core calls, kept in one place (the tests give a reader of their own here) ----------------------

def open_reader(ocr: bool = True) -> Any:
    """The document reader, as a context manager with ``read(path, media_type, *, cancelled)``: one child
    process for all the files of one step (``core.documents.reader.ProcessReader``), so a file that hangs or
    crashes a reading library cannot take the window with it. Without ``ocr`` (files dropped on the inventory,
    where the review must come quickly) only a PDF's own text is read; scans are then read in the background
    once attached, like every file."""
    from secondopinion_desktop.core.documents.reader import ProcessReader

    return ProcessReader() if ocr else ProcessReader(ocr=False, page_seconds=QUICK_PAGE_SECONDS)


def suggestions_for(folder: DataFolder, pages: Sequence[Any], file_name: str) -> Any:
    """What the pages (``PageText``) and the file's name suggest, with the folder's facilities and clinicians."""
    from secondopinion_desktop.core.documents.suggest import suggest_for

    return suggest_for(folder, list(pages), file_name=file_name)


def read_hints(folder: DataFolder, paths: Sequence[Path], control: JobControl | None = None,
               names: Sequence[str] | None = None, *, ocr: bool = True) -> list[FileHints]:
    """Read each file's text and what it suggests (run off the GUI thread). A file that cannot be read gives
    the suggestions of its name alone and its reason; a cancel stops at once (``Cancelled``)."""
    from secondopinion_desktop.core.documents.model import NO_TEXT, Unreadable
    from secondopinion_desktop.core.progress import check

    cancelled = control.cancelled if control is not None else None
    hints: list[FileHints] = []
    with open_reader(ocr) as reader:
        for number, path in enumerate(paths):
            if control is not None:
                control.progress(number, len(paths))
            check(cancelled)
            name = names[number] if names is not None else display_name(path)
            pages: list[Any] = []
            reason = ""
            try:
                result = reader.read(path, svc.guess_media_type(path), cancelled=cancelled)
            except Unreadable as exc:
                reason = exc.reason
            else:
                pages = list(result.pages)
                if result.method == NO_TEXT:
                    reason = result.reason or NO_TEXT_REASON
            check(cancelled)
            hints.append(FileHints(path, name, suggestions_for(folder, pages, name), reason))
    if control is not None:
        control.progress(len(paths), len(paths))
    return hints


def start_reading(parent: QWidget, folder: DataFolder, paths: Sequence[Path],
                  on_read: Callable[[list[FileHints]], object], *, names: Sequence[str] | None = None,
                  on_failure: Callable[[BaseException], bool | None] | None = None, ocr: bool = True) -> Op:
    """Read ``paths`` in the background with a progress dialog and Cancel; ``on_read(hints)`` on the GUI thread."""
    paths = list(paths)
    label = (f"Reading {names[0] if names else display_name(paths[0])}…" if len(paths) == 1
             else f"Reading {plural(len(paths), 'file')}…")
    return run_op(parent, lambda control: read_hints(folder, paths, control, names, ocr=ocr),
                  name="read files for a record",
                  writes=False, label=label, title="New record from file", on_success=on_read,
                  on_failure=on_failure, delay_ms=300)


def attachable(parent: QWidget, paths: Iterable[Path]) -> list[Path]:
    """The paths that can be attached; the others are named in one warning."""
    good: list[Path] = []
    problems: list[str] = []
    for path in paths:
        try:
            svc.check_attachable(path)
        except ValidationError as exc:
            problems.append(str(exc))
        else:
            good.append(path)
    if problems:
        QMessageBox.warning(parent, "Some files cannot be used",
                            "\n".join(problems) + ("\n\nThe other files will be read." if good else ""))
    return good


def choose_files(parent: QWidget, title: str = "New record from file") -> list[Path]:
    names, _ = QFileDialog.getOpenFileNames(parent, title, str(Path.home()), FILE_FILTER)
    return [Path(n) for n in names]


# --- the step, from the menu and the toolbar --------------------------------------------------------------

def new_record_from_file(tab: RecordsTab, paths: Sequence[Path] | None = None) -> Op | None:
    """New record from file…: choose files, read them, one pre-filled dialog per file."""
    folder = tab.folder
    if folder is None:
        return None
    chosen = list(paths) if paths is not None else choose_files(tab)
    good = attachable(tab, chosen)
    if not good:
        return None

    def failed(exc: BaseException) -> bool:
        if is_cancel(exc):
            tab.notify("Cancelled: no record was added.")
            return True
        return False

    op = start_reading(tab, folder, good, lambda hints: ask_each(tab, hints), on_failure=failed)
    tab.track(op)
    return op


def new_record(tab: RecordsTab, kind: Any = None, title: str = "") -> Op | None:
    """New record…: the record dialog, which takes files too ("Add files…", or dropped on it)."""
    from secondopinion_desktop.ui.records.dialogs import RecordDialog

    if tab.folder is None:
        return None
    dialog = RecordDialog(tab.folder, kind=kind, title=title, takes_files=True, parent=tab)
    accepted = dialog.exec() == RecordDialog.DialogCode.Accepted
    op = add_from_dialog(tab, dialog) if accepted else None
    dialog.discard_copies()  # (what was taken for the record is no longer the dialog's)
    dialog.deleteLater()
    return op


def ask_each(tab: RecordsTab, hints: list[FileHints]) -> None:
    """One pre-filled New record dialog per file, one after another; each accepted one is added at once."""
    from secondopinion_desktop.ui.records.dialogs import SKIPPED, RecordDialog

    folder = tab.folder
    if folder is None:
        return
    for number, hint in enumerate(hints, start=1):
        place = (number, len(hints)) if len(hints) > 1 else None
        dialog = RecordDialog(folder, hints=[hint], place=place, parent=tab)
        code = dialog.exec()
        if code == RecordDialog.DialogCode.Accepted:
            add_from_dialog(tab, dialog)
        dialog.discard_copies()
        dialog.deleteLater()
        if code not in (RecordDialog.DialogCode.Accepted, SKIPPED):
            left = len(hints) - number
            if left:
                tab.notify(f"{plural(left, 'other file')} left without a record.")
            return


def add_from_dialog(tab: RecordsTab, dialog: Any) -> Op | None:
    """Write what an accepted New record dialog holds: with files, the record and its files in one transaction
    (then one undo step, ``AddedRecordsCommand``); without, as New record does (``AddRecordCommand``)."""
    from secondopinion_desktop.ui.records.commands import AddedRecordsCommand, AddRecordCommand

    folder = tab.folder
    fields = dialog.fields()
    files = dialog.files_to_attach()
    copies = dialog.take_copies()
    if folder is None:
        remove_copies(copies)
        return None
    if not files:
        remove_copies(copies)
        tab.undo_stack.push(AddRecordCommand(tab, fields))
        return None
    values = dict(fields)
    item = svc.NewRecord(values.pop("kind"), values.pop("title"), tuple(files), values)

    def failed(exc: BaseException) -> bool:
        if is_cancel(exc):
            tab.notify("Cancelled: no record was added.")
            return True
        if isinstance(exc, SecondOpinionError):
            tab.show_error(f"{exc}\n\nNo record was added.")
            return True
        return False

    op = run_op(
        tab, lambda control: svc.create_records_with_files(folder, [item], progress=control.progress,
                                                           cancelled=control.cancelled),
        name="add a record from files", changes=FILES_CHANGED, on_failure=failed,
        on_success=lambda made: tab.undo_stack.push(AddedRecordsCommand(tab, made)),
        cleanup=lambda: remove_copies(copies),
        label=f"Adding the record with {plural(len(files), 'file')}…", title="Adding a record",
    )
    tab.track(op)
    return op


def remove_copies(folders: Iterable[Path]) -> None:
    """Remove the private folders that held edited photos (run after the record was written, or not)."""
    for place in folders:
        shutil.rmtree(place, ignore_errors=True)
