"""A photo made into a record: "Rotate or crop…" in the New record dialog turns and crops it before it is stored,
the edited picture is read again, the original is kept beside it as "… (original).jpg" (or left out when
"Keep the original too" is unticked), and the private copies are gone afterwards. The editor fits a 1280×720
screen. Screenshots go to $SECONDOPINION_SCREENSHOTS."""

from __future__ import annotations

from pathlib import Path

from helpers.dialogs import on_next_dialog
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from ui.test_documents_from_file import FakeReader, choose, fits, records, toolbar_button

from secondopinion_desktop.core import records as svc
from secondopinion_desktop.core.scratch import SCRATCH_NAME
from secondopinion_desktop.ui.main_window import MainWindow
from secondopinion_desktop.ui.records import from_file
from secondopinion_desktop.ui.records.dialogs import RecordDialog
from secondopinion_desktop.ui.records.photo_edit import PhotoEditDialog

RED, BLUE = (220, 30, 30), (30, 30, 220)


class TwoReadings(FakeReader):
    """The photo as it came gives no text; once turned upright its text reads."""

    def read(self, path: Path, media_type: str, *, cancelled=None):
        self.texts[path.name] = "" if len(self.read_names) == 0 else "Radiology report\nDate of service: 03/02/2026"
        return super().read(path, media_type, cancelled=cancelled)


def photo(tmp_path: Path) -> Path:
    """Left half red, right half blue: turned clockwise, red is on top."""
    picture = Image.new("RGB", (400, 200), BLUE)
    picture.paste(RED, (0, 0, 200, 200))
    path = tmp_path / "photo.jpg"
    picture.save(path, format="JPEG", quality=95)
    return path


def near(pixel, colour, slack: int = 40) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel[:3], colour, strict=True))


def drag(qtbot, canvas, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag over the shown picture, from one point to another given as fractions of it."""
    rect = canvas.picture_rect()

    def point(fx: float, fy: float) -> QPoint:
        return QPoint(round(rect.x() + fx * rect.width()), round(rect.y() + fy * rect.height()))

    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=point(*start))
    qtbot.mouseMove(canvas, point((start[0] + end[0]) / 2, (start[1] + end[1]) / 2))
    qtbot.mouseMove(canvas, point(*end))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=point(*end))


def open_window(qtbot, folder) -> MainWindow:
    made = MainWindow(folder)
    qtbot.addWidget(made)
    made.show()
    qtbot.waitExposed(made)
    made.tabs.setCurrentWidget(made.records_tab)
    return made


def run(qtbot, folder, tmp_path, monkeypatch, *, keep: bool, screenshot=None) -> dict[str, object]:
    reader = TwoReadings({})
    monkeypatch.setattr(from_file, "open_reader", lambda ocr=True: reader)
    source = photo(tmp_path)
    before = source.read_bytes()
    choose(monkeypatch, [source])
    window = open_window(qtbot, folder)
    tab = window.records_tab
    seen: dict[str, object] = {"window": window}

    def edit(editor: PhotoEditDialog) -> None:
        fits(editor)
        qtbot.mouseClick(editor.turn_right_button, Qt.MouseButton.LeftButton)
        shown = editor.canvas.picture_rect()
        assert shown.width() < shown.height()  # now upright
        drag(qtbot, editor.canvas, (0.0, 0.0), (1.0, 0.5))  # the top half: the red one
        seen["crop"] = editor.edit().crop
        if not keep:
            editor.keep_box.click()
        if screenshot is not None:
            screenshot(editor, "photo-editor")
        qtbot.mouseClick(editor.ok_button, Qt.MouseButton.LeftButton)

    def record(dialog: RecordDialog) -> None:
        seen["note before"] = dialog.note_label.text()
        assert dialog.photo_button.isEnabled()
        on_next_dialog(edit)
        qtbot.mouseClick(dialog.photo_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.files_to_attach() != [source], timeout=10_000)
        seen["attach"] = [p.name for p in dialog.files_to_attach()]
        seen["private"] = [oct(p.stat().st_mode & 0o777) for p in dialog.files_to_attach()]
        seen["marks"] = dict(dialog.suggested())
        seen["listed"] = dialog.files_list.item(0).text()
        if screenshot is not None:
            screenshot(dialog, "new-record-from-photo")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    seen["errors"] = on_next_dialog(record)
    qtbot.mouseClick(toolbar_button(tab), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.undo_stack.count() == 1, timeout=15_000)
    seen["untouched"] = source.read_bytes() == before
    seen["scratch"] = [p for p in (folder.path / SCRATCH_NAME).rglob("*") if p.is_file()]
    return seen


def test_a_turned_and_cropped_photo_is_stored_with_its_original(qtbot, folder, tmp_path, monkeypatch,
                                                                 screenshot) -> None:
    seen = run(qtbot, folder, tmp_path, monkeypatch, keep=True, screenshot=screenshot)
    assert seen["errors"] == []
    assert "could not be read: No text was found in it" in str(seen["note before"])
    crop = seen["crop"]
    assert all(abs(got - wanted) < 0.02 for got, wanted in zip(crop, (0, 0, 1, 0.5), strict=True)), crop
    assert seen["attach"] == ["photo.jpg", "photo (original).jpg"]
    assert seen["private"] == ["0o600", "0o600"]
    assert seen["listed"] == "photo.jpg — turned or cropped, with photo (original).jpg"
    assert "date_of_service" in seen["marks"]  # read again once upright: the date was found
    assert seen["untouched"] is True
    assert seen["scratch"] == []  # the private copies went once the record was written

    [made] = records(folder)
    assert made.date_of_service is not None and made.date_of_service.isoformat() == "2026-03-02"
    edited, original = sorted(made.attachments, key=lambda a: a.id)
    assert (edited.original_name, original.original_name) == ("photo.jpg", "photo (original).jpg")
    with Image.open(svc.attachment_path(folder, edited)) as im:
        assert abs(im.width - 200) <= 4 and abs(im.height - 200) <= 4  # the upright photo's top half
        assert near(im.getpixel((im.width // 2, 10)), RED) and near(im.getpixel((im.width // 2, im.height - 10)), RED)
    with Image.open(svc.attachment_path(folder, original)) as im:
        assert im.size == (400, 200)
    seen["window"].close()


def test_unticking_keep_the_original_stores_the_edited_photo_only(qtbot, folder, tmp_path, monkeypatch) -> None:
    seen = run(qtbot, folder, tmp_path, monkeypatch, keep=False)
    assert seen["errors"] == []
    assert seen["attach"] == ["photo.jpg"]
    [made] = records(folder)
    assert [a.original_name for a in made.attachments] == ["photo.jpg"]
    with Image.open(svc.attachment_path(folder, made.attachments[0])) as im:
        assert im.height < 210
    assert seen["scratch"] == []
    seen["window"].close()


def test_cancelling_the_record_removes_the_edited_copies(qtbot, folder, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(from_file, "open_reader", lambda ocr=True: FakeReader({}))
    source = photo(tmp_path)
    choose(monkeypatch, [source])
    window = open_window(qtbot, folder)
    seen: dict[str, object] = {}

    def edit(editor: PhotoEditDialog) -> None:
        qtbot.mouseClick(editor.turn_left_button, Qt.MouseButton.LeftButton)
        editor.ok_button.click()

    def record(dialog: RecordDialog) -> None:
        on_next_dialog(edit)
        dialog.photo_button.click()
        qtbot.waitUntil(lambda: len(dialog.files_to_attach()) == 2, timeout=10_000)
        seen["made"] = [p for p in dialog.files_to_attach() if p.exists()]
        dialog.cancel_button.click()

    errors = on_next_dialog(record)
    window.records_tab.actions.from_file_action.trigger()
    qtbot.waitUntil(lambda: "made" in seen, timeout=10_000)
    qtbot.waitUntil(lambda: not any(p.exists() for p in seen["made"]), timeout=5000)
    assert errors == [] and len(seen["made"]) == 2
    assert records(folder) == []
    window.close()


def test_a_damaged_photo_says_so_in_one_sentence(qtbot, folder, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(from_file, "open_reader", lambda ocr=True: FakeReader({}))
    broken = tmp_path / "photo.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    choose(monkeypatch, [broken])
    window = open_window(qtbot, folder)
    seen: dict[str, str] = {}

    def record(dialog: RecordDialog) -> None:
        qtbot.mouseClick(dialog.photo_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
        seen["error"] = dialog.error_label.text()
        seen["files"] = [p.name for p in dialog.files_to_attach()]
        dialog.cancel_button.click()

    errors = on_next_dialog(record)
    window.records_tab.actions.from_file_action.trigger()
    qtbot.waitUntil(lambda: "error" in seen, timeout=10_000)
    assert errors == []
    assert seen["error"] in ("The picture is damaged and cannot be edited.",
                             "The picture is incomplete and cannot be edited.")
    assert seen["files"] == ["photo.jpg"]  # it can still be attached as it is
    window.close()
