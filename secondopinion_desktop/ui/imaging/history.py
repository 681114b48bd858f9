"""What became of a finished import: its step in the window's undo history, and "Remove this import".

With the records tab's undo stack the import is pushed as one ``ImportImagingCommand``; "Remove this import" is
then the same as Undo (only while the import is the last step). Without a history (the dialog opened on its own),
removing takes the files away too, since nothing could bring them back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from shiboken6 import isValid

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.ui.events import announce
from secondopinion_desktop.ui.imaging.undo import import_changes

if TYPE_CHECKING:
    from secondopinion_desktop.core.imaging.importer import ImportResult
    from secondopinion_desktop.ui.imaging.undo import ImportImagingCommand
    from secondopinion_desktop.ui.records.commands import RecordsContext


class ImportHistory(QObject):
    """Follows one import after it ran; ``moved`` is emitted whenever it was taken away or brought back."""

    moved = Signal()

    def __init__(self, folder: DataFolder, undo_stack: QUndoStack | None, context: RecordsContext | None,
                 parent: QObject) -> None:
        super().__init__(parent)
        self.folder = folder
        self.undo_stack = undo_stack if context is not None else None
        self.context = context
        self.result: ImportResult | None = None
        self.command: ImportImagingCommand | None = None
        self.removed_without_history = False

    def remember(self, result: ImportResult) -> None:
        """Put the import into the window's undo history (its first redo only shows the new records)."""
        self.result = result
        if not result.files_stored:
            return
        if self.undo_stack is not None and self.context is not None:
            from secondopinion_desktop.ui.imaging.undo import ImportImagingCommand

            self.command = ImportImagingCommand(self.context, result)
            self.undo_stack.push(self.command)
            self.undo_stack.indexChanged.connect(self._stack_moved)

    def _stack_moved(self, _index: int) -> None:
        self.moved.emit()

    def _command_alive(self) -> bool:
        return self.command is not None and isValid(self.command) and not self.command.isObsolete()

    def can_redo(self) -> bool:
        """The import was taken away by a step the window's Redo can bring back."""
        return self._command_alive()

    def applied(self) -> bool:
        """The import is in the data folder now."""
        if self.result is None or not self.result.files_stored:
            return False
        if self.command is None:
            return not self.removed_without_history
        return self._command_alive() and self.command.applied

    def can_remove(self) -> bool:
        return self.applied() and (self.command is None or self._on_top())

    def _on_top(self) -> bool:
        stack = self.undo_stack
        return (stack is not None and self._command_alive() and stack.index() > 0
                and stack.command(stack.index() - 1) is self.command)

    def remove(self) -> None:
        """Take the import away: Undo when it is in the history, else at once with its files. Raises a
        ``SecondOpinionError`` (nothing changed) when it cannot be removed."""
        from secondopinion_desktop.core.imaging.removal import remove_import

        if not self.applied() or self.result is None:
            return
        if self.command is not None:
            if self._on_top():
                assert self.undo_stack is not None
                self.undo_stack.undo()  # the command announces the change
            return
        remove_import(self.folder, self.result, keep_files=False)
        self.removed_without_history = True
        announce(import_changes(self.result), self.parent())
        self.moved.emit()
