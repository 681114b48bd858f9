"""The reportlab part of the packet: page layout, the numbered canvas with the footer, and the story.

Every page of the final packet has a page here. The appendix's pages are *placeholders* (one per page of an
attached PDF, one per picture): they carry only the footer, and :mod:`.build` puts the attached page in their
place and stamps that footer on it. So "Page X of Y", the contents and the outline count the appended pages
without any second pass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from secondopinion_desktop.core import words
from secondopinion_desktop.core.models import ClinicianRole, RecordKind, RecordStatus
from secondopinion_desktop.core.packet import PacketProblem
from secondopinion_desktop.core.packet.appendix import AppendixItem
from secondopinion_desktop.core.packet.data import PacketData
from secondopinion_desktop.core.packet.front import treatment_when
from secondopinion_desktop.core.packet.text import FONT, FONT_BOLD, clean, para, plain, runs
from secondopinion_desktop.core.words import plural

INK = colors.HexColor("#1c2833")
ACCENT = colors.HexColor("#1f3a5f")
MUTED = colors.HexColor("#5d6d7e")
RULE = colors.HexColor("#b8c2cc")
HEADER_BG = colors.HexColor("#e8edf3")
ZEBRA = colors.HexColor("#f7f9fb")


@dataclass(frozen=True)
class Geometry:
    pagesize: tuple[float, float] = LETTER
    left: float = 0.75 * inch
    right: float = 0.75 * inch
    top: float = 0.75 * inch
    bottom: float = 0.85 * inch
    footer_y: float = 30.0  # baseline of the footer text; its rule is 11 points above

    @property
    def width(self) -> float:
        return self.pagesize[0] - self.left - self.right


GEOMETRY = Geometry()


def human_date(day: dt.date | None) -> str:
    """``Mar 4, 2026`` (fixed English month names, whatever the locale), or an em dash."""
    return words.month_day_year(day)


def human_datetime(moment: dt.datetime) -> str:
    """``Tue, Mar 4, 2026 at 9:30 AM``."""
    return words.packet_datetime(moment)


def human_time(moment: dt.datetime) -> str:
    """``9:30 AM``."""
    return words.clock_12(moment)


def human_size(size: int) -> str:
    """``3.1 KB``: the size wording of the whole app."""
    return words.size(size)


# --- styles ----------------------------------------------------------------------------------------------

def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK, spaceAfter=4)
    s = {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10, spaceAfter=0),
        "cellbold": ParagraphStyle("cellbold", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10,
                                   spaceAfter=0),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10, spaceAfter=0,
                               textColor=ACCENT),
        "hash": ParagraphStyle("hash", parent=base, fontSize=6.3, leading=8, spaceAfter=0, textColor=MUTED),
        "muted": ParagraphStyle("muted", parent=base, textColor=MUTED),
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=17, leading=21, spaceBefore=0,
                             spaceAfter=10, textColor=ACCENT),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=12, leading=15, spaceBefore=10,
                             spaceAfter=5, textColor=ACCENT),
        "h3": ParagraphStyle("h3", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=8,
                             spaceAfter=3),
        "label": ParagraphStyle("label", parent=base, fontName=FONT_BOLD, fontSize=8.5, leading=11.5,
                                textColor=MUTED, spaceAfter=0),
        "value": ParagraphStyle("value", parent=base, fontSize=9.5, leading=12.5, spaceAfter=0),
        "question": ParagraphStyle("question", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13.5,
                                   leftIndent=18, firstLineIndent=-18, spaceBefore=8, spaceAfter=2),
        "answer": ParagraphStyle("answer", parent=base, leftIndent=18, spaceAfter=2),
        "note": ParagraphStyle("note", parent=base, fontSize=9.5, leading=13, spaceAfter=5),
        "cover_kicker": ParagraphStyle("cover_kicker", parent=base, fontName=FONT_BOLD, fontSize=10.5,
                                       leading=14, textColor=MUTED, spaceAfter=6),
        "cover_name": ParagraphStyle("cover_name", parent=base, fontName=FONT_BOLD, fontSize=28, leading=33,
                                     textColor=ACCENT, spaceAfter=4),
        "cover_sub": ParagraphStyle("cover_sub", parent=base, fontSize=12, leading=16, spaceAfter=2),
        "cover_foot": ParagraphStyle("cover_foot", parent=base, fontSize=9, leading=12, textColor=MUTED,
                                     alignment=TA_CENTER),
        "toc0": ParagraphStyle("toc0", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=15,
                               leftIndent=0, spaceBefore=3),
        "toc1": ParagraphStyle("toc1", parent=base, fontSize=9, leading=12, leftIndent=16, spaceBefore=0),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
    }
    return s


def caption_styles() -> tuple[ParagraphStyle, ParagraphStyle]:
    s = _styles()
    return (ParagraphStyle("cap", parent=s["h3"], fontSize=10.5, leading=13.5, spaceBefore=0),
            ParagraphStyle("capsub", parent=s["small"], textColor=MUTED))


# --- the document and its canvas -------------------------------------------------------------------------

@dataclass
class Footer:
    """What every page's footer says besides its number."""

    left: str  # patient name and date of birth, plain text


def footer_canvas(footer: Footer, geometry: Geometry = GEOMETRY) -> Callable[..., Canvas]:
    """A canvasmaker whose canvas draws "Page X of Y" (Y = this document's page count) on every page."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._page_states: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._page_states.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._page_states)
            for state in self._page_states:
                self.__dict__.update(state)
                draw_footer(self, footer, self._pageNumber, total, geometry)
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


def draw_footer(
    canvas: Canvas, footer: Footer, number: int, total: int, geometry: Geometry = GEOMETRY
) -> None:
    width = geometry.pagesize[0]
    y = geometry.footer_y
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(geometry.left, y + 11, width - geometry.right, y + 11)
    canvas.setFillColor(MUTED)
    right_text = f"Page {number} of {total}"
    canvas.setFont(FONT, 8)
    canvas.drawRightString(width - geometry.right, y, right_text)
    room = width - geometry.left - geometry.right - stringWidth(right_text, FONT, 8) - 24
    left_text = footer.left
    while left_text and runs_width(left_text, 8) > room:
        left_text = left_text[:-2] + "\u2026" if len(left_text) > 2 else ""
    draw_runs(canvas, geometry.left, y, left_text, 8)
    canvas.restoreState()


def runs_width(text: str, size: float) -> float:
    return sum(stringWidth(chunk, font, size) for font, chunk in runs(text))


def draw_runs(canvas: Canvas, x: float, y: float, text: str, size: float) -> None:
    """Draw plain text, CJK runs in their CID font and the rest in DejaVu."""
    for font, chunk in runs(text):
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += stringWidth(chunk, font, size)


@dataclass
class Marks:
    """What the layout found on its last pass: outline entries, and which page is a placeholder for what."""

    # level, title, page (1-based), key
    outline: list[tuple[int, str, int, str]] = field(default_factory=list)
    placeholders: dict[int, tuple[int, int]] = field(default_factory=dict)  # page -> (item index, item page)


class Heading(Paragraph):
    """A heading that goes into the outline (and the contents when ``toc``)."""

    def __init__(self, title: str, style: ParagraphStyle, level: int, *, toc: bool = True) -> None:
        super().__init__(para(title), style)
        self.outline_title = plain(title)
        self.outline_level = level
        self.in_toc = toc


class DocEntry(Flowable):
    """Zero-size mark at the first page of an appended document: its outline and contents entry."""

    def __init__(self, title: str, level: int = 1, *, toc: bool = True) -> None:
        super().__init__()
        self.outline_title = plain(title)
        self.outline_level = level
        self.in_toc = toc

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        pass


class PlaceholderPage(Flowable):
    """Zero-size mark on a page that :mod:`.build` replaces with page ``page`` of appendix item ``item``."""

    def __init__(self, marks: Marks, item: int, page: int) -> None:
        super().__init__()
        self.marks, self.item, self.page = marks, item, page

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.marks.placeholders[self.canv.getPageNumber()] = (self.item, self.page)


class RuledLines(Flowable):
    """Lines to write an answer on."""

    def __init__(self, count: int = 3, gap: float = 20, indent: float = 18) -> None:
        super().__init__()
        self.count, self.gap, self.indent = count, gap, indent

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.width = aw
        return aw, self.count * self.gap + 4

    def draw(self) -> None:
        self.canv.setStrokeColor(RULE)
        self.canv.setLineWidth(0.6)
        for n in range(self.count):
            y = self.count * self.gap - (n + 1) * self.gap + 4
            self.canv.line(self.indent, y, self.width, y)


class PacketLayoutError(Exception):
    """The layout failed; the message says which entry (record, note, question) in plain words."""


class PacketDoc(BaseDocTemplate):
    def __init__(self, out: Any, marks: Marks, geometry: Geometry = GEOMETRY, **kw: Any) -> None:
        super().__init__(
            out, pagesize=geometry.pagesize, leftMargin=geometry.left, rightMargin=geometry.right,
            topMargin=geometry.top, bottomMargin=geometry.bottom, **kw,
        )
        frame = Frame(geometry.left, geometry.bottom, geometry.width,
                      geometry.pagesize[1] - geometry.top - geometry.bottom, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        self.marks = marks
        self._seq = 0

    def handle_flowable(self, flowables: list[Flowable]) -> None:
        from reportlab.platypus.doctemplate import LayoutError

        first = flowables[0] if flowables else None
        try:
            super().handle_flowable(flowables)
        except LayoutError as exc:
            what = what_failed(first)
            raise PacketLayoutError(
                f"{what} is too long to fit on a page" if what
                else "one part of the packet is too long to fit on a page") from exc

    def beforeDocument(self) -> None:  # noqa: N802 - every multiBuild pass starts afresh
        self.marks.outline.clear()
        self.marks.placeholders.clear()
        self._seq = 0

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802
        title = getattr(flowable, "outline_title", None)
        if title is None:
            return
        level = flowable.outline_level  # type: ignore[attr-defined]
        self._seq += 1
        key = f"so-{self._seq}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(title or "\u2014", key, level=level, closed=level > 0)
        self.marks.outline.append((level, title, self.page, key))
        if flowable.in_toc:  # type: ignore[attr-defined]
            self.notify("TOCEntry", (level, para(title), self.page, key))


# --- the story -------------------------------------------------------------------------------------------

# A table row taller than the room left on a page is split inside the row (a 50,000-character biomarker entry,
# a 2,000-character title) rather than failing the whole packet. Points: a row is split only where at least
# this much of it goes on the first page.
SPLIT_IN_ROW = 1
MAX_LISTED_FILES = 12  # an inventory row lists at most this many file names; more are counted instead
MAX_CAPTION = 200  # characters of a title in a caption or the attachment index (the inventory has it all)


def about(row: list[Any], what: str) -> list[Any]:
    """Mark every cell of a table row as belonging to ``what`` (e.g. the record “CT chest”), so a layout
    failure can name it."""
    for cell in row:
        with contextlib.suppress(AttributeError):
            cell.so_what = what
    return row


def what_failed(flowable: Any) -> str:
    """What a flowable that could not be laid out shows, in the patient's words (never a reportlab object)."""
    what = getattr(flowable, "so_what", "")
    if what:
        return what
    values = getattr(flowable, "_cellvalues", None)
    heights = getattr(flowable, "_rowHeights", None) or []
    if values:
        order = sorted(range(len(values)), key=lambda n: -((heights[n] or 0) if n < len(heights) else 0))
        for n in order:
            for cell in values[n]:
                for part in cell if isinstance(cell, (list, tuple)) else [cell]:
                    what = getattr(part, "so_what", "")
                    if what:
                        return what
    return ""

def _table(rows: list[list[Any]], widths: list[float], *, header: bool = True, zebra: bool = True) -> Table:
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT", splitInRow=SPLIT_IN_ROW)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), HEADER_BG), ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT)]
    if zebra:
        start = 1 if header else 0
        for row in range(start + 1, len(rows), 2):
            style.append(("BACKGROUND", (0, row), (-1, row), ZEBRA))
    t.setStyle(TableStyle(style))
    return t


def _shortened(text: str, limit: int | None) -> str:
    """``text`` as it is when it has at most ``limit`` characters, else on one line, cut with an ellipsis."""
    return text if limit is None or len(text) <= limit else plain(text, limit)


def _pairs(rows: list[tuple[str, str]], s: dict[str, ParagraphStyle], widths: tuple[float, float],
           limit: int | None = None) -> Table:
    """A two-column label/value table; values are user text (shortened to ``limit`` characters, if given)."""
    data = [[Paragraph(para(label), s["label"]),
             Paragraph(para(_shortened(value, limit)) if value else "\u2014", s["value"])]
            for label, value in rows]
    t = Table(data, colWidths=list(widths), hAlign="LEFT", splitInRow=SPLIT_IN_ROW)
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return t


#: A longer line of free text is laid out as several paragraphs: reportlab breaks a paragraph into lines again each
#: time it is split across a page, so one 100-page line would cost time in the square of its length.
LONGEST_PARAGRAPH = 1500


def _pieces(line: str, limit: int = LONGEST_PARAGRAPH) -> list[str]:
    """``line`` cut into pieces of at most ``limit`` characters, at a sentence's end where there is one near the
    limit, else at a space (a run without spaces is cut where it must)."""
    pieces: list[str] = []
    while len(line) > limit:
        window = line[:limit]
        cut = window.rfind(". ", limit // 2) + 1 or window.rfind(" ", limit // 2)
        if cut <= 0:
            cut = limit
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    if line:
        pieces.append(line)
    return pieces


def _text_paragraphs(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """Long free text as one Paragraph per line (so a 20,000-character note splits across pages easily), a very
    long line as several (``LONGEST_PARAGRAPH``) that read on without a gap."""
    out: list[Paragraph] = []
    blank = 0
    for line in clean(text).split("\n"):
        if not line.strip():
            blank += 1
            continue
        for n, piece in enumerate(_pieces(line)):
            p = Paragraph(para(piece), style)
            if n == 0 and blank and out:
                p.style = ParagraphStyle(f"{style.name}-gap", parent=style, spaceBefore=style.leading * 0.5)
            out.append(p)
        blank = 0
    return out


def _record_words(r: Any) -> str:
    return f"the record \u201c{plain(r.title, 80) or 'untitled'}\u201d"


def _status(r: Any) -> str:
    day = {RecordStatus.REQUESTED: r.requested_on, RecordStatus.RECEIVED: r.received_on,
           RecordStatus.SENT: r.sent_on}.get(r.status)
    label = "Sent on" if r.status is RecordStatus.SENT else r.status.label
    return f"{label} {human_date(day)}" if day else r.status.label


@dataclass
class StoryInput:
    data: PacketData
    items: list[AppendixItem]
    problems: list[PacketProblem]
    include_appendix: bool
    thumbnails_left_out: int = 0  # imaging pictures not put in the appendix (PacketOptions.include_image_thumbnails)


def build_story(inp: StoryInput, marks: Marks, geometry: Geometry = GEOMETRY) -> list[Flowable]:
    s = _styles()
    d = inp.data
    w = geometry.width
    from secondopinion_desktop.core.packet.front import case_summary, key_labs

    story: list[Flowable] = []
    frame_height = geometry.pagesize[1] - geometry.top - geometry.bottom
    story += case_summary(d, s, w, frame_height)
    story.append(PageBreak())
    story += key_labs(d, s, w, frame_height)
    story.append(PageBreak())

    toc = TableOfContents(levelStyles=[s["toc0"], s["toc1"]], dotsMinLevel=0)
    story += [Heading("Contents", s["h1"], 0, toc=False), toc, PageBreak()]

    story += _summary(d, s, w)
    story.append(PageBreak())
    story += _timeline(d, s, w, geometry)
    story.append(PageBreak())
    story += _inventory(d, s, w, inp.include_appendix)
    story += _missing(d, s)
    story += _in_transit(d, s, w)
    story.append(PageBreak())
    story += _imaging_pathology(d, s, w)
    story.append(PageBreak())
    story += _questions(d, s)
    story.append(CondPageBreak(2.5 * inch))
    story += _notes(d, s)
    if inp.include_appendix:
        story.append(PageBreak())
        story += _appendix(inp, marks, s, w)
    # The contents' entries are known before layout, only their page numbers are not: giving the first pass
    # the entries makes the contents the right height at once, so multiBuild needs two passes, not three.
    toc._entries = [  # type: ignore[attr-defined]
        (f.outline_level, para(f.outline_title), 0, None) for f in story if getattr(f, "in_toc", False)
    ]
    return story


def _summary(d: PacketData, s: dict[str, ParagraphStyle], w: float) -> list[Flowable]:
    p = d.profile
    out: list[Flowable] = [Heading("Cancer summary", s["h1"], 0)]
    out.append(_pairs([
        ("Cancer type", p.cancer_type), ("Histology", p.histology), ("Grade", p.grade),
        ("TNM stage", p.tnm_stage), ("Stage group", p.stage_group), ("Biomarkers", p.biomarkers),
        ("Diagnosed on", human_date(p.diagnosis_date) if p.diagnosis_date else ""),
    ], s, (1.4 * inch, w - 1.4 * inch)))
    out.append(CondPageBreak(1.3 * inch))
    out.append(Heading("Clinicians", s["h2"], 1, toc=False))
    if d.clinicians:
        rows = [[Paragraph(h, s["head"]) for h in ("Name", "Role", "Institution", "Phone")]]
        for c in d.clinicians:
            rows.append(about([
                Paragraph(para(c.display_name), s["cellbold"]), Paragraph(clinician_role(c), s["cell"]),
                Paragraph(para(c.facility_name) or "\u2014", s["cell"]),
                Paragraph(para(c.phone) or "\u2014", s["cell"]),
            ], f"the clinician \u201c{plain(c.name, 80)}\u201d"))
        out.append(_table(rows, [w * 0.28, w * 0.26, w * 0.3, w * 0.16]))
    else:
        out.append(Paragraph("No clinicians have been entered.", s["muted"]))
    out.append(CondPageBreak(1.3 * inch))
    out.append(Heading("Treatment so far", s["h2"], 1, toc=False))
    if d.treatments:
        rows = [[Paragraph(h, s["head"]) for h in ("Treatment", "Dates", "Response")]]
        for t in d.treatments:
            what = f"<b>{para(t.kind.label)}</b>" + (f": {para(t.description)}" if t.description else "")
            rows.append([Paragraph(what, s["cell"]), Paragraph(treatment_when(t, d.today), s["cell"]),
                         Paragraph(para(t.response) or "\u2014", s["cell"])])
        out.append(_table(rows, [w * 0.42, w * 0.25, w * 0.33]))
    else:
        out.append(Paragraph("No treatment yet.", s["body"]))
    out.append(CondPageBreak(1.1 * inch))
    out.append(Heading("Contact the patient", s["h2"], 1, toc=False))
    out.append(_pairs([("Phone", p.phone), ("Email", p.email), ("Address", p.address)],
                      s, (1.4 * inch, w - 1.4 * inch)))
    return out


def clinician_role(c: Any) -> str:
    """What a clinician is to the case, as cell markup: the specialty ("Anatomic and clinical pathology"), and
    "Second opinion" for the consultant; "Treating" only when no specialty is known."""
    specialty = para(c.specialty.strip())
    if c.role is ClinicianRole.SECOND_OPINION:
        return "<b>Second opinion</b>" + (f" \u00b7 {specialty}" if specialty else "")
    if specialty:
        return specialty
    return para(c.role.label) if c.role is ClinicianRole.TREATING else "\u2014"


def _timeline(d: PacketData, s: dict[str, ParagraphStyle], w: float, geometry: Geometry) -> list[Flowable]:
    from secondopinion_desktop.core.packet.timeline import timeline_drawing

    out: list[Flowable] = [Heading("Timeline", s["h1"], 0)]
    height = geometry.pagesize[1] - geometry.top - geometry.bottom - 60
    drawing = timeline_drawing(d, w, height)
    if drawing is None:
        out.append(Paragraph("No dated records, treatments or appointments to show yet.", s["muted"]))
    else:
        out.append(Paragraph("Key dates from the records in this packet, the treatment history and the "
                             "appointment.", s["muted"]))
        out.append(drawing)
    return out


def _files_cell(r: Any, s: dict[str, ParagraphStyle], appendix: bool) -> Paragraph:
    """The record's file names; a long list shows the first few and says how many there are in all."""
    if not r.attachments:
        return Paragraph("\u2014", s["cell"])
    names = [para(plain(a.original_name, MAX_CAPTION)) for a in r.attachments]
    if len(names) <= MAX_LISTED_FILES:
        return Paragraph("<br/>".join(names), s["cell"])
    shown = MAX_LISTED_FILES - 2
    where = ", listed in the appendix" if appendix else ""
    more = (f'<br/><i>\u2026 and {len(names) - shown} more ({plural(len(names), "file")} in all{where})</i>')
    return Paragraph("<br/>".join(names[:shown]) + more, s["cell"])


def _inventory(d: PacketData, s: dict[str, ParagraphStyle], w: float, appendix: bool) -> list[Flowable]:
    out: list[Flowable] = [Heading("Records inventory", s["h1"], 0)]
    if not d.records:
        return out + [Paragraph("No records are listed yet.", s["muted"])]
    out.append(Paragraph(f"{len(d.records)} record{'s' if len(d.records) != 1 else ''}, grouped by kind; "
                         "files marked in the last column are attached in full in the appendix.", s["muted"]))
    widths = [w * 0.135, w * 0.32, w * 0.18, w * 0.135, w * 0.23]
    for kind in RecordKind:
        rows_of_kind = [r for r in d.records if r.kind is kind]
        if not rows_of_kind:
            continue
        rows = [[Paragraph(h, s["head"]) for h in ("Date", "Title", "Facility", "Status", "Attached")]]
        for r in rows_of_kind:
            title = f"<b>{para(r.title)}</b>"
            if r.summary:
                summary = plain(r.summary, 300)
                title += f'<br/><font size="7" color="#5d6d7e">{para(summary)}</font>'
            rows.append(about([
                Paragraph(human_date(r.date_of_service), s["cell"]), Paragraph(title, s["cell"]),
                Paragraph(para(r.facility_name) or "\u2014", s["cell"]), Paragraph(_status(r), s["cell"]),
                _files_cell(r, s, appendix),
            ], _record_words(r)))
        out.append(CondPageBreak(1.3 * inch))  # a heading never ends a page
        out.append(Heading(kind.label, s["h2"], 1))
        out.append(_table(rows, widths))
    return out


def _missing(d: PacketData, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [CondPageBreak(1.5 * inch), Heading("Still missing", s["h2"], 0)]
    if not d.findings:
        return out + [Paragraph("Nothing usually asked for seems to be missing.", s["body"])]
    out.append(Paragraph("These are still on their way or still to be requested; they may arrive after this "
                         "packet was printed.", s["muted"]))
    bullet = ParagraphStyle("bullet", parent=s["body"], leftIndent=14, bulletIndent=2)
    for f in d.findings:
        out.append(Paragraph(para(f.message), bullet, bulletText="\u2022"))
    return out


IN_TRANSIT = "Requests and material in transit"


def _asked_for(q: Any) -> str:
    """The titles of the records a request still waits for (its scope when it links none), as cell markup."""
    if q.records:
        waiting = q.records_to_come or q.records
        lines = [para(plain(r.title, MAX_CAPTION)) for r in waiting]
        came = len(q.records) - len(q.records_to_come)
        if came and q.records_to_come:
            lines.append(f'<font color="#5d6d7e">({plural(came, "other record")} already came)</font>')
        return "<br/>".join(lines)
    return "<br/>".join(para(words_) for words_ in q.scope_words) or "Records (no list given)"


def _request_status(q: Any, today: dt.date) -> str:
    from secondopinion_desktop.core.requests import due_words

    label = para(q.status.label)
    if q.is_overdue(today):
        return f"{label}<br/><b>{due_words(q, today)}</b>"
    if q.is_due_soon(today):
        return f"{label}<br/>{due_words(q, today)}"
    return label


def _in_transit(d: PacketData, s: dict[str, ParagraphStyle], w: float) -> list[Flowable]:
    """What has been asked for and not all come, and where the pathology material is; nothing when there is
    nothing outstanding."""
    if not d.requests and not d.shipments:
        return []
    from secondopinion_desktop.core.requests import via_words

    out: list[Flowable] = [CondPageBreak(1.5 * inch), Heading(IN_TRANSIT, s["h2"], 0)]
    out.append(Paragraph(
        f"As of {human_date(d.today)}: records asked for that have not all arrived, and where the pathology "
        "slides and blocks are. What is listed here may arrive after this packet was printed.", s["muted"]))
    if d.requests:
        out.append(Paragraph("Records requests still open", s["h3"]))
        rows = [[Paragraph(h, s["head"]) for h in ("Asked of", "Asked for", "Sent", "Due", "Status")]]
        for q in d.requests:
            via = f'<br/><font color="#5d6d7e">{para(via_words(q.sent_via))}</font>' if q.sent_via else ""
            due = human_date(q.effective_due) + (" (extended)" if q.extended_due_on else "")
            rows.append(about([
                Paragraph(f"<b>{para(q.facility_name) or 'A facility'}</b>", s["cell"]),
                Paragraph(_asked_for(q), s["cell"]),
                Paragraph(human_date(q.sent_on) + via, s["cell"]),
                Paragraph(due, s["cell"]),
                Paragraph(_request_status(q, d.today), s["cell"]),
            ], f"the request to \u201c{plain(q.facility_name, 80)}\u201d"))
        out.append(_table(rows, [w * 0.22, w * 0.36, w * 0.14, w * 0.14, w * 0.14]))
    if d.shipments:
        out.append(CondPageBreak(1.2 * inch))
        out.append(Paragraph("Pathology material not back at its lab", s["h3"]))
        rows = [[Paragraph(h, s["head"]) for h in
                 ("Material", "From / to", "Carrier and tracking number", "Shipped", "Received by the consultant",
                  "Due back at the lab")]]
        for m in d.shipments:
            what = f"<b>{para(m.what)}</b>"
            if m.record_title:
                what += f'<br/><font color="#5d6d7e">{para(plain(m.record_title, MAX_CAPTION))}</font>'
            dash = "\u2014"
            route = f"From {para(m.from_lab) or dash}<br/>to {para(m.to_whom) or dash}"
            tracking = "<br/>".join(x for x in (para(m.carrier), para(m.tracking_number)) if x) or "\u2014"
            due = human_date(m.due_back_on) if m.due_back_on else "\u2014"
            if m.is_overdue_back(d.today):
                due += "<br/><b>Overdue</b>"
            rows.append(about([
                Paragraph(what, s["cell"]), Paragraph(route, s["cell"]), Paragraph(tracking, s["cell"]),
                Paragraph(human_date(m.shipped_on) if m.shipped_on else "Not shipped yet", s["cell"]),
                Paragraph(human_date(m.received_on) if m.received_on else "Not yet", s["cell"]),
                Paragraph(due, s["cell"]),
            ], f"the shipment of \u201c{plain(m.what, 80)}\u201d"))
        out.append(_table(rows, [w * 0.19, w * 0.23, w * 0.2, w * 0.12, w * 0.13, w * 0.13]))
    return out


def _imaging_pathology(d: PacketData, s: dict[str, ParagraphStyle], w: float) -> list[Flowable]:
    out: list[Flowable] = [Heading("Imaging studies and pathology specimens", s["h1"], 0)]
    imaging = [r for r in d.records if r.kind is RecordKind.IMAGING]
    out.append(Heading("Imaging studies", s["h2"], 1))
    if imaging:
        rows = [[Paragraph(h, s["head"]) for h in
                 ("Date", "Study", "Modality", "Body region", "Where the images are", "Facility")]]
        for r in imaging:
            rows.append(about([
                Paragraph(human_date(r.date_of_service), s["cell"]), Paragraph(para(r.title), s["cellbold"]),
                Paragraph(para(r.imaging_modality) or "\u2014", s["cell"]),
                Paragraph(para(r.imaging_body_region) or "\u2014", s["cell"]),
                Paragraph(para(r.images_location.label) if r.images_location else "Not recorded", s["cell"]),
                Paragraph(para(r.facility_name) or "\u2014", s["cell"]),
            ], _record_words(r)))
        out.append(_table(rows, [w * 0.12, w * 0.26, w * 0.1, w * 0.14, w * 0.18, w * 0.2]))
    else:
        out.append(Paragraph("No imaging studies in this packet.", s["muted"]))
    pathology = [r for r in d.records if r.kind is RecordKind.PATHOLOGY]
    out.append(CondPageBreak(1.3 * inch))
    out.append(Heading("Pathology specimens", s["h2"], 1))
    if pathology:
        rows = [[Paragraph(h, s["head"]) for h in
                 ("Date", "Specimen / report", "Accession no.", "Site", "Slides / blocks", "Held by",
                  "Status")]]
        for r in pathology:
            counts = []
            if r.slides_count is not None:
                counts.append(f"{r.slides_count} slide{'s' if r.slides_count != 1 else ''}")
            if r.blocks_count is not None:
                counts.append(f"{r.blocks_count} block{'s' if r.blocks_count != 1 else ''}")
            rows.append(about([
                Paragraph(human_date(r.date_of_service), s["cell"]), Paragraph(para(r.title), s["cellbold"]),
                Paragraph(para(r.accession_number) or "\u2014", s["cell"]),
                Paragraph(para(r.specimen_site) or "\u2014", s["cell"]),
                Paragraph(", ".join(counts) or "\u2014", s["cell"]),
                Paragraph(para(r.material_holder or r.facility_name) or "\u2014", s["cell"]),
                Paragraph(_status(r), s["cell"]),
            ], _record_words(r)))
        out.append(_table(rows, [w * 0.1, w * 0.2, w * 0.12, w * 0.17, w * 0.1, w * 0.17, w * 0.14]))
    else:
        out.append(Paragraph("No pathology specimens in this packet.", s["muted"]))
    return out


def appointment_line(d: PacketData) -> str:
    a = d.appointment
    if a is None:
        return ""
    who = a.clinician_name or "the doctor"
    return f"{para(who)} \u00b7 {human_datetime(a.starts_at)}"


def question_flowables(questions: Any, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = []
    for n, q in enumerate(questions, start=1):
        block: list[Flowable] = [Paragraph(f"{n}.&nbsp;&nbsp;{para(q.text)}", s["question"])]
        if q.answer.strip():
            answer = _text_paragraphs(q.answer, s["answer"])
            block += [answer[0]] if len(answer) == 1 else []
            if len(answer) > 1:
                out.append(KeepTogether(block + answer[:1]))
                out += answer[1:]
                continue
        elif q.answered:
            block.append(Paragraph("<i>Answered (no answer written down).</i>", s["answer"]))
        else:
            block.append(RuledLines(3))
        out.append(KeepTogether(block))
    return out


def _questions(d: PacketData, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [Heading("Questions for the doctor", s["h1"], 0)]
    a = d.appointment
    if a is None:
        none = "No appointment has been entered, so there are no questions yet."
        return out + [Paragraph(none, s["muted"])]
    out.append(Paragraph(f"For the appointment with {appointment_line(d)}.", s["muted"]))
    if not a.questions:
        return out + [Paragraph("No questions written down yet.", s["muted"])]
    return out + question_flowables(a.questions, s)


def note_flowables(notes: Any, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = []
    for note in notes:
        started = f"Note started {human_date(note.started_at.date())} at {human_time(note.started_at)}"
        out.append(CondPageBreak(1.2 * inch))  # a note's heading never ends a page
        out.append(Paragraph(started, s["h3"]))
        body = _text_paragraphs(note.text, s["note"])
        out += body or [Paragraph("<i>(empty)</i>", s["muted"])]
    return out


def _notes(d: PacketData, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [Heading("Notes", s["h1"], 0)]
    a = d.appointment
    if a is None or not a.notes:
        return out + [Paragraph("No notes taken for this appointment yet.", s["muted"])]
    return out + note_flowables(a.notes, s)


def _appendix(inp: StoryInput, marks: Marks, s: dict[str, ParagraphStyle], w: float) -> list[Flowable]:
    out: list[Flowable] = [Heading("Appendix: attached documents", s["h1"], 0)]
    items = inp.items
    pdfs = sum(1 for i in items if i.kind == "pdf")
    images = len(items) - pdfs
    if items:
        out.append(Paragraph(
            f"The following pages reproduce the {plural(pdfs, 'attached PDF document')} in full and the "
            f"{plural(images, 'attached picture')}, one per page, in this order: pathology reports, imaging "
            "reports (newest first), molecular reports, lab results, the treatment plan, then the rest. Pages of "
            "other sizes are scaled to fit this page. Each document starts with a bookmark and is listed in the "
            "contents.", s["body"]))
    else:
        out.append(Paragraph("No attached documents could be included.", s["muted"]))
    if inp.thumbnails_left_out:
        n = inp.thumbnails_left_out
        out.append(Paragraph(
            f"{plural(n, 'picture')} from imaging records (previews of the images, which are not diagnostic) "
            f"{'is' if n == 1 else 'are'} left out of this appendix.",
            s["body"]))
    if inp.problems:
        n = len(inp.problems)
        out.append(Paragraph(f"{n} attached file{'s' if n != 1 else ''} could not be included; see "
                             "\u201cFiles not included\u201d.", s["body"]))
    for index, item in enumerate(items):
        out.append(PageBreak())
        out.append(DocEntry(f"{plain(item.record.title, MAX_CAPTION)} \u2014 "
                            f"{plain(item.attachment.original_name, MAX_CAPTION)}"))
        for page in range(item.pages):
            if page:
                out.append(PageBreak())
            out.append(PlaceholderPage(marks, index, page))
    if inp.problems:
        out.append(PageBreak())
        out.append(Heading("Files not included", s["h1"], 0))
        out.append(Paragraph("These attached files are not reproduced in this packet, for the reason given. "
                             "The patient can bring them separately.", s["muted"]))
        rows = [[Paragraph(h, s["head"]) for h in ("File", "Why it is not included")]]
        for problem in inp.problems:
            reason = problem.reason[:1].upper() + problem.reason[1:]
            rows.append(about([Paragraph(para(plain(problem.what, 2 * MAX_CAPTION)), s["cellbold"]),
                               Paragraph(para(reason), s["cell"])],
                              f"the file \u201c{plain(problem.what, 80)}\u201d"))
        out.append(_table(rows, [w * 0.42, w * 0.58]))
    if items:
        out.append(PageBreak())
        out.append(Heading("Attachment index", s["h1"], 0))
        out.append(Paragraph("Every file reproduced in this packet, with its size and SHA-256 checksum "
                             "(which identifies the exact file the patient holds).", s["muted"]))
        rows = [[Paragraph(h, s["head"]) for h in ("#", "Record", "File", "Size", "SHA-256")]]
        for n, item in enumerate(items, start=1):
            sha = item.attachment.sha256
            rows.append([
                Paragraph(str(n), s["cell"]),
                Paragraph(para(plain(item.record.title, MAX_CAPTION)), s["cell"]),
                Paragraph(para(plain(item.attachment.original_name, MAX_CAPTION)), s["cell"]),
                Paragraph(human_size(item.attachment.size), s["cell"]),
                Paragraph(f"{sha[:32]}<br/>{sha[32:]}", s["hash"]),
            ])
        out.append(_table(rows, [w * 0.05, w * 0.28, w * 0.27, w * 0.1, w * 0.30]))
    return out
