"""The packet's front pages (page 1: the case; page 2: key labs and trends), the appendix's order, imaging
pictures left out by default, clinicians under their real role, and appended pages of odd sizes scaled to the
packet's page. Every check reads the PDF back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import FloatObject, NameObject, RectangleObject

from secondopinion_desktop.core import appointments, directory, health, records, treatments
from secondopinion_desktop.core.demo import fill_demo_data
from secondopinion_desktop.core.models import ClinicianRole
from secondopinion_desktop.core.packet import PacketOptions, build_packet
from secondopinion_desktop.core.profile import get_profile, save_profile

TODAY = dt.date(2026, 12, 2)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    out: list[tuple[int, str, int]] = []

    def walk(items, depth: int) -> None:  # type: ignore[no-untyped-def]
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def appendix_titles(reader: PdfReader) -> list[str]:
    titles, inside = [], False
    for depth, title, _ in outline(reader):
        if depth == 0:
            inside = title == "Appendix: attached documents"
        elif inside:
            titles.append(title)
    return titles


def simple_pdf(text: str, pagesize=(612, 792)) -> bytes:  # type: ignore[no-untyped-def]
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=pagesize)
    c.setFont("Helvetica", 14)
    c.drawString(pagesize[0] / 2 - 60, pagesize[1] / 2, text)
    c.drawString(10, 10, "corner " + text)
    c.showPage()
    c.save()
    return buf.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def attach(folder, record_id: int, name: str, data: bytes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "sources" / f"{record_id}-{name}"
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(data)
    records.attach_file(folder, record_id, source, original_name=name)


def add_record(folder, kind: str, title: str, **fields) -> int:  # type: ignore[no-untyped-def]
    with folder.session() as session:
        return records.create_record(session, kind, title, **fields).id


# --- the sample case ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):  # type: ignore[no-untyped-def]
    from secondopinion_desktop.core.db import open_data_folder

    base = tmp_path_factory.mktemp("front")
    folder = open_data_folder(base / "data")
    fill_demo_data(folder, today=TODAY)
    treatments.create_treatment_line(folder, "chemotherapy", description="Dose-dense AC then paclitaxel",
                                     start_date="2026-09-28", end_date="2026-11-09",
                                     response="Partial response on ultrasound")
    treatments.create_treatment_line(folder, "surgery", description="Left lumpectomy", start_date="2027-01-10")
    out = base / "packet.pdf"
    result = build_packet(folder, out, PacketOptions(today=TODAY))
    yield folder, result, PdfReader(out)
    folder.close()


def test_page_one_carries_the_whole_case(demo) -> None:  # type: ignore[no-untyped-def]
    folder, _, reader = demo
    page = reader.pages[0].extract_text()
    flat = squash(page)
    profile = get_profile(folder)
    assert profile.name in page and "Jul 12, 1975" in page
    mrn = profile.medical_record_numbers.splitlines()[0].split(":")[-1].strip()
    assert mrn and squash(mrn) in flat
    assert profile.insurer and squash(profile.insurer) in flat
    assert profile.member_number and squash(profile.member_number) in flat
    for value in (profile.cancer_type, profile.histology, profile.grade, profile.tnm_stage, profile.stage_group):
        assert value and squash(value) in flat, value
    assert squash("ER positive (95% of tumor cells") in flat and "Aug 29, 2026" in page
    upcoming = appointments.list_appointments(folder)[0]
    assert squash(upcoming.questions[0].text) in flat
    for q in upcoming.questions[:5]:
        assert squash(q.text) in flat
    assert squash("Dose-dense AC then paclitaxel") in flat and squash("Sep 28, 2026 \u2013 Nov 9, 2026") in flat
    assert squash("Partial response on ultrasound") in flat and squash("Jan 10, 2027 (planned)") in flat
    latest = max((r for r in records.list_records(folder) if r.kind.value == "imaging" and r.date_of_service
                  and r.status.value in ("received", "sent")), key=lambda r: r.date_of_service)
    assert "Latest imaging result" in page
    assert squash(latest.title) in flat and squash(latest.summary[:60]) in flat
    summary = health.health_summary(folder, TODAY)
    assert summary.current_medications
    for m in summary.current_medications:
        assert squash(m.name) in flat and squash(m.dose) in flat and squash(m.frequency) in flat, m.name
    for m in summary.past_medications:
        assert squash(m.name) not in flat, m.name
    assert summary.allergies
    for a in summary.allergies:
        assert squash(a.substance) in flat and squash(a.reaction) in flat and squash(a.severity) in flat
    # the case fits the one page: page 2 starts with the labs
    assert reader.pages[1].extract_text().startswith("Key labs and trends")


def test_page_two_has_the_key_labs_and_their_charts(demo) -> None:  # type: ignore[no-untyped-def]
    folder, _, reader = demo
    page = reader.pages[1]
    text = page.extract_text()
    flat = squash(text)
    key = [s for s in health.lab_series(folder, key_tests_only=True)]
    assert key
    for series in key:
        latest = series.latest
        assert latest is not None
        assert squash(series.name) in flat
        row = squash(f"{latest.value}{latest.unit}{latest.reference_range}")
        assert row in flat, series.name
    assert "Trends" in text
    charted = [s for s in key if s.charted]
    for series in charted:  # each chart's title, drawn in the chart (the table has the name without the unit)
        assert squash(f"{series.name} ({series.unit})") in flat, series.name
    content = page.get_contents().get_data()
    assert content.count(b" l\n") + content.count(b" l ") > 10 * len(charted)  # vector lines were drawn


def test_a_chart_that_fails_leaves_a_sentence_not_a_failed_packet(folder, tmp_path: Path, monkeypatch) -> None:
    from secondopinion_desktop.core.packet import charts

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("no chart")

    monkeypatch.setattr(charts, "safe_trend_drawing", broken)
    for n, value in enumerate(("12", "18", "25")):
        health.add_lab_result(folder, "CEA", value, dt.date(2026, 3 + n, 1), unit="ng/mL", reference_range="0-3")
    result = build_packet(folder, tmp_path / "p.pdf", PacketOptions(today=TODAY))
    text = PdfReader(result.path).pages[1].extract_text()
    assert "CEA" in text and "25" in text
    assert squash("The chart of CEA could not be drawn") in squash(text)


def test_no_allergies_says_none_recorded_never_no_known_allergies(folder, tmp_path: Path) -> None:
    result = build_packet(folder, tmp_path / "empty.pdf", PacketOptions(today=TODAY))
    reader = PdfReader(result.path)
    first = reader.pages[0].extract_text()
    assert "Allergies and intolerances" in first and "Current medications" in first
    assert first.count("None recorded.") == 2
    everything = " ".join(p.extract_text() for p in reader.pages).lower()
    assert "no known allergies" not in everything and "nkda" not in everything
    assert "No lab results are listed yet" in reader.pages[1].extract_text()


HOSTILE = "<b>bold</b> &amp; <font color=red>x</font> \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd"


def test_hostile_medications_tests_values_and_questions_print_as_typed(folder, tmp_path: Path) -> None:
    long_name = "Supercalifragilistic" * 15  # 300 characters without a space
    health.create_medication(folder, "Med " + HOSTILE, dose="<5 mg>", frequency="when & if")
    health.create_medication(folder, long_name, dose="1 mg")
    health.create_allergy(folder, "Nuts <all>", reaction="\u202eevil\u202c rash", severity="severe & bad")
    health.add_lab_result(folder, "CA 15-3", "<0.5 & <b>", dt.date(2026, 5, 1), unit="<U/mL>",
                          reference_range="<35 & >1")
    health.add_lab_result(folder, "Test " + HOSTILE, "positive <see note>", dt.date(2026, 5, 2))
    a = appointments.create_appointment(folder, dt.datetime(2026, 12, 20, 9, 0))
    appointments.add_question(folder, a.id, "Is <this> & " + HOSTILE + "?")
    save_profile(folder, name="Zoë <i>" + "Long" * 40, biomarkers="HER2 <3+> & " + HOSTILE)
    result = build_packet(folder, tmp_path / "hostile.pdf", PacketOptions(today=TODAY))
    reader = PdfReader(result.path)
    first, second = (squash(reader.pages[n].extract_text()) for n in (0, 1))
    for literal in ("Med <b>bold</b> &amp; <font color=red>x</font>", "<5 mg>", "when & if", "Nuts <all>",
                    "severe & bad", "Is <this> &", "HER2 <3+> &", "Zoë <i>"):
        assert squash(literal) in first, literal
    assert squash(long_name[:100]) in first  # shortened, never breaking the page
    for literal in ("<0.5 & <b>", "<U/mL>", "<35 & >1", "Test <b>bold</b>", "positive <see note>"):
        assert squash(literal) in second, literal
    assert all(float(p.mediabox.width) == 612 for p in reader.pages)


# --- the appendix's order and the imaging pictures -----------------------------------------------------------

@pytest.fixture
def crafted(folder, tmp_path: Path):  # type: ignore[no-untyped-def]
    specs = [
        ("other", "Other paper", "2026-01-05"),
        ("clinical", "Clinic letter", "2026-02-01"),
        ("lab", "Blood count", "2026-03-01"),
        ("treatment", "Treatment plan", "2026-04-01"),
        ("molecular", "Gene panel", "2026-02-10"),
        ("imaging", "Older CT", "2026-01-10"),
        ("imaging", "Newest MRI", "2026-05-10"),
        ("pathology", "Biopsy report", "2026-01-20"),
        ("identity", "Insurance card", "2026-01-01"),
    ]
    for kind, title, day in specs:
        rid = add_record(folder, kind, title, date_of_service=day, status="received")
        attach(folder, rid, f"{title}.pdf", simple_pdf(title), tmp_path)
        if kind == "imaging":
            attach(folder, rid, f"{title} (middle slice).png", png_bytes(), tmp_path)
    return folder


ORDER = ["Biopsy report", "Newest MRI", "Older CT", "Gene panel", "Blood count", "Treatment plan",
         "Clinic letter", "Insurance card", "Other paper"]


def test_the_appendix_is_in_the_order_a_consultant_reads(crafted, tmp_path: Path) -> None:
    result = build_packet(crafted, tmp_path / "p.pdf", PacketOptions(today=TODAY))
    titles = appendix_titles(PdfReader(result.path))
    assert titles == [f"{t} \u2014 {t}.pdf" for t in ORDER]
    assert result.included_files == len(ORDER)


def test_imaging_pictures_are_left_out_unless_asked_for(crafted, tmp_path: Path) -> None:
    without = build_packet(crafted, tmp_path / "without.pdf", PacketOptions(today=TODAY))
    reader = PdfReader(without.path)
    assert not any("middle slice" in t for t in appendix_titles(reader))
    assert squash("2 pictures from imaging records") in squash("".join(p.extract_text() for p in reader.pages))
    with_them = build_packet(crafted, tmp_path / "with.pdf",
                             PacketOptions(today=TODAY, include_image_thumbnails=True))
    titles = appendix_titles(PdfReader(with_them.path))
    mri_picture = titles.index("Newest MRI \u2014 Newest MRI (middle slice).png")
    assert mri_picture < titles.index("Older CT \u2014 Older CT.pdf")
    assert sum("middle slice" in t for t in titles) == 2
    assert with_them.pages == without.pages + 2 and with_them.included_files == without.included_files + 2


def test_the_cli_flag_puts_the_imaging_pictures_back(crafted, tmp_path: Path, capsys) -> None:
    from secondopinion_desktop.cli import main

    crafted.close()
    plain_out, with_out = tmp_path / "cli.pdf", tmp_path / "cli-with.pdf"
    assert main(["packet", "--out", str(plain_out), "--data-dir", str(crafted.path)]) == 0
    assert main(["packet", "--out", str(with_out), "--with-image-thumbnails", "--data-dir", str(crafted.path)]) == 0
    capsys.readouterr()
    assert not any("middle slice" in t for t in appendix_titles(PdfReader(plain_out)))
    assert sum("middle slice" in t for t in appendix_titles(PdfReader(with_out))) == 2


# --- clinicians ------------------------------------------------------------------------------------------------

def test_clinicians_are_listed_under_their_real_role(folder, tmp_path: Path) -> None:
    with folder.session() as session:
        directory.create_clinician(session, "Pat Pathologist", specialty="Anatomic pathology",
                                   role=ClinicianRole.TREATING)
        directory.create_clinician(session, "Olive Oncologist", specialty="Medical oncology",
                                   role=ClinicianRole.TREATING)
        directory.create_clinician(session, "Connie Consultant", specialty="Breast oncology",
                                   role=ClinicianRole.SECOND_OPINION)
        directory.create_clinician(session, "Nora Nospecialty", role=ClinicianRole.TREATING)
    result = build_packet(folder, tmp_path / "p.pdf", PacketOptions(today=TODAY))
    reader = PdfReader(result.path)
    start = next(p for d, t, p in outline(reader) if t == "Cancer summary")
    text = reader.pages[start].extract_text()
    flat = squash(text)
    assert "Treating clinicians" not in text and "Clinicians" in text
    assert squash("Pat PathologistAnatomic pathology") in flat
    assert squash("Olive OncologistMedical oncology") in flat
    assert squash("Connie ConsultantSecond opinion · Breast oncology") in flat
    assert squash("Nora NospecialtyTreating") in flat
    assert flat.count("Treating") == 1  # only the clinician whose specialty is not known


# --- odd page sizes --------------------------------------------------------------------------------------------

def odd_pdf() -> tuple[bytes, list[str]]:
    """One PDF with a page of every awkward shape; returns it and each page's words."""
    shapes = [("Legal scan", (612, 1008)), ("A5 receipt", (420, 595)), ("Poster page", (3370, 4768)),
              ("Landscape page", (792, 612)), ("Rotated page", (612, 792)), ("Cropped page", (612, 792)),
              ("Rotated landscape", (842, 595))]
    writer = PdfWriter()
    for words, size in shapes:
        writer.append(PdfReader(io.BytesIO(simple_pdf(words, size))))
    writer.pages[4].rotate(90)
    writer.pages[5].cropbox = RectangleObject([150, 300, 500, 600])
    writer.pages[6].rotate(270)
    writer.pages[6][NameObject("/UserUnit")] = FloatObject(2.0)  # a page meant at twice the size
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue(), [w for w, _ in shapes]


def _matrix(page) -> tuple[float, ...]:  # type: ignore[no-untyped-def]
    """The matrix the packet put before an appended page's own content."""
    first = page["/Contents"][0].get_object().get_data().decode()
    numbers = re.match(r"q ([-\d. ]+) cm ([-\d. ]+) re W n", first)
    assert numbers, first
    return tuple(float(v) for v in numbers.group(1).split())


def test_odd_page_sizes_are_scaled_to_the_packet_page_never_cut_off(folder, tmp_path: Path) -> None:
    data, words = odd_pdf()
    rid = add_record(folder, "other", "Odd pages")
    attach(folder, rid, "odd.pdf", data, tmp_path)
    result = build_packet(folder, tmp_path / "p.pdf", PacketOptions(today=TODAY))
    reader = PdfReader(result.path)
    for page in reader.pages:  # every page, appended ones too, is the packet's Letter page, upright
        assert [float(v) for v in page.mediabox] == [0, 0, 612, 792]
        assert [float(v) for v in page.cropbox] == [0, 0, 612, 792]
        assert page.rotation % 360 == 0 and "/UserUnit" not in page
    first = next(p for d, t, p in outline(reader) if t == "Odd pages \u2014 odd.pdf")
    source = PdfReader(io.BytesIO(data))
    for k, word in enumerate(words):
        page = reader.pages[first + k]
        text = page.extract_text()
        assert word in text and f"Page {first + k + 1} of {result.pages}" in text, word
        a, b, c, d, e, f = _matrix(page)
        src = source.pages[k]
        box = [float(v) for v in src.cropbox]
        corners = [(box[0], box[1]), (box[2], box[3]), (box[0], box[3]), (box[2], box[1])]
        xs = [a * x + c * y + e for x, y in corners]
        ys = [b * x + d * y + f for x, y in corners]
        # the whole visible page lands inside the page, above the footer strip: nothing is cut off
        assert min(xs) >= -0.01 and max(xs) <= 612.01 and min(ys) >= 43.99 and max(ys) <= 792.01, word
        # it fills the room in one direction (scaled to fit) and keeps its aspect ratio
        shown_w, shown_h = max(xs) - min(xs), max(ys) - min(ys)
        assert abs(shown_w - 612) < 0.1 or abs(shown_h - 748) < 0.1, word
        w, h = box[2] - box[0], box[3] - box[1]
        turned = src.rotation % 180 == 90
        ratio = (h / w) if turned else (w / h)
        assert abs(shown_w / shown_h - ratio) < 0.001, word
    landscape = reader.pages[first + 3]
    a, _, _, d, _, _ = _matrix(landscape)
    assert a == pytest.approx(612 / 792, abs=1e-4) and d == pytest.approx(612 / 792, abs=1e-4)  # to the width


# --- what the packet leaves out, and a long case -----------------------------------------------------------------

def test_still_missing_leaves_out_the_findings_meant_for_the_patient(folder, tmp_path: Path, monkeypatch) -> None:
    from secondopinion_desktop.core.packet import data
    from secondopinion_desktop.core.readiness import PATIENT_ONLY_RULES, Action, Finding

    assert {"language", "identity-document"} <= PATIENT_ONLY_RULES
    found = [
        Finding("identity-document", "The biopsy report names PERSON-ELSE, not you.", Action.OPEN, record_id=1),
        Finding("language", "The letter LANGUAGE-FLAG is not in English.", Action.OPEN, record_id=1),
        Finding("pathology-report", "The PATHOLOGY-REPORT-STILL-NEEDED is still needed.", Action.ADD),
    ]
    monkeypatch.setattr(data, "whats_missing", lambda _session, _day: found)
    result = build_packet(folder, tmp_path / "p.pdf", PacketOptions(today=TODAY))
    text = "".join(p.extract_text() for p in PdfReader(result.path).pages)
    assert "PATHOLOGY-REPORT-STILL-NEEDED" in text
    assert "PERSON-ELSE" not in text and "LANGUAGE-FLAG" not in text


def test_a_long_case_flows_on_from_page_one_and_loses_nothing(folder, tmp_path: Path) -> None:
    for n in range(45):
        health.create_medication(folder, f"Medicine number {n + 1:02d}", dose=f"{n + 1} mg", frequency="daily")
    result = build_packet(folder, tmp_path / "p.pdf", PacketOptions(today=TODAY))
    reader = PdfReader(result.path)
    first, second = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "Medicine number 01" in first and not second.startswith("Key labs and trends")
    both = squash(first + second)
    assert all(squash(f"Medicine number {n:02d}") in both for n in range(1, 46))
    assert "Allergies and intolerances" in first + second
    starts = {t: p for d, t, p in outline(reader) if d == 0}
    assert starts["Case summary"] == 0 and starts["Key labs and trends"] == 2
