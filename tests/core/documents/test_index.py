"""The text store, the reading queue and search inside documents (FTS5), with a reader that needs no engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from secondopinion_desktop.core import records
from secondopinion_desktop.core.documents import index
from secondopinion_desktop.core.documents.model import (
    BY_OCR,
    BY_TEXT,
    FAILED,
    MARK_END,
    MARK_START,
    PENDING,
    READ,
    PageText,
    ReadResult,
    Unreadable,
)
from secondopinion_desktop.core.progress import Cancelled


class FakeReader:
    """Reads the text a test wrote into the file: pages split on form feeds; "BROKEN" makes it unreadable."""

    def __init__(self) -> None:
        self.calls: list[Path] = []

    def read(self, path: Path, media_type: str, *, cancelled=None) -> ReadResult:
        self.calls.append(path)
        body = path.read_bytes().decode()
        if body.startswith("BROKEN"):
            raise Unreadable("It is damaged, so its text cannot be read.")
        pages = tuple(PageText(i, t, BY_OCR if media_type.startswith("image/") else BY_TEXT)
                      for i, t in enumerate(body.split("\f"), start=1))
        return ReadResult(pages, len(pages))


def _file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def _add(folder, tmp_path, title, name, body):
    return records.create_record_with_files(folder, "pathology", title, [_file(tmp_path, name, body)])


def test_attaching_a_file_queues_it_and_reading_makes_it_searchable(folder, tmp_path) -> None:
    rec = _add(folder, tmp_path, "Biopsy", "report.pdf", "Invasive ductal carcinoma\fHER2 negative, Ki-67 22 %")
    with folder.session() as session:
        assert index.queue_counts(session).pending == 1
        assert index.search(session, "her2") == []
    summary = index.read_pending(folder, FakeReader())
    assert (summary.read, summary.failed, summary.left) == (1, 0, 0)
    with folder.session() as session:
        hits = index.search(session, "her2")
        assert [(h.record_id, h.page) for h in hits] == [(rec.id, 2)]
        assert f"{MARK_START}HER2{MARK_END}" in hits[0].snippet
        assert index.queue_counts(session).read == 1
        state = index.document_state(session, rec.attachments[0].sha256)
        assert state is not None and state.state == READ and state.pages == 2 and state.pages_read == 2


def test_prefix_and_diacritics_and_every_word(folder, tmp_path) -> None:
    rec = _add(folder, tmp_path, "Consult", "note.pdf", "Réévaluation du carcinome lobulaire; Ki-67 élevé")
    _add(folder, tmp_path, "Other", "other.pdf", "carcinoma in situ")
    index.read_pending(folder, FakeReader())
    with folder.session() as session:
        assert [h.record_id for h in index.search(session, "reevaluation")] == [rec.id]
        assert [h.record_id for h in index.search(session, "lobul")] == [rec.id]  # prefix
        assert [h.record_id for h in index.search(session, "ELEVE ki-67")] == [rec.id]
        assert index.search(session, "lobulaire situ") == []  # every word must be there
        assert len(index.search(session, "carcin")) == 2
        # typed operators and quotes are plain text, never an FTS5 syntax error
        for odd in ('"', 'NEAR(', 'a OR', '*', "-", "her2 AND NOT", "'); DROP TABLE record; --"):
            index.search(session, odd)
        assert index.fts_query("  ") is None and index.fts_query("--") is None


def test_one_file_attached_twice_is_read_once_and_found_on_both_records(folder, tmp_path) -> None:
    path = _file(tmp_path, "shared.pdf", "estrogen receptor positive")
    a = records.create_record_with_files(folder, "pathology", "A", [path])
    b = records.create_record_with_files(folder, "pathology", "B", [path])
    reader = FakeReader()
    index.read_pending(folder, reader)
    assert len(reader.calls) == 1
    with folder.session() as session:
        assert sorted(h.record_id for h in index.search(session, "estrogen")) == sorted([a.id, b.id])
        assert set(index.matching_records(session, "estrogen")) == {a.id, b.id}


def test_an_unreadable_file_is_marked_with_its_reason_and_not_retried(folder, tmp_path) -> None:
    bad = _add(folder, tmp_path, "Bad", "bad.pdf", "BROKEN")
    good = _add(folder, tmp_path, "Good", "good.pdf", "platelets 250")
    reader = FakeReader()
    summary = index.read_pending(folder, reader)
    assert (summary.read, summary.failed) == (1, 1)
    assert summary.failures[0][1] == "It is damaged, so its text cannot be read."
    with folder.session() as session:
        state = index.document_state(session, bad.attachments[0].sha256)
        assert state is not None and state.state == FAILED and "damaged" in state.describe()
        assert index.queue_counts(session).pending == 0
    reader.calls.clear()
    index.read_pending(folder, reader)
    assert reader.calls == []  # not tried again on its own
    with folder.session() as session:
        assert index.queue_again(session, [bad.attachments[0].sha256]) == 1
        assert index.document_state(session, bad.attachments[0].sha256).state == PENDING
    assert good.id


def test_a_file_that_kept_stopping_the_reader_is_given_up(folder, tmp_path) -> None:
    rec = _add(folder, tmp_path, "Crashy", "crash.pdf", "text")
    sha = rec.attachments[0].sha256
    for _ in range(index.MAX_ATTEMPTS):  # as if the app died while reading it, three times
        with folder.session() as session:
            assert index.begin_reading(session, sha)
    summary = index.read_pending(folder, FakeReader())
    assert summary.failed == 1 and summary.read == 0
    with folder.session() as session:
        assert index.document_state(session, sha).state == FAILED


def test_the_queue_survives_reopening_and_cancel_leaves_the_file_waiting(data_dir, tmp_path) -> None:
    from secondopinion_desktop.core.db import open_data_folder

    with open_data_folder(data_dir) as folder:
        _add(folder, tmp_path, "One", "one.pdf", "alpha")
        _add(folder, tmp_path, "Two", "two.pdf", "beta")

    class Cancelling(FakeReader):
        def read(self, path, media_type, *, cancelled=None):
            raise Cancelled()

    with open_data_folder(data_dir) as folder:
        summary = index.read_pending(folder, Cancelling())
        assert summary.read == 0 and summary.left == 2
    with open_data_folder(data_dir) as folder:
        with folder.session() as session:
            assert index.queue_counts(session).pending == 2
            assert all(f.sha256 for f in index.pending_files(session))
        assert index.read_pending(folder, FakeReader()).read == 2
        with folder.session() as session:
            assert [h.title for h in index.search(session, "beta")] == ["Two"]


def test_removing_the_last_attachment_removes_its_text(folder, tmp_path) -> None:
    rec = _add(folder, tmp_path, "Gone", "gone.pdf", "confidential words")
    index.read_pending(folder, FakeReader())
    records.delete_record(folder, rec.id)
    with folder.session() as session:
        assert index.search(session, "confidential") == []
        assert index.document_state(session, rec.attachments[0].sha256) is None
        count = session.execute(index.text("SELECT count(*) FROM document_page")).scalar()
        assert count == 0
        fts = session.execute(index.text(
            "SELECT count(*) FROM document_fts WHERE document_fts MATCH 'confidential'")).scalar()
        assert fts == 0


def test_stored_text_is_cleaned_of_control_characters(folder, tmp_path) -> None:
    rec = _add(folder, tmp_path, "Odd", "odd.pdf", "x")
    sha = rec.attachments[0].sha256
    with folder.session() as session:
        index.store_result(session, sha, ReadResult((PageText(1, "a\x02b\x03c\x00d\r\ne  "),), 1))
        assert index.pages_of(session, sha)[0].text == "a b c d\ne"


def test_queue_missing_finds_files_without_a_text_row(folder, tmp_path) -> None:
    rec = _add(folder, tmp_path, "Old", "old.pdf", "x")
    with folder.session() as session:
        session.execute(index.text("DELETE FROM document_text"))
        assert index.queue_missing(session) == 1
        assert index.queue_missing(session) == 0
        assert index.pending_files(session)[0].sha256 == rec.attachments[0].sha256


@pytest.mark.parametrize("typed", ["", "   ", "!!!"])
def test_nothing_searchable_finds_nothing(folder, typed) -> None:
    with folder.session() as session:
        assert index.search(session, typed) == [] and index.matching_records(session, typed) == {}


def test_a_reader_that_cannot_work_leaves_every_file_waiting(folder, tmp_path) -> None:
    from secondopinion_desktop.core.documents.model import ReaderUnavailable

    rec = _add(folder, tmp_path, "One", "one.pdf", "alpha")

    class Broken(FakeReader):
        def read(self, path, media_type, *, cancelled=None):
            raise ReaderUnavailable("The document reader could not be started.")

    with pytest.raises(ReaderUnavailable):
        index.read_pending(folder, Broken())
    with folder.session() as session:
        row = session.get(index.DocumentText, rec.attachments[0].sha256)
        assert row.state == PENDING and row.attempts == 0  # not the file's fault: nothing counted, nothing marked
    assert index.read_pending(folder, FakeReader()).read == 1


def test_control_characters_and_ligatures_in_what_is_searched(folder, tmp_path) -> None:
    rec = _add(folder, tmp_path, "Lung", "ct.pdf", "Mild ﬁbrosis of the right lower lobe, ﬂuid absent")
    index.read_pending(folder, FakeReader())
    with folder.session() as session:
        assert [h.record_id for h in index.search(session, "fibrosis")] == [rec.id]  # "ﬁ" is f + i
        assert [h.record_id for h in index.search(session, "ﬂuid")] == [rec.id]
        for typed in ("fibr\x00osis", "\x00", "fibrosis\x1b[31m", '"\x00"'):  # pasted into the box
            index.search(session, typed)
            index.matching_records(session, typed)
            index.snippet_for(session, typed, rec.attachments[0].sha256, 1)


def test_a_long_document_is_stored_in_parts_and_waits_out_another_writer(folder, tmp_path, monkeypatch) -> None:
    import sqlite3
    import threading

    rec = _add(folder, tmp_path, "Chart", "chart.pdf", "x")
    sha = rec.attachments[0].sha256
    monkeypatch.setattr(index, "STORE_PAGES_AT_ONCE", 3)
    parts: list[int] = []
    real_session = folder.session

    def counting_session():
        parts.append(1)
        return real_session()

    pages = tuple(PageText(n, f"page {n} lobular", BY_TEXT) for n in range(1, 8))
    other = sqlite3.connect(folder.db_path, timeout=0.1, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the window's writer, busy for longer than the busy timeout
    release = threading.Timer(6.0, other.commit)
    release.start()
    try:
        monkeypatch.setattr(folder, "session", counting_session)
        state = index.store_in_parts(folder, sha, ReadResult(pages, 7))
    finally:
        release.join()
        other.close()
    assert state is not None and state.state == READ and state.pages == 7 and state.pages_read == 7
    assert len(parts) >= 3  # 7 pages, 3 at a time: three transactions (and the retries while locked)
    with real_session() as session:
        assert [p.number for p in index.pages_of(session, sha)] == list(range(1, 8))
        assert len(index.search(session, "lobular")) == 1
