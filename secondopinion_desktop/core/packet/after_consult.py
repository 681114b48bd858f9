"""What the patient brings back to the treating doctor after a second opinion, as PDFs.

- **The comparison** (``write_comparison_pdf``): "First and second opinion", one or two pages. Who (name, date of
  birth), the visit (date, consultant, institution), a table with the first opinion and the second side by side
  for each topic (diagnosis, stage, treatment plan, clinical trials, further tests), each difference marked in
  words ("≠ Differs") on a tinted row, so it shows in black and white too; the next steps, the consultant's
  written report (enclosed, by its title) and the follow-up questions with their answers. Text that would push
  the sheet past two pages is shortened, each cut saying where the rest is.
- **The cover letter** (``write_cover_letter``): from the patient to the treating doctor, naming the consult,
  saying what is enclosed and asking to talk about the next steps at the next visit.
- **The physician letter** (``write_physician_letter``): for programs where the consultant works with the
  treating doctor directly, asking the treating doctor to send records to the consultant or to join a call.

Both letters fit one page, with the patient's address, phone and email at the top, and are signed by the patient.
User text reaches the page through the packet's escaping (``core.packet.text.para``): markup typed by anyone
prints as typed. Facts only, in the patient's words; never advice. Every file is written whole or not at all
(temporary file, fsync, rename); a cancel leaves nothing.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from secondopinion_desktop.core import words
from secondopinion_desktop.core.appointments import AppointmentData, get_appointment
from secondopinion_desktop.core.comparison import (
    CHANGED,
    CONFIRMED,
    REFINED,
    SUGGESTED,
    Comparison,
    Row,
    compare,
    treating_clinicians,
)
from secondopinion_desktop.core.directory import ClinicianData, FacilityData, facility_data, list_clinicians
from secondopinion_desktop.core.errors import NotFoundError, SecondOpinionError, ValidationError
from secondopinion_desktop.core.models import Facility
from secondopinion_desktop.core.opinions import OpinionData, RequirementData, get_opinion, list_requirements
from secondopinion_desktop.core.profile import ProfileData, get_profile
from secondopinion_desktop.core.progress import CancelCheck, check
from secondopinion_desktop.core.unit import reading

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

Progress = Callable[[int, int], None]

TITLE = "First and second opinion"
NO_OPINION = "There is no opinion written down for this appointment yet."
MAX_PAGES = 2
CONTINUED_REPORT = "\u2026 (continued in the consultant's report)"
CONTINUED_HERE = "\u2026 (shortened to fit two pages)"
# How much of each text the comparison shows, tried in turn until the sheet fits on two pages: characters per
# table cell, of the next steps, per follow-up answer, and how many follow-up questions.
_BUDGETS: tuple[tuple[int | None, int | None, int | None, int | None], ...] = (
    (None, None, None, None),
    (1600, 1600, 800, 20),
    (900, 900, 400, 12),
    (500, 500, 250, 8),
    (280, 300, 150, 5),
    (150, 160, 80, 3),
)
# The letters keep to one page: how much of the next steps and how many of the center's items (of how many
# characters) they show, tried in turn until the letter fits.
_LETTER_BUDGETS: tuple[tuple[int, int, int], ...] = ((900, 12, 200), (500, 8, 120), (250, 5, 80), (120, 3, 60))

DIFFERS_TINT = "#fdf0dc"  # a light amber row: a difference (also said in words, never colour alone)
DIFFERS_INK = "#8a4b00"


# --- what the PDFs are made of -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Facts:
    comparison: Comparison
    opinion: OpinionData | None
    profile: ProfileData
    appointment: AppointmentData
    consultant: ClinicianData | None
    consultant_facility: FacilityData | None
    to: ClinicianData | None  # the letter's addressee
    to_facility: FacilityData | None
    requirements: tuple[RequirementData, ...]
    today: dt.date


def _facility(session: Session, facility_id: int | None) -> FacilityData | None:
    row = session.get(Facility, facility_id) if facility_id is not None else None
    return facility_data(row) if row is not None else None


@reading
def _read(session: Session, appointment_id: int, to_clinician_id: int | None = None) -> _Facts:
    comparison = compare(session, appointment_id)  # NotFoundError for an unknown appointment
    appointment = get_appointment(session, appointment_id)
    everyone = {c.id: c for c in list_clinicians(session)}
    consultant = everyone.get(appointment.clinician_id) if appointment.clinician_id is not None else None
    if to_clinician_id is not None:
        to = everyone.get(to_clinician_id)
        if to is None:
            raise NotFoundError(f"There is no clinician {to_clinician_id}.")
    else:
        treating = treating_clinicians(session, appointment.clinician_id)
        to = treating[0] if treating else None
    return _Facts(
        comparison=comparison, opinion=get_opinion(session, appointment_id), profile=get_profile(session),
        appointment=appointment, consultant=consultant,
        consultant_facility=_facility(session, consultant.facility_id) if consultant else None,
        to=to, to_facility=_facility(session, to.facility_id) if to else None,
        requirements=tuple(list_requirements(session, appointment_id)), today=dt.date.today(),
    )


def _facts(folder: DataFolder | Session, appointment_id: int, to_clinician_id: int | None = None) -> _Facts:
    return _read(folder, appointment_id, to_clinician_id)


def _report(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _checked_out(folder: DataFolder | Session, out: Path | str, what: str) -> Path:
    """``out`` made absolute, refused with one sentence when it cannot be written (or lies in the data folder)."""
    from secondopinion_desktop.core.db import DataFolder
    from secondopinion_desktop.core.outputs import check_output

    path = Path(out).expanduser().absolute()
    if isinstance(folder, DataFolder):
        data_dir = folder.path
    else:  # a session: the folder its database lies in
        bind = folder.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        data_dir = Path(str(engine.url.database or ".")).absolute().parent
    return check_output(path, data_dir, what=what, example="letter.pdf")


def _write(out: Path, pdf: bytes, what: str) -> Path:
    from secondopinion_desktop.core import fsutil

    try:
        fsutil.write_atomically(out, pdf, mode=0o600)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise SecondOpinionError(f"The disk is full: {what} could not be saved to {out.parent}.") from exc
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise SecondOpinionError(f"Cannot write {what} to {out}: the folder {out.parent} is not writable.") \
                from exc
        raise SecondOpinionError(f"Cannot write {what} to {out}: {exc.strerror or exc}.") from exc
    return out


def _cut(text: str, limit: int | None, tail: str) -> str:
    """``text`` as it is when it fits ``limit`` characters, else cut at a word and ended with ``tail``."""
    text = text.strip()
    if limit is None or len(text) <= limit:
        return text
    head = text[:limit]
    space = max(head.rfind(" "), head.rfind("\n"))
    if space > limit * 0.6:
        head = head[:space]
    return head.rstrip(" \n,;:.-") + " " + tail


def _born(p: ProfileData) -> str:
    return f"born {words.month_day_year(p.date_of_birth)}" if p.date_of_birth else ""


def _footer_left(p: ProfileData, what: str) -> str:
    from secondopinion_desktop.core.packet.text import plain

    return plain(" \u00b7 ".join(x for x in (what, plain(p.name, 80) or "Patient", _born(p)) if x), limit=140)


def _build_pdf(flow: list[Any], title: str, author: str, footer: str, cancelled: CancelCheck | None,
               *, top: float, bottom: float) -> tuple[bytes, int]:
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    from secondopinion_desktop.core.packet.story import Footer, Geometry, footer_canvas
    from secondopinion_desktop.core.packet.text import binary_streams, plain

    g = Geometry(top=top, bottom=bottom)  # the packet's page size (US Letter)
    buf = io.BytesIO()
    doc = BaseDocTemplate(buf, pagesize=g.pagesize, leftMargin=g.left, rightMargin=g.right, topMargin=g.top,
                          bottomMargin=g.bottom, title=plain(title, 200), author=plain(author, 200),
                          creator="Second Opinion")
    frame = Frame(g.left, g.bottom, g.width, g.pagesize[1] - g.top - g.bottom, id="body", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])

    def after_flowable(_flowable: Any) -> None:  # the cheap place to stop: between the parts of the page
        check(cancelled)

    doc.afterFlowable = after_flowable
    with binary_streams():
        doc.build(flow, canvasmaker=footer_canvas(Footer(left=footer), g))
    return buf.getvalue(), doc.page


# --- the comparison ------------------------------------------------------------------------------------------------

def _comparison_styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    from secondopinion_desktop.core.packet import story as st
    from secondopinion_desktop.core.packet.text import FONT_BOLD, register_fonts

    register_fonts()
    s: dict[str, Any] = st._styles()
    s["cell"] = ParagraphStyle("cmp_cell", parent=s["body"], fontSize=8.5, leading=11, spaceAfter=0)
    s["topic"] = ParagraphStyle("cmp_topic", parent=s["cell"], fontName=FONT_BOLD, fontSize=9, leading=11.5)
    s["tag"] = ParagraphStyle("cmp_tag", parent=s["cell"], fontName=FONT_BOLD, fontSize=8, leading=10.5,
                              textColor=colors.HexColor(DIFFERS_INK), spaceBefore=2)
    s["tag_same"] = ParagraphStyle("cmp_same", parent=s["tag"], textColor=st.ACCENT)
    s["note"] = ParagraphStyle("cmp_note", parent=s["cell"], fontSize=7.5, leading=9.5, textColor=st.MUTED)
    s["empty"] = ParagraphStyle("cmp_empty", parent=s["cell"], textColor=st.MUTED)
    s["colhead"] = ParagraphStyle("cmp_head", parent=s["head"], fontSize=9, leading=11.5)
    s["colsub"] = ParagraphStyle("cmp_sub", parent=s["note"], textColor=st.INK)
    s["fine"] = ParagraphStyle("cmp_fine", parent=s["small"], fontSize=7.5, leading=9.5, textColor=st.MUTED,
                               spaceBefore=8)
    return s


def _tag(row: Row) -> tuple[str, str]:
    """The row's mark in words (with its style): never colour alone."""
    if row.differs:
        return "\u2260 Differs", "tag"
    if row.differs is False:
        return "= Same", "tag_same"
    return "", "tag"


_SHOWN_NOTES = (CONFIRMED, REFINED, CHANGED, SUGGESTED)
_EMPTY_WORDS = {"first": "Nothing on record", "second": "Not discussed"}


def _cell(text: str, side: str, s: dict[str, Any], limit: int | None, tail: str) -> list[Any]:
    from reportlab.platypus import Paragraph

    from secondopinion_desktop.core.packet.text import para

    if not text.strip():
        return [Paragraph(f"<i>{_EMPTY_WORDS[side]}</i>", s["empty"])]
    return [Paragraph(para(_cut(text, limit, tail)), s["cell"])]


def _comparison_table(c: Comparison, s: dict[str, Any], width: float, limit: int | None) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    from secondopinion_desktop.core.packet import story as st
    from secondopinion_desktop.core.packet.text import para

    topic_w = 1.25 * 72
    side_w = (width - topic_w) / 2
    first_by = c.first_by or "the treating team"
    second_by = ", ".join(x for x in (c.consultant, c.institution) if x) or "the consultant"
    data: list[list[Any]] = [[
        Paragraph("Topic", s["colhead"]),
        [Paragraph("First opinion", s["colhead"]), Paragraph(para(first_by), s["colsub"])],
        [Paragraph("Second opinion", s["colhead"]), Paragraph(para(second_by), s["colsub"])],
    ]]
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("BACKGROUND", (0, 0), (-1, 0), st.HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, st.ACCENT),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, st.RULE),
        ("LINEAFTER", (0, 0), (1, -1), 0.4, st.RULE),
    ]
    second_tail = CONTINUED_REPORT if c.report_title else CONTINUED_HERE
    for n, row in enumerate(c.rows, start=1):
        tag, tag_style = _tag(row)
        topic: list[Any] = [Paragraph(para(row.topic), s["topic"])]
        if tag:
            topic.append(Paragraph(tag, s[tag_style]))
        if row.note in _SHOWN_NOTES:  # the others ("Same", "Not discussed"…) the mark or the cells already say
            topic.append(Paragraph(para(row.note), s["note"]))
        data.append([topic, _cell(row.first, "first", s, limit, CONTINUED_HERE),
                     _cell(row.second, "second", s, limit, second_tail)])
        if row.differs:
            style += [("BACKGROUND", (0, n), (-1, n), colors.HexColor(DIFFERS_TINT)),
                      ("LINEBEFORE", (0, n), (0, n), 3, colors.HexColor(DIFFERS_INK))]
    # rows are never split (a split row repeats the heading in the middle of a page); a row too tall for a page
    # fails the layout, and the comparison is then made again with shorter texts
    table = Table(data, colWidths=[topic_w, side_w, side_w], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _comparison_flow(f: _Facts, budget: tuple[int | None, int | None, int | None, int | None]) -> list[Any]:
    from reportlab.platypus import KeepTogether, Paragraph

    from secondopinion_desktop.core.packet import story as st
    from secondopinion_desktop.core.packet.text import para

    cell_limit, steps_limit, answer_limit, questions_shown = budget
    c, p = f.comparison, f.profile
    s = _comparison_styles()
    width = st.GEOMETRY.width
    who = " \u00b7 ".join(x for x in (para(p.name) or "Patient", para(_born(p))) if x)
    tail = CONTINUED_REPORT if c.report_title else CONTINUED_HERE
    flow: list[Any] = [
        Paragraph(TITLE, s["h1"]),
        Paragraph(who, s["cover_sub"]),
        st._pairs([
            ("Visit", words.month_day_year(c.visit_on)),
            ("Consultant", c.consultant),
            ("Institution", c.institution),
            ("First opinion from", c.first_by),
        ], s, (1.45 * 72, width - 1.45 * 72)),
        Paragraph("Side by side", s["h2"]),
    ]
    differing = [r.topic for r in c.rows if r.differs]
    if differing:
        flow.append(Paragraph(
            f"Marked \u201c\u2260 Differs\u201d on a shaded row: {para(_join(differing))}.", s["small"]))
    flow.append(_comparison_table(c, s, width, cell_limit))

    if c.next_steps:
        flow.append(KeepTogether([Paragraph("Next steps", s["h2"]),
                                  Paragraph(para(_cut(c.next_steps, steps_limit, tail)), s["body"])]))
    if c.report_title:
        flow.append(KeepTogether([Paragraph("The consultant's written report", s["h2"]),
                                  Paragraph(f"Enclosed: {para(c.report_title)}", s["body"])]))
    follow_ups = f.opinion.follow_ups if f.opinion else ()
    if follow_ups:
        flow.append(Paragraph("Questions sent to the consultant afterwards", s["h2"]))
        shown = follow_ups if questions_shown is None else follow_ups[:questions_shown]
        for n, q in enumerate(shown, start=1):
            asked = f" <font color='#5d6d7e'>(asked {words.month_day_year(q.asked_on)})</font>" if q.asked_on else ""
            block = [Paragraph(f"{n}.&nbsp;&nbsp;{para(_cut(q.question, answer_limit, CONTINUED_HERE))}{asked}",
                               s["question"])]
            if q.answered:
                when = f" ({words.month_day_year(q.answered_on)})" if q.answered_on else ""
                block.append(Paragraph(f"<b>Answer{when}:</b> {para(_cut(q.answer, answer_limit, tail))}",
                                       s["answer"]))
            else:
                block.append(Paragraph("<i>Not answered yet.</i>", s["answer"]))
            flow.append(KeepTogether(block))
        if len(shown) < len(follow_ups):
            more = len(follow_ups) - len(shown)
            flow.append(Paragraph(f"\u2026 and {words.plural(more, 'more question')}, kept in Second Opinion.",
                                  s["muted"]))
    flow.append(Paragraph(
        "The patient wrote both sides down from the records and the consultation. \u201cDiffers\u201d marks where "
        "the words differ, not which opinion is right; please talk it through with the patient.", s["fine"]))
    return flow


def _join(items: Sequence[str]) -> str:
    items = [i.lower() if n else i for n, i in enumerate(items)]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def comparison_bytes(folder: DataFolder | Session, appointment_id: int,
                     cancelled: CancelCheck | None = None) -> tuple[bytes, int]:
    """The comparison's PDF and its page count, neither written nor kept."""
    f = _facts(folder, appointment_id)
    if not f.comparison.has_opinion:
        raise ValidationError(NO_OPINION, field="appointment_id")
    return _comparison_pdf(f, cancelled)


def _comparison_pdf(f: _Facts, cancelled: CancelCheck | None) -> tuple[bytes, int]:
    from reportlab.lib.units import inch
    from reportlab.platypus.doctemplate import LayoutError

    author = f.profile.name or "Patient"
    footer = _footer_left(f.profile, TITLE)
    built: tuple[bytes, int] | None = None
    for budget in _BUDGETS:  # the full text first; shorter until it fits on two pages
        check(cancelled)
        try:
            built = _build_pdf(_comparison_flow(f, budget), f"{TITLE} \u2014 {author}", author, footer, cancelled,
                               top=0.6 * inch, bottom=0.8 * inch)
        except LayoutError:  # a row taller than a page: shorter texts next
            continue
        if built[1] <= MAX_PAGES:
            break
    if built is None:
        raise SecondOpinionError("The comparison could not be laid out on its pages.")
    return built


def write_comparison_pdf(folder: DataFolder | Session, appointment_id: int, out: Path, *,
                         progress: Progress | None = None, cancelled: CancelCheck | None = None) -> Path:
    """Write the comparison of the appointment's second opinion with the first to ``out`` (whole or not at all).

    Raises ValidationError when nothing has been written down for the appointment yet, NotFoundError for an
    unknown appointment, Cancelled (nothing at ``out``) when ``cancelled()``."""
    out = _checked_out(folder, out, "the comparison")
    _report(progress, 0, 3)
    check(cancelled)
    f = _facts(folder, appointment_id)
    if not f.comparison.has_opinion:
        raise ValidationError(NO_OPINION, field="appointment_id")
    _report(progress, 1, 3)
    pdf, _pages = _comparison_pdf(f, cancelled)
    _report(progress, 2, 3)
    check(cancelled)
    _write(out, pdf, "the comparison")
    _report(progress, 3, 3)
    return out


# --- the letters ---------------------------------------------------------------------------------------------------

def _doctor_name(c: ClinicianData) -> str:
    return f"{c.name}, {c.credentials}" if c.credentials.strip() else c.name


def _salutation(c: ClinicianData | None) -> str:
    """``Dear Dr. Smith,`` for a doctor (credentials MD, DO, or "Dr" in the name), else ``Dear Jane Smith,``."""
    if c is None or not c.name.strip():
        return "Dear Doctor,"
    name = c.name.strip()
    if re.match(r"(?i)^dr\.?\s", name):
        return f"Dear {name},"
    if re.search(r"(?i)\b(MD|DO|MBBS|MBChB)\b", c.credentials):
        return f"Dear Dr. {name.split()[-1]},"
    return f"Dear {name},"


def _sender(story: Any, p: ProfileData) -> None:
    """The patient at the top: name, address, phone and email (what the profile has)."""
    from secondopinion_desktop.core.letters import BLANK

    story.text(p.name.strip() or BLANK, "re")
    story.lines([*p.address.splitlines(), f"Phone: {p.phone}" if p.phone.strip() else "",
                 f"Email: {p.email}" if p.email.strip() else ""])
    story.space(10)


def _addressee(story: Any, f: _Facts) -> None:
    from secondopinion_desktop.core.letters import BLANK

    story.text(words.month_day_year(f.today))
    c, place = f.to, f.to_facility
    if c is None:
        story.field("To", "", blank=True)
        story.field("Address", "", blank=True)
        return
    address = c.address.strip() or (place.address.strip() if place else "")
    story.lines([_doctor_name(c), c.specialty, c.facility_name, address or BLANK])
    story.space(6)


def _patient_line(story: Any, p: ProfileData) -> None:
    from secondopinion_desktop.core.letters import BLANK
    from secondopinion_desktop.core.packet.text import para

    who = " \u00b7 ".join(para(x) for x in (p.name.strip(), _born(p)) if x)
    story.add(f"<b>Patient:</b> {who if p.name.strip() else BLANK}")
    story.space(4)


def _visit_words(f: _Facts) -> str:
    """"Dana Lee, MD at University Cancer Center on Nov 20, 2026" (what is known of it)."""
    c = f.comparison
    who = c.consultant or "a consulting doctor"
    at = f" at {c.institution}" if c.institution else ""
    return f"{who}{at} on {words.month_day_year(c.visit_on)}"


def _letter_story() -> Any:
    from secondopinion_desktop.core.letters import _Story

    return _Story()


def _cover_story(f: _Facts, budget: tuple[int, int, int]) -> Any:
    steps_limit = budget[0]
    story = _letter_story()
    c, p = f.comparison, f.profile
    _sender(story, p)
    _addressee(story, f)
    story.text(f"Re: My second-opinion consultation of {words.month_day_year(c.visit_on)}", "re")
    _patient_line(story, p)
    story.text(_salutation(f.to))
    story.text(f"I had a second-opinion consultation with {_visit_words(f)}. "
               "I am writing to share what the consultant said, so that we can talk about it together.")
    story.text("Enclosed:")
    story.text("A side-by-side comparison of the first and second opinion (diagnosis, stage, treatment plan, "
               "clinical trials and further tests).", "item", bullet=True)
    if c.report_title:
        story.text(f"The consultant's written report: {c.report_title}", "item", bullet=True)
    story.space(4)
    differing = [r.topic for r in c.rows if r.differs]
    if differing:
        story.text(f"The comparison marks where the consultant's words differ from what I have on record: "
                   f"{_join([t.lower() for t in differing])}.")
    if c.next_steps:
        tail = CONTINUED_REPORT if c.report_title else "\u2026"
        story.text(f"The next steps as I noted them: {_cut(c.next_steps, steps_limit, tail)}")
    story.text("I would like to discuss the consultant's opinion and the next steps with you at my next visit. "
               "If you would like to see anything else from the consultation, please let me know.")
    story.signature(p.name)
    return story


def _physician_story(f: _Facts, budget: tuple[int, int, int]) -> Any:
    _steps, items_shown, item_chars = budget
    story = _letter_story()
    c, p = f.comparison, f.profile
    _sender(story, p)
    _addressee(story, f)
    who = c.consultant or "the consulting doctor"
    story.text(f"Re: My second-opinion review with {who}" + (f", {c.institution}" if c.institution else ""), "re")
    _patient_line(story, p)
    story.text(_salutation(f.to))
    story.text(f"I am having a second-opinion review of my care with {_visit_words(f)}. The program works "
               "directly with the treating doctor, and I would be grateful for your help with it.")
    story.text("Please, if you can:")
    open_items = [r for r in f.requirements if not r.met]  # what the patient has not sent or ticked off yet
    listed = ", or the items listed below" if open_items else ""
    story.text(f"send my records to {who}, such as the pathology and imaging reports, the images, the clinic "
               f"notes and the treatment plan{listed};", "item", bullet=True)
    story.text(f"join a call with {who} to talk about my case, if the program arranges one.", "item", bullet=True)
    story.space(2)
    if open_items:
        story.heading("What the consultant's center asked for")
        for item in open_items[:items_shown]:
            story.text(_cut(item.text, item_chars, "\u2026"), "item", bullet=True)
        if len(open_items) > items_shown:
            story.text(f"\u2026 and {words.plural(len(open_items) - items_shown, 'more item')}.", "small")
    story.heading("Where to send them")
    con, place = f.consultant, f.consultant_facility
    story.field("Consultant", c.consultant, blank=True)
    story.field("Institution", c.institution)
    address = (con.address.strip() if con else "") or (place.address.strip() if place else "")
    story.field("Address", address, blank=not address)
    story.field("Phone", (con.phone if con else "") or (place.phone if place else ""))
    story.field("Fax", place.records_fax if place else "")
    story.field("Email", con.email if con else "")
    story.space(6)
    story.text("You have my permission to share my records with the consultant for this review.")
    story.signature(p.name)
    return story


_Make = Callable[[_Facts, tuple[int, int, int]], Any]


def _letter_pdf(make: _Make, f: _Facts, what: str, cancelled: CancelCheck | None) -> tuple[bytes, int]:
    """The letter on one page: made again with less of the long parts while it takes more."""
    from reportlab.lib.units import inch

    to = f"to {_doctor_name(f.to)}" if f.to else ""
    author = f.profile.name or "Patient"
    title = " ".join(x for x in (what, to) if x)
    built = (b"", 0)
    for budget in _LETTER_BUDGETS:
        check(cancelled)
        built = _build_pdf(make(f, budget).flow, f"{title} \u2014 {author}", author, _footer_left(f.profile, what),
                           cancelled, top=0.6 * inch, bottom=0.8 * inch)
        if built[1] <= 1:
            break
    return built


def _write_letter(make: _Make, what: str, folder: DataFolder | Session, appointment_id: int,
                  out: Path, to_clinician_id: int | None, progress: Progress | None,
                  cancelled: CancelCheck | None, *, needs_opinion: bool) -> Path:
    out = _checked_out(folder, out, f"the {what.lower()}")
    _report(progress, 0, 3)
    check(cancelled)
    f = _facts(folder, appointment_id, to_clinician_id)
    if needs_opinion and not f.comparison.has_opinion:  # it encloses the comparison, which needs one
        raise ValidationError(NO_OPINION, field="appointment_id")
    _report(progress, 1, 3)
    pdf, _pages = _letter_pdf(make, f, what, cancelled)
    _report(progress, 2, 3)
    check(cancelled)
    _write(out, pdf, f"the {what.lower()}")
    _report(progress, 3, 3)
    return out


def write_cover_letter(folder: DataFolder | Session, appointment_id: int, out: Path, *,
                       to_clinician_id: int | None = None, progress: Progress | None = None,
                       cancelled: CancelCheck | None = None) -> Path:
    """Write the patient's cover letter to the treating doctor (``to_clinician_id``, or the first clinician with
    the treating role) to ``out``, whole or not at all: it names the consult and what is enclosed. Raises
    ValidationError, as the comparison does, when nothing has been written down for the appointment yet."""
    return _write_letter(_cover_story, "Cover letter", folder, appointment_id, out, to_clinician_id, progress,
                         cancelled, needs_opinion=True)


def write_physician_letter(folder: DataFolder | Session, appointment_id: int, out: Path, *,
                           to_clinician_id: int | None = None, progress: Progress | None = None,
                           cancelled: CancelCheck | None = None) -> Path:
    """Write the patient's letter asking the treating doctor to send records to the consultant or join a call
    (for physician-to-physician programs) to ``out``, whole or not at all; made before the visit too."""
    return _write_letter(_physician_story, "Letter to the treating doctor", folder, appointment_id, out,
                         to_clinician_id, progress, cancelled, needs_opinion=False)


def letter_bytes(folder: DataFolder | Session, appointment_id: int, kind: str = "cover", *,
                 to_clinician_id: int | None = None) -> tuple[bytes, int]:
    """A letter's PDF ("cover" or "physician") and its page count, neither written nor kept."""
    f = _facts(folder, appointment_id, to_clinician_id)
    if kind == "cover":
        return _letter_pdf(_cover_story, f, "Cover letter", None)
    return _letter_pdf(_physician_story, f, "Letter to the treating doctor", None)
