"""Rotate or crop…: a photo of a paper record turned upright, straightened and cropped before it is stored.

The editor shows a smaller copy of the photo (``core.documents.photo.open_photo``, upright as its camera said);
"Turn left" and "Turn right" turn it by a quarter, the slider straightens it by up to 10° either way, and a
rectangle dragged over it is the crop (the part outside is dimmed). Nothing is written by the editor: it gives a
``PhotoEdit``, and ``prepare_edited`` applies it to the full photo off the GUI thread, into a private folder,
with the original copied beside it as "… (original).jpg" unless "Keep the original too" is unticked.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QPen, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.documents.model import Unreadable
from secondopinion_desktop.core.documents.photo import MAX_STRAIGHTEN, PhotoEdit, clamp_fractions
from secondopinion_desktop.ui.ops import Op, run_op
from secondopinion_desktop.ui.widgets.screen import fit_to_screen

PREVIEW_SIDE = 1200  # pixels of the copy the editor shows (the full photo is edited when it is stored)
STEPS_PER_DEGREE = 2  # the slider moves in half degrees
MIN_CROP = 0.02  # a drag smaller than this (of the picture's side) is a click, not a crop


def to_qimage(picture: Any) -> QImage:
    """A PIL picture (L or RGB) as a QImage that owns its pixels."""
    if picture.mode == "L":
        return QImage(picture.tobytes(), picture.width, picture.height, picture.width,
                      QImage.Format.Format_Grayscale8).copy()
    rgb = picture.convert("RGB")
    return QImage(rgb.tobytes(), rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888).copy()


def turn_box(box: tuple[float, float, float, float] | None, turns: int) -> tuple[float, float, float, float] | None:
    """A crop box (fractions) carried along when the picture turns ``turns`` quarters clockwise."""
    if box is None:
        return None
    left, top, right, bottom = box
    for _ in range(turns % 4):
        left, top, right, bottom = 1 - bottom, left, 1 - top, right
    return left, top, right, bottom


def load_preview(path: Path) -> Any:
    """The smaller upright copy the editor shows (run off the GUI thread: a phone's HEIC takes a moment).
    Raises ``Unreadable`` with the sentence to show."""
    from secondopinion_desktop.core.documents.photo import open_photo

    try:
        return open_photo(path, max_side=PREVIEW_SIDE)
    except OSError as exc:
        raise Unreadable(f"The photo could not be opened: {exc.strerror or exc}.") from None


class PhotoCanvas(QWidget):
    """The turned picture, scaled to fit, with the crop rectangle: drag to draw it, a click clears it."""

    cropChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoCanvas")
        self.setAccessibleName("The photo; drag a rectangle over it to crop")
        self.setMinimumSize(240, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.image = QImage()
        self.angle = 0.0  # degrees clockwise: the quarter turns and the straightening (drawn by the painter)
        self.crop: tuple[float, float, float, float] | None = None
        self._start: QPointF | None = None

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def set_angle(self, angle: float) -> None:
        self.angle = angle
        self.update()

    def turned_size(self) -> tuple[float, float]:
        """The size of the turned picture with the corners it uncovers (as ``apply_edit`` makes it)."""
        w, h = self.image.width(), self.image.height()
        a = math.radians(self.angle)
        return abs(w * math.cos(a)) + abs(h * math.sin(a)), abs(w * math.sin(a)) + abs(h * math.cos(a))

    def picture_rect(self) -> QRectF:
        """Where the turned picture is drawn: as large as fits, centred."""
        if self.image.isNull():
            return QRectF()
        tw, th = self.turned_size()
        scale = min(self.width() / tw, self.height() / th)
        w, h = tw * scale, th * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def _fraction(self, point: QPointF) -> tuple[float, float]:
        rect = self.picture_rect()
        if rect.isEmpty():
            return 0.0, 0.0
        x = (point.x() - rect.x()) / rect.width()
        y = (point.y() - rect.y()) / rect.height()
        return min(1.0, max(0.0, x)), min(1.0, max(0.0, y))

    def crop_rect(self) -> QRectF | None:
        if self.crop is None:
            return None
        rect = self.picture_rect()
        left, top, right, bottom = self.crop
        return QRectF(rect.x() + left * rect.width(), rect.y() + top * rect.height(),
                      (right - left) * rect.width(), (bottom - top) * rect.height())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._start = event.position()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._start is not None:
            self._drag_to(event.position())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._start is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag_to(event.position())
            if self.crop is not None:
                left, top, right, bottom = self.crop
                if right - left < MIN_CROP or bottom - top < MIN_CROP:
                    self.crop = None  # a click: the whole picture again
            self._start = None
            self.update()
            self.cropChanged.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _drag_to(self, point: QPointF) -> None:
        assert self._start is not None
        x0, y0 = self._fraction(self._start)
        x1, y1 = self._fraction(point)
        self.crop = clamp_fractions((x0, y0, x1, y1))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        rect = self.picture_rect()
        if not rect.isEmpty():
            painter.fillRect(rect, QColor("white"))  # the corners a straightening uncovers are white
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            scale = rect.width() / self.turned_size()[0]
            w, h = self.image.width(), self.image.height()
            painter.save()
            painter.translate(rect.center())
            painter.rotate(self.angle)
            painter.scale(scale, scale)
            painter.drawImage(QRectF(-w / 2, -h / 2, w, h), self.image)
            painter.restore()
            crop = self.crop_rect()
            if crop is not None:
                shade = QColor(0, 0, 0, 130)
                painter.fillRect(QRectF(rect.left(), rect.top(), rect.width(), crop.top() - rect.top()), shade)
                painter.fillRect(QRectF(rect.left(), crop.bottom(), rect.width(), rect.bottom() - crop.bottom()),
                                 shade)
                painter.fillRect(QRectF(rect.left(), crop.top(), crop.left() - rect.left(), crop.height()), shade)
                painter.fillRect(QRectF(crop.right(), crop.top(), rect.right() - crop.right(), crop.height()),
                                 shade)
                pen = QPen(QColor("#ffd400"), 2)
                painter.setPen(pen)
                painter.drawRect(crop)
        painter.end()


class PhotoEditDialog(QDialog):
    """Turn, straighten and crop one photo; ``edit()`` is what to do to it, ``keep_original()`` whether the
    original is attached too. ``failure`` is the sentence to show instead when the photo cannot be opened."""

    def __init__(self, path: Path, *, edit: PhotoEdit | None = None, keep_original: bool = True,
                 preview: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoEditDialog")
        self.setWindowTitle(f"Rotate or crop {path.name}")
        self.failure = ""
        self.preview: Any = preview
        if preview is None:
            try:
                self.preview = load_preview(path)
            except Unreadable as exc:
                self.failure = exc.reason
        start = edit or PhotoEdit()
        self._turns = start.quarter_turns % 4

        self.canvas = PhotoCanvas()
        self.canvas.crop = start.crop
        self.canvas.cropChanged.connect(self._crop_changed)

        self.turn_left_button = QPushButton("Turn &left")
        self.turn_left_button.setObjectName("turnLeftButton")
        self.turn_left_button.setToolTip("A quarter turn counter-clockwise (Ctrl+[)")
        self.turn_left_button.clicked.connect(lambda: self.turn(-1))
        self.turn_right_button = QPushButton("Turn &right")
        self.turn_right_button.setObjectName("turnRightButton")
        self.turn_right_button.setToolTip("A quarter turn clockwise (Ctrl+])")
        self.turn_right_button.clicked.connect(lambda: self.turn(1))
        QShortcut(QKeySequence("Ctrl+["), self, lambda: self.turn(-1))
        QShortcut(QKeySequence("Ctrl+]"), self, lambda: self.turn(1))

        self.straighten_slider = QSlider(Qt.Orientation.Horizontal)
        self.straighten_slider.setObjectName("straightenSlider")
        self.straighten_slider.setAccessibleName("Straighten, in half degrees")
        limit = int(MAX_STRAIGHTEN * STEPS_PER_DEGREE)
        self.straighten_slider.setRange(-limit, limit)
        self.straighten_slider.setPageStep(STEPS_PER_DEGREE)
        self.straighten_slider.setValue(round(start.straighten * STEPS_PER_DEGREE))
        self.straighten_slider.valueChanged.connect(self._straighten_changed)
        self.straighten_label = QLabel()
        self.straighten_label.setObjectName("straightenValue")
        self.straighten_label.setMinimumWidth(self.straighten_label.fontMetrics().horizontalAdvance("−10.0°") + 8)
        straighten_text = QLabel("&Straighten:")
        straighten_text.setBuddy(self.straighten_slider)

        self.reset_crop_button = QPushButton("&Whole picture")
        self.reset_crop_button.setObjectName("resetCropButton")
        self.reset_crop_button.setToolTip("Forget the crop: keep the whole picture")
        self.reset_crop_button.clicked.connect(self.reset_crop)

        self.keep_box = QCheckBox("&Keep the original too")
        self.keep_box.setObjectName("keepOriginalBox")
        self.keep_box.setToolTip("Attach the photo as it was, as “… (original)”, beside the turned or cropped one")
        self.keep_box.setChecked(keep_original)

        self.crop_hint = QLabel()
        self.crop_hint.setObjectName("cropHint")
        self.crop_hint.setWordWrap(True)

        controls = QHBoxLayout()
        for widget in (self.turn_left_button, self.turn_right_button):
            controls.addWidget(widget)
        controls.addSpacing(12)
        controls.addWidget(straighten_text)
        controls.addWidget(self.straighten_slider, 1)
        controls.addWidget(self.straighten_label)
        controls.addSpacing(12)
        controls.addWidget(self.reset_crop_button)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this picture")
        self.ok_button.setObjectName("okButton")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancelButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        bottom = QHBoxLayout()
        bottom.addWidget(self.keep_box)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.crop_hint)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(bottom)
        self._redraw()
        self._straighten_changed()
        self._crop_changed()
        fit_to_screen(self, 900, 760, min_width=520, min_height=420)
        self.ok_button.setFocus()

    # --- what the patient does ------------------------------------------------------------------------

    def turn(self, quarters: int) -> None:
        self._turns = (self._turns + quarters) % 4
        self.canvas.crop = turn_box(self.canvas.crop, quarters % 4)
        self._redraw()

    def straighten(self) -> float:
        return self.straighten_slider.value() / STEPS_PER_DEGREE

    def reset_crop(self) -> None:
        self.canvas.crop = None
        self.canvas.update()
        self._crop_changed()

    def set_crop(self, box: tuple[float, float, float, float] | None) -> None:
        self.canvas.crop = clamp_fractions(box) if box is not None else None
        self.canvas.update()
        self._crop_changed()

    def edit(self) -> PhotoEdit:
        return PhotoEdit(self._turns, self.straighten(), self.canvas.crop)

    def keep_original(self) -> bool:
        return self.keep_box.isChecked()

    # --- showing ---------------------------------------------------------------------------------------

    def _straighten_changed(self, *_args: object) -> None:
        angle = self.straighten()
        self.straighten_label.setText(f"{angle:+.1f}°".replace("-", "−") if angle else "0°")
        self._redraw()

    def _crop_changed(self) -> None:
        self.reset_crop_button.setEnabled(self.canvas.crop is not None)
        self.crop_hint.setText("Drag over the photo to crop it to the page; a click keeps the whole picture."
                               if self.canvas.crop is None else
                               "Only the bright part is kept. Drag again to change it, or click for the whole "
                               "picture.")

    def _redraw(self) -> None:
        if self.preview is not None and self.canvas.image.isNull():
            self.canvas.set_image(to_qimage(self.preview))
        self.canvas.set_angle(self._turns * 90 + self.straighten())


def prepare_edited(parent: QWidget, folder: DataFolder, item: Any, edit: PhotoEdit, keep_original: bool,
                   on_done: Callable[[Any, Any], object]) -> Op | None:
    """Apply ``edit`` to the full photo of ``item`` (a ``dialogs.DialogFile``) off the GUI thread: the edited
    copy, and the original under "… (original)" when it is kept, in a new private folder; then read the copy's
    text. ``on_done(item, hints)`` once ``item`` holds them (hints None when nothing was changed). The folder
    goes when the record is written, the dialog is cancelled or the file is taken out again."""
    from secondopinion_desktop.core.documents.photo import original_name, save_edited
    from secondopinion_desktop.core.scratch import scratch_dir
    from secondopinion_desktop.ui.records.from_file import read_hints

    def replace(place: Path | None, edited: Path | None, original: Path | None) -> None:
        if item.place is not None:
            shutil.rmtree(item.place, ignore_errors=True)
        item.place, item.edited, item.original = place, edited, original
        item.edit, item.keep_original = edit, keep_original

    if edit.changes_nothing:
        replace(None, None, None)
        on_done(item, None)
        return None
    made: dict[str, Any] = {}

    def work(control: Any) -> tuple[Path, Path, Path | None, Any]:
        place = scratch_dir(folder.path, "photo-")
        made["place"] = place
        edited = save_edited(item.source, edit, place, name=item.name)
        original = None
        if keep_original:
            original = place / original_name(item.name)
            shutil.copyfile(item.source, original)
            os.chmod(original, 0o600)
        hints = read_hints(folder, [edited], control, names=[edited.name])
        return place, edited, original, hints[0]

    def succeeded(result: tuple[Path, Path, Path | None, Any]) -> None:
        place, edited, original, hint = result
        made["taken"] = True
        replace(place, edited, original)
        on_done(item, hint)

    def cleanup() -> None:
        if "place" in made and not made.get("taken"):
            shutil.rmtree(made["place"], ignore_errors=True)

    return run_op(parent, work, name="turn or crop a photo", writes=False, on_success=succeeded, cleanup=cleanup,
                  label=f"Preparing {item.name}…", title="Rotate or crop", delay_ms=300)
