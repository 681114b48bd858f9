"""Undo and redo of an imaging import, as one step of the records tab's history (Ctrl+Z / Ctrl+Shift+Z).

The import itself runs in the background before the command exists; the command is pushed once it succeeded, so
its first ``redo`` only shows the new records. ``undo`` takes the whole import away (``removal.remove_import``)
and keeps its vault files while the history may bring it back; the records tab purges them when the history ends.
Both announce what they changed (``ui.events``), so every view showing records, files or imaging reloads.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from secondopinion_desktop.core.imaging.importer import ImportResult
from secondopinion_desktop.core.imaging.removal import RemovedImport, remove_import, restore_import
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.records.commands import RecordCommand, RecordsContext


def import_title(result: ImportResult) -> str:
    """"Import imaging (6 images)": what Edit › Undo names."""
    return f"Import imaging ({plural(result.files_stored, 'image')})"


def import_changes(result: ImportResult) -> Changes:
    """What an import (or taking it away again) changes in the data folder; NONE when it stored nothing."""
    changes = Changes.NONE
    if result.files_stored or result.files_repaired:
        changes |= Changes.IMAGING
    if result.created_record_ids or result.filled or result.files_stored:
        changes |= Changes.RECORDS  # new records, filled-in fields, image counts
    if result.thumbnails or result.attachment_ids:
        changes |= Changes.ATTACHMENTS  # the series thumbnails
    return changes


class ImportImagingCommand(RecordCommand):
    def __init__(self, context: RecordsContext, result: ImportResult) -> None:
        super().__init__(context, import_title(result))
        self.result = result
        self.removed: RemovedImport | None = None
        self._pushed = False

    @property
    def applied(self) -> bool:
        """True while the import is in the data folder (pushed or redone, not undone)."""
        return self.removed is None

    def _show_added(self) -> None:
        ids = list(self.result.record_ids)
        if ids:
            self.context.refresh_rows(ids, select=ids[0])

    def redo(self) -> None:
        if not self._pushed:  # the import has just run and was announced: only show its records
            self._pushed = True
            self._show_added()
            return

        def do() -> None:
            assert self.removed is not None
            restore_import(self.context.folder, self.removed)
            self.removed = None
            self._show_added()
            self._announce()

        self._guard(do)

    def undo(self) -> None:
        def do() -> None:
            removed = remove_import(self.context.folder, self.result, keep_files=True)
            self.removed = removed
            self.context.kept_files(set(removed.digests))
            created = list(self.result.created_record_ids)
            if created:
                self.context.records_removed(created, changes=Changes.NONE)  # announced once, below
            others = [r for r in self.result.record_ids if r not in created]
            if others:
                self.context.refresh_rows(others, select=others[0])
            self._announce()

        self._guard(do)

    def _announce(self) -> None:
        """One notice for the whole step, with every kind it changed."""
        changes = import_changes(self.result)
        if self.result.created_record_ids:
            changes |= Changes.RECORDS | Changes.ATTACHMENTS  # records (and their files) went or came back
        announce(changes, self.context if isinstance(self.context, QObject) else None)
