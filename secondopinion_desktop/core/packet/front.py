"""The packet's two front pages: the case in under a minute, then the key labs with their trends.

Page 1 is the cover, and carries what a receiving center asks for first: who (name, date of birth, medical record
numbers, insurer and member number), the diagnosis (type, histology, grade, stage, markers, date), the questions
for the consultant, the treatment so far with dates and response, the latest imaging result, the current
medications and the allergies. It fits one page for a usual case; a long case flows on to the next page (nothing
is shrunk or cut except single entries longer than :data:`ENTRY_LIMIT` characters, which are in full elsewhere).

Page 2 lists the latest value of each key test (tumor markers and key counts, :data:`core.health.KEY_TESTS`) and
draws a trend chart for each key test with charted points, two per row. A chart that cannot be drawn is left
out with a sentence: charts never fail the packet.

Every piece of user text goes through :func:`.text.para`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table, TableStyle

from secondopinion_desktop.core import words
from secondopinion_desktop.core.models import TreatmentKind
from secondopinion_desktop.core.packet.data import PacketData
from secondopinion_desktop.core.packet.text import FONT_BOLD, para, plain

ENTRY_LIMIT = 240  # characters of one entry on page 1 (a question, a medication's name, a biomarker list …)
NAME_LIMIT = 100
SUMMARY_LIMIT = 420  # the latest imaging result's summary
QUESTIONS_SHOWN = 5  # the first few questions, in order; the rest are in "Questions for the doctor"
OTHER_TESTS_SHOWN = 20
MOST_SHRUNK = 0.85  # page 1 is shrunk to fit by at most this much; more than that and it flows on
CHART_HEIGHTS = (88.0, 150.0)  # a chart's height: as tall as lets every chart share page 2, within these
CHART_PADDING = 4.0
TRENDS_HEADER = 44.0  # the "Trends" heading and its one-line legend, with their spacing
CHART_GAP = 14.0
DASH = "\u2014"

CASE_SUMMARY = "Case summary"
KEY_LABS = "Key labs and trends"


def front_styles(s: dict[str, ParagraphStyle]) -> dict[str, ParagraphStyle]:
    base = s["body"]
    return {
        "kicker": ParagraphStyle("fp_kicker", parent=s["cover_kicker"], fontSize=8.5, leading=11, spaceAfter=2),
        "name": ParagraphStyle("fp_name", parent=s["cover_name"], fontSize=21, leading=25, spaceAfter=3),
        "h": ParagraphStyle("fp_h", parent=s["h2"], fontSize=10.5, leading=13, spaceBefore=7, spaceAfter=2.5),
        "label": ParagraphStyle("fp_label", parent=s["label"], fontSize=7.5, leading=10),
        "value": ParagraphStyle("fp_value", parent=base, fontSize=8.5, leading=10.8, spaceAfter=0),
        "cell": ParagraphStyle("fp_cell", parent=s["cell"], fontSize=8, leading=10),
        "cellbold": ParagraphStyle("fp_cellbold", parent=s["cell"], fontName=FONT_BOLD, fontSize=8, leading=10),
        "head": ParagraphStyle("fp_head", parent=s["head"], fontSize=7.5, leading=9.5),
        "question": ParagraphStyle("fp_question", parent=base, fontSize=8.5, leading=11, leftIndent=14,
                                   firstLineIndent=-14, spaceAfter=1.5),
        "muted": ParagraphStyle("fp_muted", parent=s["muted"], fontSize=8, leading=10.5, spaceAfter=0),
        "foot": ParagraphStyle("fp_foot", parent=s["muted"], fontSize=7.5, leading=10, spaceBefore=6),
        "chart": ParagraphStyle("fp_chart", parent=base, fontName=FONT_BOLD, fontSize=8.5, leading=11,
                                spaceAfter=1),
    }


# --- shared wording ----------------------------------------------------------------------------------------

def short(text: object, limit: int = ENTRY_LIMIT) -> str:
    """User text as Paragraph markup, on one line and cut with an ellipsis past ``limit`` characters."""
    return para(plain(text, limit))


def partial_date(text: str) -> str:
    """A medication's start as the patient gave it: "2026-03-04" → "Mar 4, 2026", "2026-03" → "Mar 2026",
    "2026" → "2026"; anything else as written."""
    value = (text or "").strip()
    try:
        if len(value) >= 10:
            return words.month_day_year(dt.date.fromisoformat(value[:10]))
        if len(value) == 7:
            return f"{words.MONTHS[int(value[5:7]) - 1]} {int(value[:4])}"
    except (ValueError, IndexError):
        pass
    return value


def treatment_when(t: Any, today: dt.date) -> str:
    """A treatment line's dates in words: "Mar 4, 2026 – Jun 1, 2026", "Since …", "Planned from …"."""
    if t.start_date and t.end_date:
        return f"{words.month_day_year(t.start_date)} \u2013 {words.month_day_year(t.end_date)}"
    if t.start_date and t.kind is TreatmentKind.SURGERY:
        return words.month_day_year(t.start_date) + (" (planned)" if t.start_date > today else "")
    if t.start_date:
        return (f"Since {words.month_day_year(t.start_date)}" if t.start_date <= today
                else f"Planned from {words.month_day_year(t.start_date)}")
    return DASH


def stage_words(tnm: str, group: str) -> str:
    return " \u00b7 ".join(x for x in (tnm.strip(), f"stage group {group.strip()}" if group.strip() else "") if x)


def _grid(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    from secondopinion_desktop.core.packet.story import ACCENT, HEADER_BG, RULE, SPLIT_IN_ROW

    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT", splitInRow=SPLIT_IN_ROW)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), HEADER_BG), ("LINEBELOW", (0, 0), (-1, 0), 0.6, ACCENT)]
    t.setStyle(TableStyle(style))
    return t


def _pairs4(pairs: list[tuple[str, str]], f: dict[str, ParagraphStyle], w: float) -> Table:
    """Label/value pairs two to a row (label, value, label, value); values are markup already escaped."""
    cells = [[Paragraph(para(label), f["label"]), Paragraph(value or DASH, f["value"])] for label, value in pairs]
    rows = []
    for n in range(0, len(cells), 2):
        left = cells[n]
        right = cells[n + 1] if n + 1 < len(cells) else ["", ""]
        rows.append(left + right)
    label_w = 1.05 * inch
    value_w = w / 2 - label_w
    t = Table(rows, colWidths=[label_w, value_w, label_w, value_w], hAlign="LEFT", splitInRow=1)
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return t


# --- page 1 ------------------------------------------------------------------------------------------------

def case_summary(d: PacketData, s: dict[str, ParagraphStyle], w: float, h: float) -> list[Flowable]:
    """Page 1: the cover, with the whole case on it, in a frame ``w`` wide and ``h`` high. A case a little too
    long for the page is shrunk to fit (by at most :data:`MOST_SHRUNK`); a longer one flows on."""
    from reportlab.platypus import KeepInFrame

    from secondopinion_desktop.core.packet.story import DocEntry

    content = _case_content(d, s, w)
    needed = sum(_height(x, w) for x in content)
    if h < needed <= h / MOST_SHRUNK:
        return [DocEntry(CASE_SUMMARY, 0), KeepInFrame(w, h, content, mode="shrink")]
    return [DocEntry(CASE_SUMMARY, 0), *content]


def _height(flowable: Flowable, w: float) -> float:
    _, height = flowable.wrap(w, 10_000_000)
    return float(height) + float(flowable.getSpaceBefore()) + float(flowable.getSpaceAfter())


def _case_content(d: PacketData, s: dict[str, ParagraphStyle], w: float) -> list[Flowable]:
    from secondopinion_desktop.core.packet.story import human_datetime

    f = front_styles(s)
    p = d.profile
    out: list[Flowable] = [
        Paragraph("RECORDS FOR A SECOND-OPINION CONSULTATION \u00b7 CASE SUMMARY", f["kicker"]),
        Paragraph(short(p.name, NAME_LIMIT) or "Patient name not entered", f["name"]),
    ]
    insurance = short(p.insurer)
    if p.member_number.strip():
        insurance = (insurance + " \u00b7 " if insurance else "") + f"member no. {short(p.member_number, 80)}"
    if p.group_number.strip():
        insurance = (insurance + " \u00b7 " if insurance else "") + f"group no. {short(p.group_number, 80)}"
    mrns = "<br/>".join(short(line, 120) for line in p.medical_record_numbers.splitlines() if line.strip())
    contact = " \u00b7 ".join(short(x, 120) for x in (p.phone, p.email) if x.strip())
    a = d.appointment
    if a is not None:
        doctor = plain(a.clinician_name, 120) or "the consultant"
        where = plain(a.institution, 120)
        appointment = para(doctor) + (" \u00b7 " + para(where) if where else "")
        appointment += "<br/>" + human_datetime(a.starts_at)
        if a.place.strip():
            appointment += "<br/>" + short(a.place, 160)
        if a.attendees.strip():
            appointment += "<br/>Coming along: " + short(a.attendees, 160)
    else:
        appointment = "No appointment has been entered yet."
    out.append(_pairs4([
        ("Date of birth", words.month_day_year(p.date_of_birth) if p.date_of_birth else ""),
        ("Insurance", insurance),
        ("Medical record numbers", mrns),
        ("Appointment", appointment),
        ("Contact the patient", contact),
        ("Prepared on", words.month_day_year(d.today)),
    ], f, w))

    out.append(Paragraph("Diagnosis", f["h"]))
    markers = "; ".join(line.strip() for line in p.biomarkers.splitlines() if line.strip())
    out.append(_pairs4([
        ("Cancer type", short(p.cancer_type)),
        ("Diagnosed on", words.month_day_year(p.diagnosis_date) if p.diagnosis_date else ""),
        ("Histology", short(p.histology)),
        ("Grade", short(p.grade)),
        ("Stage", short(stage_words(p.tnm_stage, p.stage_group))),
        ("Markers", short(markers, 2 * ENTRY_LIMIT)),
    ], f, w))

    out += _front_questions(d, f)
    out += _front_treatments(d, f, w)
    out += _front_imaging(d, f)
    out += _front_medications(d, f, w)
    out += _front_allergies(d, f, w)
    out.append(Paragraph("Prepared by the patient with Second Opinion. The full records, the timeline and the "
                         "attached documents follow.", f["foot"]))
    return out


def _front_questions(d: PacketData, f: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Questions for the consultant", f["h"])]
    a = d.appointment
    questions = list(a.questions) if a is not None else []
    if not questions:
        return out + [Paragraph("No questions written down yet.", f["muted"])]
    for n, q in enumerate(questions[:QUESTIONS_SHOWN], start=1):
        out.append(Paragraph(f"{n}.&nbsp;&nbsp;{short(q.text, 300)}", f["question"]))
    rest = len(questions) - QUESTIONS_SHOWN
    if rest > 0:
        out.append(Paragraph(f"\u2026 and {words.plural(rest, 'more question')} under \u201cQuestions for the "
                             "doctor\u201d.", f["muted"]))
    return out


def _front_treatments(d: PacketData, f: dict[str, ParagraphStyle], w: float) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Treatment so far", f["h"])]
    if not d.treatments:
        return out + [Paragraph("No treatment yet.", f["value"])]
    rows = [[Paragraph(h, f["head"]) for h in ("Treatment", "Dates", "Response")]]
    for t in d.treatments:
        what = f"<b>{para(t.kind.label)}</b>" + (f": {short(t.description)}" if t.description.strip() else "")
        rows.append([Paragraph(what, f["cell"]), Paragraph(treatment_when(t, d.today), f["cell"]),
                     Paragraph(short(t.response) or DASH, f["cell"])])
    return out + [_grid(rows, [w * 0.44, w * 0.24, w * 0.32])]


def _front_imaging(d: PacketData, f: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Latest imaging result", f["h"])]
    r = d.latest_imaging
    if r is None:
        return out + [Paragraph("No imaging report in hand yet.", f["muted"])]
    bits = [words.month_day_year(r.date_of_service)]
    if r.facility_name.strip():
        bits.append(short(r.facility_name, 120))
    line = f"<b>{short(r.title)}</b> \u00b7 " + " \u00b7 ".join(bits)
    out.append(Paragraph(line, f["value"]))
    if r.summary.strip():
        out.append(Paragraph(short(r.summary, SUMMARY_LIMIT), f["value"]))
    else:
        out.append(Paragraph("No summary written down; the report is in the appendix.", f["muted"]))
    return out


def _front_medications(d: PacketData, f: dict[str, ParagraphStyle], w: float) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Current medications", f["h"])]
    meds = d.health.current_medications if d.health is not None else ()
    if not meds:
        return out + [Paragraph("None recorded.", f["value"])]
    rows = [[Paragraph(h, f["head"]) for h in ("Medication", "Dose", "How often", "Since")]]
    for m in meds:
        name = f"<b>{short(m.name)}</b>"
        if m.route.strip():
            name += f' <font color="#5d6d7e">({short(m.route, 60)})</font>'
        rows.append([Paragraph(name, f["cell"]), Paragraph(short(m.dose, 120) or DASH, f["cell"]),
                     Paragraph(short(m.frequency, 120) or DASH, f["cell"]),
                     Paragraph(para(partial_date(m.start)) or DASH, f["cell"])])
    return out + [_grid(rows, [w * 0.40, w * 0.2, w * 0.24, w * 0.16])]


def _front_allergies(d: PacketData, f: dict[str, ParagraphStyle], w: float) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("Allergies and intolerances", f["h"])]
    allergies = d.health.allergies if d.health is not None else ()
    if not allergies:
        # Never "no known allergies": nothing listed here does not mean the patient has none.
        return out + [Paragraph("None recorded.", f["value"])]
    rows = [[Paragraph(h, f["head"]) for h in ("Substance", "Reaction", "Severity")]]
    for al in allergies:
        what = f"<b>{short(al.substance)}</b>"
        if al.category == "intolerance":
            what += ' <font color="#5d6d7e">(intolerance)</font>'
        rows.append([Paragraph(what, f["cell"]), Paragraph(short(al.reaction) or DASH, f["cell"]),
                     Paragraph(short(al.severity, 100) or DASH, f["cell"])])
    return out + [_grid(rows, [w * 0.40, w * 0.4, w * 0.2])]


# --- page 2 ------------------------------------------------------------------------------------------------

def trend_chart(series: Any, treatments: Sequence[Any], width: float, height: float,
                today: dt.date) -> Flowable | None:
    """The vector trend chart of one series (``core.trend`` frame drawn by ``core.packet.charts``), or None when
    it has no charted point or cannot be drawn. Never raises."""
    try:
        from secondopinion_desktop.core.packet.charts import safe_trend_drawing
        from secondopinion_desktop.core.trend import trend_frame

        frame = trend_frame(series, treatments, today=today)
        if frame is None:
            return None
        drawing: Flowable | None = safe_trend_drawing(frame, width, height)
        return drawing
    except Exception:  # noqa: BLE001 - a chart never fails the packet: it is left out, with a sentence
        return None


def _latest_row(series: Any, f: dict[str, ParagraphStyle]) -> list[Any]:
    latest = series.latest
    name = f"<b>{short(series.name, 120)}</b>"
    if series.mixed_units:
        name += '<br/><font color="#9a3412">mixed units: ' + para(", ".join(u or "none" for u in series.units)) \
            + "</font>"
    if latest is None:
        return [Paragraph(name, f["cell"])] + [Paragraph(DASH, f["cell"]) for _ in range(5)]
    value = short(latest.value, 80) or DASH
    day = words.month_day_year(latest.day) if latest.day else "no date"
    return [Paragraph(name, f["cell"]), Paragraph(f"<b>{value}</b>", f["cell"]),
            Paragraph(short(latest.unit, 40) or DASH, f["cell"]),
            Paragraph(short(latest.reference_range, 80) or DASH, f["cell"]),
            Paragraph(short(latest.flag, 40) or DASH, f["cell"]), Paragraph(day, f["cell"])]


def _lab_table(series: Sequence[Any], f: dict[str, ParagraphStyle], w: float) -> Table:
    rows = [[Paragraph(h, f["head"]) for h in ("Test", "Latest value", "Unit", "Reference range", "Flag",
                                               "Date")]]
    rows += [_latest_row(x, f) for x in series]
    return _grid(rows, [w * 0.25, w * 0.14, w * 0.13, w * 0.2, w * 0.1, w * 0.18])


def key_labs(d: PacketData, s: dict[str, ParagraphStyle], w: float, h: float = 10_000.0) -> list[Flowable]:
    """Page 2: the key tests' latest values, their trend charts two per row (as tall as lets them share the page
    ``h`` high, within :data:`CHART_HEIGHTS`), then the other tests' latest."""
    from secondopinion_desktop.core.packet.story import Heading

    f = front_styles(s)
    out: list[Flowable] = [Heading(KEY_LABS, s["h1"], 0)]
    every = list(d.health.series) if d.health is not None else []
    key = [x for x in every if x.group != "other"]
    other = [x for x in every if x.group == "other"]
    if not every:
        return out + [Paragraph("No lab results are listed yet; any lab reports are attached in the appendix.",
                                s["muted"])]
    if key:
        out.append(Paragraph("Tumor markers and key blood counts: the latest value of each, as given on the "
                             "report (units are never converted).", f["muted"]))
        out.append(Spacer(1, 3))
        out.append(_lab_table(key, f, w))
    else:
        out.append(Paragraph("No tumor marker or key blood count is listed.", f["muted"]))
    rest: list[Flowable] = []
    if other:
        rest.append(Heading("Other tests", f["h"], 1, toc=False))
        shown = other[:OTHER_TESTS_SHOWN]
        rest.append(_lab_table(shown, f, w))
        if len(other) > len(shown):
            rest.append(Paragraph(f"\u2026 and {words.plural(len(other) - len(shown), 'more test')}; the lab "
                                  "reports are attached in the appendix.", f["muted"]))
    rest_height = sum(_height(x, w) for x in rest)
    used = sum(_height(x, w) for x in out) + TRENDS_HEADER + rest_height
    rows = (sum(1 for x in key if x.charted) + 1) // 2
    low, high = CHART_HEIGHTS
    height = max(low, min(high, (h - used) / rows - 2 * CHART_PADDING)) if rows else high
    out += _charts(d, key, f, w, height)
    if rest:
        out.append(CondPageBreak(min(rest_height, 1.2 * inch)))  # a heading never ends a page
        out += rest
    return out


def _charts(d: PacketData, key: Sequence[Any], f: dict[str, ParagraphStyle], w: float,
            height: float) -> list[Flowable]:
    charted = [x for x in key if x.charted]
    if not charted:
        return []
    from secondopinion_desktop.core.packet.story import Heading

    legend = "Shaded: the reference range." + (" Marked periods: the treatment lines." if d.treatments else "")
    out: list[Flowable] = [CondPageBreak(height + TRENDS_HEADER), Heading("Trends", f["h"], 1, toc=False),
                           Paragraph(legend, f["muted"])]
    cell_w = (w - CHART_GAP) / 2
    cells: list[list[Flowable]] = []
    failed = []
    treatments = d.treatments
    for series in charted:
        drawing = trend_chart(series, treatments, cell_w, height, d.today)
        if drawing is None:
            failed.append(series.name)
            continue
        cells.append([drawing])  # the drawing carries its title: the test's name and unit
    rows = [cells[n:n + 2] + ([[]] if n + 1 >= len(cells) else []) for n in range(0, len(cells), 2)]
    if rows:
        t = Table(rows, colWidths=[cell_w + CHART_GAP / 2, cell_w + CHART_GAP / 2], hAlign="LEFT")
        t.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), CHART_GAP / 2),
            ("TOPPADDING", (0, 0), (-1, -1), CHART_PADDING),
            ("BOTTOMPADDING", (0, 0), (-1, -1), CHART_PADDING),
        ]))
        out.append(t)
    if failed:
        names = ", ".join(plain(n, 60) for n in failed)
        out.append(Paragraph(para(f"The chart of {names} could not be drawn; the values are in the table above."),
                             f["muted"]))
    return out


__all__ = ["CASE_SUMMARY", "KEY_LABS", "case_summary", "key_labs", "trend_chart"]
