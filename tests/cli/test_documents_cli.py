"""`secondopinion search` and `records add` reading the attached file's text (and `--guess`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main

PATHOLOGY = [
    "MERCY GENERAL HOSPITAL — DEPARTMENT OF PATHOLOGY",
    "SURGICAL PATHOLOGY REPORT",
    "Patient: LOPEZ, MARIA        DOB: 03/14/1968",
    "Accession #: S26-04412       Collected: 10/14/2026",
    "Ordering physician: Dr. Anna Berg, MD",
    "FINAL DIAGNOSIS: Left breast, core biopsy: invasive ductal carcinoma, grade 2.",
    "Estrogen receptor positive (95 %), HER2 negative (1+), Ki-67 22 %.",
]


def text_pdf(path: Path, pages: list[list[str]]) -> Path:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter)
    for lines in pages:
        y = 720
        for line in lines:
            c.drawString(60, y, line)
            y -= 18
        c.showPage()
    c.save()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_finds_a_word_inside_an_attached_document_at_once(capsys, tmp_path) -> None:
    data = str(tmp_path / "data")
    pdf = text_pdf(tmp_path / "biopsy.pdf", [["Cover page"], PATHOLOGY])
    code, _, err = run(capsys, "records", "add", "--data-dir", data, "--kind", "pathology", "--title", "Biopsy",
                       "--attach", str(pdf))
    assert code == 0, err
    code, out, err = run(capsys, "search", "ki-67", "--data-dir", data, "--json")
    assert code == 0, err
    hits = json.loads(out)
    assert [(h["title"], h["attachment"], h["page"]) for h in hits] == [("Biopsy", "biopsy.pdf", 2)]
    assert "Ki-67" in hits[0]["snippet"] and "\x02" not in hits[0]["snippet"]
    assert set(hits[0]) >= {"record_id", "title", "attachment", "page", "snippet"}
    code, out, _ = run(capsys, "search", "HER", "--data-dir", data)  # prefix, case folded, plain text
    assert code == 0 and "Biopsy — biopsy.pdf, page 2" in out and "HER2" in out
    code, out, _ = run(capsys, "search", "melanoma", "--data-dir", data)
    assert code == 0 and "Nothing found" in out


def test_search_also_finds_typed_fields(capsys, tmp_path) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "records", "add", "--data-dir", data, "--kind", "lab", "--title", "Tumour markers",
               "--notes", "CA 15-3 rising")[0] == 0
    letter = ("records", "add", "--data-dir", data, "--kind", "other", "--title", "Letter from Dr López")
    assert run(capsys, *letter)[0] == 0
    code, out, _ = run(capsys, "search", "lopez", "--data-dir", data, "--json")
    assert [h["title"] for h in json.loads(out)] == ["Letter from Dr López"]  # accents set aside, as in documents
    code, out, _ = run(capsys, "search", "rising", "--data-dir", data, "--json")
    assert code == 0
    (hit,) = json.loads(out)
    assert hit["title"] == "Tumour markers" and hit["attachment"] is None and hit["field"] == "notes"


def test_search_with_nothing_to_search_for_is_one_line(capsys, tmp_path) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "records", "add", "--data-dir", data, "--kind", "lab", "--title", "x")[0] == 0
    code, _, err = run(capsys, "search", "--", "--data-dir", data)
    assert code != 0 and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "search", "!!", "--data-dir", data)
    assert code == 1 and "at least one word" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "search", "x", "--data-dir", str(tmp_path / "nowhere"))
    assert code == 1 and "no second opinion data" in err.lower()


def test_records_add_guess_fills_the_record_in_and_says_what_it_guessed(capsys, tmp_path) -> None:
    data = str(tmp_path / "data")
    pdf = text_pdf(tmp_path / "scan_2026-10-20.pdf", [PATHOLOGY])
    code, out, err = run(capsys, "records", "add", "--data-dir", data, "--attach", str(pdf), "--guess", "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["kind"] == "pathology"
    assert record["date_of_service"] == "2026-10-14"  # the text's collection date beats the file name's
    assert record["accession_number"] == "S26-04412"
    guessed = {g["field"]: g for g in record["guessed"]}
    assert {"kind", "title", "date_of_service", "accession_number"} <= set(guessed)
    assert all(g["why"] for g in guessed.values())
    # what the patient types wins over a guess
    code, out, err = run(capsys, "records", "add", "--data-dir", data, "--attach", str(pdf), "--guess",
                         "--title", "My biopsy")
    assert code == 0, err
    assert "Guessed kind: Pathology" in out and "Guessed title" not in out and "My biopsy" in out


def test_records_add_without_kind_or_title_asks_for_them_or_guess(capsys, tmp_path) -> None:
    data = str(tmp_path / "data")
    pdf = text_pdf(tmp_path / "biopsy.pdf", [PATHOLOGY])
    code, _, err = run(capsys, "records", "add", "--data-dir", data, "--attach", str(pdf))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "Give --kind and --title, or add --guess to take kind Pathology and title" in err
    assert "from biopsy.pdf" in err
    assert not (tmp_path / "data").exists()  # refused: no folder is made
    assert run(capsys, "records", "add", "--data-dir", data, "--kind", "lab", "--title", "CBC")[0] == 0
    code, _, err = run(capsys, "records", "add", "--data-dir", data, "--attach", str(pdf), "--kind", "other")
    assert code == 1 and 'Give --title, or add --guess to take title "' in err and "kind" not in err.split("take")[1]
    code, out, _ = run(capsys, "records", "list", "--data-dir", data, "--json")
    assert len(json.loads(out)) == 1  # nothing was added by the refused commands
    code, _, err = run(capsys, "records", "add", "--data-dir", data, "--title", "x")
    assert code == 1 and "--kind" in err
    code, _, err = run(capsys, "records", "add", "--data-dir", data, "--guess", "--kind", "lab", "--title", "x")
    assert code == 1 and "--attach" in err


def test_a_file_whose_text_cannot_be_read_is_still_added_and_said(capsys, tmp_path) -> None:
    data = str(tmp_path / "data")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n this is not really a pdf")
    code, out, err = run(capsys, "records", "add", "--data-dir", data, "--kind", "other", "--title", "Fax",
                         "--attach", str(broken))
    assert code == 0
    assert "Added record" in out and "could not be read" in err and "broken.pdf" in err
    code, out, err = run(capsys, "records", "add", "--data-dir", data, "--guess", "--attach", str(broken), "--json")
    assert code == 0, err
    assert json.loads(out)["title"]  # the file name still gives a title
