"""What the center asked for: the receiving center's own list of what to send for one appointment, typed or
pasted from its instructions, each item ticked done or linked to the records that stand for it, with whether it
is met (ticked, or a linked record is in hand) in words as well as a tint. Edit… (F2, or a double click) changes
an item's wording and its note.

A thin view over ``core.opinions``; every change runs through ``ui.ops.run_op`` and is announced as
``Changes.OPINIONS``. A removed item can be put back with Put it back until another appointment is shown.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import opinions as svc
from secondopinion_desktop.core.appointments import AppointmentData
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.ui.events import Changes
from secondopinion_desktop.ui.ops import Op, run_op
from secondopinion_desktop.ui.widgets.form_dialog import focus_input, lay_out_form, ok_cancel, text_box
from secondopinion_desktop.ui.widgets.forms import add_row, error_label, show_error
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

MET_TINT = "#e3f1e3"  # pale green behind "Met"; the word says it too
NOT_MET_TINT = "#fbeaea"


class RecordPickerDialog(QDialog):
    """Records to tick, with a filter: the records to link to an item (or, given ``records``, which linked ones
    to unlink)."""

    def __init__(self, folder: DataFolder, item_text: str, *, exclude: tuple[int, ...] = (),
                 records: list[tuple[int, str]] | None = None, unlink: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recordPickerDialog")
        self.setWindowTitle("Unlink records" if unlink else "Link records")
        if records is None:
            from secondopinion_desktop.core.records import list_records

            records = []
            for r in list_records(folder):
                if r.id in exclude:
                    continue
                when = f"{r.date_of_service:%Y-%m-%d} · " if r.date_of_service else ""
                records.append((r.id, f"{r.title} ({when}{r.kind.label}, {r.status.label.lower()})"))
        intro = QLabel(f"Tick the records to unlink from “{item_text}”." if unlink else
                       f"Tick the records that stand for “{item_text}”.")
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("recordFilterEdit")
        self.filter_edit.setAccessibleName("Show only the records whose title has this text")
        self.filter_edit.setPlaceholderText("Type to filter the records…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter)
        self.list = QListWidget()
        self.list.setObjectName("recordPickList")
        self.list.setAccessibleName("Records")
        for record_id, label in records:
            item = QListWidgetItem(label)
            item.setToolTip(label)
            item.setData(Qt.ItemDataRole.UserRole, record_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.list.addItem(item)
        if not records:
            empty = QListWidgetItem("There are no records to link yet; add them on the Records tab.")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(empty)
        self.buttons = ok_cancel(self, "Unlink" if unlink else "Link")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)
        fit_to_screen(self, 940, 520, min_width=420, min_height=300)
        self.filter_edit.setFocus()

    def _filter(self, text: str) -> None:
        wanted = text.strip().casefold()
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setHidden(bool(wanted) and wanted not in item.text().casefold())

    def chosen(self) -> list[int]:
        return [self.list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.list.count())
                if self.list.item(row).checkState() == Qt.CheckState.Checked]

    def check(self, record_id: int) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == record_id:
                self.list.item(row).setCheckState(Qt.CheckState.Checked)


class RequirementDialog(QDialog):
    """One item of the center's list: its wording and a note (e.g. "ask for the report, not only the disc").
    Save stores it; a refusal stays in the dialog, under the field it names."""

    def __init__(self, folder: DataFolder, requirement: svc.RequirementData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self.requirement = requirement
        self.setObjectName("requirementDialog")
        self.setWindowTitle("Item of the center's list")
        self.error_label = error_label()
        self.saved: svc.RequirementData | None = None
        self.last_op: Op | None = None
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.text_edit = QLineEdit(requirement.text)
        self.text_edit.setMaxLength(1000)
        self.note_edit = text_box(5, "A note for yourself: whom to ask, what was said, what to bring")
        self.note_edit.setPlainText(requirement.note)
        add_row(form, "&Item:", self.text_edit, "requirementTextEdit", "What the center asked for")
        add_row(form, "&Note:", self.note_edit, "requirementNoteEdit", "Note on this item")
        self.inputs: dict[str, QWidget] = {"text": self.text_edit, "note": self.note_edit}
        self.buttons = ok_cancel(self, "Save")
        lay_out_form(self, self.error_label, form, self.buttons, width=640, min_width=420)
        self.text_edit.setFocus()
        self.text_edit.selectAll()

    def fields(self) -> dict[str, Any]:
        return {"text": self.text_edit.text(), "note": self.note_edit.toPlainText()}

    def accept(self) -> None:
        if self.last_op is not None and not self.last_op.done:
            return
        folder, requirement_id, fields = self.folder, self.requirement.id, self.fields()
        if fields == {"text": self.requirement.text, "note": self.requirement.note}:
            QDialog.accept(self)  # nothing changed: nothing to store
            return

        def refused(exc: BaseException) -> bool:
            if isinstance(exc, SecondOpinionError):
                show_error(self.error_label, str(exc))
                focus_input(self.inputs, getattr(exc, "field", None))
                return True
            return False

        def stored(saved: svc.RequirementData) -> None:
            self.saved = saved
            QDialog.accept(self)

        self.last_op = run_op(self, lambda _control: svc.change_requirement(folder, requirement_id, **fields),
                              name="change a required item", changes=Changes.OPINIONS, on_success=stored,
                              on_failure=refused)


class RequirementsPane(QWidget):
    """The center's list for one appointment at a time (``set_appointment``)."""

    requirementsChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.appointment: AppointmentData | None = None
        self.items: list[svc.RequirementData] = []
        self.removed: svc.RequirementData | None = None
        self.last_op: Op | None = None
        self._working = False  # a change is being stored
        self.last_notice = ""
        self._loading = False

        self.title = QLabel("What the center &asked for")
        self.title.setObjectName("requirementsTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.list = QTreeWidget()
        self.list.setObjectName("requirementList")
        self.list.setAccessibleName("What the receiving center asked for")
        self.list.setAccessibleDescription(
            "Space ticks the selected item done; F2 edits it; Alt+Up and Alt+Down move it; Delete removes it.")
        self.list.setHeaderLabels(["Item", "Met?", "Records"])
        self.list.setRootIsDecorated(False)
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.title.setBuddy(self.list)
        self.list.currentItemChanged.connect(lambda *_a: self._update_actions())
        self.list.itemChanged.connect(self._item_changed)
        self.list.itemDoubleClicked.connect(lambda *_a: self.edit_item())
        self.list.installEventFilter(self)  # F2 edits (the list's own F2 would start editing in place)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(lambda: self.remove_item())
        for key, step in (("Alt+Up", -1), ("Alt+Down", 1)):
            move = QShortcut(QKeySequence(key), self.list)
            move.setContext(Qt.ShortcutContext.WidgetShortcut)
            move.activated.connect(lambda step=step: self.move(step))

        self.new_edit = text_box(3, "Type an item, or paste the center's instructions: one item per line "
                                    "(bullets and numbers are taken off)")
        self.new_edit.setObjectName("newRequirementEdit")
        self.new_edit.setAccessibleName("Type or paste items of the center's list")
        self.add_button = QPushButton("Add to the &list")
        self.add_button.setObjectName("addRequirementsButton")
        self.add_button.setAccessibleName("Add the typed or pasted items to the center's list")
        self.add_button.setToolTip("Each line becomes an item (Ctrl+Enter in the text box)")
        self.add_button.clicked.connect(lambda: self.add_items())
        self.new_edit.installEventFilter(self)  # Ctrl+Enter adds

        self.edit_button = QPushButton("Ed&it…")
        self.edit_button.setObjectName("editRequirementButton")
        self.edit_button.setAccessibleName("Edit the selected item's wording and note (F2)")
        self.edit_button.clicked.connect(lambda: self.edit_item())
        self.link_button = QPushButton("Link &records…")
        self.link_button.setObjectName("linkRecordsButton")
        self.link_button.setAccessibleName("Link records to the selected item")
        self.link_button.clicked.connect(lambda: self.link_records())
        self.unlink_button = QPushButton("&Unlink…")
        self.unlink_button.setObjectName("unlinkRecordButton")
        self.unlink_button.setAccessibleName("Unlink records from the selected item")
        self.unlink_button.clicked.connect(lambda: self.unlink_records())
        self.remove_button = QPushButton("Remo&ve")
        self.remove_button.setObjectName("removeRequirementButton")
        self.remove_button.setAccessibleName("Remove the selected item (Delete)")
        self.remove_button.clicked.connect(lambda: self.remove_item())
        self.undo_button = QPushButton("Put it bac&k")
        self.undo_button.setObjectName("undoRemoveRequirementButton")
        self.undo_button.setAccessibleName("Put back the item removed last")
        self.undo_button.clicked.connect(lambda: self.undo_remove())
        self.status = QLabel()
        self.status.setObjectName("requirementsStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.link_button)
        buttons.addWidget(self.unlink_button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.remove_button)
        adding = QHBoxLayout()
        adding.addWidget(self.new_edit, 1)
        adding.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addLayout(adding)
        for first, second in ((self.list, self.edit_button), (self.edit_button, self.link_button),
                              (self.link_button, self.unlink_button),
                              (self.unlink_button, self.undo_button), (self.undo_button, self.remove_button),
                              (self.remove_button, self.new_edit), (self.new_edit, self.add_button)):
            self.setTabOrder(first, second)
        self._show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is getattr(self, "list", None) and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_F2 and not event.modifiers()):
            self.edit_item()
            return True
        if (watched is getattr(self, "new_edit", None) and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.add_items()
            return True
        return super().eventFilter(watched, event)

    # --- showing ---------------------------------------------------------------------------------------------

    def set_folder(self, folder: DataFolder | None) -> None:
        self.folder = folder

    def set_appointment(self, appointment: AppointmentData | None) -> None:
        if appointment is None or self.appointment is None or appointment.id != self.appointment.id:
            self.removed = None  # Put it back is for the list shown
            self.say("")
        self.appointment = appointment
        self.reload()

    def reload(self, select: int | None = None) -> None:
        wanted = select if select is not None else self.current_id()
        self.items = []
        if self.folder is not None and self.appointment is not None:
            try:
                self.items = svc.list_requirements(self.folder, self.appointment.id)
            except SecondOpinionError:
                self.items = []
        self._show(wanted)

    def _show(self, select: int | None = None) -> None:
        self._loading = True
        try:
            self.list.clear()
            for r in self.items:
                met = "Met" if r.met else "Not met"
                how = " (ticked)" if r.done and not r.received_record_ids else ""
                item = QTreeWidgetItem([r.text, met + how, "; ".join(r.record_titles) or "—"])
                item.setData(0, Qt.ItemDataRole.UserRole, r.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked if r.done else Qt.CheckState.Unchecked)
                item.setToolTip(0, r.text + (f"\n{r.note}" if r.note else ""))
                item.setToolTip(2, "\n".join(r.record_titles))
                item.setBackground(1, QBrush(QColor(MET_TINT if r.met else NOT_MET_TINT)))
                item.setForeground(1, QBrush(QColor("#1d4d1d" if r.met else "#7a1c1c")))
                self.list.addTopLevelItem(item)
                if r.id == select:
                    self.list.setCurrentItem(item)
        finally:
            self._loading = False
        met = sum(r.met for r in self.items)
        self.title.setText(f"What the center &asked for ({met} of {len(self.items)} met)" if self.items
                           else "What the center &asked for")
        self._update_actions()

    def _update_actions(self) -> None:
        ready = self.folder is not None and self.appointment is not None
        busy = self._working
        chosen = self.current()
        self.new_edit.setEnabled(ready)
        self.add_button.setEnabled(ready and not busy)
        self.edit_button.setEnabled(chosen is not None and not busy)
        self.link_button.setEnabled(chosen is not None and not busy)
        self.unlink_button.setEnabled(chosen is not None and bool(chosen.record_ids) and not busy)
        self.remove_button.setEnabled(chosen is not None and not busy)
        self.undo_button.setVisible(self.removed is not None)
        self.undo_button.setEnabled(self.removed is not None and not busy)

    def _finished(self) -> None:
        self._working = False
        self._update_actions()

    def current_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def current(self) -> svc.RequirementData | None:
        wanted = self.current_id()
        return next((r for r in self.items if r.id == wanted), None)

    def select(self, requirement_id: int) -> None:
        for row in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(row)
            if item.data(0, Qt.ItemDataRole.UserRole) == requirement_id:
                self.list.setCurrentItem(item)

    def say(self, text: str) -> None:
        self.last_notice = text
        self.status.setText(text)
        self.status.setVisible(bool(text))

    # --- changes ---------------------------------------------------------------------------------------------

    def _run(self, work: Any, name: str, *, select: Any = None, said: Any = None) -> Op:
        def stored(result: Any) -> None:
            self.reload(select=select(result) if callable(select) else select)
            if said is not None:
                self.say(said(result))
            self.requirementsChanged.emit()

        self.last_op = run_op(self, lambda _control: work(), name=name, changes=Changes.OPINIONS, on_success=stored,
                              on_failure=self._refused, on_done=self._finished)
        self._working = True
        self._update_actions()
        return self.last_op

    def _refused(self, exc: BaseException) -> bool:
        if isinstance(exc, SecondOpinionError):
            self.say(str(exc))
            self.reload()
            return True
        return False

    def add_items(self) -> Op | None:
        text = self.new_edit.toPlainText()
        if self._working:
            return None
        if self.folder is None or self.appointment is None or not text.strip():
            self.new_edit.setFocus()
            return None
        folder, appointment_id = self.folder, self.appointment.id

        def added(made: list[svc.RequirementData]) -> str:
            self.new_edit.clear()
            if not made:
                return "Every item was already on the list."
            return f"Added {len(made)} item{'s' if len(made) != 1 else ''} to the list."

        return self._run(lambda: svc.add_requirements(folder, appointment_id, text), "add required items",
                         select=lambda made: made[-1].id if made else None, said=added)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._loading or column != 0 or self.folder is None:
            return
        requirement_id = item.data(0, Qt.ItemDataRole.UserRole)
        done = item.checkState(0) == Qt.CheckState.Checked
        folder = self.folder
        self._run(lambda: svc.change_requirement(folder, requirement_id, done=done), "tick a required item",
                  select=requirement_id)

    def set_done(self, requirement_id: int, done: bool) -> None:
        """Tick (or untick) an item as its check box does."""
        for row in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(row)
            if item.data(0, Qt.ItemDataRole.UserRole) == requirement_id:
                item.setCheckState(0, Qt.CheckState.Checked if done else Qt.CheckState.Unchecked)

    def move(self, step: int) -> Op | None:
        """Move the selected item up (-1) or down (1) the list."""
        chosen = self.current()
        if self.folder is None or self.appointment is None or chosen is None or self._working:
            return None
        ids = [r.id for r in self.items]
        row = ids.index(chosen.id)
        target = row + step
        if not 0 <= target < len(ids):
            return None
        ids[row], ids[target] = ids[target], ids[row]
        folder, appointment_id = self.folder, self.appointment.id
        return self._run(lambda: svc.reorder_requirements(folder, appointment_id, ids), "reorder required items",
                         select=chosen.id)

    def edit_item(self) -> RequirementDialog | None:
        """Change the selected item's wording and note in a dialog (stored by its Save)."""
        chosen = self.current()
        if self.folder is None or chosen is None or self._working:
            return None
        dialog = RequirementDialog(self.folder, chosen, parent=self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        if accepted and dialog.saved is not None:
            self.reload(select=dialog.saved.id)
            self.say(f"Changed “{dialog.saved.text}”.")
            self.requirementsChanged.emit()
        return dialog

    def link_records(self) -> Op | None:
        chosen = self.current()
        if self.folder is None or chosen is None:
            return None
        dialog = RecordPickerDialog(self.folder, chosen.text, exclude=chosen.record_ids, parent=self)
        picked = dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else []
        dialog.deleteLater()
        if not picked:
            return None
        folder, requirement_id = self.folder, chosen.id
        return self._run(lambda: svc.link_records(folder, requirement_id, picked), "link records to a required item",
                         select=requirement_id)

    def unlink_records(self) -> Op | None:
        chosen = self.current()
        if self.folder is None or chosen is None or not chosen.record_ids:
            return None
        linked = list(zip(chosen.record_ids, chosen.record_titles, strict=True))
        if len(linked) == 1:
            picked = [linked[0][0]]
        else:
            dialog = RecordPickerDialog(self.folder, chosen.text, records=linked, unlink=True, parent=self)
            picked = dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else []
            dialog.deleteLater()
        if not picked:
            return None
        folder, requirement_id = self.folder, chosen.id
        keep = [i for i in chosen.record_ids if i not in picked]
        return self._run(lambda: svc.change_requirement(folder, requirement_id, record_ids=keep),
                         "unlink records from a required item", select=requirement_id,
                         said=lambda _r: f"Unlinked {len(picked)} record{'s' if len(picked) != 1 else ''}.")

    def remove_item(self) -> Op | None:
        chosen = self.current()
        if self.folder is None or chosen is None:
            return None
        ids = [r.id for r in self.items]
        row = ids.index(chosen.id)
        rest = [i for i in ids if i != chosen.id]
        after = rest[min(row, len(rest) - 1)] if rest else None
        folder, requirement_id = self.folder, chosen.id

        def removed(gone: svc.RequirementData) -> str:
            self.removed = gone
            return f"Removed “{gone.text}”. Put it back returns it."

        return self._run(lambda: svc.remove_requirement(folder, requirement_id), "remove a required item",
                         select=after, said=removed)

    def undo_remove(self) -> Op | None:
        gone = self.removed
        if self.folder is None or gone is None:
            return None
        self.removed = None
        folder = self.folder
        return self._run(lambda: svc.restore_requirement(folder, gone), "put back a required item",
                         select=lambda back: back.id, said=lambda back: f"Put back “{back.text}”.")
