"""The PDF packet: built from the sample case and checked by reading the PDF back with pypdf."""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from secondopinion_desktop.core import appointments, records
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.errors import NotFoundError, SecondOpinionError
from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.packet import (
    PacketOptions,
    PacketResult,
    build_packet,
    export_notes_pdf,
)
from secondopinion_desktop.core.profile import get_profile
from secondopinion_desktop.core.progress import Cancelled

SECTIONS = (
    "Case summary", "Key labs and trends", "Contents", "Cancer summary", "Timeline", "Records inventory",
    "Still missing",
    "Imaging studies and pathology specimens", "Questions for the doctor", "Notes",
    "Appendix: attached documents", "Attachment index",
)
PAGE_OF = re.compile(r"Page (\d+) of (\d+)")


# --- helpers ------------------------------------------------------------------------------------------------

def squash(text: str) -> str:
    """Text without any whitespace: table cells and long words wrap, so compare without line breaks."""
    return re.sub(r"\s+", "", text)


def outline_entries(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) for every outline item, in order."""
    out: list[tuple[int, str, int]] = []

    def walk(items, depth: int) -> None:  # type: ignore[no-untyped-def]
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def page_texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def attached(folder, kinds: tuple[str, ...] = ("pdf", "image"), thumbnails: bool = False):  # type: ignore[no-untyped-def]
    """(record, attachment, vault path, kind) of every attachment in the appendix, in its order (pathology, imaging
    newest first, molecular, labs, treatment, the rest); imaging pictures only with ``thumbnails``."""
    from secondopinion_desktop.core.packet.data import appendix_order

    with folder.session() as session:
        recs = sorted(records.list_records(session), key=appendix_order)
    out = []
    for r in recs:
        for a in r.attachments:
            path = records.attachment_path(folder, a)
            kind = "pdf" if a.media_type == "application/pdf" else "image"
            if kind == "image" and r.kind is RecordKind.IMAGING and not thumbnails:
                continue
            if kind in kinds:
                out.append((r, a, path, kind))
    return out


def no_leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def png_bytes(width: int, height: int, seed: int = 1) -> bytes:
    from PIL import Image

    image = Image.effect_noise((width, height), 40 + seed).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header claims 20000 × 20000 pixels (1 bit each)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 16)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def add_record(folder, title: str, kind: str = "other", **fields) -> int:  # type: ignore[no-untyped-def]
    with folder.session() as session:
        return records.create_record(session, kind, title, **fields).id


def attach_bytes(  # type: ignore[no-untyped-def]
    folder, record_id: int, name: str, data: bytes, tmp_path: Path
):
    folder_ = tmp_path / "sources"
    folder_.mkdir(exist_ok=True)
    source = folder_ / f"{record_id}-{len(list(folder_.iterdir()))}.bin"
    source.write_bytes(data)
    return records.attach_file(folder, record_id, source, original_name=name)


# --- the sample case ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_packet(tmp_path_factory):  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.db import open_data_folder

    base = tmp_path_factory.mktemp("packet")
    folder = open_data_folder(base / "data")
    fill_demo_data(folder)
    out = base / "out" / "packet.pdf"
    out.parent.mkdir()
    calls: list[tuple[int, int, str]] = []
    result = build_packet(folder, out, progress=lambda done, total, what: calls.append((done, total, what)))
    yield folder, result, PdfReader(out), calls
    folder.close()


def test_packet_page_count_is_reportlab_pages_plus_appended_pages(demo_packet) -> None:
    folder, result, reader, _ = demo_packet
    assert isinstance(result, PacketResult)
    assert result.problems == ()
    assert len(reader.pages) == result.pages
    files = attached(folder)
    source_pages = sum(len(PdfReader(path).pages) for _, _, path, kind in files if kind == "pdf")
    images = sum(1 for *_, kind in files if kind == "image")
    assert result.included_files == len(files)
    # Every page, appended ones included, is the packet's page size (an attached page is scaled into it).
    assert {(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages} == {(612.0, 792.0)}
    # The reportlab pages: everything up to the first appended document, and from the attachment index on.
    entries = outline_entries(reader)
    first_doc = min(page for depth, _, page in entries if depth == 1 and " \u2014 " in _)
    index_page = next(page for depth, title, page in entries if title == "Attachment index")
    reportlab_pages = first_doc + (len(reader.pages) - index_page)
    assert len(reader.pages) == reportlab_pages + source_pages + images
    assert index_page - first_doc == source_pages + images


def test_every_page_says_page_x_of_the_final_total(demo_packet) -> None:
    _, result, reader, _ = demo_packet
    for number, text in enumerate(page_texts(reader), start=1):
        found = PAGE_OF.findall(text)
        assert (str(number), str(result.pages)) in found, (number, text[-200:])
        assert "Alex Sample" in text and "born" in text


def test_outline_has_every_section_and_every_appended_document(demo_packet) -> None:
    folder, _, reader, _ = demo_packet
    entries = outline_entries(reader)
    titles = [title for _, title, _ in entries]
    for section in SECTIONS:
        assert section in titles, section
    top = [title for depth, title, _ in entries if depth == 0]
    assert entries[0][1:] == ("Case summary", 0)
    assert next(e for e in entries if e[0] == 0 and e[1] != "Case summary")[1:] == ("Key labs and trends", 1)
    assert top.index("Case summary") < top.index("Key labs and trends") < top.index("Contents") \
        < top.index("Cancer summary") < top.index("Timeline")
    assert top.index("Notes") < top.index("Appendix: attached documents") < top.index("Attachment index")
    appendix_children = []
    in_appendix = False
    for depth, title, _ in entries:
        if depth == 0:
            in_appendix = title == "Appendix: attached documents"
        elif in_appendix:
            appendix_children.append(title)
    expected = [f"{r.title} \u2014 {a.original_name}" for r, a, _, _ in attached(folder)]
    assert appendix_children == expected
    pages = [page for _, _, page in entries if _ in expected]
    assert pages == sorted(pages)


def test_appended_pdf_pages_are_the_source_pages(demo_packet) -> None:
    folder, _, reader, _ = demo_packet
    starts = {title: page for _, title, page in outline_entries(reader)}
    for r, a, path, _kind in attached(folder, ("pdf",)):
        source = PdfReader(path)
        first = starts[f"{r.title} \u2014 {a.original_name}"]
        for k, source_page in enumerate(source.pages):
            got = squash(reader.pages[first + k].extract_text())
            want = squash(source_page.extract_text())
            assert want and want in got, (a.original_name, k)


def test_cover_contents_and_sections(demo_packet) -> None:
    folder, _, reader, _ = demo_packet
    with folder.session() as session:
        profile = get_profile(session)
        upcoming = appointments.list_appointments(session)[0]
    cover = reader.pages[0].extract_text()
    assert profile.name in cover
    born = profile.date_of_birth
    assert f"{born:%b} {born.day}, {born.year}" in cover
    assert upcoming.clinician_name in cover
    assert "Prepared on" in cover and "Prepared by the patient with Second Opinion" in cover
    assert profile.phone in cover and profile.email in cover
    contents = squash(reader.pages[2].extract_text() + reader.pages[3].extract_text())
    entries = {title: page for _, title, page in outline_entries(reader)}
    # The contents give the right page numbers (each entry's dots and number extract just before its title).
    for section in ("Cancer summary", "Records inventory", "Questions for the doctor"):
        found = re.search(r"\.(\d+)" + re.escape(squash(section)), contents)
        assert found and int(found.group(1)) == entries[section] + 1, section
    everything = squash("".join(page_texts(reader)))
    for question in upcoming.questions:
        assert squash(question.text) in everything
    assert squash("Still missing") in everything


def test_every_record_title_is_in_the_packet(demo_packet) -> None:
    folder, _, reader, _ = demo_packet
    text = squash("".join(page_texts(reader)[:15]))
    with folder.session() as session:
        for r in records.list_records(session):
            assert squash(r.title) in text, r.title


def test_metadata_and_file_mode(demo_packet) -> None:
    _, result, reader, _ = demo_packet
    meta = reader.metadata
    assert meta.author == "Alex Sample"
    assert "Alex Sample" in meta.title
    assert meta.subject and "second-opinion" in meta.subject
    assert meta.creator == "Second Opinion"
    assert result.path.stat().st_mode & 0o777 == 0o600
    assert no_leftovers(result.path.parent) == ["packet.pdf"]


def test_progress_counts_up_to_the_total(demo_packet) -> None:
    _, _, _, calls = demo_packet
    assert calls
    done = [c[0] for c in calls]
    assert done == sorted(done)
    assert all(total == calls[-1][1] for _, total, _ in calls)
    assert calls[-1][0] == calls[-1][1]
    assert any(what.startswith("Adding ") for *_, what in calls)


def test_the_package_imports_without_the_pdf_libraries() -> None:
    code = (
        "import sys, secondopinion_desktop.core.packet as p; "
        "print(sorted(m for m in ('reportlab', 'pypdf', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- choices ------------------------------------------------------------------------------------------------

def test_chosen_records_and_appointment(folder, tmp_path: Path) -> None:
    fill_demo_data(folder)
    with folder.session() as session:
        recs = records.list_records(session)
        appointment = appointments.list_appointments(session)[0]
    chosen = [r for r in recs if r.kind is RecordKind.IMAGING]
    out = tmp_path / "imaging.pdf"
    result = build_packet(folder, out, PacketOptions(
        appointment_id=appointment.id, record_ids=frozenset(r.id for r in chosen)))
    reader = PdfReader(out)
    inventory = squash("".join(page_texts(reader)[:12]))
    for r in chosen:
        assert squash(r.title) in inventory
    others = [r for r in recs if r.kind is RecordKind.LAB]
    for r in others:
        assert squash(r.title) not in inventory
    # the imaging pictures (series previews) are left out by default, and go in when asked for
    pictures = sum(1 for r in chosen for a in r.attachments if a.media_type.startswith("image/"))
    assert pictures >= 1
    assert result.included_files == sum(len(r.attachments) for r in chosen) - pictures
    assert squash(f"{pictures} pictures from imaging records") in squash("".join(page_texts(reader)))
    both = build_packet(folder, tmp_path / "with.pdf", PacketOptions(
        appointment_id=appointment.id, record_ids=frozenset(r.id for r in chosen), include_image_thumbnails=True))
    assert both.included_files == sum(len(r.attachments) for r in chosen)
    assert both.pages == result.pages + pictures

    without = build_packet(folder, tmp_path / "short.pdf", PacketOptions(include_appendix=False))
    titles = [t for _, t, _ in outline_entries(PdfReader(without.path))]
    assert "Appendix: attached documents" not in titles and without.included_files == 0
    assert without.pages < result.pages + 30


def test_unknown_appointment_or_record_is_refused(folder, tmp_path: Path) -> None:
    out = tmp_path / "p.pdf"
    with pytest.raises(NotFoundError, match="appointment 99"):
        build_packet(folder, out, PacketOptions(appointment_id=99))
    with pytest.raises(NotFoundError, match="record 5"):
        build_packet(folder, out, PacketOptions(record_ids=frozenset({5})))
    assert no_leftovers(tmp_path) == ["data"]


def test_an_empty_folder_still_makes_a_packet(folder, tmp_path: Path) -> None:
    result = build_packet(folder, tmp_path / "empty.pdf")
    text = "".join(page_texts(PdfReader(result.path)))
    assert "No appointment has been entered yet." in text
    assert "No treatment yet." in text
    assert result.problems == () and result.included_files == 0


# --- hostile text -------------------------------------------------------------------------------------------

HOSTILE = (
    "<b>bold?</b> &amp; <font color=red>red</font> <para> back\\slash \\n 1 < 2 > 0 \" ' "
    "\U0001f600 مرحبا 右"
)


def test_hostile_text_prints_literally(folder, tmp_path: Path) -> None:
    from secondopinion_desktop.core.profile import save_profile

    long_note = ("Chemo day notes. " * 700) + ("x" * 5000) + " THE-END-OF-THE-NOTE"
    assert len(long_note) > 16_000
    with folder.session() as session:
        save_profile(session, name="Zoë <i>Ünal</i> & 右", date_of_birth="1970-02-03",
                     cancer_type="Lung <cancer> & more", biomarkers="EGFR <L858R>\n\u0007ALK &neg;")
        rid = records.create_record(session, "pathology", "Report " + HOSTILE, summary=HOSTILE,
                                    notes=long_note, facility="Clinic <&> " + HOSTILE[:40]).id
        a = appointments.create_appointment(session, dt.datetime.now() + dt.timedelta(days=3),
                                            place="Room <3>", attendees="Mom & <Dad>")
        appointments.add_question(session, a.id, "Question " + HOSTILE)
        q2 = appointments.add_question(session, a.id, "Is <this> answered?")
        appointments.answer_question(session, q2.id, "Yes &amp; no\n" + "y" * 3000)
        appointments.start_note(session, a.id, dt.datetime(2026, 1, 2, 9, 41), text=long_note)
        appointments.start_note(session, a.id, dt.datetime(2026, 1, 2, 10, 5), text="Second " + HOSTILE)
    attach_bytes(folder, rid, HOSTILE[:30] + ".png", png_bytes(60, 40), tmp_path)

    result = build_packet(folder, tmp_path / "hostile.pdf")
    reader = PdfReader(result.path)
    text = "\n".join(page_texts(reader))
    flat = squash(text)
    for literal in ("<b>bold?</b>", "&amp;", "<font color=red>red</font>", "<para>", "back\\slash",
                    "1 < 2 > 0",
                    "Room <3>", "Mom & <Dad>", "Is <this> answered?", "Yes &amp; no", "Lung <cancer> & more",
                    "EGFR <L858R>"):
        assert squash(literal) in flat, literal
    assert "右" in text  # the CID font's text extracts; emoji and Arabic glyphs print, extraction may differ
    assert "THE-END-OF-THE-NOTE" in text
    assert flat.count("Chemo") == 700  # the whole note, across pages (record notes stay private)
    assert "Zoë <i>Ünal</i> & 右" in text  # the footer and cover print the name as typed
    assert "Note started Jan 2, 2026 at 9:41 AM" in text
    numbers = [PAGE_OF.findall(t) for t in page_texts(reader)]
    assert all((str(n), str(result.pages)) in found for n, found in enumerate(numbers, start=1))


def test_escaping_helper() -> None:
    from secondopinion_desktop.core.packet.text import para, plain

    assert para("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert para("a\x00b\x1bc\x7f\u0085d") == "abcd"
    assert para("line\nbreak") == "line<br/>break"
    assert para("右側") == '<font name="STSong-Light">右側</font>'
    assert para("\U0001f600") == "\ufffd"
    assert plain("a\n b" + "c" * 50, 10) == "a bcccccc\u2026"


# --- files that cannot go in --------------------------------------------------------------------------------

def encrypted_pdf(source: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def simple_pdf(text: str, pagesize=(612, 792), rotate: int = 0) -> bytes:  # type: ignore[no-untyped-def]
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=pagesize)
    c.setFont("Helvetica", 14)
    c.drawString(72, pagesize[1] - 100, text)
    c.drawString(72, 20, "bottom line " + text)
    c.showPage()
    c.save()
    if not rotate:
        return buf.getvalue()
    writer = PdfWriter(clone_from=PdfReader(buf))
    writer.pages[0].rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_bytes(width: int = 120, height: int = 80) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def test_bad_files_are_listed_and_the_packet_is_still_built(folder, tmp_path: Path) -> None:
    good = simple_pdf("A good attached document")
    rid = add_record(folder, "Odd files")
    attach_bytes(folder, rid, "good.pdf", good, tmp_path)
    attach_bytes(folder, rid, "locked.pdf", encrypted_pdf(good), tmp_path)
    attach_bytes(folder, rid, "cut.pdf", good[: len(good) // 2], tmp_path)
    attach_bytes(folder, rid, "photo-really.pdf", jpeg_bytes(), tmp_path)
    png = png_bytes(300, 300)
    attach_bytes(folder, rid, "cut.png", png[: len(png) // 2], tmp_path)
    photo = jpeg_bytes(800, 600)
    attach_bytes(folder, rid, "cut.jpg", photo[: len(photo) // 2], tmp_path)
    attach_bytes(folder, rid, "bomb.png", bomb_png(), tmp_path)
    attach_bytes(folder, rid, "notes.txt", b"just some text, not a picture\n" * 10, tmp_path)
    gone = attach_bytes(folder, rid, "gone.pdf", simple_pdf("This one will vanish"), tmp_path)
    folder.vault.path_for(gone.sha256).unlink()
    assert len(bomb_png()) < 2000

    result = build_packet(folder, tmp_path / "packet.pdf")
    reasons = {p.what.split(" \u2014 ")[1]: p.reason for p in result.problems}
    assert set(reasons) == {"locked.pdf", "cut.pdf", "cut.png", "cut.jpg", "bomb.png", "notes.txt", "gone.pdf"}
    assert "password" in reasons["locked.pdf"]
    assert "incomplete" in reasons["cut.pdf"]
    assert "incomplete" in reasons["cut.png"] or "damaged" in reasons["cut.png"]
    assert "incomplete" in reasons["cut.jpg"] or "damaged" in reasons["cut.jpg"]
    assert "too large" in reasons["bomb.png"]
    assert "neither a PDF nor a picture" in reasons["notes.txt"]
    assert "missing" in reasons["gone.pdf"]
    assert result.included_files == 2  # good.pdf and the JPEG that was named .pdf

    reader = PdfReader(result.path)
    assert len(reader.pages) == result.pages
    titles = {t: p for _, t, p in outline_entries(reader)}
    assert "Files not included" in titles
    assert "A good attached document" in reader.pages[titles["Odd files \u2014 good.pdf"]].extract_text()
    photo_page = reader.pages[titles["Odd files \u2014 photo-really.pdf"]]
    assert "/XObject" in photo_page["/Resources"]  # drawn as a picture
    not_included = squash(reader.pages[titles["Files not included"]].extract_text())
    for name, reason in reasons.items():
        assert squash(name) in not_included and squash(reason).lower() in not_included.lower()


def test_odd_page_sizes_and_rotation_get_the_footer_below(folder, tmp_path: Path) -> None:
    rid = add_record(folder, "Sizes")
    attach_bytes(folder, rid, "landscape.pdf", simple_pdf("Landscape page", (842, 595)), tmp_path)
    attach_bytes(folder, rid, "rotated.pdf", simple_pdf("Rotated page", rotate=90), tmp_path)
    attach_bytes(folder, rid, "small.pdf", simple_pdf("Small page", (300, 400)), tmp_path)
    result = build_packet(folder, tmp_path / "packet.pdf")
    reader = PdfReader(result.path)
    starts = {t: p for _, t, p in outline_entries(reader)}
    for name, words in (("landscape.pdf", "Landscape page"), ("rotated.pdf", "Rotated page"),
                        ("small.pdf", "Small page")):
        page = reader.pages[starts[f"Sizes \u2014 {name}"]]
        text = page.extract_text()
        assert words in text and "bottom line" in text
        number = starts[f"Sizes \u2014 {name}"] + 1
        assert f"Page {number} of {result.pages}" in text
        assert page.rotation % 360 == 0
        assert [float(v) for v in page.mediabox] == [0, 0, 612, 792]  # scaled to the packet's page


def picture_bytes(kind: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    base = Image.linear_gradient("L").resize((300, 200)).convert("RGB")
    if kind == "tiff3":
        frames = [base, base.rotate(90, expand=True), base.convert("1")]
        frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    elif kind == "gif":
        base.convert("P").save(buf, "GIF")
    elif kind == "bmp":
        base.save(buf, "BMP")
    elif kind == "rotated-jpeg":
        exif = Image.Exif()
        exif[0x0112] = 6  # shot sideways: to be turned upright
        base.save(buf, "JPEG", exif=exif)
    elif kind == "cmyk-jpeg":
        base.convert("CMYK").save(buf, "JPEG")
    elif kind == "rgba-png":
        base.convert("RGBA").save(buf, "PNG")
    elif kind == "palette-png":
        base.convert("P").save(buf, "PNG")
    elif kind == "grey16-png":
        base.convert("I").point(lambda v: v * 257).convert("I;16").save(buf, "PNG")
    return buf.getvalue()


def test_pictures_of_every_kind_get_their_own_pages(folder, tmp_path: Path) -> None:
    rid = add_record(folder, "Pictures", "clinical")
    kinds = ("tiff3", "gif", "bmp", "rotated-jpeg", "cmyk-jpeg", "rgba-png", "palette-png", "grey16-png")
    for kind in kinds:
        attach_bytes(folder, rid, f"{kind}.img", picture_bytes(kind), tmp_path)
    result = build_packet(folder, tmp_path / "packet.pdf")
    assert result.problems == ()
    assert result.included_files == len(kinds)
    reader = PdfReader(result.path)
    starts = {t: p for _, t, p in outline_entries(reader)}
    for kind in kinds:
        first = starts[f"Pictures \u2014 {kind}.img"]
        for k in range(3 if kind == "tiff3" else 1):
            page = reader.pages[first + k]
            text = page.extract_text()
            assert f"{kind}.img" in text and f"Page {first + k + 1} of {result.pages}" in text
            images = [x for x in page.images]
            assert len(images) == 1, kind
            if kind == "rotated-jpeg":
                assert images[0].image.size == (200, 300)  # turned upright
    assert "page 3 of 3" in reader.pages[starts["Pictures \u2014 tiff3.img"] + 2].extract_text()


# --- writing safely -----------------------------------------------------------------------------------------

def test_cancel_leaves_nothing_behind(folder, tmp_path: Path) -> None:
    fill_demo_data(folder)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    seen: list[str] = []

    def progress(done: int, total: int, what: str) -> None:
        seen.append(what)

    for stop_after in (1, 5, 26, 40):
        calls = {"n": 0}

        def cancelled(calls: dict[str, int] = calls, stop_after: int = stop_after) -> bool:
            calls["n"] += 1
            return calls["n"] > stop_after

        with pytest.raises(Cancelled):
            build_packet(folder, out_dir / "packet.pdf", progress=progress, cancelled=cancelled)
        assert no_leftovers(out_dir) == []
    assert any(what.startswith("Adding ") for what in seen)  # cancelled while appending too


def test_an_existing_packet_survives_a_failed_write(folder, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "packet.pdf"
    out.write_bytes(b"old packet")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    import secondopinion_desktop.core.packet.build as build_module

    monkeypatch.setattr(build_module.os, "fsync", disk_full)
    with pytest.raises(SecondOpinionError, match="disk is full"):
        build_packet(folder, out)
    monkeypatch.undo()
    assert out.read_bytes() == b"old packet"
    assert no_leftovers(tmp_path) == ["data", "packet.pdf"]


def test_unwritable_destinations_are_refused_clearly(folder, tmp_path: Path) -> None:
    with pytest.raises(SecondOpinionError, match="does not exist"):
        build_packet(folder, tmp_path / "missing" / "packet.pdf")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(SecondOpinionError, match="not a folder"):
        build_packet(folder, a_file / "packet.pdf")
    with pytest.raises(SecondOpinionError, match="is a folder"):
        build_packet(folder, tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.geteuid() != 0:  # root writes anywhere
            with pytest.raises(SecondOpinionError, match="not writable"):
                build_packet(folder, locked / "packet.pdf")
            assert no_leftovers(locked) == []
    finally:
        locked.chmod(0o700)


def test_a_write_refused_by_the_system_is_reported(folder, tmp_path: Path, monkeypatch) -> None:
    import tempfile as tempfile_module

    import secondopinion_desktop.core.packet.build as build_module

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile_module, "mkstemp", refuse)
    with pytest.raises(SecondOpinionError, match="not writable"):
        build_module.build_packet(folder, tmp_path / "p.pdf", PacketOptions())
    assert not (tmp_path / "p.pdf").exists()


# --- the notes sheet ----------------------------------------------------------------------------------------

def test_export_notes_pdf(folder, tmp_path: Path) -> None:
    fill_demo_data(folder)
    with folder.session() as session:
        a = appointments.list_appointments(session)[0]
        q = a.questions[0]
        appointments.answer_question(session, q.id, "Yes, the <stage> is right & clear.")
        appointments.start_note(session, a.id, dt.datetime(2026, 3, 4, 14, 7), text="Dr said: <wait> & see.")
        appointments.update_appointment(session, a.id, attendees="My sister Jo")
        a = appointments.get_appointment(session, a.id)
    out = export_notes_pdf(folder, a.id, tmp_path / "notes.pdf")
    reader = PdfReader(out)
    text = "\n".join(page_texts(reader))
    assert a.clinician_name in text
    assert f"{a.starts_at:%b} {a.starts_at.day}, {a.starts_at.year}" in text
    assert "My sister Jo" in text
    assert "Yes, the <stage> is right & clear." in text
    assert "Note started Mar 4, 2026 at 2:07 PM" in text and "Dr said: <wait> & see." in text
    for question in a.questions:
        assert squash(question.text) in squash(text)
    assert f"Page 1 of {len(reader.pages)}" in text
    assert reader.metadata.creator == "Second Opinion"
    assert out.stat().st_mode & 0o777 == 0o600
    with pytest.raises(NotFoundError):
        export_notes_pdf(folder, 999, tmp_path / "none.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "notes.pdf"]


def test_the_packet_leaves_out_the_patient_s_own_profile_reminder(folder) -> None:
    """Still missing in the app names an empty profile; the packet for the doctor lists only missing records."""
    from secondopinion_desktop.core.packet.data import load_packet_data
    from secondopinion_desktop.core.readiness import whats_missing

    with folder.session() as session:
        assert any(f.rule == "profile" for f in whats_missing(session))
    data = load_packet_data(folder, appointment_id=None, record_ids=None, today=None)
    assert data.findings and all(f.rule != "profile" for f in data.findings)
