"""Sample data: one plainly fictional patient's second-opinion case, for trying the app without real records.

The case itself (patient, facilities, clinicians, records, and what each attached document says) is
data, kept in ``resources/sample/case.json``. This module turns it into ordinary service calls and draws the
attached files: one-page PDF reports with ReportLab and small PNG images in pure Python (zlib + struct).
Every page and image is marked as a sample. Dates in the JSON are day offsets from ``today``, so the case
always looks recent.

The case's requests for records go through the same steps a patient takes (``core.requests``: made, sent,
calls logged, an extension notice, what came, refused or cancelled), and its slide shipments through
``core.shipments``. A record that a sent request asks for starts as *needed*, so the request's steps date it
(requested when sent, received when it came); afterwards each record is moved on, with the JSON's dates, to the
status the JSON gives it (sent to the second-opinion doctor, say). A step that would leave a record ahead of
that status is an error in the case, not something papered over.

Sample data only goes into an empty data folder, so it is never mixed with someone's real records.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import random
import re
import struct
import tempfile
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from secondopinion_desktop.core import directory, profile, records, requests, shipments
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import (
    AllergyRow,
    Appointment,
    Clinician,
    Facility,
    LabResultRow,
    MaterialShipment,
    MedicationRow,
    Profile,
    Record,
    RecordsRequest,
    RecordStatus,
)
from secondopinion_desktop.core.words import month_day_year, plural

RESOURCE_PACKAGE = "secondopinion_desktop.resources"
SAMPLE_MARK = "SAMPLE \u2014 fictional patient"
_DATE_FIELDS = ("date_of_service", "requested_on", "received_on", "sent_on")
_PLACEHOLDER = re.compile(r"\{date:(-?\d+)\}")


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`fill_demo_data` added."""

    records: int
    facilities: int
    clinicians: int
    attachments: int
    requests: int
    shipments: int
    medications: int = 0
    allergies: int = 0
    lab_results: int = 0


def load_case() -> dict[str, Any]:
    """The sample case as stored in ``resources/sample/case.json`` (dates still as offsets)."""
    source = resources.files(RESOURCE_PACKAGE) / "sample" / "case.json"
    case: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return case


def fill_demo_data(folder: DataFolder, *, today: dt.date | None = None) -> DemoSummary:
    """Fill an empty, opened data folder with the sample case, dated as if ``today`` were today.

    Raises ValidationError, changing nothing, when the folder already holds records, facilities, clinicians or
    a profile. If attaching the files fails, everything this call added is removed again before the error is
    raised.
    """
    real_today = dt.date.today()
    today = today or real_today
    if today > real_today:
        raise ValidationError(f"Sample data cannot be dated from {today.isoformat()}, which is after today.",
                              field="today")
    case = load_case()
    dates = _Dates(today)
    created = _Created()
    with folder.session() as session:
        _refuse_unless_empty(session)
        _create_rows(session, case, dates, created)
        _create_requests(session, case, dates, created)
        _create_shipments(session, case, dates, created)
        _catch_up_records(session, dates, created)
        _create_appointments(session, case, dates, created)
        _create_health(session, case, dates, created)
    try:
        attachments = _attach_files(folder, case, dates, created)
    except BaseException:
        _remove_created(folder, created)
        raise
    return DemoSummary(
        records=len(created.records),
        facilities=len(created.facilities),
        clinicians=len(created.clinicians),
        attachments=attachments,
        requests=len(created.requests),
        shipments=len(created.shipments),
        medications=created.health.get("medications", 0),
        allergies=created.health.get("allergies", 0),
        lab_results=created.health.get("labs", 0),
    )


def _create_appointments(session: Any, case: dict[str, Any], dates: _Dates, created: _Created) -> None:
    """The upcoming second-opinion visit, with the questions the patient wants to ask."""
    from secondopinion_desktop.core import appointments

    for spec in case.get("appointments", []):
        day = dates.today + dt.timedelta(days=int(spec.get("days_from_now", 0)))
        hour, minute = (int(part) for part in spec.get("time", "09:00").split(":"))
        made = appointments.create_appointment(
            session, dt.datetime(day.year, day.month, day.day, hour, minute),
            clinician_id=created.clinicians.get(spec.get("clinician", "")), place=spec.get("place", ""),
            purpose=spec.get("purpose", ""), attendees=spec.get("attendees", ""),
        )
        for question in spec.get("questions", []):
            appointments.add_question(session, made.id, question)


def _create_health(session: Any, case: dict[str, Any], dates: _Dates, created: _Created) -> None:
    """Her medication and allergy list, and lab values typed in from printed results, each linked to the record
    of its paper where the case names one (``"record"``).

    The story's facts: hormone replacement therapy is usually stopped once a hormone receptor positive breast
    cancer is found (American Cancer Society, "Menopausal Hormone Therapy and Cancer Risk"); nausea and vomiting
    from codeine is a side effect, recorded as an intolerance rather than an allergy (American Academy of Allergy,
    Asthma & Immunology, "Drug allergy"). Every value is within its printed reference range.
    """
    from secondopinion_desktop.core import health

    spec = case.get("health") or {}

    def fields(item: dict[str, Any], *date_keys: str) -> dict[str, Any]:
        out = {k: dates.text(v) if isinstance(v, str) else v for k, v in item.items() if k != "record"}
        for key in date_keys:
            if key in out:
                out[key] = _partial(dates, out[key])
        if item.get("record"):
            out["record_id"] = created.record_id(item["record"])
        return out

    for item in spec.get("medications", ()):
        values = fields(item, "start", "end")
        health.create_medication(session, values.pop("name"), **values)
        created.health["medications"] = created.health.get("medications", 0) + 1
    for item in spec.get("allergies", ()):
        values = fields(item, "onset")
        health.create_allergy(session, values.pop("substance"), **values)
        created.health["allergies"] = created.health.get("allergies", 0) + 1
    for item in spec.get("labs", ()):
        values = fields(item, "date")
        health.add_lab_result(session, values.pop("test"), values.pop("value"), values.pop("date"),
                              unit=values.pop("unit", ""), reference_range=values.pop("range", ""), **values)
        created.health["labs"] = created.health.get("labs", 0) + 1


def _partial(dates: _Dates, spec: Any) -> str:
    """A relative date as ISO text, cut to its ``precision`` ("year" → "2019", "month" → "2019-04")."""
    precision = spec.get("precision", "day") if isinstance(spec, dict) else "day"
    day = dates.date({k: v for k, v in spec.items() if k != "precision"} if isinstance(spec, dict) else spec)
    if day is None:
        return ""
    return day.isoformat()[:{"year": 4, "month": 7}.get(precision, 10)]


# --- dates -------------------------------------------------------------------------------------------------


class _Dates:
    """Turns the JSON's relative dates into real ones."""

    def __init__(self, today: dt.date) -> None:
        self.today = today

    def date(self, spec: Any) -> dt.date | None:
        """``{"days_ago": N, "years_ago": Y}`` (both optional), a plain number of days ago, or an ISO date."""
        if spec is None:
            return None
        if isinstance(spec, str):
            return dt.date.fromisoformat(spec)
        if isinstance(spec, int):
            return self.today - dt.timedelta(days=spec)
        day = self.today
        years = int(spec.get("years_ago", 0))
        if years:
            try:
                day = day.replace(year=day.year - years)
            except ValueError:  # 29 February in a year without one
                day = day.replace(year=day.year - years, day=28)
        return day - dt.timedelta(days=int(spec.get("days_ago", 0)))

    def text(self, value: str) -> str:
        """Replace each ``{date:N}`` with the date N days ago, written out (``Mar 4, 2026``)."""
        return _PLACEHOLDER.sub(lambda m: month_day_year(self.today - dt.timedelta(days=int(m.group(1)))), value)


# --- database rows -----------------------------------------------------------------------------------------


@dataclass
class _Created:
    """What a fill has added so far (by JSON key), so that a failed fill can be undone."""

    profile: bool = False
    facilities: dict[str, int] = field(default_factory=dict)
    clinicians: dict[str, int] = field(default_factory=dict)
    records: list[tuple[records.RecordData, dict[str, Any]]] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    shipments: list[int] = field(default_factory=list)
    health: dict[str, int] = field(default_factory=dict)  # "medications", "allergies", "labs": how many

    def record_id(self, key: str) -> int:
        return next(data.id for data, spec in self.records if spec["key"] == key)


def _refuse_unless_empty(session: Any) -> None:
    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    held = count(Record)
    if held:
        raise ValidationError(
            f"This data folder already holds {plural(held, 'record')}; sample data can only go into an empty "
            "folder, so it never mixes with real records."
        )
    if count(Facility) or count(Clinician):
        raise ValidationError(
            "This data folder already lists facilities or clinicians; sample data can only go into an empty "
            "folder, so it never mixes with real information."
        )
    if count(MedicationRow) or count(AllergyRow) or count(LabResultRow):
        raise ValidationError(
            "This data folder already lists medications, allergies or lab results; sample data can only go into "
            "an empty folder, so it never mixes with real information."
        )
    if count(RecordsRequest) or count(MaterialShipment):
        raise ValidationError(
            "This data folder already holds requests for records or shipments; sample data can only go into an "
            "empty folder, so it never mixes with real information."
        )
    if profile.get_profile(session) != profile.ProfileData():
        raise ValidationError(
            "This data folder already has a patient profile; sample data can only go into an empty folder, "
            "so it never replaces real information."
        )


def _texts(values: dict[str, Any], dates: _Dates) -> dict[str, Any]:
    return {k: dates.text(v) if isinstance(v, str) else v for k, v in values.items()}


def _create_rows(session: Any, case: dict[str, Any], dates: _Dates, created: _Created) -> None:
    patient = _texts(case["patient"], dates)
    for key in ("date_of_birth", "diagnosis_date"):
        patient[key] = dates.date(patient.get(key))
    profile.save_profile(session, **patient)
    created.profile = True

    for spec in case["facilities"]:
        fields = _texts({k: v for k, v in spec.items() if k not in ("key", "name")}, dates)
        created.facilities[spec["key"]] = directory.create_facility(session, spec["name"], **fields).id

    for spec in case["clinicians"]:
        fields = _texts({k: v for k, v in spec.items() if k not in ("key", "name", "facility")}, dates)
        fields["facility_id"] = created.facilities[spec["facility"]] if spec.get("facility") else None
        created.clinicians[spec["key"]] = directory.create_clinician(session, spec["name"], **fields).id

    asked_for = _asked_for_by_sent_requests(case)
    for spec in case["records"]:
        skip = ("key", "kind", "title", "facility", "clinician", "attachments")
        fields = _texts({k: v for k, v in spec.items() if k not in skip}, dates)
        for key in _DATE_FIELDS:
            if key in fields:
                fields[key] = dates.date(fields[key])
        if spec["key"] in asked_for:
            # The request dates it when it is sent; _catch_up_records takes it on to its status afterwards.
            fields["status"] = RecordStatus.NEEDED.value
            for key in records.STATUS_DATE_FIELD.values():
                fields.pop(key, None)
        status = RecordStatus(fields.get("status", RecordStatus.NEEDED.value))
        date_field = records.STATUS_DATE_FIELD.get(status)
        if date_field and not fields.get(date_field):
            fields[date_field] = dates.today  # the service would use the real today instead
        fields["facility_id"] = created.facilities[spec["facility"]] if spec.get("facility") else None
        fields["clinician_id"] = created.clinicians[spec["clinician"]] if spec.get("clinician") else None
        data = records.create_record(session, spec["kind"], dates.text(spec["title"]), **fields)
        created.records.append((data, spec))


def _asked_for_by_sent_requests(case: dict[str, Any]) -> set[str]:
    """The keys of the records a request of the case asks for and is sent."""
    return {key for spec in case.get("requests", ()) if any(s["step"] == "sent" for s in spec.get("steps", ()))
            for key in spec["records"]}


def _create_requests(session: Any, case: dict[str, Any], dates: _Dates, created: _Created) -> None:
    """Each request of the case: made as a draft, then taken through its steps in order, as a patient would."""
    facility_names = {f["key"]: f["name"] for f in case["facilities"]}
    for spec in case.get("requests", ()):
        fields = _texts(dict(spec.get("fields", {})), dates)
        fields["record_ids"] = [created.record_id(key) for key in spec["records"]]
        made = requests.create_request(session, facility_names[spec["facility"]], **fields)
        created.requests[spec["key"]] = made.id
        for step in spec.get("steps", ()):
            _take_step(session, made.id, step, dates, created)


def _take_step(session: Any, request_id: int, step: dict[str, Any], dates: _Dates, created: _Created) -> None:
    on = dates.date(step["on"])
    note = dates.text(step.get("note", ""))
    kind = step["step"]
    if kind == "sent":
        requests.mark_sent(session, request_id, on=on, via=step.get("via"), note=note)
    elif kind == "log":
        requests.log_event(session, request_id, step["kind"], on=on, who=step.get("who", ""), note=note)
    elif kind == "extend":
        new_due_on = dates.date(step["new_due_on"])
        if new_due_on is None:
            raise ValueError("A sample extension has no new due date.")
        requests.extend(session, request_id, new_due_on, on=on, note=note)
    elif kind == "received":
        ids = [created.record_id(key) for key in step["records"]] if "records" in step else None
        requests.mark_received(session, request_id, ids, on=on, complete=step.get("complete"), note=note)
    elif kind == "refused":
        requests.refuse(session, request_id, why=dates.text(step.get("why", "")), on=on)
    elif kind == "cancelled":
        requests.cancel(session, request_id, note=note, on=on)
    else:
        raise ValueError(f"Unknown step {kind!r} in a sample request.")


def _create_shipments(session: Any, case: dict[str, Any], dates: _Dates, created: _Created) -> None:
    """The slides and blocks on their way (or back home), each tied to its pathology record and request."""
    for spec in case.get("shipments", ()):
        fields = _texts({k: v for k, v in spec.items() if k not in ("record", "request")}, dates)
        for key in ("shipped_on", "received_on", "due_back_on", "returned_on"):
            if key in fields:
                fields[key] = dates.date(fields[key])
        fields["record_id"] = created.record_id(spec["record"]) if spec.get("record") else None
        fields["request_id"] = created.requests[spec["request"]] if spec.get("request") else None
        created.shipments.append(shipments.create_shipment(session, **fields).id)


def _catch_up_records(session: Any, dates: _Dates, created: _Created) -> None:
    """Move each record on from where the requests left it to the status the case gives it, one step at a time,
    each dated as the case says."""
    order = list(RecordStatus)
    for data, spec in created.records:
        wanted = RecordStatus(spec.get("status", RecordStatus.NEEDED.value))
        now = records.get_record(session, data.id).status
        if order.index(now) > order.index(wanted):
            raise ValueError(f"The sample requests leave {spec['key']!r} {now.value}, past its status "
                             f"{wanted.value!r} in the case.")
        for status in order[order.index(now) + 1:order.index(wanted) + 1]:
            date_field = records.STATUS_DATE_FIELD[status]
            if date_field not in spec:
                raise ValueError(f"The sample record {spec['key']!r} has no {date_field} for its status.")
            records.set_status(session, data.id, status, dates.date(spec[date_field]))


def _remove_created(folder: DataFolder, created: _Created) -> None:
    """Undo a fill whose attachments failed: best effort, so the original error is the one reported."""
    for shipment_id in created.shipments:
        with contextlib.suppress(Exception):
            shipments.delete_shipment(folder, shipment_id)
    for request_id in created.requests.values():
        with contextlib.suppress(Exception):
            requests.delete_request(folder, request_id)
    for data, _spec in created.records:
        with contextlib.suppress(Exception):
            records.delete_record(folder, data.id)
    with contextlib.suppress(Exception), folder.session() as session:
        for model, ids in ((Clinician, created.clinicians.values()), (Facility, created.facilities.values())):
            for row_id in ids:
                row = session.get(model, row_id)
                if row is not None:
                    session.delete(row)
        if created.profile:
            for row in session.scalars(select(Profile)):
                session.delete(row)
        for table in (Appointment, MedicationRow, AllergyRow, LabResultRow):  # the folder was empty before
            for leftover in session.scalars(select(table)):
                session.delete(leftover)


# --- attachments -------------------------------------------------------------------------------------------


def _attach_files(folder: DataFolder, case: dict[str, Any], dates: _Dates, created: _Created) -> int:
    facilities = {f["key"]: f for f in case["facilities"]}
    clinicians = {c["key"]: c for c in case["clinicians"]}
    patient = case["patient"]
    count = 0
    with tempfile.TemporaryDirectory(prefix="secondopinion-sample-") as tmp:
        tmpdir = Path(tmp)
        made: dict[str, Path] = {}
        plan: list[tuple[int, Path, str]] = []
        # Draw every file first, so an attachment may reuse ("same_as") a file drawn for a later record.
        for index, (data, spec) in enumerate(created.records):
            for number, item in enumerate(spec.get("attachments", ())):
                if "same_as" in item:
                    continue
                name = _file_name(item["name"], data.date_of_service or dates.today)
                path = tmpdir / f"{index:02d}-{number}" / name
                path.parent.mkdir()
                if "pdf" in item:
                    _write_pdf(
                        path, item["pdf"], dates=dates, patient=patient, service_date=data.date_of_service,
                        facility=facilities.get(spec.get("facility", "")),
                        clinician=clinicians.get(spec.get("clinician", "")),
                    )
                elif "png" in item:
                    path.write_bytes(_draw_png(item["png"]))
                else:
                    raise ValueError(f"Sample attachment {name!r} is neither a PDF nor a PNG.")
                made[item.get("key", f"{index}-{number}")] = path
        for index, (data, spec) in enumerate(created.records):
            for number, item in enumerate(spec.get("attachments", ())):
                path = made[item["same_as"] if "same_as" in item else item.get("key", f"{index}-{number}")]
                day = data.date_of_service or dates.today
                name = _file_name(item["name"], day) if "name" in item else path.name
                plan.append((data.id, path, name))
        for record_id, path, name in plan:
            records.attach_file(folder, record_id, path, original_name=name)
            count += 1
    return count


def _file_name(template: str, day: dt.date) -> str:
    return template.replace("{date}", day.isoformat())


# --- PDF reports -------------------------------------------------------------------------------------------


def _mrn_for(patient: dict[str, Any], facility_name: str) -> str:
    for line in str(patient.get("medical_record_numbers", "")).splitlines():
        where, _, number = line.partition(":")
        if where.strip().lower() == facility_name.lower():
            return number.strip()
    return "\u2014"


def _write_pdf(
    path: Path,
    doc: dict[str, Any],
    *,
    dates: _Dates,
    patient: dict[str, Any],
    service_date: dt.date | None,
    facility: dict[str, Any] | None,
    clinician: dict[str, Any] | None,
) -> None:
    """A one-page report: letterhead, SAMPLE badge and watermark, patient block, fields, table, sections."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    ink = colors.HexColor("#1f3d5c")
    grey = colors.HexColor("#555555")
    width, height = letter
    margin = 0.75 * inch
    avail = width - 2 * margin

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(dates.text(str(text))).replace("\n", "<br/>"), style)

    body = ParagraphStyle("body", fontName="Helvetica", fontSize=9.5, leading=12.5)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=10.5)
    small_bold = ParagraphStyle("small_bold", parent=small, fontName="Helvetica-Bold")
    heading = ParagraphStyle("heading", parent=body, fontName="Helvetica-Bold", textColor=ink, spaceBefore=4)
    title_style = ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=13.5, leading=17)

    if facility is not None:
        head_name = facility["name"]
        head_lines = [*str(facility.get("address", "")).splitlines(), f"Phone {facility.get('phone', '')}"]
        head_lines = [" \u00b7 ".join(line for line in head_lines if line.strip())]
        if facility.get("records_fax"):
            head_lines.append(
                f"Medical records: phone {facility.get('records_phone', '')}, fax {facility['records_fax']}"
            )
    else:
        head_name = "Personal health record"
        contact = (patient["name"], patient.get("phone", ""), patient.get("email", ""))
        head_lines = ["Kept by " + " \u00b7 ".join(part for part in contact if part)]

    title = dates.text(doc["title"])
    canvas = Canvas(str(path), pagesize=letter, invariant=1, pageCompression=1)
    canvas.setTitle(f"{title} (sample)")
    canvas.setAuthor("Second Opinion sample data")
    canvas.setSubject(SAMPLE_MARK)
    canvas.setCreator("Second Opinion")

    def finish_page() -> None:
        """The diagonal SAMPLE watermark, drawn last and translucent so tables cannot hide it."""
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#b3261e"))
        canvas.setFillAlpha(0.09)
        canvas.setFont("Helvetica-Bold", 120)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, -40, "SAMPLE")
        canvas.restoreState()
        canvas.showPage()

    def start_page(number: int) -> float:
        top = height - margin
        canvas.setFillColor(ink)
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(margin, top - 14, head_name)
        canvas.setFillColor(grey)
        canvas.setFont("Helvetica", 8.5)
        y = top - 28
        for line in head_lines:
            canvas.drawString(margin, y, line)
            y -= 10.5
        badge_w, badge_h = 168, 22
        canvas.setFillColor(colors.HexColor("#b3261e"))
        canvas.roundRect(width - margin - badge_w, top - badge_h + 4, badge_w, badge_h, 4, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont("Helvetica-Bold", 10.5)
        canvas.drawCentredString(width - margin - badge_w / 2, top - badge_h + 11, SAMPLE_MARK)
        canvas.setStrokeColor(ink)
        canvas.setLineWidth(1.2)
        canvas.line(margin, y + 4, width - margin, y + 4)

        canvas.setFillColor(grey)
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(
            margin, margin - 24,
            f"{SAMPLE_MARK}. Made by Second Opinion as sample data; this is not a real medical record.",
        )
        canvas.drawRightString(width - margin, margin - 24, f"Page {number}")
        return float(y - 10)

    page = 1
    y = start_page(page)

    def place(flowable: Any, after: float = 6) -> None:
        nonlocal y, page
        _, h = flowable.wrap(avail, y - margin)
        if h > y - margin:
            finish_page()
            page += 1
            y = start_page(page)
            _, h = flowable.wrap(avail, y - margin)
        flowable.drawOn(canvas, margin, y - h)
        y -= h + after

    place(para(title, title_style), 8)

    facility_name = facility["name"] if facility else ""
    born = month_day_year(dates.date(patient.get("date_of_birth")))
    who = [
        [para("Patient", small_bold), para(patient["name"], small),
         para("Date of birth", small_bold), para(born, small)],
        [para("MRN", small_bold), para(_mrn_for(patient, facility_name), small),
         para("Date of service" if facility else "Date", small_bold), para(month_day_year(service_date), small)],
    ]
    if clinician is not None and not doc.get("fields"):
        name = ", ".join(p for p in (clinician["name"], clinician.get("credentials", "")) if p)
        who.append([para("Clinician", small_bold), para(name, small), "", ""])
    patient_table = Table(who, colWidths=[0.16 * avail, 0.34 * avail, 0.18 * avail, 0.32 * avail])
    patient_table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.6, ink),
        ("BACKGROUND", (0, 0), (-1, -1), colors.Color(0.95, 0.97, 1.0)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    place(patient_table, 8)

    fields = doc.get("fields") or []
    if fields:
        rows = [[para(label, small_bold), para(value, small)] for label, value in fields]
        field_table = Table(rows, colWidths=[0.24 * avail, 0.76 * avail])
        field_table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ]))
        place(field_table, 10)

    table = doc.get("table")
    if table:
        columns = len(table[0])
        longest = [max(len(str(row[i])) for row in table) for i in range(columns)]
        shares = [min(max(n, 12), 40) for n in longest]
        col_widths = [avail * s / sum(shares) for s in shares]
        header_style = ParagraphStyle("th", parent=small_bold, textColor=colors.white)
        cells = [
            [para(cell, header_style if i == 0 else small) for cell in row] for i, row in enumerate(table)
        ]
        result_table = Table(cells, colWidths=col_widths, repeatRows=1)
        result_table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), ink),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.Color(0.94, 0.95, 0.97)]),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa7b5")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        place(result_table, 10)

    for section in doc.get("sections") or []:
        if section.get("heading"):
            place(para(section["heading"].upper(), heading), 2)
        place(para(section["text"], body), 7)

    if doc.get("signed_by"):
        place(Spacer(avail, 6), 0)
        place(para(f"Electronically signed by {doc['signed_by']}", small), 0)

    finish_page()
    canvas.save()


# --- PNG images --------------------------------------------------------------------------------------------

# A 5 x 7 pixel font for the few labels drawn on the images (upper case, digits, some punctuation).
_GLYPHS = {
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11100 10010 10001 10001 10001 10010 11100",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 10001 11001 10101 10011 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 10001 01010 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    " ": "00000 00000 00000 00000 00000 00000 00000", "-": "00000 00000 00000 11111 00000 00000 00000",
    ".": "00000 00000 00000 00000 00000 01100 01100", ":": "00000 01100 01100 00000 01100 01100 00000",
    "/": "00000 00001 00010 00100 01000 10000 00000", "#": "01010 01010 11111 01010 11111 01010 01010",
    ",": "00000 00000 00000 00000 01100 00100 01000", "(": "00010 00100 01000 01000 01000 00100 00010",
    ")": "01000 00100 00010 00010 00010 00100 01000", "+": "00000 00100 00100 11111 00100 00100 00000",
    "'": "01100 00100 01000 00000 00000 00000 00000", "&": "01100 10010 10100 01000 10101 10010 01101",
    "?": "01110 10001 00001 00010 00100 00000 00100",
}
_GRAIN_SEED = 20240611

Color = int | tuple[int, int, int]


class _Raster:
    """A tiny drawing surface: grey (1 channel) or RGB (3 channels), written out as PNG."""

    def __init__(self, width: int, height: int, background: Color) -> None:
        self.width, self.height = width, height
        self.channels = 1 if isinstance(background, int) else 3
        self.pixels = bytearray(self._px(background) * (width * height))

    def _px(self, color: Color) -> bytes:
        if isinstance(color, int):
            return bytes((color,)) if self.channels == 1 else bytes((color,) * 3)
        return bytes(color)

    def span(self, y: int, x0: int, x1: int, color: Color) -> None:
        if not 0 <= y < self.height:
            return
        x0, x1 = max(0, x0), min(self.width, x1)
        if x1 > x0:
            start = (y * self.width + x0) * self.channels
            self.pixels[start:start + (x1 - x0) * self.channels] = self._px(color) * (x1 - x0)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        for y in range(max(0, y0), min(self.height, y1)):
            self.span(y, x0, x1, color)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, color: Color) -> None:
        for y in range(max(0, math.floor(cy - ry)), min(self.height, math.ceil(cy + ry) + 1)):
            dy = (y + 0.5 - cy) / ry
            if abs(dy) <= 1:
                half = rx * math.sqrt(1 - dy * dy)
                self.span(y, round(cx - half), round(cx + half), color)

    def line(self, x0: float, y0: float, x1: float, y1: float, color: Color, thickness: int = 1) -> None:
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for i in range(steps + 1):
            x = round(x0 + (x1 - x0) * i / steps)
            y = round(y0 + (y1 - y0) * i / steps)
            self.rect(x, y, x + thickness, y + thickness, color)

    @staticmethod
    def text_width(text: str, scale: int) -> int:
        return len(text) * 6 * scale - scale

    def text(self, x: int, y: int, text: str, color: Color, scale: int = 1) -> None:
        for char in text.upper():
            rows = _GLYPHS.get(char, _GLYPHS["?"]).split()
            for row, bits in enumerate(rows):
                top = y + row * scale
                for col, bit in enumerate(bits):
                    if bit == "1":
                        left = x + col * scale
                        self.rect(left, top, left + scale, top + scale, color)
            x += 6 * scale

    def grain(self, amount: int, seed: int) -> None:
        """Add faint deterministic noise, so a phantom looks a little less like a drawing."""
        noise = random.Random(seed).randbytes(len(self.pixels))
        span = 2 * amount + 1
        self.pixels = bytearray(
            min(255, max(0, p + n % span - amount)) for p, n in zip(self.pixels, noise, strict=True)
        )

    def png(self, comment: str) -> bytes:
        def chunk(tag: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

        stride = self.width * self.channels
        raw = b"".join(b"\x00" + bytes(self.pixels[y * stride:(y + 1) * stride]) for y in range(self.height))
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 0 if self.channels == 1 else 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"tEXt", b"Comment\x00" + comment.encode("latin-1"))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def _draw_png(spec: dict[str, Any]) -> bytes:
    image = spec.get("image")
    if image == "phantom":
        raster = _phantom(spec.get("modality", "CT"))
        raster.text(8, 8, spec.get("label", ""), 255, 2)
        raster.text(8, raster.height - 16, "SAMPLE - FICTIONAL PATIENT", 255, 1)
    elif image == "card":
        raster = _card(spec)
    else:
        raise ValueError(f"Unknown sample image {image!r}.")
    return raster.png("SAMPLE - fictional patient (Second Opinion sample data)")


def _phantom(modality: str) -> _Raster:
    """A 256 x 256 grey 'key image': simple shapes in the places a real scan would show them."""
    r = _Raster(256, 256, 4)
    if modality == "MG":  # left breast, mediolateral oblique view: chest wall on the left of the image
        r.ellipse(0, 132, 205, 118, 92)
        r.ellipse(0, 132, 198, 111, 100)
        for y in range(0, 120):  # pectoral muscle
            r.span(y, 0, round((120 - y) * 0.85), 150)
        r.ellipse(62, 128, 86, 62, 128)
        r.ellipse(50, 140, 54, 40, 140)
        for angle in range(0, 360, 30):  # spicules around the mass
            a = math.radians(angle + 10)
            r.line(124, 98, 124 + 26 * math.cos(a), 98 + 26 * math.sin(a), 175)
        for radius, value in ((15, 185), (11, 210), (6, 235)):
            r.ellipse(124, 98, radius, radius, value)
        r.ellipse(183, 80, 3, 3, 250)  # skin marker over the lump
    elif modality == "MR":  # axial breast MRI after contrast; the patient's left is on the image's right
        r.ellipse(128, 236, 126, 74, 60)
        for cx in (74, 182):
            r.ellipse(cx, 160, 58, 70, 85)
            r.ellipse(cx, 168, 38, 44, 118)
        r.ellipse(128, 246, 44, 30, 150)  # heart, enhancing
        for radius, value in ((13, 190), (9, 225), (5, 252)):
            r.ellipse(196, 142, radius, radius, value)
        r.text(6, 120, "R", 200, 2)
        r.text(238, 120, "L", 200, 2)
    else:  # CT chest, axial, with contrast
        r.ellipse(128, 134, 118, 86, 70)   # skin and fat
        r.ellipse(128, 136, 110, 78, 96)   # muscle and soft tissue
        for cx, val in ((84, 96), (172, 98)):  # breasts
            r.ellipse(cx, 58, 36, 18, val)
        r.ellipse(178, 58, 6, 6, 140)      # known left breast mass
        r.ellipse(82, 128, 38, 52, 18)     # right lung
        r.ellipse(174, 128, 38, 52, 18)    # left lung
        r.ellipse(124, 138, 28, 34, 118)   # heart
        r.ellipse(140, 108, 10, 10, 170)   # aorta with contrast
        r.ellipse(128, 190, 15, 15, 235)   # vertebral body
        r.ellipse(128, 190, 10, 10, 200)
        r.rect(40, 226, 216, 231, 70)      # scanner table
    r.grain(3, _GRAIN_SEED + sum(map(ord, modality)))
    return r


def _card(spec: dict[str, Any]) -> _Raster:
    """An insurance-card-like image (85.6 x 54 mm at 5 pixels per millimetre)."""
    width, height = 428, 270
    band = (31, 78, 121)
    r = _Raster(width, height, (247, 249, 252))
    r.rect(0, 0, width, 58, band)
    title = spec.get("band_text", "")
    scale = 3 if r.text_width(title, 3) <= width - 24 else 2
    r.text((width - r.text_width(title, scale)) // 2, (58 - 7 * scale) // 2, title, (255, 255, 255), scale)
    y = 74
    for line in spec.get("lines", []):
        scale = 2 if r.text_width(line, 2) <= width - 32 else 1
        r.text(16, y + (0 if scale == 2 else 4), line, (30, 34, 40), scale)
        y += 24
    r.rect(0, height - 40, width, height, (179, 38, 30))
    footer = spec.get("footer", "SAMPLE")
    r.text((width - r.text_width(footer, 2)) // 2, height - 27, footer, (255, 255, 255), 2)
    for x0, y0, x1, y1 in ((0, 0, width, 2), (0, height - 2, width, height), (0, 0, 2, height),
                           (width - 2, 0, width, height)):
        r.rect(x0, y0, x1, y1, (120, 130, 140))
    return r
