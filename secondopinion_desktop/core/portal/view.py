"""An imported record as readable text: the document's sections with their headings, its results as a table,
its medications, allergies and problems — drawn by our own code from what the import kept, never from the
file's own stylesheet, and never running or fetching anything in it. Every text is escaped: markup in a
document shows as the characters it was."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.models import (
    AllergyRow,
    LabResultRow,
    MedicationRow,
    ProblemRow,
    Record,
    RecordSource,
)
from secondopinion_desktop.core.portal.labs import (
    AllergyData,
    LabResultData,
    MedicationData,
    ProblemData,
    allergy_data,
    lab_result_data,
    medication_data,
    problem_data,
)
from secondopinion_desktop.core.portal.model import Block, Section, day_of, sections_from_json
from secondopinion_desktop.core.unit import reading
from secondopinion_desktop.core.words import day_month_year


@dataclass(frozen=True)
class RecordView:
    record_id: int
    title: str  # the document's or report's own title
    format: str  # "C-CDA", "FHIR R4"…
    source_name: str  # the file inside the download
    position: str
    sections: tuple[Section, ...]
    results: tuple[LabResultData, ...]
    medications: tuple[MedicationData, ...]
    allergies: tuple[AllergyData, ...]
    problems: tuple[ProblemData, ...]

    @property
    def empty(self) -> bool:
        return not (self.sections or self.results or self.medications or self.allergies or self.problems)


@reading
def record_view(session: Session, record_id: int) -> RecordView | None:
    """What a portal import kept for the record, or None when it was not imported from one."""
    sources = list(session.scalars(select(RecordSource).where(RecordSource.record_id == record_id)
                                   .order_by(RecordSource.id)))
    if not sources:
        return None
    record = session.get(Record, record_id)
    title = record.title if record is not None else ""
    sections: list[Section] = []
    for source in sources:
        try:
            sections.extend(sections_from_json(json.loads(source.sections or "[]")))
        except ValueError:
            continue

    def rows(table: type) -> list:  # type: ignore[type-arg]
        return list(session.scalars(select(table).where(table.record_id == record_id)  # type: ignore[attr-defined]
                                    .order_by(table.id)))  # type: ignore[attr-defined]

    first = sources[0]
    return RecordView(
        record_id=record_id, title=first.title or title, format=first.format, source_name=first.source_name,
        position=first.position, sections=tuple(sections),
        results=tuple(lab_result_data(r, title) for r in rows(LabResultRow)),
        medications=tuple(medication_data(r, title) for r in rows(MedicationRow)),
        allergies=tuple(allergy_data(r, title) for r in rows(AllergyRow)),
        problems=tuple(problem_data(r, title) for r in rows(ProblemRow)),
    )


# --- as HTML -----------------------------------------------------------------------------------------------------

_STYLE = (
    "<style>"
    "h2 { margin: 14px 0 4px 0; } h3 { margin: 10px 0 4px 0; } h4 { margin: 8px 0 2px 0; }"
    "table { border-collapse: collapse; margin: 4px 0 8px 0; }"
    "th { text-align: left; background: #eef1f4; padding: 3px 8px; }"
    "td { padding: 3px 8px; vertical-align: top; } .flag { font-weight: bold; } .quiet { color: #555; }"
    "</style>"
)


def _e(text: str) -> str:
    return html.escape(text or "", quote=True)


def _when(text: str) -> str:
    day = day_of(text)
    if day is None:
        return text
    out = day_month_year(day)
    return f"{out} {text[11:16]}" if len(text) >= 16 else out


MAX_ROWS = 200  # rows shown of one table: a viewer lays out thousands of rows slowly, and nobody reads them there


def _table(header: list[str] | None, rows: list[list[str]], flag_column: int | None = None,
           what: str = "row") -> str:
    more = len(rows) - MAX_ROWS
    rows = rows[:MAX_ROWS]
    out = ["<table border='1' cellspacing='0' cellpadding='3'>"]
    if header is not None:
        out += ["<tr>", *(f"<th>{_e(h)}</th>" for h in header), "</tr>"]
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            cls = " class='flag'" if flag_column is not None and i == flag_column and cell not in ("", "Normal") else ""
            out.append(f"<td{cls}>{_e(cell)}</td>")
        out.append("</tr>")
    out.append("</table>")
    if more > 0:
        out.append(f"<p class='quiet'>Showing the first {MAX_ROWS:,} of {MAX_ROWS + more:,} {what}s; the attached "
                   "file holds them all.</p>")
    return "".join(out)


def _block(block: Block) -> str:
    if block.kind == "paragraph":
        return "<p>" + "<br>".join(_e(line) for line in block.text.split("\n")) + "</p>"
    if block.kind == "list":
        return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in block.items) + "</ul>"
    if block.kind == "table" and block.rows:
        width = max(len(r) for r in block.rows)
        rows = [list(r) + [""] * (width - len(r)) for r in block.rows]
        return _table(rows[0], rows[1:]) if block.header else _table(None, rows)
    return ""


def _section(section: Section, level: int) -> str:
    tag = f"h{min(level, 6)}"
    out = [f"<{tag}>{_e(section.title or 'Section')}</{tag}>"] if section.title or section.blocks else []
    out += [_block(b) for b in section.blocks]
    out += [_section(s, level + 1) for s in section.subsections]
    return "".join(out)


def render_html(view: RecordView) -> str:
    """The record's imported content as one HTML page for a read-only viewer."""
    out = [f"<html><head>{_STYLE}</head><body>", f"<h2>{_e(view.title)}</h2>"]
    where = f"{view.source_name} ({view.format})" if view.source_name else view.format
    out.append(f"<p class='quiet'>Read from {_e(where)}{', ' + _e(view.position) if view.position else ''}.</p>")
    if view.results:
        out.append("<h3>Results</h3>")
        out.append(_table(["Test", "Value", "Unit", "Reference range", "Flag", "When"],
                          [[r.test, r.value, r.unit, r.reference_range, r.flag, _when(r.observed_at)]
                           for r in view.results], flag_column=4, what="result"))
    if view.problems:
        out.append("<h3>Problems</h3>")
        out.append(_table(["Problem", "Status", "Since", "Stage"],
                          [[p.name, p.status, _when(p.onset), p.stage] for p in view.problems]))
    if view.medications:
        out.append("<h3>Medications</h3>")
        out.append(_table(["Medication", "Dose", "How often", "Status", "Since"],
                          [[m.name, m.dose, m.frequency or m.instructions, m.status, _when(m.start)]
                           for m in view.medications]))
    if view.allergies:
        out.append("<h3>Allergies</h3>")
        out.append(_table(["Substance", "Reaction", "Severity", "Status"],
                          [[a.substance, a.reaction, a.severity, a.status] for a in view.allergies]))
    if view.sections and (view.results or view.problems or view.medications or view.allergies):
        # the tables above are what was read from the entries; the document's own narrative follows, under its
        # own heading, so a section called "Allergies" after the Allergies table is not taken for a repeat
        out.append("<h3>The document as written</h3>")
        out += [_section(s, 4) for s in view.sections]
    else:
        out += [_section(s, 3) for s in view.sections]
    out.append("</body></html>")
    return "".join(out)
