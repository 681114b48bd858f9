"""Export images for the doctor…: one imaging record's study written to a folder the doctor's viewer opens (the
DICOM files plus a DICOMDIR), off the GUI thread through ``ui.ops.run_op``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.ui.ops import Op, is_cancel, is_user_error, run_op, show_failure

HOME = Path.home()
TITLE = "Export images"


def _is_empty_dir(path: Path) -> bool:
    try:
        return path.is_dir() and not any(path.iterdir())
    except OSError:
        return False


def _fresh_subfolder(parent_dir: Path, stem: str) -> Path:
    candidate = parent_dir / stem
    number = 2
    while candidate.exists():
        candidate = parent_dir / f"{stem} ({number})"
        number += 1
    return candidate


def export_images(
    parent: QWidget | None, folder: DataFolder, record_id: int, target: Path | str | None = None,
) -> Op | None:
    """Write the record's images (with a DICOMDIR) into an empty or new folder.

    With ``target`` None the user chooses the folder. A folder that already holds files gets a new, empty
    sub-folder so nothing of the user's is overwritten. The result is reported in a message box. Returns the
    running operation (``out_dir`` says where it writes), or None when nothing was started.
    """
    from secondopinion_desktop.core.imaging.export import export_study
    from secondopinion_desktop.core.outputs import check_output

    if target is None:
        chosen = QFileDialog.getExistingDirectory(
            parent, "Choose an empty folder (or a USB stick) for the doctor's copy of the images", str(HOME)
        )
        if not chosen:
            return None
        target = Path(chosen)
    try:  # never into the data folder (over the database or a stored file), never onto a device
        out_dir = check_output(target, folder.path, what="the images", folder=True)
    except SecondOpinionError as exc:
        show_failure(parent, exc, title=TITLE, name="export images")
        return None
    if out_dir.exists() and not _is_empty_dir(out_dir):
        out_dir = _fresh_subfolder(out_dir, f"Images for the doctor {record_id}")

    def failed(exc: BaseException) -> bool:
        if is_cancel(exc) or not is_user_error(exc) and not isinstance(exc, OSError):
            return False  # the default display: a status line, or the crash dialog
        show_failure(parent, SecondOpinionError(f"The images could not be exported: {exc}"), title=TITLE,
                     name="export images")
        return True

    # only reads the data folder (writes=False); Cancel leaves nothing at the target (the core's Cancelled)
    op = run_op(parent, lambda control: export_study(folder, record_id, out_dir, progress=control.progress,
                                                     cancelled=control.cancelled),
                name="export images", on_success=lambda path: _done(parent, Path(path) if path else out_dir),
                on_failure=failed, writes=False, label="Writing the images for the doctor…", title=TITLE)
    op.out_dir = out_dir  # type: ignore[attr-defined]  # where it goes, for the caller and tests
    return op


def _done(parent: QWidget | None, where: Path) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, TITLE,
                      f"The images were written to:\n{where}\n\nGive this folder (or the USB stick) to the "
                      "doctor; their viewer opens it through the DICOMDIR file.",
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("exportDoneBox")
    show = box.addButton("Show folder", QMessageBox.ButtonRole.ActionRole)
    show.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(where))))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open_boxes.add(box)  # without a parent nothing else keeps it alive
    box.finished.connect(lambda _code: _open_boxes.discard(box))
    box.open()
    notify: Any = getattr(parent, "notify", None)
    if callable(notify):
        notify(f"Images exported to {where}.")


_open_boxes: set[QMessageBox] = set()
