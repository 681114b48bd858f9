"""The packet's "Requests and material in transit": what is still outstanding and where the slides are, read
back with pypdf; no section when nothing is outstanding; names print as typed."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from secondopinion_desktop.core import records, requests, shipments
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.packet import PacketOptions, build_packet
from secondopinion_desktop.core.packet.data import load_packet_data
from secondopinion_desktop.core.profile import save_profile

HEADING = "Requests and material in transit"
LAB = "Samplewood Pathology <b>Lab</b> & Co \u0007\u202eRTL"
TODAY = dt.date.today()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def packet(folder, out: Path) -> Path:  # type: ignore[no-untyped-def]
    return build_packet(folder, out, PacketOptions(include_appendix=False)).path


@pytest.fixture
def outstanding(folder):  # type: ignore[no-untyped-def]
    """An overdue request to a lab with a hostile name for the slides and the report, the slides in transit to the
    consultant, an earlier shipment already returned, and a complete request to another facility."""
    save_profile(folder, name="Pat Example", date_of_birth="1970-02-03", cancer_type="Breast cancer")
    slides = records.create_record(folder, "pathology", "Biopsy slides S25-1234", facility=LAB, slides_count=12)
    report = records.create_record(folder, "pathology", "Pathology report S25-1234", facility=LAB)
    q = requests.create_request(folder, LAB, record_ids=[slides.id, report.id])
    requests.mark_sent(folder, q.id, on=days_ago(40), via="fax")
    requests.mark_received(folder, q.id, record_ids=[report.id], on=days_ago(5))
    shipments.create_shipment(folder, record_id=slides.id, request_id=q.id, material="stained_slides", count=12,
                              from_lab=LAB, to_whom="Dr. Chen <consults>", carrier="FedEx",
                              tracking_number="7712 3456 9001", shipped_on=days_ago(3),
                              due_back_on=TODAY + dt.timedelta(days=30))
    shipments.create_shipment(folder, record_id=slides.id, material="blocks", count=1, from_lab=LAB,
                              to_whom="Dr. Chen", carrier="UPS", tracking_number="RETURNED-1Z999",
                              shipped_on=days_ago(90), received_on=days_ago(88), returned_on=days_ago(60))
    scan = records.create_record(folder, "imaging", "CT chest", facility="Samplewood Imaging")
    done = requests.create_request(folder, "Samplewood Imaging", record_ids=[scan.id])
    requests.mark_sent(folder, done.id, on=days_ago(20))
    requests.mark_received(folder, done.id, on=days_ago(2))
    return folder


def test_the_section_lists_open_requests_and_material_out_of_the_lab(outstanding: DataFolder, tmp_path: Path) -> None:
    text = text_of(packet(outstanding, tmp_path / "packet.pdf"))
    flat = squash(text)
    assert squash(HEADING) in flat
    start = flat.rindex(squash(HEADING))  # the section itself, after its contents entry
    section = flat[start:flat.index(squash("Imaging studies and pathology specimens"), start)]
    assert squash("Samplewood Pathology <b>Lab</b> & Co") in section  # markup prints literally
    assert squash("Biopsy slides S25-1234") in section
    assert squash("1 other record already came") in section  # the report came; the slides have not
    assert squash("by fax") in section and squash("Overdue by 10 days") in section
    assert squash("7712 3456 9001") in section and "FedEx" in section
    assert squash("12 stained slides") in section and squash("Dr. Chen <consults>") in section
    assert squash("Not yet") in section  # not received by the consultant
    assert "RETURNED-1Z999" not in flat, "a returned shipment is not in transit"
    assert squash("Samplewood Imaging") not in section[:section.index(squash("Pathology material"))], \
        "a complete request is not outstanding"
    assert "\u0007" not in text and "\u202e" not in text  # control characters never reach the page


def test_the_section_is_in_the_contents_after_still_missing(outstanding: DataFolder, tmp_path: Path) -> None:
    reader = PdfReader(packet(outstanding, tmp_path / "packet.pdf"))
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles.index("Still missing") + 1 == titles.index(HEADING)
    assert titles.index(HEADING) < titles.index("Imaging studies and pathology specimens")


def test_the_still_missing_part_leaves_the_desk_reminders_to_the_section(outstanding: DataFolder) -> None:
    data = load_packet_data(outstanding, appointment_id=None, record_ids=None, today=None)
    assert not [f for f in data.findings if f.rule.startswith(("request-", "material-", "appointment-"))]
    assert [q.facility_name for q in data.requests] == [LAB.replace("\u0007", "")] or len(data.requests) == 1
    assert [s.tracking_number for s in data.shipments] == ["7712 3456 9001"]


def test_no_section_when_nothing_is_outstanding(outstanding: DataFolder, tmp_path: Path) -> None:
    data = load_packet_data(outstanding, appointment_id=None, record_ids=None, today=None)
    (q,) = data.requests
    requests.mark_received(outstanding, q.id)
    for s in data.shipments:
        shipments.update_shipment(outstanding, s.id, received_on=TODAY, returned_on=TODAY)
    text = text_of(packet(outstanding, tmp_path / "done.pdf"))
    assert squash(HEADING) not in squash(text)
    assert "Still missing" in text


def test_no_section_in_an_empty_folder(folder: DataFolder, tmp_path: Path) -> None:
    assert squash(HEADING) not in squash(text_of(packet(folder, tmp_path / "empty.pdf")))


def test_look_at_the_section(outstanding: DataFolder, tmp_path: Path) -> None:
    """Renders the section's page into /tmp/shots/packet-requests/ to look at (pdftoppm, when installed)."""
    out = packet(outstanding, tmp_path / "look.pdf")
    pages = [n for n, page in enumerate(PdfReader(out).pages, start=1)
             if squash(HEADING) in squash(page.extract_text() or "")]
    assert len(pages) == 2  # the contents and the section's page
    if shutil.which("pdftoppm") is None:
        return
    shots = Path("/tmp/shots/packet-requests")
    shots.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(pages[1]), "-l", str(pages[1] + 1), str(out),
                    str(shots / "section")], check=True)
