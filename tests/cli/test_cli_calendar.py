"""`secondopinion calendar --out FILE [--json]`."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar
import pytest

from secondopinion_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(data_dir: Path) -> Path:
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.demo import fill_demo_data

    with open_data_folder(data_dir) as folder:
        fill_demo_data(folder)
    return data_dir


def test_writes_the_file_and_says_what_it_holds(capsys, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "cal.ics"
    code, said, err = run(capsys, "calendar", "--out", str(out), "--data-dir", str(data))
    assert code == 0, err
    assert said.startswith(f"Wrote {out}: 1 appointment and ")
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    assert len(cal.walk("VEVENT")) >= 2


def test_json_fields(capsys, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "cal.ics"
    code, said, err = run(capsys, "calendar", "--out", str(out), "--json", "--data-dir", str(data))
    assert code == 0, err
    payload = json.loads(said)
    assert set(payload) == {"path", "events", "appointments", "due_dates"}
    assert payload["path"] == str(out)
    assert payload["events"] == payload["appointments"] + payload["due_dates"] == \
        len(icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT"))


def test_standard_output(capsysbinary, data: Path) -> None:
    code = main(["calendar", "--out", "-", "--data-dir", str(data)])
    out, err = capsysbinary.readouterr()
    assert code == 0
    assert out.startswith(b"BEGIN:VCALENDAR") and b"Wrote the calendar to standard output" in err


@pytest.mark.parametrize("where, words", [("inside", "inside the data folder"), ("folder", "it is a folder"),
                                          ("missing", "does not exist")])
def test_bad_places_are_one_line(capsys, data: Path, tmp_path: Path, where: str, words: str) -> None:
    out = {"inside": data / "cal.ics", "folder": tmp_path, "missing": tmp_path / "nope" / "cal.ics"}[where]
    code, said, err = run(capsys, "calendar", "--out", str(out), "--data-dir", str(data))
    assert code == 1 and said == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("secondopinion: error:") and words in lines[0]


def test_no_data_is_refused(capsys, tmp_path: Path) -> None:
    code, _said, err = run(capsys, "calendar", "--out", str(tmp_path / "a.ics"), "--data-dir", str(tmp_path / "x"))
    assert code == 1 and "There is no Second Opinion data" in err
    assert not (tmp_path / "x").exists()
