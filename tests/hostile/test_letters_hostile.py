"""Hostile text in every field that reaches a request letter: markup, control characters, right-to-left and
CJK scripts and 2,000-character values print literally, in both letters, and never break the build.

The values are written straight into the database, past the services' own cleaning and length limits, so
that the letter's escaping alone stands between them and the page."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from secondopinion_desktop.core import letters
from secondopinion_desktop.core import requests as rq
from secondopinion_desktop.core.directory import create_facility
from secondopinion_desktop.core.models import Delivery, Facility, Profile, Record, RecordsRequest
from secondopinion_desktop.core.packet.text import clean
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.records import create_record

# (table, column, letters it prints in)
BOTH, REQUEST, RELEASE = ("request", "release"), ("request",), ("release",)
FIELDS = (
    (Profile, "name", BOTH), (Profile, "address", REQUEST), (Profile, "phone", BOTH), (Profile, "email", BOTH),
    (Facility, "records_contact", REQUEST), (Facility, "records_address", REQUEST), (Facility, "records_fax", REQUEST),
    (Facility, "records_phone", REQUEST), (Facility, "records_email", REQUEST),
    (Facility, "address", RELEASE), (Facility, "phone", RELEASE),  # a release goes to the lab, not its records office
    (Record, "title", BOTH), (Record, "accession_number", RELEASE), (Record, "specimen_site", RELEASE),
    (RecordsRequest, "facility_name", BOTH), (RecordsRequest, "medical_record_number", BOTH),
    (RecordsRequest, "send_to_name", BOTH), (RecordsRequest, "send_to_address", BOTH),
    (RecordsRequest, "send_to_fax", BOTH), (RecordsRequest, "send_to_phone", BOTH),
    (RecordsRequest, "send_to_email", REQUEST), (RecordsRequest, "extra_paragraph", BOTH),
    (RecordsRequest, "return_instructions", RELEASE),
)
HEBREW_LETTERS = "אבגדהוזחטיכלמנסעפצקרשת"
PAYLOADS = {
    "markup": '<b>bold</b> &amp; <para>p</para> <br/> <font name="Courier">f</font> &#60; "q" \'a\'',
    "control": "ab\x00c\x07d\x1b[31me\x7f\x9ff\x0cg",
    "cjk": "山田太郎 やまだ たろう 김민준 ＡＢＣ",
    "long": "N" * 2000,
    "long_words": "word " * 400,
    "hebrew": "שלום עולם",
    "arabic": "مرحبا بكم يا صديقي",
}
RTL = ("hebrew", "arabic")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def value_for(name: str, n: int) -> str:
    """The payload, marked with this field's own tag so that each field is found on its own."""
    if name in RTL:  # a right-to-left tag, so the whole value is one right-to-left run
        first, second = divmod(n, len(HEBREW_LETTERS))
        return f"{PAYLOADS[name]} {HEBREW_LETTERS[second]}{HEBREW_LETTERS[-1 - second]}{HEBREW_LETTERS[first]}"
    return f"F{n:02d}x {PAYLOADS[name]}"


def printed(value: str, text: str) -> bool:
    """``value`` is on the page as typed (less control characters): a right-to-left run is drawn in visual
    order, so it extracts reversed."""
    wanted = squash(clean(value))
    return wanted in text or wanted[::-1] in text


def body_text(pdf: bytes) -> str:
    footer = re.compile(r"^(Page \d+ of \d+|Records request letter \u2014 .*|Pathology material release .*)$")
    reader = PdfReader(io.BytesIO(pdf))
    return squash("\n".join(line for page in reader.pages for line in page.extract_text().splitlines()
                            if not footer.match(line)))


@pytest.fixture
def request_id(folder) -> int:  # type: ignore[no-untyped-def]
    save_profile(folder, name="Alex Sample", date_of_birth="1970-05-04")
    create_facility(folder, "City Hospital")
    record = create_record(folder, "pathology", "Core biopsy report", facility="City Hospital")
    q = rq.create_request(folder, "City Hospital", record_ids=[record.id], send_to_name="Lakeside",
                          release_material=["stained", "unstained"], unstained_count=5, unstained_microns=4)
    return q.id


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_hostile_text_in_every_field_prints_literally(folder, request_id: int, name: str, tmp_path: Path) -> None:
    with folder.session() as session:
        rows = {Profile: session.query(Profile).one(), Facility: session.query(Facility).one(),
                Record: session.query(Record).one(), RecordsRequest: session.get(RecordsRequest, request_id)}
        for n, (table, column, _kinds) in enumerate(FIELDS):
            setattr(rows[table], column, value_for(name, n))
        rows[RecordsRequest].delivery = Delivery.THIRD_PARTY
    for kind in ("request", "release"):
        out = tmp_path / f"{kind}.pdf"
        result = letters.make_letter(folder, request_id, kind, out)
        pdf = out.read_bytes()
        assert result.pages == len(PdfReader(io.BytesIO(pdf)).pages) >= 1
        text = body_text(pdf)
        missing = [column for n, (_table, column, kinds) in enumerate(FIELDS)
                   if kind in kinds and not printed(value_for(name, n), text)]
        assert missing == [], (kind, missing)
        assert "None" not in text
        if name == "markup":  # the markup was printed, not obeyed: no Courier, and the entities as typed
            assert b"Courier" not in pdf
            assert "&amp;" in text and "&#60;" in text
        if name == "control":
            assert "\x1b" not in text and "\x00" not in text
        assert rq.letter_pdf(folder, result.letter.id) == pdf
