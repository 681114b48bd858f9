"""A photo turned and cropped before it is stored: EXIF orientation first, quarter turns, straightening, a crop
box clamped to the picture, a private file, and pictures that are refused in one sentence."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from PIL import Image

from secondopinion_desktop.core.documents.model import Unreadable
from secondopinion_desktop.core.documents.photo import (
    MAX_IMAGE_PIXELS,
    PhotoEdit,
    apply_edit,
    crop_box,
    edited_name,
    is_photo,
    open_photo,
    original_name,
    save_edited,
)

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def marked_picture(width: int = 40, height: int = 20) -> Image.Image:
    """White, with a red top-left corner block and a blue bottom-right one: where they end up says the turn."""
    picture = Image.new("RGB", (width, height), WHITE)
    picture.paste(RED, (0, 0, 10, 10))
    picture.paste(BLUE, (width - 10, height - 10, width, height))
    return picture


def near(pixel, colour, slack: int = 40) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(pixel[:3], colour, strict=True))


def test_exif_orientation_turns_the_photo_upright(tmp_path) -> None:
    path = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show it 90° clockwise
    marked_picture().save(path, format="JPEG", quality=95, exif=exif)
    picture = open_photo(path)
    assert picture.size == (20, 40)
    assert near(picture.getpixel((15, 4)), RED)  # top-left went to the top-right
    assert near(picture.getpixel((4, 35)), BLUE)


def test_quarter_turns_go_clockwise_and_a_crop_takes_the_box() -> None:
    turned = apply_edit(marked_picture(), PhotoEdit(quarter_turns=1))
    assert turned.size == (20, 40)
    assert turned.getpixel((15, 4)) == RED and turned.getpixel((4, 35)) == BLUE
    assert apply_edit(marked_picture(), PhotoEdit(quarter_turns=2)).getpixel((35, 15)) == RED
    assert apply_edit(marked_picture(), PhotoEdit(quarter_turns=3)).getpixel((4, 35)) == RED

    cropped = apply_edit(marked_picture(), PhotoEdit(crop=(0.0, 0.0, 0.25, 0.5)))
    assert cropped.size == (10, 10)
    assert cropped.getcolors() == [(100, RED)]


def test_straightening_turns_a_little_and_fills_the_corners_white() -> None:
    picture = Image.new("L", (200, 100), 0)
    straightened = apply_edit(picture, PhotoEdit(straighten=5))
    assert straightened.width > 200 and straightened.height > 100  # the whole picture is kept
    assert straightened.getpixel((0, 0)) == 255  # an uncovered corner
    assert straightened.getpixel((straightened.width // 2, straightened.height // 2)) == 0
    assert apply_edit(picture, PhotoEdit(straighten=45)).size == apply_edit(picture, PhotoEdit(straighten=10)).size


def test_a_crop_box_is_clamped_to_the_picture() -> None:
    assert crop_box((-0.5, -1, 2, 3), 40, 20) == (0, 0, 40, 20)
    assert crop_box((0.75, 0.5, 0.25, 0.0), 40, 20) == (10, 0, 30, 10)  # sides given the wrong way round
    assert crop_box((1.0, 1.0, 1.0, 1.0), 40, 20) == (39, 19, 40, 20)  # at least one pixel
    assert apply_edit(marked_picture(), PhotoEdit(crop=(0.5, 0.5, 0.5, 0.5))).size == (1, 1)
    assert PhotoEdit(crop=(-1, -1, 5, 5)).changes_nothing and not PhotoEdit(quarter_turns=1).changes_nothing


def test_the_edited_copy_is_private_and_named_like_the_original(tmp_path) -> None:
    source = tmp_path / "Path report.png"
    marked_picture().save(source)
    out = tmp_path / "private"
    out.mkdir()
    edited = save_edited(source, PhotoEdit(quarter_turns=1), out)
    assert edited == out / "Path report.png"
    assert stat.S_IMODE(edited.stat().st_mode) == 0o600
    with Image.open(edited) as im:
        assert im.format == "PNG" and im.size == (20, 40) and im.getpixel((15, 4)) == RED
    assert source.read_bytes() != edited.read_bytes()  # the original is untouched
    assert original_name("scan.jpg") == "scan (original).jpg"
    assert edited_name("IMG_0042.HEIC") == "IMG_0042.jpg" and edited_name("fax.tiff") == "fax.png"
    assert is_photo("IMG_0042.HEIC") and is_photo("x", "image/jpeg") and not is_photo("report.pdf")


def test_a_jpeg_loses_its_metadata_but_keeps_its_look(tmp_path) -> None:
    source = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N"}  # a GPS block
    marked_picture(400, 200).save(source, format="JPEG", quality=95, exif=exif)
    out = tmp_path / "private"
    out.mkdir()
    edited = save_edited(source, PhotoEdit(crop=(0, 0, 0.5, 1)), out)
    assert edited == out / "photo.jpg"
    with Image.open(edited) as im:
        assert im.format == "JPEG" and im.size == (200, 200)
        assert not im.getexif()
        assert near(im.getpixel((2, 2)), RED)


def test_a_decompression_bomb_is_refused_before_it_is_decoded(tmp_path) -> None:
    side = int(MAX_IMAGE_PIXELS ** 0.5) + 100
    bomb = tmp_path / "bomb.png"
    Image.new("1", (side, side)).save(bomb, optimize=True)  # a few hundred kB that would decode to gigabytes
    assert bomb.stat().st_size < 5_000_000
    with pytest.raises(Unreadable, match="too large"):
        open_photo(bomb)
    with pytest.raises(Unreadable, match="too large"):
        save_edited(bomb, PhotoEdit(quarter_turns=1), tmp_path, name="other.png")
    assert not (tmp_path / "other.png").exists()


@pytest.mark.parametrize("content, words", [
    (b"", "not a picture"),
    (b"not a picture at all", "not a picture"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "damaged"),  # a JPEG's start, and nothing of a picture after it
])
def test_what_is_no_picture_is_refused_in_one_sentence(tmp_path, content, words) -> None:
    path = tmp_path / "scan.jpg"
    path.write_bytes(content)
    with pytest.raises(Unreadable, match=words):
        open_photo(path)


def test_a_cut_off_photo_is_refused(tmp_path) -> None:
    whole = tmp_path / "whole.png"
    marked_picture(400, 400).save(whole)
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(Unreadable, match="incomplete|damaged"):
        open_photo(Path(cut))


def test_a_preview_is_small_and_upright(tmp_path) -> None:
    path = tmp_path / "big.jpg"
    marked_picture(4000, 2000).save(path, format="JPEG")
    preview = open_photo(path, max_side=800)
    assert max(preview.size) <= 800 and preview.width > preview.height
