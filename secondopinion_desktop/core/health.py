"""The health summary's lists: medications, allergies and intolerances, and lab results over time.

Rows come from portal imports (``origin`` "import", each with the record and file it was read from) or are typed
in by the patient (``origin`` "hand": her own medication list, a value copied from a paper result, optionally
linked to the record of that paper). Both are edited here, in one place; an edited imported row keeps its source.

Lab values are kept as they were given: ``value`` is the text ("<0.5", "positive", "1,234.5"), ``number`` what
could be read of it as a number (None for words), ``unit`` as written — no unit is ever converted. A test whose
values carry more than one unit is flagged (:attr:`LabSeries.mixed_units`), never silently merged.

:func:`lab_series` groups the results into one series per test over time, recognising the tumor markers and
blood counts a consultant looks at first (:data:`KEY_TESTS`) by LOINC code or by name.

Every service takes a ``Session`` or the ``DataFolder`` (``core.unit``); a ``ValidationError`` names its input
(``field``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.errors import NotFoundError, ValidationError
from secondopinion_desktop.core.models import AllergyRow, LabResultRow, MedicationRow, Record
from secondopinion_desktop.core.portal.labs import (
    AllergyData,
    LabResultData,
    MedicationData,
    allergy_data,
    lab_result_data,
    list_allergies,
    list_lab_results,
    list_medications,
    medication_data,
)
from secondopinion_desktop.core.treatments import TreatmentLineData, list_treatment_lines
from secondopinion_desktop.core.unit import reading, unit_of_work
from secondopinion_desktop.core.validation import clean_line, clean_text, parse_date

__all__ = [
    "KEY_TESTS", "AllergyData", "HealthSummary", "KeyTest", "LabPoint", "LabResultData", "LabSeries",
    "MedicationData", "ParsedValue", "RangeBand", "add_lab_result", "create_allergy", "create_medication",
    "delete_allergy", "delete_lab_result", "delete_medication", "health_summary", "is_current", "key_test_for",
    "lab_series", "list_allergies", "list_lab_results", "list_medications", "parse_range", "parse_value",
    "update_allergy", "update_lab_result", "update_medication",
]

HAND = "hand"
IMPORT = "import"
SEVERITIES = ("", "mild", "moderate", "severe", "life-threatening")
ALLERGY_CATEGORIES = ("", "allergy", "intolerance")
ENDED_STATUSES = frozenset({"stopped", "completed", "inactive", "ended", "discontinued", "cancelled",
                            "entered-in-error", "on-hold"})


# --- values -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedValue:
    """What a result's text says: ``number`` (None for words like "positive"), ``comparator`` ("<", ">", "<=",
    ">=" or ""), and ``text`` as given, trimmed."""

    text: str
    number: float | None
    comparator: str = ""

    @property
    def numeric(self) -> bool:
        return self.number is not None


_NUMBER = re.compile(r"""^\s*(?P<cmp><=|>=|≤|≥|<|>|=)?\s*(?P<num>[-+]?(?:\d[\d\s,.']*\d|\d|\.\d+)(?:[eE][-+]?\d+)?)
                         \s*(?P<rest>.*)$""", re.VERBOSE)
# digits grouped by spaces or apostrophes must be thousands: "1 234", "12'000,5" (but "5 10" is two numbers)
_GROUPED = re.compile(r"^[-+]?\d{1,3}(?:[ \u00a0']\d{3})+(?:[.,]\d+)?(?:[eE][-+]?\d+)?$")
# a unit written after the number, "6.4 x10E3/uL", "250 x 10^9/L", "5 ×10*3": not a second number
_POWER_UNIT = re.compile(r"^[x×]\s*10\s*(?:[eE\^*]|\u00b3|\u2076|\u2079)", re.IGNORECASE)
_CMP = {"≤": "<=", "≥": ">=", "=": ""}


def _number(text: str) -> float | None:
    """A number written with a decimal point or comma and thousands separators: "1,234.5", "1.234,5",
    "1 234", "0,5", "12'000". A lone comma followed by exactly three digits is a thousands separator
    ("1,234" is 1234); otherwise a lone comma is the decimal mark ("0,5", "12,75")."""
    if re.search(r"[ \u00a0']", text.strip()) and not _GROUPED.match(text.strip()):
        return None
    s = text.replace(" ", "").replace("\u00a0", "").replace("'", "")
    if not s:
        return None
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):  # 1.234,5
            s = s.replace(".", "").replace(",", ".")
        else:  # 1,234.5
            s = s.replace(",", "")
    elif "," in s:
        parts = s.split(",")
        if len(parts) > 2 or (len(parts) == 2 and len(parts[1]) == 3 and parts[0].lstrip("+-") not in ("", "0")):
            if not all(len(p) == 3 for p in parts[1:]):
                return None
            s = s.replace(",", "")
        else:
            s = s.replace(",", ".")
    elif s.count(".") > 1:
        parts = s.split(".")
        if not all(len(p) == 3 for p in parts[1:]):
            return None
        s = s.replace(".", "")
    try:
        value = float(s)
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return value


def parse_value(text: str | None) -> ParsedValue:
    """Read a result as given. "<0.5" → 0.5 with comparator "<"; "1,234.5" → 1234.5; "0,5" → 0.5; "positive",
    "see note" → no number. A number followed by words ("12 H", "5.2 (high)") keeps the number; a number
    followed by more digits or a second number ("1-2", "5/10") is not one number."""
    given = " ".join((text or "").split())
    m = _NUMBER.match(given)
    if not m:
        return ParsedValue(given, None)
    rest = m.group("rest")
    if rest and (rest[0].isdigit() or rest[0] in "-/:.^" or (re.match(r"^(?:to|x)\s*\d", rest, re.IGNORECASE)
                                                               and not _POWER_UNIT.match(rest))):
        return ParsedValue(given, None)
    number = _number(m.group("num"))
    if number is None:
        return ParsedValue(given, None)
    cmp = m.group("cmp") or ""
    return ParsedValue(given, number, _CMP.get(cmp, cmp))


@dataclass(frozen=True)
class RangeBand:
    """A reference range read from its text: ``low``/``high`` (either may be None: "<35" has only a high)."""

    text: str
    low: float | None
    high: float | None

    @property
    def usable(self) -> bool:
        return self.low is not None or self.high is not None


_RANGE_BETWEEN = re.compile(r"^\s*([-+]?\d[\d.,]*)\s*(?:-|–|—|to)\s*([-+]?\d[\d.,]*)\s*(.*)$", re.IGNORECASE)
_RANGE_ONE = re.compile(r"^\s*(<=|>=|≤|≥|<|>|up to|under|below|over|above)\s*([-+]?\d[\d.,]*)\s*(.*)$",
                        re.IGNORECASE)


def parse_range(text: str | None) -> RangeBand:
    """"0-35", "0.0 - 3.0 ng/mL", "12.0–15.5", "<35", "> 60", "up to 37": the band to draw; anything else
    ("negative", "see report") has no band."""
    given = " ".join((text or "").split())
    m = _RANGE_BETWEEN.match(given)
    if m:
        low, high = _number(m.group(1)), _number(m.group(2))
        if low is not None and high is not None and low <= high:
            return RangeBand(given, low, high)
        return RangeBand(given, None, None)
    m = _RANGE_ONE.match(given)
    if m:
        bound = _number(m.group(2))
        word = m.group(1).lower()
        if bound is None:
            return RangeBand(given, None, None)
        if word in ("<", "<=", "≤", "up to", "under", "below"):
            return RangeBand(given, None, bound)
        return RangeBand(given, bound, None)
    return RangeBand(given, None, None)


# --- which test is which ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyTest:
    key: str  # stable: "ca15-3", "hemoglobin"
    name: str  # as shown: "CA 15-3"
    group: str  # "marker" (tumor marker) or "count" (blood count and chemistry)
    loinc: frozenset[str]
    names: tuple[str, ...]  # folded names (see _fold) that mean this test


def _fold(name: str) -> str:
    """Lower case, no accents, and only letters and digits: "CA 15-3" → "ca153", "Beta-hCG" → "betahcg"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", text)


def _key(key: str, name: str, group: str, loinc: Iterable[str], names: Iterable[str]) -> KeyTest:
    return KeyTest(key, name, group, frozenset(loinc), tuple(_fold(n) for n in (name, *names)))


KEY_TESTS: tuple[KeyTest, ...] = (
    _key("ca15-3", "CA 15-3", "marker", ["6875-9"], ["CA15-3", "cancer antigen 15-3", "CA 15.3", "CA 15 3"]),
    _key("ca27-29", "CA 27-29", "marker", ["17842-6"], ["CA27.29", "cancer antigen 27-29", "CA 27.29"]),
    _key("cea", "CEA", "marker", ["2039-6"], ["carcinoembryonic antigen", "carcinoembryonic ag"]),
    _key("ca19-9", "CA 19-9", "marker", ["24108-3"], ["cancer antigen 19-9", "CA 19.9", "CA19-9"]),
    _key("ca125", "CA-125", "marker", ["10334-1"], ["CA 125", "cancer antigen 125", "CA125"]),
    _key("psa", "PSA", "marker", ["2857-1", "35741-8", "83112-3"],
         ["prostate specific antigen", "PSA total", "total PSA", "prostate specific ag"]),
    _key("afp", "AFP", "marker", ["1834-1", "19176-7"],
         ["alpha fetoprotein", "alpha-1-fetoprotein", "AFP tumor marker"]),
    _key("bhcg", "beta-hCG", "marker", ["19080-1", "21198-7", "2106-3"],
         ["beta hCG", "hCG", "bhcg", "b-hcg", "human chorionic gonadotropin", "beta human chorionic gonadotropin",
          "choriogonadotropin", "hcg quantitative", "hcg total"]),
    _key("ldh", "LDH", "marker", ["2532-0", "14804-9", "14805-6"],
         ["lactate dehydrogenase", "LD", "lactic dehydrogenase"]),
    _key("hemoglobin", "Hemoglobin", "count", ["718-7", "20509-6"], ["hgb", "hb", "haemoglobin"]),
    _key("wbc", "White cells", "count", ["6690-2", "26464-8", "804-5"],
         ["WBC", "white blood cells", "white blood cell count", "white cell count", "leukocytes", "leukocyte count",
          "WBC count"]),
    _key("neutrophils", "Neutrophils", "count", ["751-8", "26499-4", "753-4"],
         ["ANC", "absolute neutrophil count", "neutrophils absolute", "neutrophil count", "absolute neutrophils",
          "neutrophils #", "neut abs", "neutrophils abs"]),
    _key("platelets", "Platelets", "count", ["777-3", "26515-7", "778-1"],
         ["PLT", "platelet count", "platelet", "thrombocytes"]),
    _key("creatinine", "Creatinine", "count", ["2160-0", "38483-4", "14682-9"],
         ["creat", "serum creatinine", "creatinine serum", "creatinine blood"]),
)
_BY_LOINC = {code: k for k in KEY_TESTS for code in k.loinc}
_BY_NAME = {n: k for k in KEY_TESTS for n in k.names}


def key_test_for(test: str, loinc: str = "", unit: str = "") -> KeyTest | None:
    """The key test a result is, by its LOINC code, else by its name ("CA 15.3", "Hgb", "Platelet Count");
    None when it is none of them. A share of the white cells ("Neutrophils %", or a value in "%") is not the
    count of them."""
    if loinc and loinc.strip() in _BY_LOINC:
        return _BY_LOINC[loinc.strip()]
    folded = _fold(test)
    found = _BY_NAME.get(folded)
    if found is None:
        # "CA 15-3 (serum)", "Hemoglobin [Mass/volume] in Blood": the name before a bracket or comma
        found = _BY_NAME.get(_fold(re.split(r"[\[(,;:]", test, maxsplit=1)[0]))
    if found is not None and found.group == "count" and (
            "%" in test or "percent" in test.lower() or unit.strip() == "%"):
        return None
    return found


# --- lab series ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabPoint:
    result_id: int
    day: dt.date | None
    value: str  # as given
    number: float | None
    comparator: str
    unit: str
    reference_range: str
    flag: str
    origin: str
    record_id: int | None
    record_title: str
    source_name: str


@dataclass(frozen=True)
class LabSeries:
    """One test over time, oldest first (undated values last: shown in tables, never charted)."""

    key: str  # the key test's key, or the folded name for any other test
    name: str  # as shown
    group: str  # "marker", "count" or "other"
    points: tuple[LabPoint, ...]
    units: tuple[str, ...]  # every unit its values carry, as written ("" for none), most used first
    band: RangeBand | None  # the most recent usable reference range

    @property
    def mixed_units(self) -> bool:
        return len(self.units) > 1

    @property
    def unit(self) -> str:
        return self.units[0] if self.units else ""

    @property
    def charted(self) -> tuple[LabPoint, ...]:
        """The points a chart draws: dated, numeric, and in the series' main unit."""
        return tuple(p for p in self.points if p.day is not None and p.number is not None and p.unit == self.unit)

    @property
    def latest(self) -> LabPoint | None:
        dated = [p for p in self.points if p.day is not None]
        return dated[-1] if dated else (self.points[-1] if self.points else None)


def _unit_key(unit: str) -> str:
    return " ".join(unit.split())


def series_from(results: Sequence[LabResultData]) -> list[LabSeries]:
    """Group results into series: key tests first (markers, then counts, in :data:`KEY_TESTS` order), then
    every other test by name."""
    groups: dict[str, tuple[str, str, list[LabResultData]]] = {}
    order = {k.key: i for i, k in enumerate(KEY_TESTS)}
    for r in results:
        key_test = key_test_for(r.test, r.loinc, r.unit)
        if key_test is not None:
            key, name, group = key_test.key, key_test.name, key_test.group
        else:
            folded = _fold(r.test) or f"id{r.id}"
            if folded in order:  # "Neutrophils" in % is not the neutrophil count: a series of its own
                folded = f"{folded}-other"
            key, name, group = folded, " ".join(r.test.split()) or "Unnamed test", "other"
        groups.setdefault(key, (name, group, []))[2].append(r)
    out: list[LabSeries] = []
    for key, (name, group, rows) in groups.items():
        rows.sort(key=lambda r: (r.observed_on is None, r.observed_on or dt.date.max, r.observed_at, r.id))
        points = []
        for r in rows:
            parsed = parse_value(r.value) if r.value else ParsedValue("", r.number)
            number = r.number if r.number is not None else parsed.number
            points.append(LabPoint(
                result_id=r.id, day=r.observed_on, value=r.value or ("" if r.number is None else f"{r.number:g}"),
                number=number, comparator=parsed.comparator, unit=_unit_key(r.unit), reference_range=r.reference_range,
                flag=r.flag, origin=r.origin, record_id=r.source.record_id, record_title=r.source.record_title,
                source_name=r.source.source_name))
        counts: dict[str, int] = {}
        for p in points:
            if p.number is not None or p.unit:
                counts[p.unit] = counts.get(p.unit, 0) + 1
        units = tuple(sorted(counts, key=lambda u: (-counts[u], u)))
        band = None
        for p in reversed(points):
            parsed_band = parse_range(p.reference_range)
            if parsed_band.usable and (not units or p.unit == units[0]):
                band = parsed_band
                break
        out.append(LabSeries(key, name, group, tuple(points), units, band))
    rank = {"marker": 0, "count": 1, "other": 2}
    out.sort(key=lambda s: (rank[s.group], order.get(s.key, len(order)), s.name.lower()))
    return out


@reading
def lab_series(session: Session, *, key_tests_only: bool = False) -> list[LabSeries]:
    """Every test's results over time (see :func:`series_from`); only the key tests if asked."""
    series = series_from(list_lab_results(session))
    return [s for s in series if s.group != "other"] if key_tests_only else series


# --- medications --------------------------------------------------------------------------------------------


def is_current(m: MedicationData, today: dt.date | None = None) -> bool:
    """Taken now: not ended by its status, and no stop date on or before today."""
    if m.status.strip().lower() in ENDED_STATUSES:
        return False
    end = m.end.strip()[:10]
    if end:
        day = (today or dt.date.today()).isoformat()
        if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", end):
            # "2025-06-30", or a stop known only to the month or year ("2025-06", "2027"): taken until then
            return day[:len(end)] < end
        return False  # an end we cannot read is still an end
    return True


def _partial_date(value: Any, what: str, key: str) -> str:
    """A start or stop date: YYYY-MM-DD, or just YYYY-MM or YYYY (a patient often knows only the month)."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return ""
    if re.fullmatch(r"\d{4}(-\d{2})?", text):
        year = int(text[:4])
        if len(text) == 7 and not 1 <= int(text[5:]) <= 12:
            raise ValidationError(f"The {what} {text!r} is not a date; write it as YYYY-MM-DD, YYYY-MM or YYYY.",
                                  field=key)
        if year < 1900:
            raise ValidationError(f"The {what} {text} is before 1900; please check it.", field=key)
        if year > dt.date.today().year + 1:
            raise ValidationError(f"The {what} {text} is too far in the future; please check it.", field=key)
        return text
    day = parse_date(text, what, allow_future=True, field=key)
    return day.isoformat() if day else ""


def _record_ref(session: Session, value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        record_id = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"The record {value!r} is not a record number.", field="record_id") from None
    if session.get(Record, record_id) is None:
        raise ValidationError(f"There is no record {record_id}.", field="record_id")
    return record_id


_MED_FIELDS = {"name": 500, "dose": 200, "route": 100, "frequency": 200, "prescriber": 200, "status": 40}


def _apply_medication(session: Session, row: MedicationRow, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key in _MED_FIELDS:
            setattr(row, key, clean_line(value, "medication name" if key == "name" else key, required=key == "name",
                                         max_len=_MED_FIELDS[key], field=key))
        elif key in ("reason", "instructions"):
            setattr(row, key, clean_text(value, "reason" if key == "reason" else "instructions", max_len=2000,
                                         field=key).strip())
        elif key in ("start", "end"):
            setattr(row, key, _partial_date(value, "start date" if key == "start" else "stop date", key))
        elif key == "record_id":
            row.record_id = _record_ref(session, value)
        else:
            raise ValidationError(f"Medications have no field {key!r}.", field=key)
    if not (row.name or "").strip():
        raise ValidationError("The medication name is required.", field="name")
    if row.start and row.end and row.end[:len(row.start)] < row.start[:len(row.end)]:
        raise ValidationError(f"The stop date {row.end} is before the start date {row.start}.", field="end")


def _title(session: Session, record_id: int | None) -> str | None:
    if record_id is None:
        return None
    record = session.get(Record, record_id)
    return record.title if record is not None else None


@unit_of_work
def create_medication(session: Session, /, name: str, **fields: Any) -> MedicationData:
    """A medication the patient lists herself (``origin`` "hand"). Fields: dose, route, frequency, start, end
    (YYYY-MM-DD, YYYY-MM or YYYY), reason, prescriber, status, instructions, record_id."""
    row = MedicationRow(name="", origin=HAND, source_name="", sha256="", position="")
    _apply_medication(session, row, {"name": name, **fields})
    session.add(row)
    session.flush()
    return medication_data(row, _title(session, row.record_id))


@unit_of_work
def update_medication(session: Session, /, medication_id: int, **fields: Any) -> MedicationData:
    row = session.get(MedicationRow, medication_id)
    if row is None:
        raise NotFoundError(f"There is no medication {medication_id}.")
    _apply_medication(session, row, fields)
    session.flush()
    return medication_data(row, _title(session, row.record_id))


@unit_of_work
def delete_medication(session: Session, /, medication_id: int) -> MedicationData:
    row = session.get(MedicationRow, medication_id)
    if row is None:
        raise NotFoundError(f"There is no medication {medication_id}.")
    data = medication_data(row, _title(session, row.record_id))
    session.delete(row)
    session.flush()
    return data


# --- allergies ----------------------------------------------------------------------------------------------


def _apply_allergy(session: Session, row: AllergyRow, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "substance":
            row.substance = clean_line(value, "substance", required=True, max_len=500, field=key)
        elif key == "reaction":
            row.reaction = clean_line(value, "reaction", max_len=500, field=key)
        elif key == "severity":
            row.severity = clean_line(value, "severity", max_len=100, field=key)
        elif key == "category":
            text = clean_line(value, "kind", max_len=20, field=key).lower()
            if text not in ALLERGY_CATEGORIES:
                raise ValidationError(f"The kind {value!r} is neither an allergy nor an intolerance.", field=key)
            row.category = text
        elif key == "status":
            row.status = clean_line(value, "status", max_len=40, field=key)
        elif key == "onset":
            row.onset = _partial_date(value, "onset date", key)
        elif key == "record_id":
            row.record_id = _record_ref(session, value)
        else:
            raise ValidationError(f"Allergies have no field {key!r}.", field=key)
    if not (row.substance or "").strip():
        raise ValidationError("The substance is required.", field="substance")


@unit_of_work
def create_allergy(session: Session, /, substance: str, **fields: Any) -> AllergyData:
    """An allergy or intolerance the patient lists herself. Fields: reaction, severity, category ("allergy",
    "intolerance" or ""), status, onset, record_id."""
    row = AllergyRow(substance="", origin=HAND, source_name="", sha256="", position="")
    _apply_allergy(session, row, {"substance": substance, **fields})
    session.add(row)
    session.flush()
    return allergy_data(row, _title(session, row.record_id))


@unit_of_work
def update_allergy(session: Session, /, allergy_id: int, **fields: Any) -> AllergyData:
    row = session.get(AllergyRow, allergy_id)
    if row is None:
        raise NotFoundError(f"There is no allergy {allergy_id}.")
    _apply_allergy(session, row, fields)
    session.flush()
    return allergy_data(row, _title(session, row.record_id))


@unit_of_work
def delete_allergy(session: Session, /, allergy_id: int) -> AllergyData:
    row = session.get(AllergyRow, allergy_id)
    if row is None:
        raise NotFoundError(f"There is no allergy {allergy_id}.")
    data = allergy_data(row, _title(session, row.record_id))
    session.delete(row)
    session.flush()
    return data


# --- lab results --------------------------------------------------------------------------------------------


def _apply_lab(session: Session, row: LabResultRow, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "test":
            row.test = clean_line(value, "test name", required=True, max_len=300, field=key)
        elif key == "value":
            text = clean_line(value, "value", required=True, max_len=500, field=key)
            row.value = text
            row.number = parse_value(text).number
        elif key == "unit":
            row.unit = clean_line(value, "unit", max_len=50, field=key)
        elif key == "reference_range":
            row.reference_range = clean_line(value, "reference range", max_len=200, field=key)
        elif key == "flag":
            row.flag = clean_line(value, "flag", max_len=50, field=key)
        elif key in ("observed_on", "date"):
            day = parse_date(value, "date of the result", allow_future=False, field="observed_on")
            if day is None:
                raise ValidationError("The date of the result is required: a value without its date cannot be "
                                      "put on a chart.", field="observed_on")
            row.observed_on = day
            row.observed_at = day.isoformat()
        elif key == "loinc":
            row.loinc = clean_line(value, "LOINC code", max_len=20, field=key)
        elif key == "record_id":
            row.record_id = _record_ref(session, value)
        else:
            raise ValidationError(f"Lab results have no field {key!r}.", field=key)
    if not (row.test or "").strip():
        raise ValidationError("The test name is required.", field="test")
    if not (row.value or "").strip():
        raise ValidationError("The value is required.", field="value")


@unit_of_work
def add_lab_result(session: Session, /, test: str, value: str, observed_on: dt.date | str | None, **fields: Any,
                   ) -> LabResultData:
    """A result typed in from a paper report (``origin`` "hand"). ``value`` is kept as written ("<0.5",
    "positive", "1,234.5"); the date is required and cannot be in the future. Fields: unit, reference_range,
    flag, loinc, record_id (the record of that paper)."""
    row = LabResultRow(test="", value="", origin=HAND, source_name="", sha256="", position="", status="final")
    _apply_lab(session, row, {"test": test, "value": value, "observed_on": observed_on, **fields})
    session.add(row)
    session.flush()
    return lab_result_data(row, _title(session, row.record_id))


@unit_of_work
def update_lab_result(session: Session, /, result_id: int, **fields: Any) -> LabResultData:
    row = session.get(LabResultRow, result_id)
    if row is None:
        raise NotFoundError(f"There is no lab result {result_id}.")
    _apply_lab(session, row, fields)
    session.flush()
    return lab_result_data(row, _title(session, row.record_id))


@unit_of_work
def delete_lab_result(session: Session, /, result_id: int) -> LabResultData:
    row = session.get(LabResultRow, result_id)
    if row is None:
        raise NotFoundError(f"There is no lab result {result_id}.")
    data = lab_result_data(row, _title(session, row.record_id))
    session.delete(row)
    session.flush()
    return data


# --- the summary ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthSummary:
    medications: tuple[MedicationData, ...]  # current first, then past; newest start first within each
    allergies: tuple[AllergyData, ...]
    series: tuple[LabSeries, ...]
    treatments: tuple[TreatmentLineData, ...]
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def current_medications(self) -> tuple[MedicationData, ...]:
        return tuple(m for m in self.medications if is_current(m, self.today))

    @property
    def past_medications(self) -> tuple[MedicationData, ...]:
        return tuple(m for m in self.medications if not is_current(m, self.today))


@reading
def health_summary(session: Session, today: dt.date | None = None) -> HealthSummary:
    """Everything the health summary shows, read in one go."""
    day = today or dt.date.today()
    meds = list_medications(session)
    meds.sort(key=lambda m: (not is_current(m, day), _neg(m.start), m.name.lower(), m.id))
    return HealthSummary(tuple(meds), tuple(list_allergies(session)), tuple(series_from(list_lab_results(session))),
                         tuple(list_treatment_lines(session)), day)


def _neg(iso: str) -> tuple[int, str]:
    """Newest first for partial ISO dates: undated last."""
    if not iso:
        return (1, "")
    return (0, "".join(chr(0x10FFFF - ord(c)) for c in iso))


@reading
def get_medication(session: Session, /, medication_id: int) -> MedicationData:
    row = session.get(MedicationRow, medication_id)
    if row is None:
        raise NotFoundError(f"There is no medication {medication_id}.")
    return medication_data(row, _title(session, row.record_id))


@reading
def get_allergy(session: Session, /, allergy_id: int) -> AllergyData:
    row = session.get(AllergyRow, allergy_id)
    if row is None:
        raise NotFoundError(f"There is no allergy {allergy_id}.")
    return allergy_data(row, _title(session, row.record_id))


@reading
def get_lab_result(session: Session, /, result_id: int) -> LabResultData:
    row = session.get(LabResultRow, result_id)
    if row is None:
        raise NotFoundError(f"There is no lab result {result_id}.")
    return lab_result_data(row, _title(session, row.record_id))


def source_words(origin: str, record_title: str, source_name: str) -> str:
    """Where a row came from, in words: "Entered by hand", "Entered by hand, from “CBC 3 March”",
    "Imported from “Visit summary” (file.xml)"."""
    if origin == HAND:
        return f"Entered by hand, from “{record_title}”" if record_title else "Entered by hand"
    if record_title and source_name:
        return f"Imported from “{record_title}” ({source_name})"
    if record_title:
        return f"Imported from “{record_title}”"
    return f"Imported ({source_name})" if source_name else "Imported"


def _has_any(session: Session, table: type) -> bool:
    return session.scalar(select(table.id).limit(1)) is not None  # type: ignore[attr-defined]


@reading
def has_medication_list(session: Session) -> bool:
    return _has_any(session, MedicationRow)
