"""Adding, editing and deleting records and moving them along the status workflow, each one undoable step of
the tab's history (``commands.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.models import RecordKind, RecordStatus
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.records.commands import (
    AddRecordCommand,
    DeleteRecordsCommand,
    EditRecordCommand,
    StatusCommand,
)

if TYPE_CHECKING:
    from secondopinion_desktop.ui.records.tab import RecordsTab


class RecordEditing(QObject):
    """The record actions of the Records tab."""

    def __init__(self, tab: RecordsTab) -> None:
        super().__init__(tab)
        self.tab = tab

    def new_record(self, kind: RecordKind | None = None, title: str = "") -> int | None:
        from secondopinion_desktop.ui.records.dialogs import RecordDialog

        if self.tab.folder is None:
            return None
        dialog = RecordDialog(self.tab.folder, kind=kind, title=title, takes_files=True, parent=self.tab)
        accepted = dialog.exec() == RecordDialog.DialogCode.Accepted
        fields = dialog.fields()
        if accepted and dialog.files_to_attach():  # the record comes with files: added with them, in one step
            from secondopinion_desktop.ui.records.from_file import add_from_dialog

            add_from_dialog(self.tab, dialog)
            dialog.discard_copies()
            dialog.deleteLater()
            return None
        dialog.discard_copies()
        dialog.deleteLater()
        if not accepted:
            return None
        command = AddRecordCommand(self.tab, fields)
        self.tab.undo_stack.push(command)
        return command.record_id

    def edit_record(self) -> None:
        from secondopinion_desktop.ui.records.dialogs import RecordDialog

        if self.tab.folder is None or self.tab.current_record is None:
            return
        before = self.tab.current_record
        dialog = RecordDialog(self.tab.folder, before, parent=self.tab)
        accepted = dialog.exec() == RecordDialog.DialogCode.Accepted
        changes = dialog.fields()
        dialog.deleteLater()
        if not accepted:
            return
        old = svc.record_fields(before)
        if all(old.get(k) == v for k, v in changes.items() if k in old) and not set(changes) - set(old):
            return  # nothing changed: no history entry
        self.tab.undo_stack.push(EditRecordCommand(self.tab, before, changes))

    def delete_record(self) -> None:
        """Delete the selected records after one question; one undo step brings them all back."""
        chosen = self.tab.selected_records()
        if self.tab.folder is None or not chosen:
            return
        files = sum(len(r.attachments) for r in chosen)
        images = svc.count_images(self.tab.folder, (r.id for r in chosen))
        if files or images:
            held = " and ".join(part for part in (
                plural(files, "attached file") if files else "", plural(images, "imported image") if images else "",
            ) if part)
            detail = (
                f"{held} will be removed from "
                f"{'the record' if len(chosen) == 1 else 'these records'}; files no other record uses leave the "
                "data folder when you close Second Opinion."
            )
        else:
            detail = "It has no attached files." if len(chosen) == 1 else "They have no attached files."
        if len(chosen) == 1:
            record = chosen[0]
            what = f"Delete “{record.title}” ({record.kind.label}, {record.status.label.lower()})?"
        else:
            names = "\n".join(f"  • {r.title}" for r in chosen[:8])
            more = f"\n  … and {len(chosen) - 8} more" if len(chosen) > 8 else ""
            what = f"Delete {plural(len(chosen), 'record')}?\n\n{names}{more}"
        answer = QMessageBox.question(
            self.tab, "Delete records" if len(chosen) > 1 else "Delete record",
            f"{what}\n\n{detail}\n\nYou can undo this with Ctrl+Z until you close the window.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.tab.undo_stack.push(DeleteRecordsCommand(self.tab, chosen))

    def mark_requested(self, record_id: int) -> None:
        """Move a needed record to requested (dated today), as an undoable step."""
        if self.tab.folder is None:
            return
        record = svc.get_record(self.tab.folder, record_id)
        if record.status is RecordStatus.NEEDED:
            self.tab.undo_stack.push(StatusCommand(self.tab, [(record, RecordStatus.REQUESTED)]))

    def advance_status(self) -> None:
        """Move every selected record one step along the workflow (those already sent stay)."""
        chosen = self.tab.selected_records()
        if not chosen:
            return
        moves = [(r, svc.next_status(r.status)) for r in chosen]
        moves = [(r, following) for r, following in moves if following is not None]
        if not moves:
            self.tab.show_error(
                "This record has already been sent to the second-opinion doctor." if len(chosen) == 1
                else "These records have already been sent to the second-opinion doctor."
            )
            return
        self.tab.undo_stack.push(StatusCommand(self.tab, moves))

    def set_status_of_selected(self, status: RecordStatus) -> None:
        """Give every selected record ``status`` (each new step dated today), as one undoable step."""
        moves = [(r, status) for r in self.tab.selected_records() if r.status is not status]
        if moves:
            self.tab.undo_stack.push(StatusCommand(self.tab, moves))

