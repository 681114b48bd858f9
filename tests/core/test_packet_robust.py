"""The packet with entries of any size: a record with 80 files, text that runs over pages, 300 questions, and
PDFs encrypted without a user password. Each packet is built for real and read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

import pytest
from core.test_packet import (
    PAGE_OF,
    add_record,
    attach_bytes,
    jpeg_bytes,
    outline_entries,
    page_texts,
    simple_pdf,
    squash,
)
from pypdf import PdfReader, PdfWriter

from secondopinion_desktop.core import appointments, profile
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.packet import build_packet
from secondopinion_desktop.core.packet import story as st

WORDS = ["tumor", "marker", "biopsy", "mammogram", "slides", "report", "pathology", "scan", "blood", "count"]


def words(count: int, seed: int) -> str:
    rnd = random.Random(seed)
    return " ".join(rnd.choice(WORDS) for _ in range(count))


def text_heights(page) -> list[float]:  # type: ignore[no-untyped-def]
    """The baseline of every piece of text on a page, in points from the bottom."""
    found: list[float] = []

    def visit(text, cm, tm, font, size) -> None:  # type: ignore[no-untyped-def]
        if text.strip():
            found.append(tm[5] * cm[3] + cm[5])

    page.extract_text(visitor_text=visit)
    return found


def section_pages(reader: PdfReader, title: str) -> tuple[int, int]:
    """First and last page (0-based) of a top-level section: up to the next top-level entry."""
    entries = [(level, t, p) for level, t, p in outline_entries(reader) if level == 0]
    for n, (_, t, first) in enumerate(entries):
        if t == title:
            last = entries[n + 1][2] - 1 if n + 1 < len(entries) else len(reader.pages) - 1
            return first, max(first, last)
    raise AssertionError(f"{title} is not in the outline")


def section_text(reader: PdfReader, title: str) -> str:
    first, last = section_pages(reader, title)
    return squash(" ".join(reader.pages[k].extract_text() for k in range(first, last + 1)))


# --- a record with many files -------------------------------------------------------------------------------

def test_a_record_with_80_files_makes_a_packet_with_every_file(folder, tmp_path: Path) -> None:
    rid = add_record(folder, "Scanned chart", kind="clinical")
    names = [f"chart-page-{n:03d}.pdf" for n in range(80)]
    for n, name in enumerate(names):
        attach_bytes(folder, rid, name, simple_pdf(f"Chart page number {n}"), tmp_path)

    result = build_packet(folder, tmp_path / "packet.pdf")

    assert result.problems == ()
    assert result.included_files == 80
    reader = PdfReader(result.path)
    assert len(reader.pages) == result.pages
    inventory = section_text(reader, "Records inventory")
    assert squash("… and 70 more (80 files in all, listed in the appendix)") in inventory
    assert squash("chart-page-009.pdf") in inventory and squash("chart-page-010.pdf") not in inventory
    titles = {t: p for _, t, p in outline_entries(reader)}
    for n, name in enumerate(names):
        assert f"Chart page number {n}" in reader.pages[titles[f"Scanned chart \u2014 {name}"]].extract_text()
    index = section_text(reader, "Attachment index")
    assert all(squash(name) in index for name in names)


def test_a_short_list_of_files_is_listed_in_full(folder, tmp_path: Path) -> None:
    rid = add_record(folder, "Blood tests", kind="lab")
    for n in range(st.MAX_LISTED_FILES):
        attach_bytes(folder, rid, f"result-{n:02d}.pdf", simple_pdf(f"Result {n}"), tmp_path)

    reader = PdfReader(build_packet(folder, tmp_path / "packet.pdf").path)

    inventory = section_text(reader, "Records inventory")
    assert all(squash(f"result-{n:02d}.pdf") in inventory for n in range(st.MAX_LISTED_FILES))
    assert "more" not in inventory


def test_without_the_appendix_the_count_points_nowhere_else(folder, tmp_path: Path) -> None:
    from secondopinion_desktop.core.packet import PacketOptions

    rid = add_record(folder, "Scanned chart", kind="clinical")
    for n in range(20):
        attach_bytes(folder, rid, f"page-{n:02d}.pdf", simple_pdf(f"Page {n}"), tmp_path)

    result = build_packet(folder, tmp_path / "packet.pdf", PacketOptions(include_appendix=False))

    inventory = section_text(PdfReader(result.path), "Records inventory")
    assert squash("… and 10 more (20 files in all)") in inventory


def test_a_row_that_cannot_be_laid_out_is_named_by_its_record(folder, tmp_path: Path, monkeypatch) -> None:
    """Should a row still be too tall for a page, the message names the record, never a reportlab object."""
    monkeypatch.setattr(st, "SPLIT_IN_ROW", 0)  # the rows' own split turned off, as before
    monkeypatch.setattr(st, "MAX_LISTED_FILES", 1000)  # and every name listed
    rid = add_record(folder, "Scanned chart", kind="clinical")
    for n in range(80):
        attach_bytes(folder, rid, f"chart-page-{n:03d}.pdf", simple_pdf(f"Page {n}"), tmp_path)
    add_record(folder, "Another record", kind="lab")

    with pytest.raises(SecondOpinionError) as caught:
        build_packet(folder, tmp_path / "packet.pdf")

    message = str(caught.value)
    assert message == ("The packet could not be laid out: the record \u201cScanned chart\u201d is too long "
                       "to fit on a page.")
    assert not (tmp_path / "packet.pdf").exists()


# --- long text ----------------------------------------------------------------------------------------------

@pytest.fixture
def long_text_packet(folder, tmp_path: Path):  # type: ignore[no-untyped-def]
    biomarkers = words(3000, 1) + " END-OF-BIOMARKERS"  # about seven pages
    with folder.session() as session:
        profile.save_profile(session, name="Ann " + "Longname " * 40, biomarkers=biomarkers,
                             address=words(600, 2) + " END-OF-ADDRESS")
    title = ("Report " + words(120, 3))[:490] + " TITLE-END"
    rid = add_record(folder, title, kind="imaging", summary=words(9000, 4) + " END-OF-SUMMARY",
                     facility=words(60, 5)[:290], status="received", date_of_service="2026-01-05")
    attach_bytes(folder, rid, "photo.jpg", jpeg_bytes(), tmp_path)
    with folder.session() as session:
        a = appointments.create_appointment(session, dt.datetime.now() + dt.timedelta(days=3))
        for n in range(300):
            appointments.add_question(session, a.id, f"Question number {n + 1}?")
        note = words(60_000, 6) + " END-OF-THE-LONG-NOTE"  # about a hundred pages
        appointments.start_note(session, a.id, text=note)
    from secondopinion_desktop.core.packet import PacketOptions

    result = build_packet(folder, tmp_path / "packet.pdf", PacketOptions(include_image_thumbnails=True))
    return result, PdfReader(result.path), title


def test_long_text_runs_over_pages_or_is_shortened(long_text_packet) -> None:  # type: ignore[no-untyped-def]
    result, reader, title = long_text_packet
    assert result.problems == ()
    texts = page_texts(reader)
    assert len(texts) == result.pages
    assert all(PAGE_OF.search(t) for t in texts)

    # the case summary on the cover stays one page: its long entries are shortened (the name, the markers, the
    # latest imaging result's title and summary, the questions after the first five)
    assert texts[1].startswith("Key labs and trends")
    assert "END-OF-BIOMARKERS" not in texts[0] and "END-OF-SUMMARY" not in texts[0] and "\u2026" in texts[0]
    assert "TITLE-END" not in texts[0] and squash("Question number 5?") in squash(texts[0])
    assert squash("and 295 more questions") in squash(texts[0])

    # the biomarkers run over pages in the cancer summary, in full
    first, last = section_pages(reader, "Cancer summary")
    assert last - first >= 3
    assert "END-OF-BIOMARKERS" in section_text(reader, "Cancer summary")

    # every question is there, in order, across pages
    questions = section_text(reader, "Questions for the doctor")
    positions = [questions.find(squash(f"{n}.  Question number {n}?")) for n in range(1, 301)]
    assert -1 not in positions and positions == sorted(positions)

    # the hundred-page note is printed in full
    first, last = section_pages(reader, "Notes")
    assert last - first >= 60
    assert "END-OF-THE-LONG-NOTE" in section_text(reader, "Notes")

    # the record's summary is shortened in the inventory; its long title is there in full
    inventory = section_text(reader, "Records inventory")
    assert "END-OF-SUMMARY" not in inventory and "TITLE-END" in inventory

    # the picture's caption and the attachment index shorten the title; the inventory has it all
    titles = [t for _, t, _ in outline_entries(reader)]
    caption = next(t for t in titles if t.endswith("photo.jpg"))
    assert caption.startswith("Report ") and "TITLE-END" not in caption
    picture_page = texts[[p for _, t, p in outline_entries(reader) if t == caption][0]]
    assert "TITLE-END" not in picture_page and "photo.jpg" in picture_page
    assert "TITLE-END" not in section_text(reader, "Attachment index")
    assert title  # the full title was 500 characters

    # and no page's text runs into the footer or off the page (the picture's page is the picture's own)
    picture = [p for _, t, p in outline_entries(reader) if t == caption][0]
    for number, page in enumerate(reader.pages):
        if number == picture:
            continue
        heights = text_heights(page)
        body = [y for y in heights if y > st.GEOMETRY.footer_y + 8]
        assert body and min(body) >= st.GEOMETRY.bottom - 2, number
        assert max(heights) <= float(page.mediabox.height) - st.GEOMETRY.top + 14, number
        assert any(abs(y - st.GEOMETRY.footer_y) < 1 for y in heights), number


# --- encrypted PDFs -----------------------------------------------------------------------------------------

def _encrypted(source: bytes, *, user: str, algorithm: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    writer.encrypt(user_password=user, owner_password="x", algorithm=algorithm)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_an_aes_pdf_without_a_user_password_goes_into_the_appendix(
    folder, tmp_path: Path, algorithm: str
) -> None:
    data = _encrypted(simple_pdf("Pathology report from the portal"), user="", algorithm=algorithm)
    assert b"/AESV" in data
    rid = add_record(folder, "Portal download", kind="pathology")
    attach_bytes(folder, rid, "portal.pdf", data, tmp_path)

    result = build_packet(folder, tmp_path / "packet.pdf")

    assert result.problems == ()
    assert result.included_files == 1
    reader = PdfReader(result.path)
    assert not reader.is_encrypted
    titles = {t: p for _, t, p in outline_entries(reader)}
    page = reader.pages[titles["Portal download \u2014 portal.pdf"]].extract_text()
    assert "Pathology report from the portal" in page
    assert PAGE_OF.search(page)


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_a_pdf_that_needs_a_password_is_still_listed_as_such(folder, tmp_path: Path, algorithm: str) -> None:
    data = _encrypted(simple_pdf("Locked report"), user="secret", algorithm=algorithm)
    rid = add_record(folder, "Locked", kind="lab")
    attach_bytes(folder, rid, "locked.pdf", data, tmp_path)

    result = build_packet(folder, tmp_path / "packet.pdf")

    assert result.included_files == 0
    assert [(p.what, p.reason) for p in result.problems] == [(
        "Locked \u2014 locked.pdf",
        "the PDF is protected by a password; save an unprotected copy and attach that",
    )]


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_without_an_aes_library_such_a_pdf_is_not_called_password_protected(
    folder, tmp_path: Path, monkeypatch, algorithm: str
) -> None:
    """Should pypdf find no AES implementation, the reason says so instead of asking for a password."""
    import pypdf._crypt_providers as providers
    import pypdf._encryption as encryption
    from pypdf._crypt_providers import _fallback

    data = _encrypted(simple_pdf("Portal report"), user="", algorithm=algorithm)
    monkeypatch.setattr(providers, "crypt_provider", _fallback.crypt_provider)
    for name in ("aes_cbc_decrypt", "aes_cbc_encrypt", "aes_ecb_decrypt", "aes_ecb_encrypt"):
        if hasattr(encryption, name):
            monkeypatch.setattr(encryption, name, getattr(_fallback, name))
    rid = add_record(folder, "Portal download", kind="pathology")
    attach_bytes(folder, rid, "portal.pdf", data, tmp_path)

    result = build_packet(folder, tmp_path / "packet.pdf")

    assert [(p.what, p.reason) for p in result.problems] == [
        ("Portal download \u2014 portal.pdf", "the PDF is encrypted in a way this computer cannot open"),
    ]
    assert result.included_files == 0


def test_cryptography_is_a_declared_dependency() -> None:
    """pypdf opens AES-encrypted PDFs only with it; an install from the project's own files must bring it."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.replace(" ", "").startswith("cryptography>=") for d in declared)


def test_a_damaged_stored_file_is_left_out_of_the_packet_and_named(folder, tmp_path) -> None:
    """Item 6: a stored PDF whose bytes no longer match its SHA-256 never reaches the doctor's packet."""
    import os

    from pypdf import PdfReader

    from secondopinion_desktop.core.packet import PacketOptions, build_packet
    from secondopinion_desktop.core.records import attach_file, create_record

    with folder.session() as session:
        record = create_record(session, "pathology", "Biopsy report")
    source = tmp_path / "biopsy.pdf"
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    with open(source, "wb") as fh:
        writer.write(fh)
    attachment = attach_file(folder, record.id, source)
    stored = folder.vault.path_for(attachment.sha256)
    os.chmod(stored, 0o600)
    data = bytearray(stored.read_bytes())
    assert data[9:10] == b"%", "the header's binary comment line"
    data[11] ^= 0x01  # one flipped bit in that comment: a valid PDF still, but not the file that was stored
    stored.write_bytes(bytes(data))
    PdfReader(str(stored)).pages[0]  # readable as a PDF
    result = build_packet(folder, tmp_path / "packet.pdf", PacketOptions())
    assert result.included_files == 0
    assert any("fingerprint" in p.reason and "biopsy.pdf" in p.what for p in result.problems), result.problems
    assert len(PdfReader(str(tmp_path / "packet.pdf")).pages) > 1
