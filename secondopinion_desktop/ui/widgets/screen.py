"""Windows and dialogs that fit the screen they open on (laptops at 1280×720, text at 1.5×)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

#: Share of the available screen a window may take when it first opens.
SCREEN_SHARE = 0.9


def available_geometry(widget: QWidget) -> QRect | None:
    """The part of the widget's screen (or the primary screen) not taken by panels and docks."""
    parent = widget.parentWidget()
    screen = widget.screen() or (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


def fitted_size(widget: QWidget, width: int, height: int) -> tuple[int, int]:
    """``width`` × ``height`` made no larger than 90 % of the available screen."""
    available = available_geometry(widget)
    if available is None:
        return width, height
    return (min(width, int(available.width() * SCREEN_SHARE)),
            min(height, int(available.height() * SCREEN_SHARE)))


def fit_to_screen(widget: QWidget, width: int, height: int, *, min_width: int = 0, min_height: int = 0) -> None:
    """Give a window its preferred size, but never more than the screen has room for.

    Minimum sizes are clamped too, so a large text setting cannot push the window past the screen edge; a
    dialog whose content may not fit keeps that content in a scroll area.
    """
    guard_on_screen(widget)
    w, h = fitted_size(widget, width, height)
    if min_width or min_height:
        mw, mh = fitted_size(widget, min_width, min_height)
        widget.setMinimumSize(min(mw, w), min(mh, h))
    widget.resize(w, h)


def keep_on_screen(widget: QWidget) -> None:
    """Shrink and move a shown window so its whole frame, title bar included, is on the available screen."""
    available = available_geometry(widget)
    if available is None:
        return
    frame = widget.frameGeometry()
    extra_w = frame.width() - widget.width()
    extra_h = frame.height() - widget.height()
    if frame.width() > available.width() or frame.height() > available.height():
        widget.setMinimumSize(min(widget.minimumWidth(), available.width() - extra_w),
                              min(widget.minimumHeight(), available.height() - extra_h))
        widget.resize(min(widget.width(), available.width() - extra_w),
                      min(widget.height(), available.height() - extra_h))
        frame = widget.frameGeometry()
    x = min(max(frame.x(), available.x()), available.right() + 1 - frame.width())
    y = min(max(frame.y(), available.y()), available.bottom() + 1 - frame.height())
    if (x, y) != (frame.x(), frame.y()):
        widget.move(x, y)


class _KeepOnScreen(QObject):
    """Installed on one window: each time it is shown, its whole frame is brought onto the screen."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            window = watched
            QTimer.singleShot(0, window, lambda: keep_on_screen(window))  # after the window manager placed it
        return False


def guard_on_screen(window: QWidget) -> None:
    """Keep ``window`` on the available screen whenever it is shown (title bar and buttons included)."""
    if window.findChild(_KeepOnScreen, "keepOnScreen") is None:
        guard = _KeepOnScreen(window)
        guard.setObjectName("keepOnScreen")
        window.installEventFilter(guard)
