"""Hostile files given to the document reader: each is marked with one clear reason, the other files are read,
and nothing is decoded that could exhaust memory."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from secondopinion_desktop.core import records
from secondopinion_desktop.core.documents import index
from secondopinion_desktop.core.documents.model import FAILED, READ, Unreadable
from secondopinion_desktop.core.documents.ocr import pixel_limit
from secondopinion_desktop.core.documents.reader import ProcessReader, read_document
from secondopinion_desktop.core.packet.appendix import MAX_IMAGE_PIXELS


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels, with almost no pixel data behind it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def real_png(path: Path) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 400), "white")
    ImageDraw.Draw(image).text((20, 20), "HER2 negative", fill="black")
    image.save(path, "PNG", compress_level=0)
    return path.read_bytes()


def text_pdf(path: Path, body: str) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pdf.drawString(72, 720, body)
    pdf.showPage()
    pdf.save()
    return path


def test_the_reader_refuses_pictures_over_the_packets_pixel_limit() -> None:
    assert pixel_limit() == MAX_IMAGE_PIXELS  # one limit for the packet and the reader


def test_bad_files_are_marked_with_their_reason_and_the_good_one_is_still_read(folder, tmp_path) -> None:
    from pypdf import PdfReader, PdfWriter

    files = tmp_path / "in"
    files.mkdir()
    good = text_pdf(files / "good.pdf", "Invasive ductal carcinoma, HER2 negative")
    (files / "bomb.png").write_bytes(png_claiming(100_000, 100_000))  # ten billion pixels
    (files / "large.png").write_bytes(png_claiming(9_000, 8_000))  # 72 million: Pillow would open it
    whole = real_png(files / "whole.png")
    (files / "cut.png").write_bytes(whole[: len(whole) // 2])
    (files / "damaged.pdf").write_bytes(good.read_bytes()[:30] + b"\x00" * 500)
    locked = PdfWriter(clone_from=PdfReader(good))
    locked.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-256")
    locked.write(files / "locked.pdf")
    names = ["bomb.png", "large.png", "cut.png", "damaged.pdf", "locked.pdf", "good.pdf"]
    record = records.create_record_with_files(folder, "pathology", "Biopsy", [files / n for n in names])
    by_name = {a.original_name: a.sha256 for a in record.attachments}

    with ProcessReader(page_seconds=30) as reader:
        summary = index.read_pending(folder, reader)
    assert (summary.read, summary.failed, summary.left) == (1, 5, 0)
    with folder.session() as session:
        states = index.document_states(session, by_name.values())
        reasons = {name: states[sha].reason for name, sha in by_name.items() if states[sha].state == FAILED}
        assert states[by_name["good.pdf"]].state == READ
        assert [h.attachment_name for h in index.search(session, "her2")] == ["good.pdf"]
    assert reasons == {
        "bomb.png": "The picture is too large to open safely; it could be a decompression bomb.",
        "large.png": "The picture is too large to open safely (9,000 \u00d7 8,000 pixels); it could be a "
                     "decompression bomb.",
        "cut.png": "The picture is incomplete (the file was cut short), so its text cannot be read.",
        "damaged.pdf": "It is damaged, so its text cannot be read.",
        "locked.pdf": "It is protected by a password, so its text cannot be read.",
    }


def test_an_empty_file_says_so(tmp_path) -> None:
    empty = tmp_path / "fax.pdf"
    empty.write_bytes(b"")
    with ProcessReader() as reader, pytest.raises(Unreadable) as caught:
        reader.read(empty, "application/pdf")
    assert caught.value.reason == "The file is empty."


def test_a_2_gb_file_is_refused_without_being_read(tmp_path) -> None:
    huge = tmp_path / "scan.tiff"
    with open(huge, "wb") as fh:  # sparse: only its size is 2 GB
        fh.write(b"II*\x00")
        fh.truncate(2 * 1024**3)
    with ProcessReader() as reader, pytest.raises(Unreadable) as caught:
        reader.read(huge, "image/tiff")
    assert caught.value.reason == "It is larger than 1 GB, too large to read its text."
    assert reader.child_pid is None  # refused before a child was needed


def test_a_picture_in_a_pdf_name_and_a_pdf_in_a_picture_name_are_read_by_their_content(tmp_path) -> None:
    pdf = text_pdf(tmp_path / "scan.jpg", "Ki-67 22 %")
    assert read_document(pdf, "image/jpeg").text == "Ki-67 22 %"
    bomb = tmp_path / "report.pdf"
    bomb.write_bytes(png_claiming(50_000, 50_000))
    with pytest.raises(Unreadable) as caught:
        read_document(bomb, "application/pdf")
    assert "decompression bomb" in caught.value.reason
