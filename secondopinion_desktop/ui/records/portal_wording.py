"""What the portal import dialog says: plain functions of the core's preview and result (no widgets), so that the
wording is one place and can be read in a test. Text meant for rich-text labels is escaped here; everything else
is plain text for plain-text widgets."""

from __future__ import annotations

from collections import Counter
from html import escape as _html_escape
from pathlib import Path
from typing import TYPE_CHECKING

from secondopinion_desktop.core.words import day_month_year, plural

if TYPE_CHECKING:
    from secondopinion_desktop.core.portal.importer import ImportPreview, PlannedRecord
    from secondopinion_desktop.core.portal.model import Patient, Skipped
    from secondopinion_desktop.core.profile import ProfileData

# What a portal hands out: one document, a bundle, an NDJSON file, a zip of them; or the folder they were unpacked in.
PORTAL_SUFFIXES = (".zip", ".xml", ".json", ".ndjson")
FILE_FILTER = "Portal downloads (*.zip *.xml *.json *.ndjson *.ZIP *.XML *.JSON *.NDJSON);;All files (*)"
NO_SOURCE_TEXT = ("Choose the file your patient portal gave you (a .zip, .xml, .json or .ndjson file), or the "
                  "folder you unpacked it into. You can also drop it on the Records tab. Nothing is imported "
                  "until you press Import.")


def escape(text: str) -> str:
    return _html_escape(text, quote=False)


def kind_label(kind: object) -> str:
    label = getattr(kind, "label", None)
    if isinstance(label, str):
        return label
    from secondopinion_desktop.core.models import RecordKind

    try:
        return RecordKind(str(getattr(kind, "value", kind))).label
    except ValueError:
        return str(kind)


def brings_text(planned: PlannedRecord) -> str:
    """"48 results, 2 medications, 1 file" — what a record to add brings; "already in your records" for one
    imported before; "adds to …" for one that goes into an existing record."""
    if planned.already:
        return "already in your records"
    parts = [plural(n, word, many) for n, word, many in (
        (planned.results, "result", None), (planned.medications, "medication", None),
        (planned.allergies, "allergy", "allergies"), (planned.problems, "problem", None),
        (planned.files, "file", None),
    ) if n]
    text = ", ".join(parts)
    if planned.adds_to is not None:
        where = f"adds to “{planned.adds_to_title}”" if planned.adds_to_title else "adds to an existing record"
        return f"{where}: {text}" if text else where
    return text or "—"


def date_text(planned: PlannedRecord) -> str:
    return day_month_year(planned.date) if planned.date is not None else "—"


def patient_text(patient: Patient) -> str:
    """"Alex Sample, born 12 Mar 1970 (MRN 12345)" as plain text."""
    name = " ".join(patient.name.split()) or "no name given"
    born = f", born {day_month_year(patient.birth_date)}" if patient.birth_date else ", no birth date given"
    ids = f" ({'; '.join(patient.identifiers[:2])})" if patient.identifiers else ""
    return f"{name}{born}{ids}"


def profile_text(profile: ProfileData | None) -> str:
    if profile is None or not (profile.name.strip() or profile.date_of_birth):
        return "no name or birth date yet (File › Patient profile…)"
    name = " ".join(profile.name.split()) or "no name given"
    born = f", born {day_month_year(profile.date_of_birth)}" if profile.date_of_birth else ", no birth date given"
    return f"{name}{born}"


def whose_html(preview: ImportPreview, profile: ProfileData | None) -> str:
    """Who the documents are about, beside who the profile is (rich text, escaped)."""
    patients = preview.patients
    if not patients:
        on_documents = "no patient named"
    else:
        on_documents = "; ".join(escape(patient_text(p)) for p in patients)
    label = "Patient on the documents" if len(patients) <= 1 else "Patients on the documents"
    return (f"<b>{label}:</b> {on_documents}<br>"
            f"<b>Your profile:</b> {escape(profile_text(profile))}")


def warning_html(preview: ImportPreview) -> str:
    """The banner about whose records these are, or "" when there is nothing to warn about."""
    if not preview.warnings:
        return ""
    return ("⚠ <b>Check that these records are yours.</b><br>"
            + "<br>".join(escape(line) for line in preview.warnings)
            + "<br>Import them only if you are sure they belong in your records: tick the box below first.")


def _kinds_text(records: list[PlannedRecord]) -> str:
    counts = Counter(kind_label(r.kind) for r in records)
    return ", ".join(f"{n} × {label}" for label, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def counts_text(preview: ImportPreview) -> str:
    """"5 records to add (3 × Lab / test result, 2 × Clinical report), with 48 results, 5 medications, 2
    allergies and 3 problems. 2 records are already in your records. 4 repeated documents were left out …"""
    new = [r for r in preview.records if not r.already]
    old = [r for r in preview.records if r.already]
    if new:
        text = f"{plural(len(new), 'record')} to add ({_kinds_text(new)})"
    else:
        text = "No new records"
    extras = [plural(n, word, many) for n, word, many in (
        (preview.results, "result", None), (preview.medications, "medication", None),
        (preview.allergies, "allergy", "allergies"), (preview.problems, "problem", None),
    ) if n]
    if extras:
        text += ", with " + (", ".join(extras[:-1]) + " and " + extras[-1] if len(extras) > 1 else extras[0])
    text += "."
    if old:
        verb = "is" if len(old) == 1 else "are"
        text += f" {plural(len(old), 'record')} {verb} already in your records and will not be added again."
    if preview.repeats or preview.repeated_results:
        left = []
        if preview.repeats:
            left.append(plural(preview.repeats, "document"))
        if preview.repeated_results:
            left.append(plural(preview.repeated_results, "result"))
        text += f" Left out as repeats of earlier ones: {' and '.join(left)}."
    return text


def records_heading(preview: ImportPreview) -> str:
    """The heading over the list of records (rich text)."""
    if preview.nothing_new:
        return "<b>Records in this download</b> — all of them are in your records already"
    if any(r.already for r in preview.records):
        return "<b>Records in this download</b> — untick the ones you do not want; greyed ones you have already"
    return "<b>Records to add</b> — untick the ones you do not want"


def skipped_text(item: Skipped) -> str:
    where = f"{item.source}, {item.where}" if item.where and item.source else (item.source or item.where)
    return f"{where} — {item.reason}" if where else item.reason


def skipped_heading(count: int, shown: bool) -> str:
    arrow = "▾" if shown else "▸"
    return f"{arrow} {plural(count, 'item')} skipped, and why"


def nothing_new_text(name: str) -> str:
    return f"Everything in {name} is in your records already; there is nothing to import."


def ready_text(preview: ImportPreview) -> str:
    if preview.nothing_new:
        return nothing_new_text(preview.name)
    if not preview.records:
        return f"Nothing in {preview.name} could become a record; see what was skipped below."
    if preview.warnings:
        return ("Nothing has been imported yet. Tick the box under the warning if these are your records, untick "
                "what you do not want, then press Import.")
    return "Nothing has been imported yet. Untick what you do not want, then press Import."


def source_name(path: Path | None, fallback: str = "") -> str:
    if path is None:
        return fallback
    return path.name or str(path)


def import_title(name: str, count: int) -> str:
    """What Edit › Undo names: "Import 5 records from HealthSummary.zip"."""
    shown = name if len(name) <= 40 else name[:39] + "…"
    return f"Import {plural(count, 'record')} from {shown}" if shown else f"Import {plural(count, 'record')}"
