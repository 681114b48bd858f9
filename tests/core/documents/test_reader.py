"""Reading a document's text: PDFs' text layers, the checks every file goes through, and the child process
(pages streamed, a time limit per page, cancel, a crash, a file that changes while it is read)."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from secondopinion_desktop.core.documents import reader as reader_mod
from secondopinion_desktop.core.documents.model import BY_TEXT, NO_TEXT, Unreadable
from secondopinion_desktop.core.documents.reader import ProcessReader, read_document, read_file
from secondopinion_desktop.core.progress import Cancelled


def text_pdf(path: Path, pages: list[str]) -> Path:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=letter)
    for body in pages:
        y = 720
        for line in body.split("\n"):
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


def encrypted_pdf(source: Path, target: Path, user_password: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    with open(target, "wb") as fh:
        writer.write(fh)
    return target


REPORT = ["Surgical Pathology Report\nAccession: S26-04417\nInvasive ductal carcinoma, grade 2",
          "Biomarkers\nHER2 negative (IHC 1+)\nKi-67 22 %"]


def test_a_text_pdf_is_read_page_by_page_from_its_text_layer(tmp_path) -> None:
    result = read_document(text_pdf(tmp_path / "report.pdf", REPORT))
    assert result.page_count == 2 and result.reason == ""
    assert [p.number for p in result.pages] == [1, 2]
    assert all(p.method == BY_TEXT for p in result.pages)
    assert "Accession: S26-04417" in result.pages[0].text
    assert "HER2 negative (IHC 1+)" in result.pages[1].text and "HER2" not in result.pages[0].text
    assert result.method == BY_TEXT


def test_a_blank_page_gives_no_text_with_its_reason_and_the_others_are_read(tmp_path) -> None:
    result = read_document(text_pdf(tmp_path / "r.pdf", [REPORT[0], "", REPORT[1]]))
    assert [p.method for p in result.pages] == [BY_TEXT, NO_TEXT, BY_TEXT]
    assert result.pages[1].reason == "This page is blank."


def test_a_pdf_encrypted_with_an_empty_user_password_is_read(tmp_path) -> None:
    source = text_pdf(tmp_path / "plain.pdf", REPORT)
    locked = encrypted_pdf(source, tmp_path / "portal.pdf", "")
    assert locked.read_bytes().count(b"/Encrypt") >= 1
    assert "Ki-67 22 %" in read_document(locked).text


def test_a_pdf_with_a_password_says_so(tmp_path) -> None:
    locked = encrypted_pdf(text_pdf(tmp_path / "plain.pdf", REPORT), tmp_path / "locked.pdf", "s3cret")
    with pytest.raises(Unreadable) as caught:
        read_document(locked)
    assert caught.value.reason == "It is protected by a password, so its text cannot be read."


def test_a_damaged_pdf_says_so_in_one_sentence(tmp_path) -> None:
    good = text_pdf(tmp_path / "good.pdf", REPORT).read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(good[:40] + b"\x00garbage" * 50)
    with pytest.raises(Unreadable) as caught:
        read_document(broken)
    assert caught.value.reason == "It is damaged, so its text cannot be read."


def test_empty_huge_missing_and_unknown_files_are_refused_before_anything_is_opened(tmp_path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.pdf"
    with open(huge, "wb") as fh:  # a sparse 2 GB file: nothing is written but its size
        fh.write(b"%PDF-1.7\n")
        fh.truncate(2 * 1024**3)
    unknown = tmp_path / "notes.docx"
    unknown.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    cases = {empty: "The file is empty.", huge: "It is larger than 1 GB, too large to read its text.",
             tmp_path / "gone.pdf": "The file is missing, so its text cannot be read.",
             unknown: "It is neither a PDF nor a picture the app can read, so its text cannot be read."}
    for path, reason in cases.items():
        with pytest.raises(Unreadable) as caught:
            read_document(path, "application/pdf")
        assert caught.value.reason == reason


def test_a_plain_text_file_is_its_own_text(tmp_path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Tumor board 10/14/2026: HER2 negative.\n", encoding="utf-8")
    assert read_document(note, "text/plain").text == "Tumor board 10/14/2026: HER2 negative."


def test_a_file_that_changes_while_it_is_read_is_refused(tmp_path) -> None:
    path = text_pdf(tmp_path / "r.pdf", REPORT * 3)

    def change_it() -> bool:  # called between pages: the file is rewritten while it is being read
        with open(path, "ab") as fh:
            fh.write(b"%")
        return False

    with pytest.raises(Unreadable) as caught:
        read_document(path, cancelled=change_it)
    assert caught.value.reason == "It changed while it was being read, so its text was not kept."


# --- the child process ------------------------------------------------------------------------------------------

def test_the_child_reads_at_low_priority_streams_its_pages_and_never_loads_qt(tmp_path) -> None:
    path = text_pdf(tmp_path / "r.pdf", REPORT)
    seen: list[tuple[int, int]] = []
    with ProcessReader() as reader:
        result = reader.read(path, "application/pdf", progress=lambda done, total: seen.append((done, total)))
        assert reader.modules() == []  # no PySide6 module in the child
        pid = reader.child_pid
        assert pid is not None
        if sys.platform.startswith("linux"):
            nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
            assert nice >= 10
    assert seen == [(1, 2), (2, 2)]
    assert "Ki-67 22 %" in result.pages[1].text
    assert reader.child_pid is None  # closed with the block


def test_read_file_reads_one_file_in_a_child_of_its_own(tmp_path) -> None:
    assert "S26-04417" in read_file(text_pdf(tmp_path / "r.pdf", REPORT)).text


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the child's memory from /proc")
def test_a_5000_page_pdf_streams_through_and_the_child_stays_within_memory(tmp_path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "long.pdf"
    pdf = canvas.Canvas(str(path))
    for n in range(1, 5001):
        pdf.drawString(72, 720, f"Page {n} of the record")
        pdf.showPage()
    pdf.save()
    memory: dict[int, int] = {}
    with ProcessReader() as reader:
        def sample(done: int, total: int) -> None:
            assert total == 5000
            if done in (500, 4999):
                memory[done] = _rss_kib(reader.child_pid or 0)
        result = reader.read(path, "application/pdf", progress=sample)
    assert result.page_count == 5000 and len(result.pages) == 5000
    assert result.pages[4999].text == "Page 5000 of the record"
    assert memory[4999] - memory[500] < 30 * 1024, memory  # pages are closed as they are read


def test_a_page_over_the_time_limit_is_left_empty_with_its_reason_and_reading_goes_on(tmp_path) -> None:
    path = text_pdf(tmp_path / "r.pdf", ["one page of text", "a page that hangs", "the last page of text"])
    with ProcessReader(page_seconds=2, _hooks={"hang_page": 2}) as reader:
        started = time.monotonic()
        result = reader.read(path, "application/pdf")
        assert time.monotonic() - started < 30
        assert [p.method for p in result.pages] == [BY_TEXT, NO_TEXT, BY_TEXT]
        assert result.pages[1].reason == "Reading this page took longer than 2 seconds."
        assert result.pages[2].text == "the last page of text"
        assert result.reason == ""


def test_reading_stops_with_a_reason_after_several_slow_pages(tmp_path) -> None:
    path = text_pdf(tmp_path / "r.pdf", [f"page {n} of text" for n in range(1, 7)])
    with ProcessReader(page_seconds=1, _hooks={"hang_every_page_from": 2}) as reader:
        result = reader.read(path, "application/pdf")
    assert [p.method for p in result.pages] == [BY_TEXT, NO_TEXT, NO_TEXT, NO_TEXT]
    assert result.page_count == 6
    assert result.reason == "Reading stopped after 3 pages that each took longer than 1 second."


def test_cancel_stops_a_page_being_read_within_half_a_second(tmp_path) -> None:
    path = text_pdf(tmp_path / "r.pdf", REPORT)
    flag = threading.Event()
    set_at: list[float] = []

    def press_cancel() -> None:
        set_at.append(time.monotonic())
        flag.set()

    with ProcessReader(page_seconds=60, _hooks={"hang_page": 1}) as reader:
        timer = threading.Timer(1.0, press_cancel)
        timer.start()
        with pytest.raises(Cancelled):
            reader.read(path, "application/pdf", cancelled=flag.is_set)
        assert time.monotonic() - set_at[0] < 0.6
        reader._hooks = {}
        assert "Ki-67" in reader.read(path, "application/pdf").text  # a fresh child for the next file
    timer.join()


def test_a_child_that_dies_makes_that_file_unreadable_and_the_next_file_gets_a_fresh_child(tmp_path) -> None:
    path = text_pdf(tmp_path / "r.pdf", REPORT)
    with ProcessReader(_hooks={"crash_page": 1}) as reader:
        with pytest.raises(Unreadable) as caught:
            reader.read(path, "application/pdf")
        assert caught.value.reason == "Reading it stopped unexpectedly."
        reader._hooks = {}
        assert "S26-04417" in reader.read(path, "application/pdf").text


def test_a_file_changed_while_the_child_reads_it_is_refused(tmp_path) -> None:
    path = text_pdf(tmp_path / "r.pdf", REPORT * 2)

    def change_it(done: int, total: int) -> None:
        if done == 1:
            with open(path, "ab") as fh:
                fh.write(b"\n%changed")

    with ProcessReader() as reader, pytest.raises(Unreadable) as caught:
        reader.read(path, "application/pdf", progress=change_it)
    assert caught.value.reason == reader_mod.CHANGED


def _page_faults(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts the child's page faults from /proc")
def test_the_child_reuses_the_memory_of_one_page_for_the_next(tmp_path) -> None:
    import random

    from reportlab.pdfgen import canvas

    words = ["carcinoma", "ductal", "invasive", "margin", "specimen", "biopsy", "receptor", "estrogen",
             "progesterone", "negative", "positive", "nuclear", "grade", "mitotic", "lymph", "node", "sentinel",
             "axillary", "tumor", "hemoglobin", "platelets", "creatinine"]
    rng = random.Random(16)
    path = tmp_path / "dense.pdf"
    pdf = canvas.Canvas(str(path))
    for n in range(1, 201):
        pdf.setFont("Helvetica", 10)
        for row in range(48):
            pdf.drawString(56, 760 - 14 * row, " ".join(rng.choice(words) for _ in range(11)) + f" {n}-{row}")
        pdf.showPage()
    pdf.save()
    with ProcessReader() as reader:
        reader.read(path, "application/pdf")
        pid = reader.child_pid or 0
        before = _page_faults(pid)
        result = reader.read(path, "application/pdf")
        faults = _page_faults(pid) - before
    assert len(result.pages) == 200 and "200-47" in result.pages[199].text
    # with glibc's defaults the memory a dense page needed is handed back after it: ~230 faults a page again
    assert faults < 200 * 10, faults


class _Connection:
    def __init__(self) -> None:
        self.sent: list[object] = []
        self.arrived = threading.Event()

    def send(self, message: object) -> None:
        self.sent.append(message)
        self.arrived.set()


def test_the_child_sends_a_page_without_waiting_for_the_next_and_a_files_last_reply_at_once(monkeypatch) -> None:
    connection = _Connection()
    monkeypatch.setattr(reader_mod, "BATCH_SECONDS", 0.05)
    outbox = reader_mod._Outbox(connection)
    try:
        outbox.send(("page", 1, "one", BY_TEXT, ""))  # the next page may take long: this one goes on its own
        assert connection.arrived.wait(10)
        assert connection.sent == [("batch", [("page", 1, "one", BY_TEXT, "")])]
        connection.arrived.clear()
        monkeypatch.setattr(reader_mod, "BATCH_SECONDS", 60.0)
        outbox.send(("page", 2, "two", BY_TEXT, ""))
        outbox.send(("done",), last=True)  # the parent is waiting for it: it does not wait out the batch
        assert connection.arrived.wait(10)
        assert connection.sent[1:] == [("batch", [("page", 2, "two", BY_TEXT, ""), ("done",)])]
    finally:
        outbox.close()
