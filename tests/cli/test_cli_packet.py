"""`secondopinion packet`: the PDF packet from the command line, and its one-line errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from secondopinion_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("secondopinion: error:")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]


@pytest.fixture
def demo_dir(capsys, data_dir: Path) -> Path:
    code, _, err = run(capsys, "demo", "--data-dir", str(data_dir))
    assert code == 0, err
    return data_dir


def test_packet_round_trip(capsys, demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "packet.pdf"
    code, stdout, err = run(capsys, "packet", "--out", str(out), "--data-dir", str(demo_dir))
    assert code == 0, err
    assert err == ""
    lines = stdout.strip().splitlines()
    match = re.fullmatch(r"Wrote (.+): (\d+) pages", lines[0])
    assert match and Path(match.group(1)) == out
    reader = PdfReader(out)
    assert len(reader.pages) == int(match.group(2))
    assert "Alex Sample" in reader.pages[0].extract_text()
    assert reader.metadata.creator == "Second Opinion"
    assert lines[1:] == []  # the sample's files all go in
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "packet.pdf"]


def test_packet_for_a_chosen_appointment_and_problems_listed(capsys, demo_dir: Path, tmp_path: Path) -> None:
    from secondopinion_desktop.core import records
    from secondopinion_desktop.core.appointments import list_appointments
    from secondopinion_desktop.core.db import open_data_folder

    with open_data_folder(demo_dir) as folder:
        with folder.session() as session:
            appointment = list_appointments(session)[0]
            record = records.create_record(session, "other", "Scanned letter")
        source = tmp_path / "letter.pdf"
        source.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n" + b"x" * 300)  # cut off: no end
        records.attach_file(folder, record.id, source)
    out = tmp_path / "chosen.pdf"
    code, stdout, err = run(capsys, "--data-dir", str(demo_dir), "packet", "--out", str(out),
                            "--appointment", str(appointment.id))
    assert code == 0, err
    lines = stdout.strip().splitlines()
    assert lines[0].startswith(f"Wrote {out}: ")
    assert len(lines) == 2 and "Scanned letter" in lines[1] and "letter.pdf" in lines[1]
    assert "incomplete" in lines[1]
    assert out.exists()


def test_packet_for_an_unknown_appointment_fails_in_one_line(capsys, demo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "packet.pdf"
    code, stdout, err = run(capsys, "packet", "--out", str(out), "--appointment", "4242",
                            "--data-dir", str(demo_dir))
    assert_one_line_error(code, err, "appointment 4242")
    assert stdout == ""
    assert not out.exists()


def test_packet_to_an_unwritable_place_fails_in_one_line(capsys, demo_dir: Path, tmp_path: Path) -> None:
    code, _, err = run(capsys, "packet", "--out", str(tmp_path / "no" / "such" / "p.pdf"),
                       "--data-dir", str(demo_dir))
    assert_one_line_error(code, err, "does not exist")
    a_file = tmp_path / "plain-file"
    a_file.write_text("x")
    code, _, err = run(capsys, "packet", "--out", str(a_file / "p.pdf"), "--data-dir", str(demo_dir))
    assert_one_line_error(code, err, "not a folder")
    code, _, err = run(capsys, "packet", "--out", str(tmp_path), "--data-dir", str(demo_dir))
    assert_one_line_error(code, err, "is a folder")


def test_packet_needs_out(capsys, demo_dir: Path) -> None:
    code, _, err = run(capsys, "packet", "--data-dir", str(demo_dir))
    assert code == 2
    assert "--out" in err and len(err.strip().splitlines()) == 1
