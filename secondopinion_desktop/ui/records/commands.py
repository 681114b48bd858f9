"""Undoable record operations (QUndoCommand): add, edit, delete and status change.

Each command calls core services and then tells its ``RecordsContext`` which records changed, so the table and
detail pane follow. Deleted records keep their vault files while the deletion can be undone; the context purges
them when the history is dropped (see ``RecordsContext.forget_files``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from PySide6.QtCore import QTimer
from PySide6.QtGui import QUndoCommand, QUndoStack

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import RecordStatus
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import Changes

RESTORED = Changes.RECORDS | Changes.ATTACHMENTS  # records brought back come with their files


class RecordsContext(Protocol):
    folder: DataFolder
    undo_stack: QUndoStack

    def records_changed(self, record_ids: list[int], *, select: int | list[int] | None = None,
                        changes: Changes = ...) -> None:
        """Show these records again and announce ``changes`` (RECORDS unless told)."""

    def refresh_rows(self, record_ids: list[int], *, select: int | list[int] | None = None) -> None:
        """Show these records again, announcing nothing (the caller announces once for the whole step)."""

    def records_removed(self, record_ids: list[int], *, changes: Changes = ...) -> None:
        """Take these records out of the view and announce ``changes`` (nothing for ``Changes.NONE``)."""

    def kept_files(self, digests: set[str]) -> None: ...

    def show_error(self, message: str) -> None: ...


class RecordCommand(QUndoCommand):
    def __init__(self, context: RecordsContext, text: str) -> None:
        super().__init__(text)
        self.context = context

    def _guard(self, action) -> None:  # type: ignore[no-untyped-def]
        """Run ``action``; a failure is shown and the command leaves the history (it cannot be replayed)."""
        try:
            action()
        except SecondOpinionError as exc:
            self.setObsolete(True)
            self.context.show_error(str(exc))


class AddRecordCommand(RecordCommand):
    def __init__(self, context: RecordsContext, fields: dict[str, Any]) -> None:
        super().__init__(context, f"Add “{str(fields.get('title', ''))[:40]}”")
        self.fields = dict(fields)
        self.record_id: int | None = None
        self._snapshot: svc.RecordData | None = None

    def redo(self) -> None:
        def do() -> None:
            if self._snapshot is None:
                fields = dict(self.fields)
                record = svc.create_record(self.context.folder, fields.pop("kind"), fields.pop("title"), **fields)
                self.record_id = record.id
            else:
                self.record_id = svc.restore_record(self.context.folder, self._snapshot).id
            self.context.records_changed([self.record_id], select=self.record_id)

        self._guard(do)

    def undo(self) -> None:
        def do() -> None:
            assert self.record_id is not None
            self._snapshot = svc.delete_record(self.context.folder, self.record_id, keep_files=True)
            self.context.kept_files(svc.record_digests(self._snapshot))
            self.context.records_removed([self.record_id])

        self._guard(do)


class EditRecordCommand(RecordCommand):
    def __init__(self, context: RecordsContext, before: svc.RecordData, changes: dict[str, Any]) -> None:
        super().__init__(context, f"Edit “{before.title[:40]}”")
        self.record_id = before.id
        self.before = svc.record_fields(before)
        self.changes = dict(changes)

    def _apply(self, fields: dict[str, Any]) -> None:
        def do() -> None:
            svc.update_record(self.context.folder, self.record_id, **fields)
            self.context.records_changed([self.record_id], select=self.record_id)

        self._guard(do)

    def redo(self) -> None:
        self._apply(self.changes)

    def undo(self) -> None:
        self._apply(self.before)


class DeleteRecordsCommand(RecordCommand):
    """Delete one or several records; undo brings every one of them back."""

    def __init__(self, context: RecordsContext, records: list[svc.RecordData]) -> None:
        text = f"Delete “{records[0].title[:40]}”" if len(records) == 1 else f"Delete {plural(len(records), 'record')}"
        super().__init__(context, text)
        self.record_ids = [r.id for r in records]
        self._snapshots: list[svc.RecordData] = []

    def redo(self) -> None:
        def do() -> None:
            snapshots: list[svc.RecordData] = []
            try:
                for record_id in self.record_ids:
                    snapshots.append(svc.delete_record(self.context.folder, record_id, keep_files=True))
            except SecondOpinionError as exc:
                if not snapshots:
                    raise
                # Some were deleted: the step stays in the history, so that undo brings those back.
                self.context.show_error(str(exc))
            finally:
                self._snapshots = snapshots
                for snapshot in snapshots:
                    self.context.kept_files(svc.record_digests(snapshot))
                self.context.records_removed([s.id for s in snapshots])

        self._guard(do)

    def undo(self) -> None:
        def do() -> None:
            restored: list[int] = []
            failures: list[SecondOpinionError] = []
            for snapshot in self._snapshots:  # every one is tried: one that cannot come back stops no other
                try:
                    restored.append(svc.restore_record(self.context.folder, snapshot).id)
                except SecondOpinionError as exc:
                    failures.append(exc)
            if restored:
                self.context.records_changed(restored, select=restored, changes=RESTORED)
            if failures and not restored:
                raise failures[0]
            if failures:  # redo deletes again only what came back
                self.record_ids = restored
                self.context.show_error(f"{failures[0]} ({plural(len(failures), 'record')} could not be "
                                        "brought back.)")

        self._guard(do)


class StatusCommand(RecordCommand):
    """Move records to a status each (``(record, status)`` pairs), each new step dated ``on`` or today."""

    def __init__(
        self,
        context: RecordsContext,
        moves: list[tuple[svc.RecordData, RecordStatus]],
        on: dt.date | None = None,
    ) -> None:
        if len(moves) == 1:
            record, status = moves[0]
            text = f"Mark “{record.title[:40]}” {status.label.lower()}"
        else:
            targets = {status for _r, status in moves}
            words = next(iter(targets)).label.lower() if len(targets) == 1 else "a step further"
            text = f"Mark {plural(len(moves), 'record')} {words}"
        super().__init__(context, text)
        self.moves = [(record.id, status) for record, status in moves]
        self.before = {record.id: svc.record_fields(record) for record, _status in moves}
        self.on = on

    @property
    def record_ids(self) -> list[int]:
        return [record_id for record_id, _status in self.moves]

    def redo(self) -> None:
        def do() -> None:
            svc.set_statuses(self.context.folder, self.moves, self.on)  # one transaction: all of them or none
            self.context.records_changed(self.record_ids, select=self.record_ids)

        self._guard(do)

    def undo(self) -> None:
        def do() -> None:
            steps = ("status", "requested_on", "received_on", "sent_on")
            svc.update_records(self.context.folder,
                               {record_id: {k: before[k] for k in steps} for record_id, before in self.before.items()})
            self.context.records_changed(self.record_ids, select=self.record_ids)

        self._guard(do)


class AddedRecordsCommand(RecordCommand):
    """Records already made in the background (files dropped on the inventory, each with its file): pushed once
    they exist, so the first ``redo`` only shows them (the operation that made them announced it); undo takes
    them away in one transaction, redo brings them all back in one transaction (or none of them)."""

    def __init__(self, context: RecordsContext, records: list[svc.RecordData]) -> None:
        text = f"Add “{records[0].title[:40]}”" if len(records) == 1 else f"Add {plural(len(records), 'record')}"
        super().__init__(context, f"{text} from files" if len(records) > 1 else text)
        self.record_ids = [r.id for r in records]
        self._snapshots: list[svc.RecordData] = []
        self._pushed = False
        self._undo_failed = False

    def redo(self) -> None:
        if self._undo_failed:  # the undo changed nothing: the step is put back where it was, nothing to do
            self._undo_failed = False
            return
        if not self._pushed:
            self._pushed = True
            self.context.refresh_rows(self.record_ids, select=self.record_ids)
            return

        def do() -> None:
            # One transaction for all of them: every record comes back, or (when one cannot) none does and the
            # step leaves the history, the failure said in one sentence.
            restored = [r.id for r in svc.restore_records(self.context.folder, self._snapshots)]
            self._snapshots = []
            if restored:
                self.context.records_changed(restored, select=restored, changes=RESTORED)

        self._guard(do)

    def undo(self) -> None:
        try:
            snapshots = svc.delete_records(self.context.folder, self.record_ids)  # all of them or none
        except SecondOpinionError as exc:
            # Nothing was deleted: the step goes back on the history, to be undone again.
            self._undo_failed = True
            self.context.show_error(str(exc))
            stack = self.context.undo_stack
            QTimer.singleShot(0, stack, lambda: stack.redo() if stack.command(stack.index()) is self else None)
            return
        self._snapshots = snapshots
        for snapshot in snapshots:
            self.context.kept_files(svc.record_digests(snapshot))
        self.context.records_removed(self.record_ids)


class PortalImportCommand(AddedRecordsCommand):
    """Records imported from a portal download (``core.portal.importer.import_package``), pushed once the import
    has run: undo takes every record it created away in one transaction, with their results, medications,
    allergies, problems and files, and then what it added to records that were there before (an imaging report
    joining its disc study: ``take_back_added``); the files are kept while the history may bring them back. Redo
    puts both back as they were."""

    def __init__(self, context: RecordsContext, result: Any, name: str) -> None:
        from secondopinion_desktop.ui.records.portal_wording import import_title

        records = svc.get_records(context.folder, list(result.created_record_ids))
        if records:
            super().__init__(context, records)
        else:  # it only added to records that were there
            RecordCommand.__init__(self, context, "")
            self.record_ids, self._snapshots, self._pushed, self._undo_failed = [], [], False, False
        joined = len(set(result.record_ids) - set(result.created_record_ids))
        self.setText(import_title(name, len(records) + joined))
        self.result = result
        self._added: Any = None  # what take_back_added removed, while undone

    def redo(self) -> None:
        pushed_before = self._pushed
        if self.record_ids or not pushed_before:
            super().redo()
        self._pushed = True
        if not pushed_before or self._added is None:
            return
        from secondopinion_desktop.core.portal.importer import put_back_added

        added, self._added = self._added, None

        def do() -> None:
            put_back_added(self.context.folder, added)
            ids = list(added.record_ids)
            self.context.records_changed(ids, select=ids, changes=RESTORED)

        self._guard(do)

    def undo(self) -> None:
        if self.record_ids:
            super().undo()
            if self._undo_failed:
                return
        if not self.result.added_rows:
            return
        from secondopinion_desktop.core.portal.importer import take_back_added

        try:
            self._added = take_back_added(self.context.folder, self.result)
        except SecondOpinionError as exc:
            self.context.show_error(str(exc))
            return
        self.context.kept_files(self._added.digests)
        ids = list(self._added.record_ids)
        if ids:
            self.context.records_changed(ids, select=ids, changes=RESTORED)
