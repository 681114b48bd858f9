"""`secondopinion requests …`: list, new, sent, received, letter and release, and their one-line errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from secondopinion_desktop.cli import main

TODAY = dt.date.today()
HOLD = (
    "import sys; from secondopinion_desktop.core.lock import acquire; "
    "lock = acquire(sys.argv[1], sys.argv[2]); print('held', flush=True); sys.stdin.read(); lock.release()"
)


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert err == ""
    return out


def assert_one_line_error(code: int, err: str, *fragments: str, exit_code: int = 1) -> None:
    assert code == exit_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("secondopinion")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]


def text_of(pdf: Path | bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def case(data_dir: Path) -> dict[str, int]:
    """A profile and records at two facilities, made through the services."""
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.directory import create_facility
    from secondopinion_desktop.core.profile import save_profile
    from secondopinion_desktop.core.records import create_record

    with open_data_folder(data_dir) as folder:
        save_profile(folder, name="Alex Sample", date_of_birth="1970-05-04", address="12 Elm Street")
        create_facility(folder, "City Hospital", address="1 Hospital Way", records_fax="555-0199")
        ids = {
            "biopsy": create_record(folder, "pathology", "Core biopsy report", facility="City Hospital",
                                    date_of_service="2026-05-20", accession_number="S26-1234").id,
            "ct": create_record(folder, "imaging", "CT chest", facility="City Hospital",
                                date_of_service="2026-05-25").id,
            "old": create_record(folder, "lab", "Blood count", facility="City Hospital", status="received").id,
            "markers": create_record(folder, "lab", "Tumour markers", facility="Valley Lab").id,
        }
    return ids


def requests_json(capsys: pytest.CaptureFixture[str], data_dir: Path, *extra: str) -> list[dict]:
    return json.loads(ok(capsys, "requests", "list", "--json", "--data-dir", str(data_dir), *extra))


def records_json(capsys: pytest.CaptureFixture[str], data_dir: Path) -> dict[int, dict]:
    return {r["id"]: r for r in json.loads(ok(capsys, "records", "list", "--json", "--data-dir", str(data_dir)))}


def new(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> dict:
    return json.loads(ok(capsys, "requests", "new", "--json", "--data-dir", str(data_dir), *argv))


def test_new_prints_the_id_and_links_the_facilitys_records_still_needed(capsys, data_dir: Path, case) -> None:
    out = ok(capsys, "requests", "new", "--facility", "City Hospital", "--data-dir", str(data_dir))
    (request,) = requests_json(capsys, data_dir)
    assert out.strip() == (f"Made request {request['id']} to City Hospital for 2 records; it is a draft until "
                           "you mark it sent.")
    assert [r["id"] for r in request["records"]] == [case["biopsy"], case["ct"]]  # not the one received
    assert request["status"] == "draft" and request["delivery"] == "mail"


def test_new_with_records_and_send_to_prints_the_request_json(capsys, data_dir: Path, case) -> None:
    made = new(capsys, data_dir, "--facility", "city hospital", "--record", str(case["ct"]),
               "--send-to", "Lakeside Cancer Center")
    for key in ("id", "facility", "status", "sent_on", "due_on", "records", "events", "letters"):
        assert key in made, key
    assert made["facility"] == "City Hospital"  # the directory's facility, however typed
    assert made["records"] == [{**made["records"][0], "id": case["ct"], "title": "CT chest"}]
    assert made["delivery"] == "third_party" and made["send_to_name"] == "Lakeside Cancer Center"
    assert made["sent_on"] is None and made["due_on"] is None and made["events"] == []
    assert requests_json(capsys, data_dir) == [made]


def test_record_may_be_given_again_or_with_several_ids(capsys, data_dir: Path, case) -> None:
    again = new(capsys, data_dir, "--facility", "City Hospital", "--record", str(case["biopsy"]),
                "--record", str(case["ct"]))
    several = new(capsys, data_dir, "--facility", "City Hospital", "--record", str(case["biopsy"]), str(case["ct"]))
    assert [r["id"] for r in again["records"]] == [r["id"] for r in several["records"]] == [case["biopsy"],
                                                                                             case["ct"]]


def test_sent_dates_the_request_sets_it_due_and_marks_its_records_requested(capsys, data_dir: Path, case) -> None:
    made = new(capsys, data_dir, "--facility", "City Hospital")
    out = ok(capsys, "requests", "sent", str(made["id"]), "--on", days_ago(3), "--via", "in-person",
             "--data-dir", str(data_dir))
    due = (TODAY - dt.timedelta(days=3) + dt.timedelta(days=30)).isoformat()
    assert out.strip() == (f"Marked request {made['id']} to City Hospital sent on {days_ago(3)} in person; "
                           f"the answer is due on {due}.")
    (request,) = requests_json(capsys, data_dir)
    assert (request["status"], request["sent_on"], request["sent_via"], request["due_on"]) == (
        "sent", days_ago(3), "in_person", due)
    assert [e["kind"] for e in request["events"]] == ["sent"]
    records = records_json(capsys, data_dir)
    assert records[case["biopsy"]]["status"] == records[case["ct"]]["status"] == "requested"
    assert records[case["biopsy"]]["requested_on"] == days_ago(3)


def test_received_marks_the_records_that_came_then_completes(capsys, data_dir: Path, case) -> None:
    made = new(capsys, data_dir, "--facility", "City Hospital")
    ok(capsys, "requests", "sent", str(made["id"]), "--on", days_ago(10), "--data-dir", str(data_dir))
    out = ok(capsys, "requests", "received", str(made["id"]), "--record", str(case["ct"]), "--on", days_ago(2),
             "--data-dir", str(data_dir))
    assert out.strip() == f"Request {made['id']} to City Hospital is now partly received; 1 record still to come."
    records = records_json(capsys, data_dir)
    assert records[case["ct"]]["status"] == "received" and records[case["biopsy"]]["status"] == "requested"
    out = ok(capsys, "requests", "received", str(made["id"]), "--data-dir", str(data_dir))
    assert out.strip() == f"Request {made['id']} to City Hospital is now complete."
    (request,) = requests_json(capsys, data_dir)
    assert request["status"] == "complete" and request["received_on"] == TODAY.isoformat()
    assert [e["kind"] for e in request["events"]] == ["sent", "partly_received", "received"]


def test_list_says_overdue_and_due_soon_in_words_and_overdue_keeps_only_those(capsys, data_dir: Path,
                                                                            case) -> None:
    late = new(capsys, data_dir, "--facility", "City Hospital", "--record", str(case["biopsy"]))
    soon = new(capsys, data_dir, "--facility", "Valley Lab", "--record", str(case["markers"]))
    draft = new(capsys, data_dir, "--facility", "City Hospital", "--record", str(case["ct"]))
    ok(capsys, "requests", "sent", str(late["id"]), "--on", days_ago(40), "--via", "fax", "--data-dir", str(data_dir))
    ok(capsys, "requests", "sent", str(soon["id"]), "--on", days_ago(25), "--data-dir", str(data_dir))

    lines = ok(capsys, "requests", "list", "--data-dir", str(data_dir)).splitlines()
    assert lines[0].split() == ["ID", "STATUS", "SENT", "DUE", "FACILITY"]
    rows = {int(line.split()[0]): line for line in lines[1:]}
    assert set(rows) == {late["id"], soon["id"], draft["id"]}
    assert "Sent" in rows[late["id"]] and days_ago(40) in rows[late["id"]]
    assert rows[late["id"]].endswith("City Hospital — overdue by 10 days")
    assert rows[soon["id"]].endswith("Valley Lab — due in 5 days")
    assert rows[draft["id"]].split()[1:] == ["Draft", "—", "—", "City", "Hospital"]

    overdue = requests_json(capsys, data_dir, "--overdue")
    assert [q["id"] for q in overdue] == [late["id"]]
    assert overdue[0]["overdue"] is True and overdue[0]["due_soon"] is False
    plain = ok(capsys, "requests", "list", "--overdue", "--data-dir", str(data_dir)).splitlines()
    assert len(plain) == 2 and plain[1].startswith(f"{late['id']:>4}  ")
    assert [q["due_soon"] for q in requests_json(capsys, data_dir) if q["id"] == soon["id"]] == [True]


def test_list_on_a_folder_without_requests_says_so(capsys, data_dir: Path, case) -> None:
    assert ok(capsys, "requests", "list", "--data-dir", str(data_dir)).strip() == "No requests yet."
    assert ok(capsys, "requests", "list", "--overdue", "--data-dir", str(data_dir)).strip() == "No overdue requests."
    assert requests_json(capsys, data_dir) == []


def test_letter_and_release_write_the_pdfs_and_keep_copies(capsys, data_dir: Path, case, tmp_path: Path) -> None:
    made = new(capsys, data_dir, "--facility", "City Hospital")
    out = tmp_path / "letter.pdf"
    said = ok(capsys, "requests", "letter", str(made["id"]), "--out", str(out), "--data-dir", str(data_dir))
    assert said.strip() == f"Wrote the letter to {out}: 1 page; a copy is kept with request {made['id']}."
    text = text_of(out)
    for words in ("Alex Sample", "May 4, 1970", "City Hospital", "Core biopsy report", "CT chest", "164.524"):
        assert words in text, words
    release = tmp_path / "release.pdf"
    said = ok(capsys, "requests", "release", str(made["id"]), "--out", str(release), "--data-dir", str(data_dir))
    lines = said.strip().splitlines()
    assert lines[0] == (f"Wrote the release request to {release}: 1 page; a copy is kept with request "
                        f"{made['id']}.")
    assert lines[1:] == ["Warning: The request gives no name, address, phone or fax to ship the material to; the "
                         "letter leaves lines to write them in by hand."]
    assert "S26-1234" in text_of(release) and "CT chest" not in text_of(release)
    (request,) = requests_json(capsys, data_dir)
    assert [letter["kind"] for letter in request["letters"]] == ["request", "release"]
    assert [letter["size"] for letter in request["letters"]] == [out.stat().st_size, release.stat().st_size]


def test_a_letter_for_a_facility_without_address_or_fax_warns(capsys, data_dir: Path, case, tmp_path: Path) -> None:
    made = new(capsys, data_dir, "--facility", "Valley Lab")
    out = tmp_path / "valley.pdf"
    lines = ok(capsys, "requests", "letter", str(made["id"]), "--out", str(out), "--data-dir",
               str(data_dir)).strip().splitlines()
    assert lines[1:] == ["Warning: Valley Lab has no mailing address or fax number in the directory; the letter "
                         "leaves a line to write one in by hand."]
    assert "Tumour markers" in text_of(out)


def test_a_letter_to_standard_output(data_dir: Path, case, tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "SECONDOPINION_DATA_DIR"}
    so = [sys.executable, "-m", "secondopinion_desktop"]
    made = subprocess.run([*so, "requests", "new", "--facility", "City Hospital", "--json", "--data-dir",
                           str(data_dir)], capture_output=True, check=True, env=env, timeout=120)
    request_id = json.loads(made.stdout)["id"]
    run = subprocess.run([*so, "requests", "letter", str(request_id), "--out", "-", "--data-dir", str(data_dir)],
                         capture_output=True, check=False, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(b"%PDF")
    assert "City Hospital" in text_of(run.stdout)
    assert run.stderr.decode().strip() == (f"Wrote the letter to standard output: 1 page; a copy is kept with "
                                           f"request {request_id}.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


# --- bad input: one line, nothing changed ---------------------------------------------------------------------


@pytest.fixture
def sent(capsys, data_dir: Path, case) -> dict:
    """A request sent 10 days ago, and one still a draft without pathology."""
    made = new(capsys, data_dir, "--facility", "City Hospital", "--record", str(case["biopsy"]))
    ok(capsys, "requests", "sent", str(made["id"]), "--on", days_ago(10), "--data-dir", str(data_dir))
    other = new(capsys, data_dir, "--facility", "Valley Lab", "--record", str(case["markers"]))
    return {"id": made["id"], "draft": other["id"]}


def state(capsys, data_dir: Path) -> tuple[list[dict], dict[int, dict]]:
    return requests_json(capsys, data_dir), records_json(capsys, data_dir)


BAD = {
    "received before sent": (("received", "{id}", "--on", "{before}"), "before the request was sent", 1),
    "due before sent": (("sent", "{draft}", "--on", "{sent_on}", "--due", "{before}"), "is before the day", 1),
    "unknown record to receive": (("received", "{id}", "--record", "4242"), "There is no record 4242", 1),
    "record not asked for": (("received", "{id}", "--record", "{ct}"), "is not one this request asks for", 1),
    "unknown record for a new request": (("new", "--facility", "City Hospital", "--record", "4242"),
                                         "There is no record 4242", 1),
    "unknown request": (("sent", "4242"), "There is no request 4242", 1),
    "unknown request to receive": (("received", "4242"), "There is no request 4242", 1),
    "letter for an unknown request": (("letter", "4242", "--out", "{tmp}/x.pdf"), "There is no request 4242", 1),
    "sent twice": (("sent", "{id}"), "already sent", 1),
    "a pigeon": (("sent", "{draft}", "--via", "pigeon"), "invalid choice: 'pigeon'", 2),
    "not a date": (("sent", "{draft}", "--on", "yesterday"), "date", 1),
    "a future day sent": (("sent", "{draft}", "--on", "{future}"), "future", 1),
    "not an id": (("sent", "three"), "'three' is not an id", 2),
    "letter inside the data folder": (("letter", "{id}", "--out", "{data}/letter.pdf"), "inside the data folder", 1),
    "release inside the data folder": (("release", "{id}", "--out", "{data}/r.pdf"), "inside the data folder", 1),
    "release without pathology": (("release", "{draft}", "--out", "{tmp}/r.pdf"), "asks for none", 1),
    "no action": ((), "choose an action", 2),
}


@pytest.mark.parametrize("case_name", list(BAD))
def test_bad_input_is_one_line_and_changes_nothing(capsys, data_dir: Path, case, sent, tmp_path: Path,
                                                   case_name: str) -> None:
    argv, fragment, exit_code = BAD[case_name]
    values = {"id": sent["id"], "draft": sent["draft"], "before": days_ago(11), "sent_on": days_ago(5),
              "ct": case["ct"], "tmp": tmp_path, "data": data_dir,
              "future": (TODAY + dt.timedelta(days=3)).isoformat()}
    before = state(capsys, data_dir)
    files = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, "--data-dir", str(data_dir), "requests", *(a.format(**values) for a in argv))
    assert_one_line_error(code, err, fragment, exit_code=exit_code)
    assert out == ""
    assert state(capsys, data_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files
    assert not list(data_dir.glob("*.pdf"))


def test_a_mistyped_data_folder_is_not_made(capsys, tmp_path: Path) -> None:
    for argv in (("list",), ("new", "--facility", "City Hospital")):
        code, _out, err = run(capsys, "requests", *argv, "--data-dir", str(tmp_path / "nowhere"))
        assert_one_line_error(code, err, "There is no Second Opinion data")
    assert not (tmp_path / "nowhere").exists()


def test_with_the_folder_held_the_writers_are_refused_and_list_still_reads(capsys, data_dir: Path, case,
                                                                          tmp_path: Path) -> None:
    made = new(capsys, data_dir, "--facility", "City Hospital")
    before = state(capsys, data_dir)
    window = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir), "window"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    try:
        assert window.stdout is not None and window.stdout.readline().strip() == b"held"
        writers = (("new", "--facility", "City Hospital"), ("sent", str(made["id"])),
                   ("received", str(made["id"])), ("letter", str(made["id"]), "--out", str(tmp_path / "l.pdf")),
                   ("release", str(made["id"]), "--out", str(tmp_path / "r.pdf")))
        for argv in writers:
            code, _out, err = run(capsys, "requests", *argv, "--data-dir", str(data_dir))
            assert_one_line_error(code, err, "is open in the Second Opinion window", "Nothing was changed")
        assert state(capsys, data_dir) == before  # list --json (and records list) read while the folder is held
        assert f"{made['id']:>4}  Draft" in ok(capsys, "requests", "list", "--data-dir", str(data_dir))
        assert not (tmp_path / "l.pdf").exists() and not (tmp_path / "r.pdf").exists()
    finally:
        window.communicate(b"")
