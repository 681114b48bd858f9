"""`secondopinion labs add|list`, `meds list` and `allergies list`: what is stored and shown, the JSON fields
scripts rely on, refusals in one line, and the folder lock for the writing command."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main

HOLD = (
    "import sys; from secondopinion_desktop.core.lock import acquire; "
    "lock = acquire(sys.argv[1], sys.argv[2]); print('held', flush=True); sys.stdin.read(); lock.release()"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert err == ""
    return out


def one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code != 0, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("secondopinion") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]


def add(capsys, data_dir: Path, *argv: str) -> dict:
    return json.loads(ok(capsys, "labs", "add", *argv, "--json", "--data-dir", str(data_dir)))


def labs(capsys, data_dir: Path, *argv: str) -> list[dict]:
    return json.loads(ok(capsys, "labs", "list", "--json", *argv, "--data-dir", str(data_dir)))


def test_labs_add_keeps_the_value_and_unit_as_given_and_creates_the_folder(capsys, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    out = ok(capsys, "labs", "add", "--test", "CA 15-3", "--value", "<0.5", "--unit", "x10E3/uL", "--range", "<31.3",
             "--date", "2025-03-02", "--flag", "L", "--data-dir", str(data_dir))
    assert out == "Added lab result 1: CA 15-3 <0.5 x10E3/uL on 2025-03-02.\n"
    (row,) = labs(capsys, data_dir)
    assert (row["test"], row["value"], row["number"], row["unit"], row["reference_range"], row["flag"]) == (
        "CA 15-3", "<0.5", 0.5, "x10E3/uL", "<31.3", "L")
    assert row["observed_on"] == "2025-03-02" and row["origin"] == "hand"
    assert row["source"]["record_id"] is None
    words = add(capsys, data_dir, "--test", "HER2 FISH", "--value", "see note", "--date", "2025-03-02")
    assert words["number"] is None and words["value"] == "see note"
    comma = add(capsys, data_dir, "--test", "Creatinine", "--value", "0,78", "--unit", "mg/dL", "--date",
                "2025-03-02")
    assert comma["number"] == 0.78 and comma["value"] == "0,78"
    text = ok(capsys, "labs", "add", "--test", "HER2", "--value", "positive", "--date", "2025-03-03", "--data-dir",
              str(data_dir))
    assert "kept as words" in text


def test_labs_add_links_a_record(capsys, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ok(capsys, "records", "add", "--kind", "lab", "--title", "CBC on paper", "--data-dir", str(data_dir))
    row = add(capsys, data_dir, "--test", "Hgb", "--value", "12.9", "--unit", "g/dL", "--date", "2025-01-05",
              "--record", "1")
    assert row["source"]["record_id"] == 1 and row["source"]["record_title"] == "CBC on paper"
    table = ok(capsys, "labs", "list", "--data-dir", str(data_dir))
    assert "Entered by hand, from “CBC on paper”" in table


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--value", "5", "--date", (dt.date.today() + dt.timedelta(days=2)).isoformat()], "in the future"),
    (["--value", "5"], "without its date"),
    (["--value", "5", "--date", "2025-02-30"], "does not exist"),
    (["--value", "5", "--date", "last tuesday"], "date"),
    (["--value", "   ", "--date", "2025-01-01"], "value is required"),
    (["--value", "5", "--date", "2025-01-01", "--record", "42"], "no record 42"),
])
def test_labs_add_refuses_bad_input_in_one_line(capsys, tmp_path: Path, argv, fragment) -> None:
    data_dir = tmp_path / "data"
    ok(capsys, "records", "add", "--kind", "lab", "--title", "Some lab", "--data-dir", str(data_dir))
    code, out, err = run(capsys, "labs", "add", "--test", "CEA", *argv, "--data-dir", str(data_dir))
    one_line_error(code, err, fragment)
    assert out == ""
    assert labs(capsys, data_dir) == []


@pytest.mark.parametrize("argv", [["--value", "5"], ["--test", "CEA"], ["--test", "CEA", "--value", "1",
                                                                         "--record", "abc"]])
def test_labs_add_usage_mistakes_are_one_line(capsys, tmp_path: Path, argv) -> None:
    code, _out, err = run(capsys, "labs", "add", *argv, "--date", "2025-01-01", "--data-dir", str(tmp_path / "d"))
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_labs_list_shows_hand_entered_values_and_flags_mixed_units(capsys, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    add(capsys, data_dir, "--test", "CA 15-3", "--value", "21", "--unit", "U/mL", "--date", "2025-01-10")
    add(capsys, data_dir, "--test", "CA15.3", "--value", "19", "--unit", "U/mL", "--date", "2025-03-10")
    add(capsys, data_dir, "--test", "CA 15-3", "--value", "300", "--unit", "kU/L", "--date", "2025-05-10")
    add(capsys, data_dir, "--test", "Hemoglobin", "--value", "13.1", "--unit", "g/dL", "--date", "2025-05-10")
    table = ok(capsys, "labs", "list", "--data-dir", str(data_dir))
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["WHEN", "TEST", "VALUE"]
    assert sum("CA 15-3*" in line or "CA15.3*" in line for line in lines) == 3
    assert not any("Hemoglobin*" in line for line in lines)
    assert lines[-1] == ("* CA 15-3 has mixed units (U/mL, kU/L): values are kept as given, never converted, and "
                         "a chart shows only those in U/mL.")
    assert all("Entered by hand" in line for line in lines[1:5])
    # --test finds the same key test under another spelling, and by part of the name
    assert [r["value"] for r in labs(capsys, data_dir, "--test", "CA 15.3")] == ["300", "19", "21"]
    assert [r["value"] for r in labs(capsys, data_dir, "--test", "hgb")] == ["13.1"]
    assert [r["value"] for r in labs(capsys, data_dir, "--test", "globin")] == ["13.1"]
    assert ok(capsys, "labs", "list", "--test", "PSA", "--data-dir", str(data_dir)) == "No lab results for “PSA” yet.\n"


def test_labs_add_takes_the_folder_lock_and_reading_still_works(capsys, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    add(capsys, data_dir, "--test", "CEA", "--value", "1.9", "--date", "2025-01-10")
    window = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir), "window"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    try:
        assert window.stdout is not None and window.stdout.readline().strip() == b"held"
        code, _out, err = run(capsys, "labs", "add", "--test", "CEA", "--value", "1.7", "--date", "2025-02-10",
                              "--data-dir", str(data_dir))
        one_line_error(code, err, "is open in the Second Opinion window")
        assert [r["value"] for r in labs(capsys, data_dir)] == ["1.9"]
        assert json.loads(ok(capsys, "meds", "list", "--json", "--data-dir", str(data_dir))) == []
        assert json.loads(ok(capsys, "allergies", "list", "--json", "--data-dir", str(data_dir))) == []
    finally:
        window.communicate(b"")


def test_reading_commands_never_create_a_folder(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    for command in (["meds", "list"], ["allergies", "list"], ["labs", "list"]):
        code, _out, err = run(capsys, *command, "--data-dir", str(missing))
        one_line_error(code, err, "no second opinion data")
    assert not missing.exists()


def _filled(tmp_path: Path) -> Path:
    from secondopinion_desktop.core import health
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.records import create_record

    data_dir = tmp_path / "data"
    folder = open_data_folder(data_dir)
    try:
        record = create_record(folder, "treatment", "My medication list")
        health.create_medication(folder, "Letrozole", dose="2.5 mg", route="By mouth", frequency="Once a day",
                                 start="2025-06", reason="Hormone therapy", prescriber="Dr. Example",
                                 record_id=record.id)
        health.create_medication(folder, "Doxorubicin", start="2024-12-01", end="2025-02-15", status="completed")
        health.create_medication(folder, "<b>אונדנסטרון</b> & co", start="2024-12-01", end="2025-02-15")
        health.create_allergy(folder, "Penicillin", reaction="Hives", severity="moderate", category="allergy",
                              onset="1982")
        health.create_allergy(folder, "Codeine", reaction="Nausea", category="intolerance")
    finally:
        folder.close()
    return data_dir


def test_meds_list_json_has_every_field_and_current(capsys, tmp_path: Path) -> None:
    data_dir = _filled(tmp_path)
    rows = json.loads(ok(capsys, "meds", "list", "--json", "--data-dir", str(data_dir)))
    assert [r["name"] for r in rows][0] == "Letrozole"  # current first
    by_name = {r["name"]: r for r in rows}
    letrozole = by_name["Letrozole"]
    assert set(letrozole) == {"id", "name", "code", "dose", "route", "frequency", "instructions", "status", "start",
                              "end", "source", "reason", "prescriber", "origin", "current"}
    assert letrozole["current"] is True and letrozole["start"] == "2025-06"
    assert letrozole["source"] == {"record_id": 1, "record_title": "My medication list", "source_name": "",
                                   "sha256": "", "position": ""}
    assert by_name["Doxorubicin"]["current"] is False and by_name["Doxorubicin"]["end"] == "2025-02-15"
    assert "<b>אונדנסטרון</b> & co" in by_name  # markup and right-to-left text kept as typed
    assert by_name["<b>אונדנסטרון</b> & co"]["source"]["record_id"] is None


def test_meds_list_text_groups_current_and_past(capsys, tmp_path: Path) -> None:
    data_dir = _filled(tmp_path)
    text = ok(capsys, "meds", "list", "--data-dir", str(data_dir))
    current, past = text.split("Past medications:")
    assert current.startswith("Current medications:")
    assert "Letrozole — 2.5 mg, By mouth, Once a day (for Hormone therapy; since 2025-06; prescribed by Dr. " \
           "Example)" in current
    assert "Entered by hand, from “My medication list”" in current
    assert "Doxorubicin" in past and "2024-12-01 to 2025-02-15" in past
    assert "<b>אונדנסטרון</b> & co" in past


def test_allergies_list_json_and_text(capsys, tmp_path: Path) -> None:
    data_dir = _filled(tmp_path)
    rows = json.loads(ok(capsys, "allergies", "list", "--json", "--data-dir", str(data_dir)))
    assert [r["substance"] for r in rows] == ["Codeine", "Penicillin"]
    assert set(rows[0]) == {"id", "substance", "code", "reaction", "severity", "status", "onset", "source",
                            "category", "origin"}
    assert rows[1]["category"] == "allergy" and rows[1]["onset"] == "1982" and rows[1]["source"]["record_id"] is None
    text = ok(capsys, "allergies", "list", "--data-dir", str(data_dir))
    assert "Penicillin (allergy): Hives; moderate; since 1982" in text
    assert "Codeine (intolerance): Nausea" in text


def test_empty_lists_say_so(capsys, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ok(capsys, "records", "add", "--kind", "other", "--title", "Card", "--data-dir", str(data_dir))
    assert ok(capsys, "meds", "list", "--data-dir", str(data_dir)) == "No medications listed yet.\n"
    assert ok(capsys, "allergies", "list", "--data-dir", str(data_dir)) == "No allergies or intolerances listed yet.\n"
    assert ok(capsys, "labs", "list", "--data-dir", str(data_dir)) == "No lab results yet.\n"
