"""Text recognised in scans and photos: a scanned PDF, a phone photo taken sideways and a little crooked, a
two-page TIFF fax, a HEIC photo; the engine's boxes put back into lines; no network, no log noise."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest

from secondopinion_desktop.core.documents import ocr
from secondopinion_desktop.core.documents.model import BY_OCR
from secondopinion_desktop.core.documents.ocr import Box, lines_from
from secondopinion_desktop.core.documents.reader import read_document

FONT = Path(__file__).resolve().parents[3] / "resources" / "fonts" / "DejaVuSans.ttf"
LINES = ["Surgical Pathology Report", "Accession S26-04417", "HER2 negative Ki-67 22%"]


def paper(lines: list[str], *, size: tuple[int, int] = (1100, 520), font_px: int = 40):  # type: ignore[no-untyped-def]
    """A white sheet with the lines printed on it, slightly grey and noisy like a scan."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    sheet = Image.new("L", size, 255)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(str(FONT), font_px)
    for i, line in enumerate(lines):
        draw.text((60, 60 + i * int(font_px * 1.8)), line, fill=0, font=font)
    pixels = np.asarray(sheet, dtype=np.float32) * 0.93
    pixels += np.random.default_rng(16).normal(0, 8, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")


def words(text: str) -> list[str]:
    return text.replace("\n", " ").split()


def test_boxes_overlapping_vertically_are_one_line_read_left_to_right() -> None:
    boxes = [  # a table row whose cells were found out of order, a little uneven, and the row below it
        Box(600, 102, 700, 138, "g/dL"), Box(50, 100, 300, 140, "Hemoglobin"), Box(400, 104, 480, 136, "12.4"),
        Box(800, 101, 950, 139, "12.0-15.5"), Box(52, 150, 200, 188, "WBC"), Box(402, 149, 470, 187, "6.8"),
    ]
    assert lines_from(boxes) == ["Hemoglobin 12.4 g/dL 12.0-15.5", "WBC 6.8"]


def test_two_close_lines_over_each_other_stay_two_lines() -> None:
    boxes = [Box(50, 100, 500, 130, "Final diagnosis:"), Box(60, 118, 520, 148, "Invasive carcinoma")]
    assert lines_from(boxes) == ["Final diagnosis:", "Invasive carcinoma"]


def test_the_engine_uses_the_models_in_the_wheel_never_the_network_and_logs_nothing(monkeypatch, capfd) -> None:
    from rapidocr.utils.download_file import DownloadFile

    def refuse(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the recognition engine tried the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(DownloadFile, "run", classmethod(refuse))
    monkeypatch.setattr(ocr, "_engine", None)
    assert all(path.is_file() for path in ocr.model_paths().values())
    text = ocr.recognise(paper(LINES[:2], size=(900, 240)))
    assert words(text) == words("\n".join(LINES[:2]))
    captured = capfd.readouterr()
    assert "RapidOCR" not in captured.err + captured.out and "INFO" not in captured.err


def test_a_scanned_pdf_is_read_by_recognising_its_pages(tmp_path) -> None:
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    paper(LINES).save(buffer, "PNG")
    buffer.seek(0)
    path = tmp_path / "fax.pdf"
    pdf = canvas.Canvas(str(path), pagesize=letter)
    pdf.drawImage(ImageReader(buffer), 36, 400, width=540, height=540 * 520 / 1100)  # ~150 dpi
    pdf.showPage()
    pdf.save()
    result = read_document(path)
    assert result.page_count == 1 and result.pages[0].method == BY_OCR
    for line in LINES:
        assert line in result.text.split("\n")


def test_a_sideways_crooked_phone_photo_is_turned_upright_by_its_exif_and_straightened(tmp_path) -> None:
    from PIL import Image

    upright = paper(LINES, size=(1200, 700))
    crooked = upright.rotate(3, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(238, 238, 238))
    stored = crooked.transpose(Image.Transpose.ROTATE_90)  # how the phone stored it: sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to show"
    path = tmp_path / "photo.jpg"
    stored.save(path, "JPEG", quality=85, exif=exif.tobytes())
    assert ocr.skew_angle(ocr.PictureFile(path).picture(1)) == pytest.approx(-3, abs=0.4)
    result = read_document(path, "image/jpeg")
    assert result.text.split("\n") == LINES


def test_each_frame_of_a_tiff_is_a_page(tmp_path) -> None:
    first = paper(["Page one: HER2 negative"], size=(760, 400))
    second = paper(["Page two: Ki-67 22%"], size=(760, 400))
    path = tmp_path / "fax.tiff"
    first.save(path, "TIFF", save_all=True, append_images=[second], compression="tiff_deflate")
    result = read_document(path, "image/tiff")
    assert result.page_count == 2
    assert [p.text for p in result.pages] == ["Page one: HER2 negative", "Page two: Ki-67 22%"]


def test_a_heic_photo_is_read(tmp_path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "IMG_0001.HEIC"
    pillow_heif.from_pillow(paper(["Accession S26-04417"], size=(760, 400))).save(str(path), quality=90)
    assert path.read_bytes()[4:12] in (b"ftypheic", b"ftypmif1")
    assert read_document(path, "image/heic").text == "Accession S26-04417"


def test_a_scan_is_recognised_in_the_readers_child_process(tmp_path) -> None:
    from secondopinion_desktop.core.documents.reader import ProcessReader

    path = tmp_path / "scan.png"
    paper(LINES[1:], size=(1000, 400)).save(path)
    with ProcessReader() as reader:
        result = reader.read(path, "image/png")
        assert reader.modules() == []  # recognising text loads no Qt either
    assert result.pages[0].method == BY_OCR and result.text.split("\n") == LINES[1:]
