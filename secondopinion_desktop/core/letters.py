"""The letters a request prints: the written request for copies of one's health information, and the
pathology material release request to a lab.

A **records request letter** (``LetterKind.REQUEST``) goes to the facility's records department: the date, the
department's address and fax, the patient's identification (from the profile, with the request's medical record
number), the records asked for (the linked records by title and date of service, then the scope and its dates),
the form and format of the copies (images in DICOM), where and how to deliver them (or, for a request that sends
them to someone else, that person's name and address), a request for the cost in advance, the patient's own
paragraph, a plain reference to the HIPAA Privacy Rule's right of access (45 CFR 164.524), and lines for the
signature and the date.

A **pathology material release request** (``LetterKind.RELEASE``) goes to the lab for a request whose records
include pathology: the accession number, specimen and procedure date of each pathology record, the material
asked for (stained slides, recuts, unstained slides with their count and thickness, blocks), where to ship it,
the purpose (a second-opinion review), what to do about its return, and the signature.

What is missing prints as a blank line to fill in by hand, and each such gap is one sentence in the warnings.
User text reaches the page through the packet's escaping (``core.packet.text.para``), so markup, control
characters and any script print as typed. Facts only, never advice.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from secondopinion_desktop.core import words
from secondopinion_desktop.core.directory import FacilityData, facility_data
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.fsutil import write_atomically
from secondopinion_desktop.core.models import CopyFormat, Delivery, Facility, ImagesMedia, LetterKind, RecordKind
from secondopinion_desktop.core.profile import ProfileData, get_profile
from secondopinion_desktop.core.progress import CancelCheck, check
from secondopinion_desktop.core.requests import (
    RELEASE_WORDS,
    LetterData,
    RequestData,
    RequestRecordData,
    get_request,
    keep_letter,
)
from secondopinion_desktop.core.unit import reading
from secondopinion_desktop.core.validation import parse_enum

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

BLANK = "_" * 34  # a line to write on
SHORT_BLANK = "_" * 8
RIGHT_OF_ACCESS = (  # the rule as it stands since Ciox Health v. Azar (D.D.C. 2020), as HHS's guidance states it
    "For reference: the HIPAA Privacy Rule's right of access (45 CFR 164.524) gives individuals a right to "
    "copies of their health information held by health care providers and health plans, in the form and format "
    "they ask for when it is readily producible that way, and a right to have an electronic copy of health "
    "information kept in an electronic health record sent directly to a person or organization they name in a "
    "signed, written request. The rule gives 30 days to act on a request, with one extension of up to 30 more "
    "days when the reason is given in writing, and limits the fee for copies individuals ask for themselves to a "
    "reasonable, cost-based one."
)
COPY_WORDS = {
    CopyFormat.PDF: "an electronic copy, as PDF files",
    CopyFormat.PORTAL: "the patient portal's download",
    CopyFormat.PAPER: "paper copies",
}
DEFAULT_RETURN = (
    "If the material must be returned, please say so, and by what date, in the package or to me; the consulting "
    "department will then send it back to the address you give."
)


@dataclass(frozen=True)
class LetterResult:
    pages: int
    warnings: tuple[str, ...]  # one sentence each, e.g. the facility has no mailing address or fax
    letter: LetterData  # the copy kept with the request


@dataclass(frozen=True)
class _Facts:
    kind: LetterKind
    request: RequestData
    facility: FacilityData | None
    profile: ProfileData
    today: dt.date

    @property
    def pathology(self) -> tuple[RequestRecordData, ...]:
        return tuple(r for r in self.request.records if r.kind is RecordKind.PATHOLOGY)


def _facts(session: Session, request_id: int, kind: LetterKind | str) -> _Facts:
    letter_kind = parse_enum(LetterKind, kind, "letter", field="kind")
    request = get_request(session, request_id)
    if letter_kind is LetterKind.RELEASE and not request.asks_for_pathology:
        raise ValidationError("A pathology material release request goes with a request for pathology records; "
                              "this request asks for none.", field="kind")
    row = session.get(Facility, request.facility_id) if request.facility_id is not None else None
    return _Facts(letter_kind, request, facility_data(row) if row is not None else None, get_profile(session),
                  dt.date.today())


def _warnings(facts: _Facts) -> tuple[str, ...]:
    out: list[str] = []
    f, q, p = facts.facility, facts.request, facts.profile
    if not (f and f.records_mailing_address.strip()) and not (f and f.records_fax.strip()):
        out.append(f"{q.facility_name} has no mailing address or fax number in the directory; the letter leaves a "
                   "line to write one in by hand.")
    if not p.name.strip():
        out.append("Your profile has no name; the letter leaves a line to write it in by hand.")
    if p.date_of_birth is None:
        out.append("Your profile has no date of birth; the letter leaves a line to write it in by hand.")
    if facts.kind is LetterKind.REQUEST:
        own = {Delivery.MAIL: ("mailing address", p.address), Delivery.EMAIL: ("email address", p.email),
               Delivery.FAX: ("fax number", "")}.get(q.delivery)
        if own is not None and not own[1].strip():
            where = "your profile has none" if q.delivery is not Delivery.FAX else "the profile keeps none"
            out.append(f"The copies are to be sent to your {own[0]}, and {where}; the letter leaves a line to "
                       "write it in by hand.")
        if q.delivery is Delivery.THIRD_PARTY and not (q.send_to_address.strip() or q.send_to_fax.strip()):
            out.append(f"The request names no address or fax for {q.send_to_name or 'whom the copies go to'}; "
                       "the letter leaves a line to write one in by hand.")
        return tuple(out)
    for record in facts.pathology:
        if not record.accession_number.strip():
            out.append(f"“{record.title}” has no accession number; the letter leaves a line to write it in by hand.")
    missing = [what for what, value in (("name", q.send_to_name), ("address", q.send_to_address),
                                        ("phone", q.send_to_phone), ("fax", q.send_to_fax)) if not value.strip()]
    if missing:
        out.append(f"The request gives no {_join(missing)} to ship the material to; the letter leaves lines to "
                   "write them in by hand.")
    if not q.release_material:
        out.append("The request names no material to release; the letter leaves a line to write it in by hand.")
    return tuple(out)


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


# --- the story ---------------------------------------------------------------------------------------------------


class _Story:
    """Flowables for a letter, with the house styles; every piece of user text goes through ``para``."""

    def __init__(self) -> None:
        from reportlab.lib.styles import ParagraphStyle

        from secondopinion_desktop.core.packet.story import ACCENT, INK, MUTED
        from secondopinion_desktop.core.packet.text import FONT, FONT_BOLD, register_fonts

        register_fonts()
        body = ParagraphStyle("letter", fontName=FONT, fontSize=10, leading=13.2, textColor=INK, spaceAfter=4)
        self.styles = {
            "body": body,
            "small": ParagraphStyle("small", parent=body, fontSize=9, leading=11.5, spaceAfter=0),
            "muted": ParagraphStyle("muted", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
            "re": ParagraphStyle("re", parent=body, fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=4,
                                 spaceAfter=6, textColor=ACCENT),
            "h": ParagraphStyle("h", parent=body, fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=5,
                                spaceAfter=2, textColor=ACCENT),
            "item": ParagraphStyle("item", parent=body, leftIndent=16, bulletIndent=4, spaceAfter=1),
            "field": ParagraphStyle("field", parent=body, leftIndent=16, spaceAfter=0),
        }
        self.flow: list[Any] = []

    def add(self, markup: str, style: str = "body", bullet: bool = False) -> None:
        from reportlab.platypus import Paragraph

        self.flow.append(Paragraph(markup, self.styles[style], bulletText="\u2022" if bullet else None))

    def text(self, value: object, style: str = "body", bullet: bool = False) -> None:
        from secondopinion_desktop.core.packet.text import para

        self.add(para(value), style, bullet)

    def heading(self, words_: str) -> None:
        from secondopinion_desktop.core.packet.text import para

        self.add(para(words_), "h")

    def field(self, label: str, value: object, *, blank: bool = False) -> None:
        """``Label: value``; an empty value prints a line to fill in when ``blank``, else nothing."""
        from secondopinion_desktop.core.packet.text import clean, para

        shown = clean(value).strip() if value is not None else ""
        if not shown and not blank:
            return
        self.add(f"<b>{para(label)}:</b> {para(shown) if shown else BLANK}", "field")

    def lines(self, values: Sequence[object], style: str = "small") -> None:
        from secondopinion_desktop.core.packet.text import clean, para

        shown = [para(clean(v).strip()) for v in values if v is not None and clean(v).strip()]
        if shown:
            self.add("<br/>".join(shown), style)

    def space(self, points: float = 8) -> None:
        from reportlab.platypus import Spacer

        self.flow.append(Spacer(1, points))

    def signature(self, name: str) -> None:
        from reportlab.platypus import KeepTogether, Paragraph, Spacer

        from secondopinion_desktop.core.packet.text import para

        s = self.styles
        name_line = para(name) if name.strip() else BLANK
        last = [self.flow.pop()] if self.flow else []  # never a signature alone on a page
        self.flow.append(KeepTogether([
            *last,
            Paragraph("Thank you,", s["body"]),
            Spacer(1, 18),
            Paragraph(f"Signature: {BLANK}&nbsp;&nbsp;&nbsp;&nbsp;Date: {'_' * 16}", s["body"]),
            Paragraph(f"Printed name: {name_line}", s["small"]),
        ]))


def _date(day: dt.date | None) -> str:
    return words.month_day_year(day) if day else ""


def _heading_block(story: _Story, facts: _Facts, department: str) -> None:
    f, q = facts.facility, facts.request
    story.text(words.month_day_year(facts.today))
    records = facts.kind is LetterKind.REQUEST  # a release goes to the lab itself, not to its records department
    contact = f.records_contact if f and records else ""
    address = (f.records_mailing_address if records else f.address or f.records_mailing_address) if f else ""
    fax = f.records_fax if f and records else ""
    phone = ((f.records_phone or f.phone) if records else f.phone) if f else ""
    story.lines([contact if contact.strip() else department, q.facility_name, address])
    if not address.strip() and not fax.strip():
        story.field("Address or fax", "", blank=True)
    story.lines([f"Fax: {fax}" if fax.strip() else "", f"Phone: {phone}" if phone.strip() else "",
                 f"Email: {f.records_email}" if f and records and f.records_email.strip() else ""])


def _patient(story: _Story, facts: _Facts, *, contact: bool) -> None:
    p, q = facts.profile, facts.request
    story.heading("Patient")
    story.field("Name", p.name, blank=True)
    story.field("Date of birth", _date(p.date_of_birth), blank=True)
    story.field("Medical record number", q.medical_record_number)
    if contact:
        story.field("Address", p.address)
    story.field("Phone", p.phone)
    story.field("Email", p.email)


def _request_story(story: _Story, facts: _Facts) -> None:
    q, p = facts.request, facts.profile
    _heading_block(story, facts, "Health Information Management (medical records)")
    story.text("Re: Request for copies of my health information", "re")
    story.text(f"To the records department of {q.facility_name}:")
    story.text("I am asking for copies of my health information, as described below.")
    _patient(story, facts, contact=True)

    story.heading("The records I am asking for")
    for record in q.records:
        when = f" (date of service {_date(record.date_of_service)})" if record.date_of_service else ""
        story.text(f"{record.title}{when}", "item", bullet=True)
    until = _date(q.scope_to) or "the date this request is processed"
    span = f"from {_date(q.scope_from)} to {until}" if q.scope_from else f"for all dates up to {until}"
    if q.scope_words:
        lead = "Also, " if q.records else ""
        story.text(f"{lead}{'these' if lead else 'These'} kinds of record, {span}:")
        for scope_words in q.scope_words:
            story.text(scope_words, "item", bullet=True)
    elif not q.records:
        story.text(f"My complete medical record, {span}.")

    story.heading("Form and format")
    story.field("Copies", COPY_WORDS[q.copy_format])
    if q.images_media is not ImagesMedia.NONE:
        how = "on a CD or DVD" if q.images_media is ImagesMedia.CD else "by download"
        story.field("Images", f"the images themselves in DICOM format, {how}")

    story.heading("Where to send the copies")
    if q.delivery is Delivery.THIRD_PARTY:
        whom = q.send_to_name.strip() or "the person or organization named here"
        story.text(f"Please send the copies directly to {whom}, not to me:")
        story.field("Name", q.send_to_name, blank=True)
        story.field("Address", q.send_to_address, blank=not q.send_to_fax.strip())
        story.field("Fax", q.send_to_fax)
        story.field("Phone", q.send_to_phone)
        story.field("Email", q.send_to_email)
    elif q.delivery is Delivery.MAIL:
        story.text("Please mail the copies to me at my address above." if p.address.strip()
                   else f"Please mail the copies to me at: {BLANK}")
    elif q.delivery is Delivery.PICK_UP:
        story.text("I will pick up the copies; please let me know when they are ready.")
    elif q.delivery is Delivery.EMAIL:
        story.text("Please email the copies to me at my email address above." if p.email.strip()
                   else f"Please email the copies to me at: {BLANK}")
    elif q.delivery is Delivery.FAX:
        story.text(f"Please fax the copies to me at: {BLANK}")
    else:
        portal = f" ({facts.facility.records_portal.strip()})" if facts.facility and \
            facts.facility.records_portal.strip() else ""
        story.text(f"Please make the copies available to me through the patient portal{portal}.")

    story.heading("Cost")
    story.text("If there is a fee for the copies, please tell me the cost in advance, before the copies are made.")
    if q.extra_paragraph.strip():
        story.text(q.extra_paragraph.strip())
    story.text(RIGHT_OF_ACCESS, "muted")
    story.signature(p.name)


def _release_story(story: _Story, facts: _Facts) -> None:
    q, p = facts.request, facts.profile
    _heading_block(story, facts, "Pathology department")
    story.text("Re: Request to release pathology material for a second-opinion review", "re")
    story.text(f"To the pathology department of {q.facility_name}:")
    story.text("I am asking you to release the pathology material described below for a second-opinion review "
               "of my diagnosis.")
    _patient(story, facts, contact=False)

    story.heading("Specimens")
    for record in facts.pathology:
        story.text(record.title, "item", bullet=True)
        story.field("Accession (case) number", record.accession_number, blank=True)
        story.field("Specimen", record.specimen_site)
        story.field("Procedure date", _date(record.date_of_service))

    story.heading("What I am asking for")
    for key in q.release_material:
        if key == "unstained":
            count = str(q.unstained_count) if q.unstained_count is not None else SHORT_BLANK
            microns = str(q.unstained_microns) if q.unstained_microns is not None else SHORT_BLANK
            story.text(f"{RELEASE_WORDS[key]}: {count} slides, cut {microns} microns thick", "item", bullet=True)
        else:
            story.text(RELEASE_WORDS[key], "item", bullet=True)
    if not q.release_material:
        story.add(BLANK, "item", bullet=True)
    story.text("Please include a copy of the pathology report with the material.", "item", bullet=True)

    story.heading("Please ship the material to")
    story.field("Consulting pathology department", q.send_to_name, blank=True)
    story.field("Address", q.send_to_address, blank=True)
    story.field("Phone", q.send_to_phone, blank=True)
    story.field("Fax", q.send_to_fax, blank=True)

    story.heading("Purpose and return")
    story.text("The material is for a second-opinion review of my pathology by the consulting pathology "
               "department named above.")
    story.text(q.return_instructions.strip() or DEFAULT_RETURN)
    story.text("If there is a fee for preparing or shipping the material, please tell me the cost in advance.")
    if q.extra_paragraph.strip():
        story.text(q.extra_paragraph.strip())
    story.signature(p.name)


def _build(facts: _Facts, cancelled: CancelCheck | None = None) -> tuple[bytes, int]:
    from reportlab.lib.units import inch
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    from secondopinion_desktop.core.packet.story import Footer, Geometry, footer_canvas
    from secondopinion_desktop.core.packet.text import plain

    story = _Story()
    (_request_story if facts.kind is LetterKind.REQUEST else _release_story)(story, facts)
    check(cancelled)
    g = Geometry(top=0.6 * inch, bottom=0.8 * inch)  # a letter's page: a little more room than the packet's
    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=g.pagesize, leftMargin=g.left, rightMargin=g.right, topMargin=g.top,
                          bottomMargin=g.bottom, title=facts.kind.label, author="", creator="Second Opinion")
    frame = Frame(g.left, g.bottom, g.width, g.pagesize[1] - g.top - g.bottom, id="body", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    left = plain(f"{facts.kind.label} \u2014 {facts.profile.name or 'patient'} \u2014 {facts.request.facility_name}",
                 limit=140)
    doc.build(story.flow, canvasmaker=footer_canvas(Footer(left=left), g))
    return buf.getvalue(), doc.page


# --- the services ------------------------------------------------------------------------------------------------


@reading
def letter_warnings(session: Session, request_id: int, kind: LetterKind | str) -> tuple[str, ...]:
    """What the letter will have to leave blank (one sentence each), before it is made."""
    return _warnings(_facts(session, request_id, kind))


@reading
def letter_bytes(session: Session, request_id: int, kind: LetterKind | str) -> bytes:
    """The letter's PDF, neither written nor kept."""
    return _build(_facts(session, request_id, kind))[0]


def make_letter(folder: DataFolder | Session, request_id: int, kind: LetterKind | str, out: Path,
                *, cancelled: CancelCheck | None = None) -> LetterResult:
    """Build the letter, write it to ``out`` (whole or not at all) and keep its PDF with the request."""
    check(cancelled)
    facts = _read_facts(folder, request_id, kind)
    pdf, pages = _build(facts, cancelled)
    check(cancelled)
    write_atomically(Path(out), pdf)
    letter = keep_letter(folder, request_id, facts.kind, pdf)
    return LetterResult(pages=pages, warnings=_warnings(facts), letter=letter)


@reading
def _read_facts(session: Session, request_id: int, kind: LetterKind | str) -> _Facts:
    return _facts(session, request_id, kind)
