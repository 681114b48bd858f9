"""`secondopinion preflight [--json]`: the pre-flight findings with their kind, rule, sentence, action and
record ids; grouped text; read-only (no folder created, works while the window holds the folder); exit 0 with
or without findings; one stderr line for a missing folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from secondopinion_desktop.cli import main

HOLD = (
    "import sys; from secondopinion_desktop.core.lock import acquire; "
    "lock = acquire(sys.argv[1], sys.argv[2]); print('held', flush=True); sys.stdin.read(); lock.release()"
)
KINDS = {"identity", "completeness", "freshness", "language", "timing"}


def run(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def demo(capsys, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    code, _out, err = run(capsys, "demo", "--data-dir", str(data))
    assert code == 0, err
    return data


def test_json_lists_every_finding_with_its_kind_and_records(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = demo(capsys, tmp_path)
    code, out, err = run(capsys, "preflight", "--json", "--data-dir", str(data))
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert rows, "the sample case has things to look at"
    for row in rows:
        assert {"kind", "rule", "message", "action", "record_ids"} <= set(row)
        assert row["kind"] in KINDS
        assert isinstance(row["record_ids"], list) and all(isinstance(i, int) for i in row["record_ids"])
        assert row["message"].endswith(".")
    by_rule = {row["rule"]: row for row in rows}
    assert by_rule["imaging-dicom"]["kind"] == "completeness" and by_rule["imaging-dicom"]["action"] == "open"
    assert by_rule["request-overdue"]["kind"] == "timing" and by_rule["request-overdue"]["record_ids"] == []
    # the same as the window's Still missing
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.readiness import whats_missing

    with open_data_folder(data, read_only=True) as folder:
        assert [r["message"] for r in rows] == [f.message for f in whats_missing(folder)]


def test_text_is_one_finding_a_line_grouped_by_kind(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = demo(capsys, tmp_path)
    code, out, err = run(capsys, "preflight", "--data-dir", str(data))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    headings = [line for line in lines if line.endswith(":") and not line.startswith("- ")]
    assert headings[0] == "What is missing:" and "Timing:" in headings
    findings = [line for line in lines if line.startswith("- ")]
    rows = json.loads(run(capsys, "preflight", "--json", "--data-dir", str(data))[1])
    assert len(findings) == len(rows)
    assert all(line.endswith(".") for line in findings)


def test_nothing_to_fix_still_exits_zero(capsys, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = demo(capsys, tmp_path)
    import secondopinion_desktop.core.preflight as preflight

    monkeypatch.setattr(preflight, "preflight", lambda folder, today=None: [])
    code, out, _err = run(capsys, "preflight", "--data-dir", str(data))
    assert (code, out) == (0, "Nothing to fix: the packet is ready.\n")
    assert run(capsys, "preflight", "--json", "--data-dir", str(data))[:2] == (0, "[]\n")


def test_no_such_folder_is_one_line_and_creates_nothing(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nothing here"
    code, out, err = run(capsys, "preflight", "--json", "--data-dir", str(missing))
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "There is no Second Opinion data in" in err
    assert not missing.exists()


def test_it_reads_while_the_window_holds_the_folder(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = demo(capsys, tmp_path)
    window = subprocess.Popen([sys.executable, "-c", HOLD, str(data), "window"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    try:
        assert window.stdout is not None and window.stdout.readline().strip() == b"held"
        code, out, err = run(capsys, "preflight", "--json", "--data-dir", str(data))
        assert (code, err) == (0, "") and json.loads(out)
    finally:
        window.communicate(b"")
