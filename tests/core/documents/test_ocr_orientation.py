"""A scanned line is read as written: the engine's line-angle classifier, which turned some upright lines upside
down, is not used; a page scanned upside down as a whole is read turned round."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from secondopinion_desktop.core.documents import ocr

SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
FONT = SERIF if SERIF.is_file() else Path(__file__).resolve().parents[3] / "resources" / "fonts" / "DejaVuSans.ttf"
LINES = ["SURGICAL PATHOLOGY REPORT  Accession: S26-04412", "Patient: Maria Lopez   DOB: 03/14/1968",
         "Estrogen receptor: Positive (95%), HER2: 1+ negative", "Ki-67: 22%   Date of service: 10/14/2026"]


def scan(angle: float) -> Image.Image:
    sheet = Image.new("L", (1700, 520), 255)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(str(FONT), 36)
    for i, line in enumerate(LINES):
        draw.text((60, 60 + i * 100), line, fill=0, font=font)
    return sheet.rotate(angle, expand=True, fillcolor=255)


def test_a_straightened_heading_is_not_read_upside_down() -> None:
    text = ocr.recognise(scan(2.0))  # straightened by 2°: the heading once came back as "SU :S 12"
    assert text.splitlines()[0].replace("  ", " ") == "SURGICAL PATHOLOGY REPORT Accession: S26-04412"
    assert "Date of service: 10/14/2026" in text


def test_a_page_scanned_upside_down_is_read_turned_round() -> None:
    text = ocr.recognise(scan(180.0))
    assert "Patient: Maria Lopez" in text and "S26-04412" in text
    assert np.asarray(scan(0)).shape == (520, 1700)  # the sheet itself as drawn


def test_a_large_tilted_page_is_straightened_within_the_engines_size() -> None:
    page = Image.new("RGB", (1700, 2200), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), 36)
    for i, line in enumerate(LINES * 4):
        draw.text((80, 100 + i * 110), line, fill="black", font=font)
    tilted = page.rotate(2.0, expand=True, fillcolor="white")
    ready = ocr.prepared(tilted)
    assert max(ready.size) <= ocr.OCR_MAX_SIDE  # shrunk once, before the turn: the engine need not shrink it again
    assert max(ready.size) >= ocr.OCR_MAX_SIDE - 8
    assert abs(ocr.skew_angle(ready)) < 1.0  # about level now (it was 2° off)
    small = scan(0)
    assert ocr.prepared(small).size == small.convert("RGB").size  # a level page within the size is left alone
