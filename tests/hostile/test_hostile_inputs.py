"""Hostile input suite: each named input gets the exact user-facing outcome, and everything else is kept."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import sqlite3
import struct
import zlib
from pathlib import Path

import pytest

from secondopinion_desktop.core import records
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.errors import (
    DataFolderError,
    NotADatabaseError,
    SchemaTooNewError,
    SecondOpinionError,
    ValidationError,
)
from secondopinion_desktop.core.packet import PacketOptions, build_packet

TODAY = dt.date(2025, 6, 1)


# --- builders of hostile files -----------------------------------------------------------------------------


def _good_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "A real report")
    c.showPage()
    c.save()
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_good_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _pdf_from_objects(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _looping_pdf() -> bytes:
    """A /Pages node whose /Kids lists itself: a naive page walk never ends."""
    return _pdf_from_objects([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ])


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _png(width: int = 16, height: int = 16) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 10)).save(buf, "PNG")
    return buf.getvalue()


def _bomb_png() -> bytes:
    """A 20000 x 20000 one-bit PNG (400 million pixels) in a few hundred kilobytes."""
    width = height = 20_000
    row = b"\x00" + b"\x00" * (width // 8)
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _truncated_tiff() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(buf, "TIFF")
    data = buf.getvalue()
    return data[: len(data) // 3]


def _truncated_png() -> bytes:
    data = _png(200, 200)
    return data[: len(data) - 30]


# --- attachments that reach the packet ---------------------------------------------------------------------


PACKET_CASES = {
    "truncated_pdf": (lambda: _good_pdf()[:-400], "report.pdf", "the PDF is incomplete"),
    "truncated_pdf_keeps_eof_marker": (lambda: _good_pdf()[:300] + b"\n%%EOF\n", "report.pdf",
                                       "the PDF is damaged and cannot be read"),
    "encrypted_pdf": (_encrypted_pdf, "locked.pdf", "the PDF is protected by a password"),
    "pdf_pages_kids_loop": (_looping_pdf, "loop.pdf", "the PDF is damaged and cannot be read"),
    "decompression_bomb_png": (_bomb_png, "bomb.png", "too large"),
    "truncated_tiff": (_truncated_tiff, "scan.tiff", "the picture is"),
    "truncated_png": (_truncated_png, "photo.png", "the picture is"),
    "zip_renamed_pdf": (lambda: b"PK\x03\x04" + b"\x00" * 200, "results.pdf",
                        "this is a ZIP archive; open it and attach the files inside instead"),
    "text_renamed_jpg": (lambda: b"just some text\n" * 20, "photo.jpg",
                         "it is neither a PDF nor a picture that can be printed"),
    "dicom_as_attachment": (lambda: b"\x00" * 128 + b"DICM" + b"\x00" * 200, "image.dcm",
                            "DICOM image files cannot be printed"),
}


@pytest.mark.parametrize("case", sorted(PACKET_CASES))
def test_bad_attachment_is_reported_and_the_packet_still_builds(case: str, tmp_path: Path) -> None:
    make, name, expected = PACKET_CASES[case]
    src = tmp_path / name
    src.write_bytes(make())
    good = tmp_path / "good.pdf"
    good.write_bytes(_good_pdf())
    with open_data_folder(tmp_path / "data") as folder:
        with folder.session() as session:
            record = records.create_record(session, "lab", "Labs")
        records.attach_file(folder, record.id, src)  # attaching keeps the file as it is
        records.attach_file(folder, record.id, good)
        result = build_packet(folder, tmp_path / "packet.pdf", PacketOptions(today=TODAY))
        with folder.session() as session:
            assert len(records.get_record(session, record.id).attachments) == 2  # everything kept
    assert result.included_files == 1  # the good file is in
    assert [p.what for p in result.problems] == [f"Labs \u2014 {name}"]
    assert expected in result.problems[0].reason
    assert (tmp_path / "packet.pdf").read_bytes().startswith(b"%PDF-")


def test_jpeg_renamed_pdf_is_included_as_a_picture(tmp_path: Path) -> None:
    src = tmp_path / "scan.pdf"
    src.write_bytes(_jpeg())
    with open_data_folder(tmp_path / "data") as folder:
        with folder.session() as session:
            record = records.create_record(session, "lab", "Labs")
        att = records.attach_file(folder, record.id, src)
        assert att.media_type == "image/jpeg"  # sniffed from the content, not the name
        result = build_packet(folder, tmp_path / "packet.pdf", PacketOptions(today=TODAY))
    assert result.problems == ()
    assert result.included_files == 1


def test_stored_copy_vanished_is_reported(tmp_path: Path) -> None:
    src = tmp_path / "report.pdf"
    src.write_bytes(_good_pdf())
    with open_data_folder(tmp_path / "data") as folder:
        with folder.session() as session:
            record = records.create_record(session, "lab", "Labs")
        att = records.attach_file(folder, record.id, src)
        folder.vault.path_for(att.sha256).unlink()
        result = build_packet(folder, tmp_path / "packet.pdf", PacketOptions(today=TODAY))
    assert "the stored copy of this file is missing from the data folder" in result.problems[0].reason


# --- attaching ---------------------------------------------------------------------------------------------


def _attach_case(case: str, tmp_path: Path) -> Path:
    if case == "zero_byte_file":
        p = tmp_path / "empty.pdf"
        p.write_bytes(b"")
    elif case == "folder_as_attachment":
        p = tmp_path / "a folder"
        p.mkdir()
    elif case == "vanished_file":
        p = tmp_path / "gone.pdf"
        p.write_bytes(b"x")
        p.unlink()
    elif case == "fifo_as_attachment":
        p = tmp_path / "pipe.pdf"
        os.mkfifo(p)
    else:  # pragma: no cover
        raise AssertionError(case)
    return p


ATTACH_ERRORS = {
    "zero_byte_file": "is empty (0 bytes); nothing to attach",
    "folder_as_attachment": "is a folder; choose the files inside it instead",
    "vanished_file": "does not exist (was it moved or deleted?)",
    "fifo_as_attachment": "is not a regular file",
}


@pytest.mark.parametrize("case", sorted(ATTACH_ERRORS))
def test_unattachable_path_is_refused_and_nothing_is_written(case: str, tmp_path: Path) -> None:
    path = _attach_case(case, tmp_path)
    with open_data_folder(tmp_path / "data") as folder:
        with folder.session() as session:
            record = records.create_record(session, "lab", "Labs")
        with pytest.raises(ValidationError, match=re.escape(ATTACH_ERRORS[case])):
            records.attach_file(folder, record.id, path)
        with folder.session() as session:
            assert records.get_record(session, record.id).attachments == ()
        assert list(folder.vault.stored()) == []


NAMES = {
    "emoji_name": "scan \U0001f9ec\U0001f52c results.pdf",
    "rtl_name": "\u062a\u0642\u0631\u064a\u0631 \u05d3\u05d5\u05d7.pdf",
    "name_255_bytes": "\u00e9" * 125 + "x.pdf",  # 250 + 5 bytes in UTF-8
    "bidi_override_name": "scan\u202efdp.exe",
}


@pytest.mark.parametrize("case", sorted(NAMES))
def test_strange_file_names_attach_and_print(case: str, tmp_path: Path) -> None:
    name = NAMES[case]
    assert len(name.encode()) <= 255
    src = tmp_path / name
    src.write_bytes(_good_pdf())
    with open_data_folder(tmp_path / "data") as folder:
        with folder.session() as session:
            record = records.create_record(session, "lab", name)
        att = records.attach_file(folder, record.id, src)
        expected = name.replace("\u202e", "")  # bidi overrides are dropped so the name cannot disguise itself
        assert att.original_name == expected
        result = build_packet(folder, tmp_path / "packet.pdf", PacketOptions(today=TODAY))
    assert result.problems == () and result.included_files == 1


# --- dates and long text -----------------------------------------------------------------------------------


DATES = {
    "date_1899_12_31": ("1899-12-31", "is before 1900; please check it"),
    "date_0001_01_01": ("0001-01-01", "is before 1900; please check it"),
    "date_2026_02_30": ("2026-02-30", "does not exist on the calendar"),
    "date_9999_12_31": ("9999-12-31", "is too far in the future"),
    "date_not_a_date": ("31/12/2024", "is not a date; write it as YYYY-MM-DD"),
}


@pytest.mark.parametrize("case", sorted(DATES))
def test_impossible_dates_are_refused(case: str, folder) -> None:  # type: ignore[no-untyped-def]
    value, expected = DATES[case]
    with pytest.raises(ValidationError, match=re.escape(expected)):
        with folder.session() as session:
            records.create_record(session, "lab", "Labs", date_of_service=value)
    with folder.session() as session:
        assert records.list_records(session) == []


def test_date_1900_01_01_is_accepted(folder) -> None:  # type: ignore[no-untyped-def]
    with folder.session() as session:
        rec = records.create_record(session, "lab", "Old", date_of_service="1900-01-01")
    assert rec.date_of_service == dt.date(1900, 1, 1)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "".join("".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_50000_character_notes_and_long_cells_build(tmp_path: Path) -> None:
    notes = ("Chemo cycle notes. " * 3000)[:50_000]
    word = "Z" * 400  # one unbreakable word in a table cell
    with open_data_folder(tmp_path / "data") as folder:
        with folder.session() as session:
            rec = records.create_record(session, "clinical", "Long " + word, summary=word * 10, notes=notes,
                                        facility="F" * 300)
        result = build_packet(folder, tmp_path / "packet.pdf", PacketOptions(today=TODAY))
        with folder.session() as session:
            assert records.get_record(session, rec.id).notes == notes
    assert result.pages >= 1


# --- markup and control characters in every text field that reaches the PDF --------------------------------


def _fill_every_field(folder, payload: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core import appointments, directory, profile, treatments

    line = payload[:150]
    with folder.session() as session:
        profile.save_profile(
            session, name=line, medical_record_numbers=payload, phone=line[:90], email=line, address=payload,
            cancer_type=line, histology=line, grade=line[:90], tnm_stage=line[:90], stage_group=line[:45],
            biomarkers=payload, insurer=line, member_number=line[:90], group_number=line[:90],
        )
        clinician = directory.create_clinician(session, line)
        rec = records.create_record(session, "pathology", line, summary=payload, notes=payload, facility=line,
                                    clinician_id=clinician.id)
        treatments.create_treatment_line(session, "chemotherapy", description=line, response=line)
        appt = appointments.create_appointment(
            session, dt.datetime.combine(TODAY + dt.timedelta(days=5), dt.time(9)), place=line, attendees=line,
            purpose=payload, clinician_id=clinician.id,
        )
        question = appointments.add_question(session, appt.id, payload)
        appointments.answer_question(session, question.id, payload)
        appointments.start_note(session, appt.id, text=payload)
    src = tmp_path / "plain.pdf"
    src.write_bytes(_good_pdf())
    records.attach_file(folder, rec.id, src, original_name=line + ".pdf")


MARKUP = {
    "img_src_etc_passwd": '<img src="/etc/passwd"/>',
    "img_src_local_png": '<img src="{png}" width="50" height="50"/>',
    "font_color_expression": '<font color="red" size="40">BIG</font>',
    "unclosed_para": "x <para",
    "cdata_and_entities": "<![CDATA[x]]> &amp; &#0; &bogus; </b>",
    "control_characters": "a\x00b\x07c\x1bd\x7fe\u202eright",
}


@pytest.mark.parametrize("case", sorted(MARKUP))
def test_markup_in_every_text_field_is_printed_literally(case: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(_png(8, 8))
    payload = MARKUP[case].format(png=secret)
    with open_data_folder(tmp_path / "data") as folder:
        _fill_every_field(folder, payload, tmp_path)
        result = build_packet(folder, tmp_path / "packet.pdf", PacketOptions(today=TODAY))
    assert result.problems == ()
    pdf = tmp_path / "packet.pdf"
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    images = [
        name for page in reader.pages
        for name, obj in ((page.get("/Resources") or {}).get("/XObject") or {}).items()
        if obj.get_object().get("/Subtype") == "/Image"
    ]
    assert images == [], "a local file was embedded through markup"
    assert b"root:x:0:0" not in pdf.read_bytes()
    text = _pdf_text(pdf)
    if case == "control_characters":
        assert "abcde" in text.replace(" ", "") or "a b c d e" in text
        assert "\x00" not in text and "\x1b" not in text
    else:
        literal = "".join(payload.split())
        assert literal in text, f"the markup {payload!r} was not printed literally"


# --- the database and the data folder ----------------------------------------------------------------------


def _db(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    return data / "secondopinion.db"


def test_database_that_is_not_sqlite_is_left_untouched(tmp_path: Path) -> None:
    db = _db(tmp_path)
    db.write_bytes(b"%PDF-1.4 this is not a database\n" * 10)
    before = db.read_bytes()
    with pytest.raises(NotADatabaseError, match="is not a Second Opinion database .it is not a SQLite file.; "
                                                "it was left untouched"):
        open_data_folder(db.parent)
    assert db.read_bytes() == before


def test_zero_byte_database_opens_as_new(tmp_path: Path) -> None:
    db = _db(tmp_path)
    db.write_bytes(b"")
    with open_data_folder(db.parent) as folder, folder.session() as session:
        assert records.list_records(session) == []
    assert db.stat().st_size > 0


def test_database_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    with open_data_folder(tmp_path / "data"):
        pass
    db = tmp_path / "data" / "secondopinion.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE alembic_version SET version_num='9999_from_the_future'")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(SchemaTooNewError, match="written by a newer version of Second Opinion"):
        open_data_folder(tmp_path / "data")
    assert db.read_bytes() == before


def test_sqlite_database_of_another_program_is_refused(tmp_path: Path) -> None:
    db = _db(tmp_path)
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(NotADatabaseError, match="made by another program; it was left untouched"):
        open_data_folder(db.parent)
    assert db.read_bytes() == before


def test_damaged_sqlite_pages_are_refused(tmp_path: Path) -> None:
    with open_data_folder(tmp_path / "data"):
        pass
    db = tmp_path / "data" / "secondopinion.db"
    data = bytearray(db.read_bytes())
    data[100:] = b"\xde\xad" * ((len(data) - 100) // 2) + b"\x00" * ((len(data) - 100) % 2)
    db.write_bytes(bytes(data))
    with pytest.raises(DataFolderError, match="it was left untouched|Cannot open the database"):
        open_data_folder(tmp_path / "data")


def test_data_folder_under_a_regular_file_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    with pytest.raises(DataFolderError, match="Cannot create the data folder"):
        open_data_folder(blocker / "data")
    assert blocker.read_text() == "x"


def test_data_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("x")
    with pytest.raises(DataFolderError, match="is a file, not a folder"):
        open_data_folder(blocker)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_data_folder_is_refused_with_a_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with open_data_folder(data):
        pass
    data.chmod(0o500)
    try:
        with pytest.raises(DataFolderError, match="cannot be read and written by you"):
            open_data_folder(data)
    finally:
        data.chmod(0o700)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores folder permissions")
def test_packet_into_a_read_only_folder_fails_cleanly(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out_dir.chmod(0o500)
    try:
        with open_data_folder(tmp_path / "data") as folder:
            with pytest.raises(SecondOpinionError, match="is not writable"):
                build_packet(folder, out_dir / "packet.pdf", PacketOptions(today=TODAY))
        assert list(out_dir.iterdir()) == []
    finally:
        out_dir.chmod(0o700)


def test_packet_to_a_folder_path_is_refused(tmp_path: Path) -> None:
    with open_data_folder(tmp_path / "data") as folder:
        with pytest.raises(SecondOpinionError, match="is a folder; give a file name for the packet"):
            build_packet(folder, tmp_path, PacketOptions(today=TODAY))


# --- imaging -----------------------------------------------------------------------------------------------


def test_non_dicom_dcm_is_named(tmp_path: Path) -> None:
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import write_study

    write_study(tmp_path / "cd")
    (tmp_path / "cd" / "README.dcm").write_text("This disc contains images. " * 20)
    scan = scan_folder(tmp_path / "cd")
    assert [(p.path, p.reason) for p in scan.problems] == [("README.dcm", "is not a DICOM file (no DICOM header)")]
    assert scan.image_count == 9


def test_truncated_dicom_is_named(tmp_path: Path) -> None:
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import write_study

    files = write_study(tmp_path / "cd")
    data = files[0].path.read_bytes()
    files[0].path.write_bytes(data[: len(data) - 2000])
    scan = scan_folder(tmp_path / "cd")
    assert len(scan.problems) == 1 and "is truncated" in scan.problems[0].reason
    assert scan.image_count == 8


def test_dicomdir_pointing_outside_its_folder_imports_nothing_from_outside(tmp_path: Path) -> None:
    from pydicom import dcmread

    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import StudySpec, write_disc, write_study

    outside = write_study(tmp_path / "outside", StudySpec(description="NOT ON THE DISC"), subfolder="")
    disc = tmp_path / "disc"
    write_disc(disc, [StudySpec()])
    dicomdir = dcmread(disc / "DICOMDIR")
    for record in dicomdir.DirectoryRecordSequence:
        if "ReferencedFileID" in record:
            record.ReferencedFileID = ["..", "outside", "SE0002", outside[0].path.name]
    dicomdir.save_as(disc / "DICOMDIR")
    scan = scan_folder(disc)
    assert [s.description for s in scan.studies] == ["CT CHEST WITH CONTRAST"]
    with open_data_folder(tmp_path / "data") as folder:
        result = import_imaging(folder, scan)
        with folder.session() as session:
            from sqlalchemy import text

            paths = [r[0] for r in session.execute(text("SELECT relative_path FROM imaging_file"))]
    assert result is not None
    assert paths and not any(".." in p or p.startswith("/") for p in paths)


# --- tampered backup archives (only once the backup and restore commands exist) ----------------------------


def _cli_commands() -> set[str]:
    from secondopinion_desktop.cli import build_parser

    names: set[str] = set()
    for action in build_parser()._actions:  # noqa: SLF001
        if isinstance(getattr(action, "choices", None), dict):
            names.update(action.choices)
    return names


def _tamper_zip(src: Path, dst: Path, case: str) -> bool:
    import json
    import zipfile

    with zipfile.ZipFile(src) as zin:
        infos = zin.infolist()
        blobs = {i.filename: zin.read(i) for i in infos}
    files = [i for i in infos if not i.is_dir()]
    vault = next((i for i in files if "vault" in i.filename and len(blobs[i.filename]) > 0), None)
    manifest = next((i for i in files if i.filename.endswith(".json")), None)
    with zipfile.ZipFile(dst, "w") as zout:
        for info in infos:
            data = blobs[info.filename]
            if case == "wrong_hash" and info is vault:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            if case == "newer_schema_manifest" and info is manifest:
                doc = json.loads(data)
                for key in list(doc):
                    if "schema" in key:
                        doc[key] = "9999_from_the_future" if isinstance(doc[key], str) else 9999
                data = json.dumps(doc).encode()
            zout.writestr(info, data)
        extra = blobs[files[0].filename]
        if case == "dotdot_path":
            zout.writestr("../escaped.txt", b"x")
        elif case == "absolute_path":
            zout.writestr("/tmp/absolute.txt", b"x")
        elif case == "symlink_entry":
            link = zipfile.ZipInfo("vault/link")
            link.external_attr = (0o120777 << 16)
            zout.writestr(link, "/etc/passwd")
        elif case == "duplicated_name":
            zout.writestr(files[0].filename, extra)
        elif case == "unknown_file":
            zout.writestr("vault/zz/unexpected", b"surprise")
    return (case != "wrong_hash" or vault is not None) and (case != "newer_schema_manifest" or manifest is not None)


BACKUP_CASES = ["dotdot_path", "absolute_path", "symlink_entry", "duplicated_name", "wrong_hash",
                "newer_schema_manifest", "unknown_file"]


@pytest.mark.parametrize("case", BACKUP_CASES)
def test_tampered_backup_is_refused_before_anything_is_touched(case: str, tmp_path: Path) -> None:
    import subprocess
    import sys
    import warnings
    import zipfile

    if not {"backup", "restore"} <= _cli_commands():
        pytest.skip("the CLI has no backup/restore commands yet")
    data = tmp_path / "data"
    src = tmp_path / "report.pdf"
    src.write_bytes(_good_pdf())
    with open_data_folder(data) as folder:
        with folder.session() as session:
            rec = records.create_record(session, "lab", "Labs")
        records.attach_file(folder, rec.id, src)
    run = [sys.executable, "-m", "secondopinion_desktop"]
    made = subprocess.run([*run, "backup", "--data-dir", str(data), "--out", str(tmp_path / "good.zip")],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    if not zipfile.is_zipfile(tmp_path / "good.zip"):
        pytest.skip("the backup archive is not a zip file; these cases are written for zip archives")
    bad = tmp_path / "bad.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicated name
        if not _tamper_zip(tmp_path / "good.zip", bad, case):
            pytest.skip(f"the archive has nothing to tamper with for {case}")
    target = tmp_path / "restored"
    done = subprocess.run([*run, "restore", str(bad), "--data-dir", str(target)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "error" in done.stderr.lower() and "Traceback" not in done.stderr
    assert not (target / "secondopinion.db").exists()
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/absolute.txt").exists()


def test_untampered_backup_restores(tmp_path: Path) -> None:
    """The control for the tampered cases: the same archive, untouched, restores into a new folder."""
    import subprocess
    import sys

    if not {"backup", "restore"} <= _cli_commands():
        pytest.skip("the CLI has no backup/restore commands yet")
    data = tmp_path / "data"
    src = tmp_path / "report.pdf"
    src.write_bytes(_good_pdf())
    with open_data_folder(data) as folder:
        with folder.session() as session:
            rec = records.create_record(session, "lab", "Labs")
        records.attach_file(folder, rec.id, src)
    run = [sys.executable, "-m", "secondopinion_desktop"]
    made = subprocess.run([*run, "backup", "--data-dir", str(data), "--out", str(tmp_path / "good.zip")],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    done = subprocess.run([*run, "restore", str(tmp_path / "good.zip"), "--data-dir", str(tmp_path / "restored")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with open_data_folder(tmp_path / "restored") as folder, folder.session() as session:
        assert [r.title for r in records.list_records(session)] == ["Labs"]
