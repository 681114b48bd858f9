"""What the Requests tab's actions do: each step's dialog, then one core call with the data folder, then
``announce(Changes…, tab)`` and a reload. ``RequestActions`` is a mixin of ``RequestsTab`` (``ui/requests/tab.py``),
which owns ``folder``, ``current``, ``jobs``, ``due_days``, ``detail``, ``reload``, ``notify`` and
``_current_facility``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import Changes, announce
from secondopinion_desktop.ui.ops import Op, run_op
from secondopinion_desktop.ui.widgets.ask import ask_yes_no


class RequestActions:
    """The tab's actions; see the module's docstring."""

    # Set by RequestsTab (declared for readers and type checkers).
    folder: Any
    current: Any
    jobs: list[Op]
    due_days: Any
    detail: Any
    reload: Callable[..., None]
    notify: Callable[[str], None]
    _current_facility: Callable[[], str | None]

    # --- new and edit ------------------------------------------------------------------------------------

    def new_request(self, facility_name: str | None = None) -> int | None:
        """The new-request dialog, for ``facility_name`` (or the facility chosen in the list)."""
        from secondopinion_desktop.ui.requests.request_dialog import RequestDialog

        if self.folder is None:
            return None
        name = facility_name if facility_name is not None else (self._current_facility() or "")
        dialog = RequestDialog(self.folder, facility_name=name, parent=self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        fields = dialog.fields()
        dialog.deleteLater()
        if not accepted:
            return None
        facility = fields.pop("facility")
        made = self._store(lambda: svc.create_request(self.folder, facility, **fields), Changes.REQUESTS)
        if made is None:
            return None
        self.reload(select=made.id)
        self.notify(f"Added a draft request to {made.facility_name}. Make the letter, then mark it sent.")
        return made.id  # type: ignore[no-any-return]

    def edit_request(self) -> None:
        from secondopinion_desktop.ui.requests.request_dialog import RequestDialog

        q = self.current
        if self.folder is None or q is None:
            return
        dialog = RequestDialog(self.folder, q, parent=self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        fields = dialog.fields()
        dialog.deleteLater()
        if accepted and self._store(lambda: svc.update_request(self.folder, q.id, **fields),
                                    Changes.REQUESTS | Changes.RECORDS):
            self.reload(select=q.id)

    def _store(self, write: Callable[[], Any], changes: Changes) -> Any:
        try:
            stored = write()
        except SecondOpinionError as exc:
            QMessageBox.warning(self, "Requests", str(exc))
            return None
        announce(changes, self)
        return stored

    # --- steps -------------------------------------------------------------------------------------------

    def _step(self, make: Callable[..., QDialog], changes: Changes, done: str) -> QDialog | None:
        """Open a step's dialog for the chosen request; its OK stores the step (``make(q, store)``)."""
        q = self.current
        if self.folder is None or q is None:
            return None
        dialog = make(q, self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted:
            announce(changes, self)
            self.reload(select=q.id)
            self.notify(done)
            return dialog
        return None

    def mark_sent(self) -> None:
        from secondopinion_desktop.ui.requests.steps import MarkSentDialog

        folder = self.folder
        days = int(self.due_days.value())
        self._step(lambda q, parent: MarkSentDialog(q, days, lambda v: svc.mark_sent(folder, q.id, **v), parent),
                   Changes.REQUESTS | Changes.RECORDS, "Marked the request sent; its records are now requested.")

    def log_call(self) -> None:
        from secondopinion_desktop.ui.requests.steps import LogCallDialog

        folder = self.folder
        self._step(lambda q, parent: LogCallDialog(q, lambda v: svc.log_event(folder, q.id, **v), parent),
                   Changes.REQUESTS, "Logged in the request's log.")

    def extend(self) -> None:
        from secondopinion_desktop.ui.requests.steps import ExtensionDialog

        folder = self.folder
        self._step(lambda q, parent: ExtensionDialog(q, lambda v: svc.extend(folder, q.id, **v), parent),
                   Changes.REQUESTS, "The new due date is kept with the request.")

    def refuse(self) -> None:
        from secondopinion_desktop.ui.requests.steps import RefusedDialog

        folder = self.folder
        self._step(lambda q, parent: RefusedDialog(q, lambda v: svc.refuse(folder, q.id, **v), parent),
                   Changes.REQUESTS | Changes.RECORDS, "Marked the request refused.")

    def mark_received(self) -> None:
        from secondopinion_desktop.ui.requests.steps import MarkReceivedDialog

        folder = self.folder
        q = self.current
        dialog = self._step(
            lambda q, parent: MarkReceivedDialog(q, lambda v: svc.mark_received(folder, q.id, **v), parent),
            Changes.REQUESTS | Changes.RECORDS, "Marked what came.")
        if dialog is not None and q is not None:
            chosen = dialog.chosen_ids()  # type: ignore[attr-defined]
            self.offer_attach([r for r in q.records if r.id in chosen])

    def offer_attach(self, records: list[svc.RequestRecordData]) -> Op | None:
        """Ask whether to attach the files that came, one file dialog per record; attach them off the GUI
        thread (all or none)."""
        from secondopinion_desktop.core.records import attach_files

        if not records or self.folder is None:
            return None
        answer = QMessageBox.question(
            self, "Attach the files that came",
            f"Attach the files that came to {plural(len(records), 'record')} now (scans, PDFs, a CD's report)?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        if answer != QMessageBox.StandardButton.Yes:
            return None
        pairs = []
        for record in records:
            names, _ = QFileDialog.getOpenFileNames(self, f"Files that came for “{record.title}”")
            pairs += [(record.id, name) for name in names]
        if not pairs:
            return None
        folder = self.folder
        job = run_op(self, lambda control: attach_files(folder, pairs, progress=control.progress,
                                                        cancelled=control.cancelled),
                     name="attach files that came", changes=Changes.RECORDS | Changes.ATTACHMENTS,
                     label="Attaching the files…", title="Attach files",
                     on_success=lambda made: self.notify(f"Attached {plural(len(made), 'file')}."))
        self.jobs.append(job)
        return job

    def cancel_request(self) -> None:
        q = self.current
        if self.folder is None or q is None:
            return
        answer = ask_yes_no(self, "Cancel request", f"Cancel the request to {q.facility_name}? It stays in the "
                            "list, marked cancelled, with its log; the records it asked for that have not come "
                            "are needed again.")
        if answer and self._store(lambda: svc.cancel(self.folder, q.id), Changes.REQUESTS | Changes.RECORDS):
            self.reload(select=q.id)
            self.notify(f"Cancelled the request to {q.facility_name}.")

    def delete_request(self) -> None:
        q = self.current
        if self.folder is None or q is None:
            return
        if not ask_yes_no(self, "Delete request", f"Delete the request to {q.facility_name} with its log and "
                          f"{plural(len(q.letters), 'kept letter')}? The records it asked for that have not come "
                          "are needed again."):
            return
        ids = self.listed_ids()
        if self._store(lambda: svc.delete_request(self.folder, q.id),
                       Changes.REQUESTS | Changes.SHIPMENTS | Changes.RECORDS):
            remaining = [i for i in ids if i != q.id]
            row = min(ids.index(q.id), len(remaining) - 1) if q.id in ids and remaining else -1
            self.current = None
            self.reload(select=remaining[row] if row >= 0 else None)
            self.notify(f"Deleted the request to {q.facility_name}.")

    # --- letters and shipments ---------------------------------------------------------------------------

    def make_letter(self) -> None:
        from secondopinion_desktop.ui.requests.letter import LetterDialog

        if self.folder is None or self.current is None:
            return
        dialog = LetterDialog(self.folder, self.current, parent=self)
        dialog.exec()
        saved = dialog.saved_to
        dialog.deleteLater()
        self.reload()
        if saved is not None:
            self.notify(f"The letter is saved to {saved}; sign it, send it, then choose Mark sent.")

    def save_kept_letter(self) -> None:
        from secondopinion_desktop.ui.requests.letter import save_kept_letter

        letter_id = self.detail.current_letter_id()
        q = self.current
        if self.folder is None or q is None or letter_id is None:
            return
        letter = next(item for item in q.letters if item.id == letter_id)
        try:
            saved = save_kept_letter(self, self.folder, q, letter)
        except (SecondOpinionError, OSError) as exc:
            QMessageBox.warning(self, "Save letter", str(exc))
            return
        if saved is not None:
            self.notify(f"Saved the letter to {saved}.")

    def open_shipments(self) -> None:
        from secondopinion_desktop.ui.requests.shipments import ShipmentsDialog

        if self.folder is None or self.current is None:
            return
        dialog = ShipmentsDialog(self.folder, self.current, parent=self)
        dialog.exec()  # each change is announced as it is made
        dialog.deleteLater()
        self.reload()
