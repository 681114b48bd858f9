"""Undoable record operations (QUndoCommand): add, edit, delete and status change.

Each command calls core services and then tells its ``RecordsContext`` which records changed, so the table and
detail pane follow. Deleted records keep their vault files while the deletion can be undone; the context purges
them when the history is dropped (see ``RecordsContext.forget_files``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import RecordStatus


class RecordsContext(Protocol):
    folder: DataFolder

    def records_changed(self, record_ids: list[int], *, select: int | None = None) -> None: ...

    def records_removed(self, record_ids: list[int]) -> None: ...

    def kept_files(self, digests: set[str]) -> None: ...

    def show_error(self, message: str) -> None: ...


class _RecordCommand(QUndoCommand):
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


class AddRecordCommand(_RecordCommand):
    def __init__(self, context: RecordsContext, fields: dict[str, Any]) -> None:
        super().__init__(context, f"Add “{str(fields.get('title', ''))[:40]}”")
        self.fields = dict(fields)
        self.record_id: int | None = None
        self._snapshot: svc.RecordData | None = None

    def redo(self) -> None:
        def do() -> None:
            if self._snapshot is None:
                fields = dict(self.fields)
                with self.context.folder.session() as session:
                    record = svc.create_record(session, fields.pop("kind"), fields.pop("title"), **fields)
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


class EditRecordCommand(_RecordCommand):
    def __init__(self, context: RecordsContext, before: svc.RecordData, changes: dict[str, Any]) -> None:
        super().__init__(context, f"Edit “{before.title[:40]}”")
        self.record_id = before.id
        self.before = svc.record_fields(before)
        self.changes = dict(changes)

    def _apply(self, fields: dict[str, Any]) -> None:
        def do() -> None:
            with self.context.folder.session() as session:
                svc.update_record(session, self.record_id, **fields)
            self.context.records_changed([self.record_id], select=self.record_id)

        self._guard(do)

    def redo(self) -> None:
        self._apply(self.changes)

    def undo(self) -> None:
        self._apply(self.before)


class DeleteRecordCommand(_RecordCommand):
    def __init__(self, context: RecordsContext, record: svc.RecordData) -> None:
        super().__init__(context, f"Delete “{record.title[:40]}”")
        self.record_id = record.id
        self._snapshot: svc.RecordData | None = None

    def redo(self) -> None:
        def do() -> None:
            self._snapshot = svc.delete_record(self.context.folder, self.record_id, keep_files=True)
            self.context.kept_files(svc.record_digests(self._snapshot))
            self.context.records_removed([self.record_id])

        self._guard(do)

    def undo(self) -> None:
        def do() -> None:
            assert self._snapshot is not None
            svc.restore_record(self.context.folder, self._snapshot)
            self.context.records_changed([self.record_id], select=self.record_id)

        self._guard(do)


class StatusCommand(_RecordCommand):
    """Move a record to a status (by default the next step), dated ``on`` or today."""

    def __init__(
        self,
        context: RecordsContext,
        record: svc.RecordData,
        status: RecordStatus,
        on: dt.date | None = None,
    ) -> None:
        super().__init__(context, f"Mark “{record.title[:40]}” {status.label.lower()}")
        self.record_id = record.id
        self.before = svc.record_fields(record)
        self.status = status
        self.on = on

    def redo(self) -> None:
        def do() -> None:
            with self.context.folder.session() as session:
                svc.set_status(session, self.record_id, self.status, self.on)
            self.context.records_changed([self.record_id], select=self.record_id)

        self._guard(do)

    def undo(self) -> None:
        def do() -> None:
            with self.context.folder.session() as session:
                svc.update_record(
                    session, self.record_id,
                    **{k: self.before[k] for k in ("status", "requested_on", "received_on", "sent_on")},
                )
            self.context.records_changed([self.record_id], select=self.record_id)

        self._guard(do)
