"""The shared screen helpers: a window larger than the screen, or placed off it, is brought back when shown."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from secondopinion_desktop.ui.widgets.screen import fit_to_screen, fitted_size


def test_fit_to_screen_clamps_size_and_minimum(qtbot) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    fit_to_screen(dialog, 3000, 2000, min_width=2500, min_height=1500)
    assert dialog.size().toTuple() == fitted_size(dialog, 3000, 2000) == (1152, 648)
    assert dialog.minimumSize().toTuple() == (1152, 648)


def test_a_dialog_placed_off_the_screen_comes_back_when_shown(qtbot) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    QVBoxLayout(dialog).addWidget(QWidget())
    fit_to_screen(dialog, 600, 400)
    dialog.move(1000, 600)  # mostly below and right of a 1280×720 screen
    dialog.show()
    available = dialog.screen().availableGeometry()
    qtbot.waitUntil(lambda: available.contains(dialog.frameGeometry()))
    dialog.hide()
    dialog.move(-300, -200)
    dialog.show()
    qtbot.waitUntil(lambda: available.contains(dialog.frameGeometry()))
