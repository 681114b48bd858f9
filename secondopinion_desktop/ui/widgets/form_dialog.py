"""What every item dialog (an appointment, a clinician, a treatment line, the profile) is built from: the OK /
Cancel row, a text box that Tab leaves, the banner-form-buttons layout that fits the screen, a remembered size,
and putting the cursor on the input a refusal names (``ValidationError.field``)."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.ui.widgets.forms import show_error
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

SIZE_KEY = "appointments/{}Size"  # where a dialog's last size is kept (the key it has always had)


def ok_cancel(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    """OK (named ``ok_text``) and Cancel; Ctrl+Enter is OK from anywhere, a text box too."""
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    ok = box.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    ok.setObjectName("okButton")
    ok.setToolTip("Enter, or Ctrl+Enter from a text box")
    box.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    for sequence in ("Ctrl+Return", "Ctrl+Enter"):
        QShortcut(QKeySequence(sequence), dialog, dialog.accept)
    return box


def text_box(lines: int, placeholder: str = "") -> QPlainTextEdit:
    """A few lines of text; Tab moves on to the next input instead of typing a tab."""
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)
    edit.setPlaceholderText(placeholder)
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * lines + 16)
    return edit


def focus_input(inputs: Mapping[str, QWidget], field: str | None) -> bool:
    """Put the cursor in the input for ``field`` (a service's parameter name, from ``ValidationError.field``);
    False when there is none for it."""
    widget = inputs.get(field or "")
    if widget is None:
        return False
    target = getattr(widget, "edit", widget)  # a date field types into its line edit
    target.setFocus(Qt.FocusReason.OtherFocusReason)
    if isinstance(target, QLineEdit):
        target.selectAll()
    elif isinstance(target, QComboBox) and target.lineEdit() is not None:
        target.lineEdit().selectAll()
    elif isinstance(target, QAbstractSpinBox):
        target.selectAll()
    return True


def refuse(banner: QLabel, inputs: Mapping[str, QWidget], exc: Exception) -> None:
    """Show the core's sentence in the banner and put the cursor where it points."""
    show_error(banner, str(exc))
    focus_input(inputs, getattr(exc, "field", None))


def remember_size(dialog: QDialog, key: str, width: int, height: int) -> None:
    """The size the dialog had when last closed, or ``width`` × ``height``; never more than the screen has room
    for. Only the size is kept: Qt places a dialog over its window, on the screen."""
    remembered = QSettings().value(SIZE_KEY.format(key))
    if isinstance(remembered, QSize) and remembered.isValid():
        width, height = remembered.width(), remembered.height()
    least = dialog.minimumSizeHint()  # never narrower than its content (larger text than when it was kept)
    width, height = max(width, least.width()), max(height, least.height())
    fit_to_screen(dialog, width, height, min_width=min(width, 420), min_height=min(height, 300))
    dialog.finished.connect(lambda _r: QSettings().setValue(SIZE_KEY.format(key), dialog.size()))


def lay_out_form(dialog: QDialog, error: QLabel, form: QFormLayout, buttons: QDialogButtonBox, *, width: int,
                 min_width: int) -> None:
    """The error banner, the form in a scroll area (so the buttons stay in sight on a small screen or with large
    text) and the buttons; as tall as the form needs, as far as the screen allows."""
    body = QWidget()
    body_layout = QVBoxLayout(body)
    body_layout.setContentsMargins(0, 0, 0, 0)
    body_layout.addLayout(form)
    body_layout.addStretch(1)
    scroll = QScrollArea()
    scroll.setObjectName("formScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(body)
    layout = QVBoxLayout(dialog)
    layout.addWidget(error)
    layout.addWidget(scroll, 1)
    layout.addWidget(buttons)
    margins = layout.contentsMargins()
    wanted = body.sizeHint()
    height = (wanted.height() + buttons.sizeHint().height() + 2 * layout.spacing() + margins.top()
              + margins.bottom() + 4)
    fit_to_screen(dialog, max(width, wanted.width() + margins.left() + margins.right()), height,
                  min_width=min_width, min_height=min(height, 260))
