"""`secondopinion import-records PATH [--dry-run] [--json] [--yes]` and `secondopinion labs list [--json]
[--test NAME]`: the JSON fields scripts rely on, the refusals in one line, the folder lock."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main

HOLD = (
    "import sys; from secondopinion_desktop.core.lock import acquire; "
    "lock = acquire(sys.argv[1], sys.argv[2]); print('held', flush=True); sys.stdin.read(); lock.release()"
)

CCD = """<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <templateId root="2.16.840.1.113883.10.20.22.1.2" extension="2015-08-01"/>
  <code code="34133-9" codeSystem="2.16.840.1.113883.6.1" displayName="Summarization of Episode Note"/>
  <title>Continuity of Care Document</title>
  <effectiveTime value="{when}"/>
  <recordTarget><patientRole>
    <id extension="MRN123" root="1.2.3"/>
    <patient><name><given>{given}</given><family>Sample</family></name>
      <administrativeGenderCode code="F"/><birthTime value="{birth}"/></patient>
  </patientRole></recordTarget>
  <author><time value="{when}"/><assignedAuthor><id root="1.2"/>
    <assignedPerson><name><given>Dana</given><family>Jones</family><suffix>MD</suffix></name></assignedPerson>
  </assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization><id root="1.3"/>
    <name>Example Hospital</name></representedCustodianOrganization></assignedCustodian></custodian>
  <component><structuredBody>
    <component><section>
      <templateId root="2.16.840.1.113883.10.20.22.2.3.1" extension="2015-08-01"/>
      <code code="30954-2" codeSystem="2.16.840.1.113883.6.1"/>
      <title>Results</title>
      <text><table><thead><tr><th>Test</th><th>Value</th></tr></thead>
        <tbody><tr><td>Hemoglobin</td><td>{hgb} g/dL</td></tr></tbody></table></text>
      <entry><organizer classCode="BATTERY" moodCode="EVN">
        <templateId root="2.16.840.1.113883.10.20.22.4.1" extension="2015-08-01"/>
        <code code="58410-2" codeSystem="2.16.840.1.113883.6.1" displayName="Complete blood count"/>
        <statusCode code="completed"/><effectiveTime value="{when}"/>
        <component><observation classCode="OBS" moodCode="EVN">
          <templateId root="2.16.840.1.113883.10.20.22.4.2" extension="2015-08-01"/>
          <code code="718-7" codeSystem="2.16.840.1.113883.6.1" displayName="Hemoglobin"/>
          <statusCode code="completed"/><effectiveTime value="{when}"/>
          <value xsi:type="PQ" value="{hgb}" unit="g/dL"/>
          <interpretationCode code="N" codeSystem="2.16.840.1.113883.5.83"/>
          <referenceRange><observationRange><text>12.0-15.5 g/dL</text></observationRange></referenceRange>
        </observation></component>
      </organizer></entry>
    </section></component>
  </structuredBody></component>
</ClinicalDocument>
"""


def ccd(given: str = "Alex", birth: str = "19700101", when: str = "20240312", hgb: str = "13.2") -> bytes:
    return CCD.format(given=given, birth=birth, when=when, hgb=hgb).encode("utf-8")


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
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("secondopinion") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), lines[0]


def xdm(path: Path, *docs: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("INDEX.HTM", "<html>index</html>")
        z.writestr("README.TXT", "read me")
        for i, doc in enumerate(docs, start=1):
            z.writestr(f"IHE_XDM/SUBSET01/DOC{i:04d}.XML", doc)
    return path


def records(capsys, data_dir: Path) -> list[dict]:
    return json.loads(ok(capsys, "records", "list", "--json", "--data-dir", str(data_dir)))


def test_dry_run_json_says_what_would_be_added_and_writes_nothing(capsys, tmp_path: Path) -> None:
    download = xdm(tmp_path / "HealthSummary_CCDA.zip", ccd(), ccd(when="20240402", hgb="12.1"))
    data_dir = tmp_path / "data"
    out = ok(capsys, "import-records", str(download), "--dry-run", "--json", "--data-dir", str(data_dir))
    payload = json.loads(out)
    assert payload["patients"] == [{"name": "Alex Sample", "birth_date": "1970-01-01", "identifiers": ["MRN123"]}]
    assert payload["documents"] == 2 and payload["lab_results"] == 2
    adds = payload["records_to_add"]
    assert {(r["kind"], r["facility"]) for r in adds} >= {("clinical", "Example Hospital"), ("lab", "Example Hospital")}
    assert all({"kind", "title", "date", "facility"} <= set(r) for r in adds)
    assert {"medications", "allergies", "problems", "skipped", "import"} <= set(payload)
    assert payload["import"] is None and payload["dry_run"] is True
    assert not data_dir.exists()


def test_import_then_again_adds_nothing(capsys, tmp_path: Path) -> None:
    download = xdm(tmp_path / "HealthSummary_CCDA.zip", ccd())
    data_dir = tmp_path / "data"
    out = ok(capsys, "import-records", str(download), "--data-dir", str(data_dir))
    assert "Imported" in out and "Example Hospital" in out
    made = records(capsys, data_dir)
    assert {r["kind"] for r in made} == {"clinical", "lab"}
    again = json.loads(ok(capsys, "import-records", str(download), "--json", "--data-dir", str(data_dir)))
    assert again["nothing_new"] is True and again["import"] is None and again["records_to_add"] == []
    assert len(records(capsys, data_dir)) == len(made)
    text = ok(capsys, "import-records", str(download), "--data-dir", str(data_dir))
    assert "in your records already" in text


def test_labs_list(capsys, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ok(capsys, "import-records", str(xdm(tmp_path / "a.zip", ccd(), ccd(when="20240402", hgb="12.1"))),
       "--data-dir", str(data_dir))
    rows = json.loads(ok(capsys, "labs", "list", "--json", "--data-dir", str(data_dir)))
    assert [(r["test"], r["value"], r["unit"], r["observed_on"]) for r in rows] == [
        ("Hemoglobin", "12.1", "g/dL", "2024-04-02"), ("Hemoglobin", "13.2", "g/dL", "2024-03-12")]
    assert rows[0]["loinc"] == "718-7" and rows[0]["reference_range"] == "12.0-15.5 g/dL"
    assert rows[0]["source"]["source_name"].endswith("DOC0002.XML") and rows[0]["source"]["position"]
    table = ok(capsys, "labs", "list", "--test", "hemo", "--data-dir", str(data_dir))
    assert "Hemoglobin" in table and "12.1" in table
    assert ok(capsys, "labs", "list", "--test", "glucose", "--data-dir", str(data_dir)) == (
        "No lab results for “glucose” yet.\n")
    assert len(json.loads(ok(capsys, "labs", "list", "--json", "--test", "718-7", "--data-dir", str(data_dir)))) == 2


def test_someone_else_needs_yes(capsys, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ok(capsys, "records", "add", "--kind", "other", "--title", "Card", "--data-dir", str(data_dir))
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.profile import save_profile

    with open_data_folder(data_dir) as folder:
        save_profile(folder, name="Alex Sample")
    path = tmp_path / "robin.xml"
    path.write_bytes(ccd(given="Robin"))
    code, out, err = run(capsys, "import-records", str(path), "--data-dir", str(data_dir))
    one_line_error(code, err, "may not be yours", "--yes")
    assert "Warning: These records may be someone else's" in out
    assert len(records(capsys, data_dir)) == 1
    assert "Imported" in ok(capsys, "import-records", str(path), "--yes", "--data-dir", str(data_dir))


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p.write_bytes(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'), "entities"),
    (lambda p: p.write_bytes(b"{" * 5000), "nests"),
    (lambda p: p.write_bytes(b"\xff\xfe\xfa not text"), ""),
])
def test_bad_input_is_one_line_naming_the_file_and_nothing_is_written(capsys, tmp_path: Path, make,
                                                                       fragment: str) -> None:
    path = tmp_path / ("evil.xml" if fragment == "entities" else "evil.json")
    make(path)
    data_dir = tmp_path / "data"
    code, _out, err = run(capsys, "import-records", str(path), "--data-dir", str(data_dir))
    one_line_error(code, err, path.name, fragment)
    assert not data_dir.exists() or not (data_dir / "vault").exists() or not any((data_dir / "vault").iterdir())


def test_a_missing_path_is_one_line(capsys, tmp_path: Path) -> None:
    code, _out, err = run(capsys, "import-records", str(tmp_path / "nope.zip"), "--data-dir", str(tmp_path / "d"))
    one_line_error(code, err, "nope.zip", "does not exist")


def test_the_import_takes_the_folder_lock_and_labs_list_still_reads(capsys, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    download = xdm(tmp_path / "a.zip", ccd())
    ok(capsys, "import-records", str(download), "--data-dir", str(data_dir))
    later = xdm(tmp_path / "b.zip", ccd(when="20240402", hgb="12.1"))
    window = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir), "window"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    try:
        assert window.stdout is not None and window.stdout.readline().strip() == b"held"
        code, _out, err = run(capsys, "import-records", str(later), "--data-dir", str(data_dir))
        one_line_error(code, err, "is open in the Second Opinion window", "Nothing was changed")
        assert len(json.loads(ok(capsys, "labs", "list", "--json", "--data-dir", str(data_dir)))) == 1
        dry = json.loads(ok(capsys, "import-records", str(later), "--dry-run", "--json", "--data-dir",
                            str(data_dir)))
        assert dry["lab_results"] == 1
    finally:
        window.communicate(b"")
