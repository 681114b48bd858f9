"""Making a view's actions and the buttons that show them: one call each.

    self.new_action = make_action(self, "&New appointment…", "newAppointmentAction", self.new_appointment,
                                  QKeySequence.StandardKey.New, "Add an appointment")
    row.addWidget(action_button(self.new_action))
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolButton, QWidget


def make_action(owner: QWidget, text: str, name: str, slot: Callable[[], object],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None, tip: str = "") -> QAction:
    """An action of ``owner`` that calls ``slot()`` (never with the ``checked`` flag), with a shortcut active
    in the whole window while ``owner`` is shown, and a tooltip that names the shortcut."""
    action = QAction(text, owner)
    action.setObjectName(name)
    action.triggered.connect(lambda _checked=False: slot())
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        # the whole window, while the owner is shown (a hidden tab's actions are not active): wherever the focus
        # is, on the tab bar too, or nowhere right after start-up
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    sequence = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{tip or text.replace('&', '').rstrip('…')}" + (f" ({sequence})" if sequence else ""))
    owner.addAction(action)
    return action


def action_button(action: QAction) -> QToolButton:
    """A text button for ``action`` (named after it: ``newAppointmentAction`` → ``newAppointmentButton``), whose
    Alt+letter works like the action's."""
    button = QToolButton()
    action.setIconText(action.text())  # keeps the & so that the button's Alt+letter works
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setObjectName(action.objectName().replace("Action", "Button"))
    button.setAccessibleName(action.toolTip())
    return button
