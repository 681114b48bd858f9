"""Two operations of one process on the same content: no remover deletes a file another one is about to commit.

The window imports discs and attaches files off its main thread, so an import, an attachment, an undo, a purge, a
repair and the start-up sweep can overlap. Each writer copies its files into the vault first and commits the rows
that refer to them afterwards; in between, the files look unused. These tests stop a writer at exactly that point
(a hook after its vault copy, released by an event), run the other operation, then let the writer finish, and
check that every committed row still has its stored file with the right content.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from secondopinion_desktop.core import records as records_mod
from secondopinion_desktop.core.check import check_data, repair, sweep_orphans
from secondopinion_desktop.core.db import DataFolder, open_data_folder
from secondopinion_desktop.core.imaging import importer as importer_mod
from secondopinion_desktop.core.imaging.importer import import_imaging, list_imaging_files
from secondopinion_desktop.core.imaging.removal import remove_import, restore_import
from secondopinion_desktop.core.imaging.scan import ScanResult, scan_folder
from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study
from secondopinion_desktop.core.imaging.vaultbatch import VaultBatch
from secondopinion_desktop.core.models import Attachment, ImagingFile, RecordKind
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.records import (
    attach_file,
    create_record,
    delete_record,
    purge_unused_files,
    remove_attachment,
    restore_record,
)
from secondopinion_desktop.core.vault import Vault, sha256_of

WAIT = 30.0  # seconds an event may take before the test fails (a safety net against a hang, never a sleep)
TWO_HOURS = 2 * 3600


# --- helpers -------------------------------------------------------------------------------------------------


@dataclass
class Pause:
    """A point a named thread stops at: ``reached`` is set when it gets there, it goes on when ``go`` is set."""

    reached: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)

    def hold(self) -> None:
        self.reached.set()
        assert self.go.wait(WAIT), "the test never let the operation go on"

    def wait_reached(self) -> None:
        assert self.reached.wait(WAIT), "the operation never reached its pause"


class Worker(threading.Thread):
    """Runs ``target`` in a named thread and keeps its result or exception for the test to look at."""

    def __init__(self, name: str, target: Callable[[], Any]) -> None:
        super().__init__(name=name, daemon=True)
        self._target_fn = target
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self._target_fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def finish(self) -> Any:
        self.join(WAIT)
        assert not self.is_alive(), f"{self.name} did not finish"
        if self.error is not None:
            raise self.error
        return self.result


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Pause]]:
    """Pauses by thread name, right after an import's batch has given its copies their names in the vault (the
    files are stored, the rows not yet written)."""
    by_thread: dict[str, Pause] = {}
    original = VaultBatch.commit

    def commit(self: VaultBatch) -> None:
        original(self)
        pause = by_thread.pop(threading.current_thread().name, None)
        if pause is not None:
            pause.hold()

    monkeypatch.setattr(VaultBatch, "commit", commit)
    yield by_thread
    for pause in by_thread.values():  # never leave a thread waiting
        pause.go.set()


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[DataFolder]:
    opened = open_data_folder(tmp_path / "data")
    yield opened
    opened.close()


@pytest.fixture
def disc(tmp_path: Path) -> ScanResult:
    spec = StudySpec(series=(SeriesSpec(1, "AX 5mm", "CT", 3), SeriesSpec(2, "COR 3mm", "CT", 2)))
    write_study(tmp_path / "disc", spec, size=32)
    scan = scan_folder(tmp_path / "disc")
    assert scan.image_count == 5
    return scan


def disc_digests(scan: ScanResult) -> set[str]:
    return {sha256_of(scan.root / f.relative_path) for study in scan.studies for s in study.series for f in s.files}


def assert_every_row_has_its_file(folder: DataFolder) -> None:
    """Every committed attachment and imaging row opens, with its content matching its SHA-256."""
    with folder.session() as session:
        digests = set(session.scalars(select(Attachment.sha256))) | set(session.scalars(select(ImagingFile.sha256)))
    lost = []
    for sha in sorted(digests):
        try:
            folder.vault.open_verified(sha).close()
        except Exception as exc:  # noqa: BLE001 - collected for the message
            lost.append(f"{sha[:12]}: {exc}")
    assert lost == [], f"{len(lost)} of {len(digests)} stored files used by committed rows are gone: {lost[:3]}"
    assert check_data(folder).missing_files == []


def start_import(folder: DataFolder, scan: ScanResult, name: str, cancel: threading.Event | None = None) -> Worker:
    worker = Worker(name, lambda: import_imaging(folder, scan, cancelled=cancel.is_set if cancel else None))
    worker.start()
    return worker


def age(vault: Vault, digests: set[str], seconds: float = TWO_HOURS) -> None:
    """Make stored files look as if they had been stored ``seconds`` ago (as a file left by a crash would)."""
    then = time.time() - seconds
    for sha in digests:
        os.utime(vault.path_for(sha), (then, then))


# --- an import cancelled while another import of the same disc is in flight --------------------------------


@pytest.mark.parametrize("other_committed_first", [False, True], ids=["other-in-flight", "other-committed"])
def test_cancelling_an_import_keeps_the_files_of_a_concurrent_import_of_the_same_disc(
    folder: DataFolder, disc: ScanResult, pauses: dict[str, Pause], other_committed_first: bool
) -> None:
    """Import A stores the images (new to the vault) and stops before its rows; import B of the same disc copies
    them too; A is cancelled, while B is still in flight or after B committed. B's record must open every image."""
    digests = disc_digests(disc)
    pause_a = pauses["A"] = Pause()
    pause_b = pauses["B"] = Pause()
    cancel_a = threading.Event()
    a = start_import(folder, disc, "A", cancel_a)
    pause_a.wait_reached()
    assert all(folder.vault.exists(sha) for sha in digests)  # A's copies have their names, A's rows are to come
    b = start_import(folder, disc, "B")
    pause_b.wait_reached()
    if other_committed_first:
        pause_b.go.set()
        b.finish()
    cancel_a.set()
    pause_a.go.set()
    with pytest.raises(Cancelled):
        a.finish()
    assert sorted(sha for sha in digests if not folder.vault.exists(sha)) == [], \
        "cancelling import A removed files import B of the same disc needs"
    pause_b.go.set()
    result = b.finish()
    assert result.files_stored == 5
    with folder.session() as session:
        rows = [row for record_id in result.record_ids for row in list_imaging_files(session, record_id)]
    assert {row.sha256 for row in rows} == digests
    for row in rows:
        folder.vault.open_verified(row.sha256).close()
    assert_every_row_has_its_file(folder)


def test_two_imports_of_the_same_disc_both_cancelled_leave_nothing_behind(
    folder: DataFolder, disc: ScanResult, pauses: dict[str, Pause]
) -> None:
    """The cancel that had to leave the files for the other import hands them over: the last cancel removes them."""
    digests = disc_digests(disc)
    pause_a = pauses["A"] = Pause()
    pause_b = pauses["B"] = Pause()
    cancel_a, cancel_b = threading.Event(), threading.Event()
    a = start_import(folder, disc, "A", cancel_a)
    pause_a.wait_reached()
    b = start_import(folder, disc, "B", cancel_b)
    pause_b.wait_reached()
    cancel_a.set()
    pause_a.go.set()
    with pytest.raises(Cancelled):
        a.finish()
    assert all(folder.vault.exists(sha) for sha in digests)  # B still needs them
    cancel_b.set()
    pause_b.go.set()
    with pytest.raises(Cancelled):
        b.finish()
    assert list(folder.vault.stored()) == []
    with folder.session() as session:
        assert session.scalars(select(ImagingFile.id)).all() == []


def test_a_cancelled_import_never_removes_content_that_was_stored_before_it(
    folder: DataFolder, disc: ScanResult, tmp_path: Path, pauses: dict[str, Pause]
) -> None:
    """A deleted record's files are kept while its deletion can be undone; an import of the same content that is
    cancelled takes nothing away, so the undo still brings the record back with its file."""
    image = disc.root / disc.studies[0].series[0].files[0].relative_path
    with folder.session() as session:
        record_id = create_record(session, RecordKind.OTHER, "Disc image kept as a file").id
    attach_file(folder, record_id, image)
    deleted = delete_record(folder, record_id, keep_files=True)  # the window's undo keeps the file
    kept = sha256_of(image)
    pause_a = pauses["A"] = Pause()
    cancel_a = threading.Event()
    a = start_import(folder, disc, "A", cancel_a)
    pause_a.wait_reached()
    cancel_a.set()
    pause_a.go.set()
    with pytest.raises(Cancelled):
        a.finish()
    assert folder.vault.exists(kept)
    assert sorted(folder.vault.stored()) == [kept]  # the import's own new files are gone
    restore_record(folder, deleted)
    assert_every_row_has_its_file(folder)


# --- removers running while an import is in flight -----------------------------------------------------------


def test_purging_a_deleted_records_files_during_an_import_of_the_same_content_keeps_them(
    folder: DataFolder, disc: ScanResult, pauses: dict[str, Pause]
) -> None:
    """A record holds one of the disc's files as an attachment. While an import of the disc is in flight (that file
    deduplicated against the stored one), the record is deleted and its files purged: the import's image stays."""
    image = disc.root / disc.studies[0].series[0].files[0].relative_path
    with folder.session() as session:
        record_id = create_record(session, RecordKind.OTHER, "Disc image kept as a file").id
    attach_file(folder, record_id, image)
    pause_a = pauses["A"] = Pause()
    a = start_import(folder, disc, "A")
    pause_a.wait_reached()
    delete_record(folder, record_id)  # purges the files nothing committed refers to
    assert folder.vault.exists(sha256_of(image)), "the purge removed an image the import is about to commit"
    pause_a.go.set()
    assert a.finish().files_stored == 5
    assert_every_row_has_its_file(folder)


@pytest.mark.parametrize("where", ["after-the-copy", "before-the-rows"])
def test_purge_of_the_undo_history_during_an_import_keeps_its_copies(
    folder: DataFolder, disc: ScanResult, pauses: dict[str, Pause], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """The window purges the files of an import it undid when its undo history ends; the same disc is being
    imported again at that moment (stopped right after its images are in the vault, or once its thumbnails are
    made too, right before its rows): the new import's copies stay."""
    first = import_imaging(folder, disc)
    remove_import(folder, first)  # undone; the window keeps the files while it could be redone
    digests = set(first.new_digests)
    pause_a = Pause()
    if where == "after-the-copy":
        pauses["A"] = pause_a
        expected_kept = disc_digests(disc)
    else:
        original = importer_mod._write_rows

        def write_rows(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread().name == "A":
                pause_a.hold()
            return original(*args, **kwargs)

        monkeypatch.setattr(importer_mod, "_write_rows", write_rows)
        expected_kept = digests  # the images and the two series thumbnails
        assert len(digests) == 7
    a = start_import(folder, disc, "A")
    pause_a.wait_reached()
    removed = purge_unused_files(folder, digests)  # the undo history ends
    taken = set(removed) & expected_kept
    assert not taken, f"the purge removed {len(taken)} files the import in flight is about to commit"
    pause_a.go.set()
    assert a.finish().files_stored == 5
    assert_every_row_has_its_file(folder)


def test_repair_with_a_report_made_before_the_import_keeps_the_files_the_import_reuses(
    folder: DataFolder, disc: ScanResult, pauses: dict[str, Pause]
) -> None:
    """Files left unreferenced two hours ago (a crash) are orphans in a check. An import of the same content then
    reuses them (the vault stores content once); a repair from that report, run while the import is in flight,
    must not remove them — their age no longer says anything."""
    digests = disc_digests(disc)
    for study in disc.studies:
        for series in study.series:
            for f in series.files:
                folder.vault.store(disc.root / f.relative_path)
    age(folder.vault, digests)
    report = check_data(folder)
    assert sorted(report.orphan_files) == sorted(digests)
    pause_a = pauses["A"] = Pause()
    a = start_import(folder, disc, "A")
    pause_a.wait_reached()
    done = repair(folder, report)
    assert [line for line in done if "Removed the stored file" in line] == []
    assert all(folder.vault.exists(sha) for sha in digests)
    pause_a.go.set()
    assert a.finish().files_stored == 5
    assert_every_row_has_its_file(folder)


def test_check_during_an_import_does_not_call_its_reused_files_orphans(
    folder: DataFolder, disc: ScanResult, pauses: dict[str, Pause]
) -> None:
    digests = disc_digests(disc)
    for study in disc.studies:
        for series in study.series:
            for f in series.files:
                folder.vault.store(disc.root / f.relative_path)
    age(folder.vault, digests)
    pause_a = pauses["A"] = Pause()
    a = start_import(folder, disc, "A")
    pause_a.wait_reached()
    report = check_data(folder)
    assert report.orphan_files == []
    assert report.claimed_files == 5
    assert ("Not yet judged: 5 stored files that an import or attachment in progress, or the undo history of the "
            "open window, still needs.") in report.lines()
    assert repair(folder, report) == []
    pause_a.go.set()
    a.finish()
    assert check_data(folder).ok


def test_start_up_sweep_during_an_import_keeps_the_files_it_reuses(
    folder: DataFolder, disc: ScanResult, pauses: dict[str, Pause]
) -> None:
    digests = disc_digests(disc)
    for study in disc.studies:
        for series in study.series:
            for f in series.files:
                folder.vault.store(disc.root / f.relative_path)
    age(folder.vault, digests)
    pause_a = pauses["A"] = Pause()
    a = start_import(folder, disc, "A")
    pause_a.wait_reached()
    assert sweep_orphans(folder) == []
    assert all(folder.vault.exists(sha) for sha in digests)
    pause_a.go.set()
    assert a.finish().files_stored == 5
    assert_every_row_has_its_file(folder)
    age(folder.vault, digests)
    assert sweep_orphans(folder) == []  # committed now: used, whatever its age


def test_the_sweep_still_removes_an_old_orphan_nothing_claims(folder: DataFolder, tmp_path: Path) -> None:
    source = tmp_path / "left-over.pdf"
    source.write_bytes(b"%PDF-1.4 left by a crash\n")
    sha = folder.vault.store(source).sha256
    age(folder.vault, {sha})
    with folder.vault.claim([sha]):
        assert sweep_orphans(folder) == []
    assert sweep_orphans(folder) == [sha]
    assert not folder.vault.exists(sha)


# --- attachments ---------------------------------------------------------------------------------------------


@pytest.fixture
def attach_pause(folder: DataFolder, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Pause]]:
    """Pauses by thread name right after ``Vault.store`` has given a copy its name (its row not yet written)."""
    by_thread: dict[str, Pause] = {}
    original = Vault.store

    def store(self: Vault, *args: Any, **kwargs: Any) -> Any:
        stored = original(self, *args, **kwargs)
        pause = by_thread.pop(threading.current_thread().name, None)
        if pause is not None:
            pause.hold()
        return stored

    monkeypatch.setattr(Vault, "store", store)
    yield by_thread
    for pause in by_thread.values():
        pause.go.set()


def test_undoing_an_attachment_while_the_same_file_is_being_attached_elsewhere_keeps_it(
    folder: DataFolder, tmp_path: Path, attach_pause: dict[str, Pause]
) -> None:
    """The same report is attached to two records; the first attachment is undone while the second is copying."""
    report = tmp_path / "pathology report.pdf"
    report.write_bytes(b"%PDF-1.4 pathology report\n" * 100)
    with folder.session() as session:
        first_id = create_record(session, RecordKind.PATHOLOGY, "Biopsy").id
        second_id = create_record(session, RecordKind.PATHOLOGY, "Biopsy, second copy").id
    first = attach_file(folder, first_id, report)
    pause = attach_pause["attach"] = Pause()
    second = Worker("attach", lambda: attach_file(folder, second_id, report))
    second.start()
    pause.wait_reached()
    remove_attachment(folder, first.id)  # the undo of the first attachment
    assert folder.vault.exists(first.sha256), "the undo removed the file the second attachment is about to commit"
    pause.go.set()
    attached = second.finish()
    with folder.vault.open_verified(attached.sha256) as fh:
        assert fh.read() == report.read_bytes()
    assert_every_row_has_its_file(folder)


def test_an_import_cancelled_while_a_dicom_file_of_it_is_being_attached_keeps_that_file(
    folder: DataFolder, disc: ScanResult, pauses: dict[str, Pause], attach_pause: dict[str, Pause]
) -> None:
    """An imaging import and a plain attachment of one of the disc's files run at once; the import is cancelled."""
    image = disc.root / disc.studies[0].series[0].files[0].relative_path
    with folder.session() as session:
        record_id = create_record(session, RecordKind.IMAGING, "CT chest").id
    pause_a = pauses["A"] = Pause()
    cancel_a = threading.Event()
    a = start_import(folder, disc, "A", cancel_a)
    pause_a.wait_reached()
    pause = attach_pause["attach"] = Pause()
    attaching = Worker("attach", lambda: attach_file(folder, record_id, image))
    attaching.start()
    pause.wait_reached()
    cancel_a.set()
    pause_a.go.set()
    with pytest.raises(Cancelled):
        a.finish()
    assert folder.vault.exists(sha256_of(image))
    pause.go.set()
    attaching.finish()
    assert sorted(folder.vault.stored()) == [sha256_of(image)]  # the import's other files are gone
    assert_every_row_has_its_file(folder)


def test_a_failed_attachment_never_removes_a_file_another_attachment_is_committing(
    folder: DataFolder, tmp_path: Path, attach_pause: dict[str, Pause], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two attachments of the same new file at once; the one that copied first fails at its row."""
    report = tmp_path / "scan report.pdf"
    report.write_bytes(b"%PDF-1.4 scan report\n" * 50)
    with folder.session() as session:
        first_id = create_record(session, RecordKind.IMAGING, "CT").id
        second_id = create_record(session, RecordKind.IMAGING, "CT again").id
    pause_first = attach_pause["first"] = Pause()
    pause_second = attach_pause["second"] = Pause()
    first = Worker("first", lambda: attach_file(folder, first_id, report))
    first.start()
    pause_first.wait_reached()  # stored, new to the vault
    second = Worker("second", lambda: attach_file(folder, second_id, report))
    second.start()
    pause_second.wait_reached()
    original_load = records_mod._load

    def failing_load(session: Any, record_id: int) -> Any:
        if threading.current_thread().name == "first" and record_id == first_id:
            raise OSError("disk I/O error")
        return original_load(session, record_id)

    monkeypatch.setattr(records_mod, "_load", failing_load)
    pause_first.go.set()
    with pytest.raises(OSError):
        first.finish()
    assert folder.vault.exists(sha256_of(report))
    pause_second.go.set()
    second.finish()
    assert_every_row_has_its_file(folder)


# --- undo and redo -------------------------------------------------------------------------------------------


def test_bringing_a_record_back_while_its_files_are_purged_keeps_them(
    folder: DataFolder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Undo of a deletion checks its files are there, then writes the rows; a purge in between must wait its turn."""
    report = tmp_path / "letter.pdf"
    report.write_bytes(b"%PDF-1.4 letter\n" * 20)
    with folder.session() as session:
        record_id = create_record(session, RecordKind.CLINICAL, "Letter").id
    attached = attach_file(folder, record_id, report)
    deleted = delete_record(folder, record_id, keep_files=True)
    pause = Pause()
    original_exists = Vault.exists

    def exists(self: Vault, sha256: str) -> bool:
        answer = original_exists(self, sha256)
        if threading.current_thread().name == "undo":
            pause.hold()
        return answer

    monkeypatch.setattr(Vault, "exists", exists)
    undo = Worker("undo", lambda: restore_record(folder, deleted))
    undo.start()
    pause.wait_reached()
    purge_unused_files(folder, [attached.sha256])
    pause.go.set()
    undo.finish()
    assert folder.vault.exists(attached.sha256)
    assert_every_row_has_its_file(folder)


def test_an_undo_that_fails_after_a_purge_waited_for_it_leaves_no_orphan(
    folder: DataFolder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The purge that had to keep the file for the undo hands it over: when the undo fails, the file goes."""
    report = tmp_path / "letter.pdf"
    report.write_bytes(b"%PDF-1.4 another letter\n" * 20)
    with folder.session() as session:
        record_id = create_record(session, RecordKind.CLINICAL, "Letter").id
    attached = attach_file(folder, record_id, report)
    deleted = delete_record(folder, record_id, keep_files=True)
    pause = Pause()
    original_exists, original_apply = Vault.exists, records_mod._apply

    def exists(self: Vault, sha256: str) -> bool:
        answer = original_exists(self, sha256)
        if threading.current_thread().name == "undo":
            pause.hold()
        return answer

    def failing_apply(*args: Any, **kwargs: Any) -> None:
        if threading.current_thread().name == "undo":
            raise OSError("disk I/O error")
        original_apply(*args, **kwargs)

    monkeypatch.setattr(Vault, "exists", exists)
    monkeypatch.setattr(records_mod, "_apply", failing_apply)
    undo = Worker("undo", lambda: restore_record(folder, deleted))
    undo.start()
    pause.wait_reached()
    assert purge_unused_files(folder, [attached.sha256]) == []  # the undo in flight claims it
    pause.go.set()
    with pytest.raises(OSError):
        undo.finish()
    assert not folder.vault.exists(attached.sha256)
    assert list(folder.vault.stored()) == []


def test_redoing_an_import_while_its_files_are_purged_keeps_them(
    folder: DataFolder, disc: ScanResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = import_imaging(folder, disc)
    removed = remove_import(folder, result)
    pause = Pause()
    original_exists = Vault.exists
    seen: list[str] = []

    def exists(self: Vault, sha256: str) -> bool:
        answer = original_exists(self, sha256)
        if threading.current_thread().name == "redo":
            seen.append(sha256)
            if len(seen) == len(removed.digests):
                pause.hold()
        return answer

    monkeypatch.setattr(Vault, "exists", exists)
    redo = Worker("redo", lambda: restore_import(folder, removed))
    redo.start()
    pause.wait_reached()
    purge_unused_files(folder, removed.digests)
    pause.go.set()
    redo.finish()
    assert all(folder.vault.exists(sha) for sha in removed.digests)
    assert_every_row_has_its_file(folder)


# --- the claims themselves -----------------------------------------------------------------------------------


def test_claims_count_and_are_shared_by_every_vault_object_of_a_folder(tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_bytes(b"same content")
    one, two = Vault(tmp_path / "vault"), Vault(tmp_path / "vault")
    sha = one.store(source).sha256
    first, second = one.claim([sha]), two.claim([sha])
    assert two.claimed(sha) and one.claimed(sha)
    assert not two.remove_unclaimed(sha)
    first.release()
    first.release()  # idempotent: the other claim still counts
    assert one.claimed(sha)
    assert not one.remove_unclaimed(sha)
    assert second.release() == {sha}  # a remover wanted it gone while this was its last claim
    assert not one.claimed(sha)
    assert one.remove_unclaimed(sha)
    assert not one.exists(sha)


def test_a_copy_is_claimed_before_it_has_its_name_only_in_the_thread_that_holds_the_claim(tmp_path: Path) -> None:
    source, elsewhere = tmp_path / "x.txt", tmp_path / "y.txt"
    source.write_bytes(b"claimed while copying")
    elsewhere.write_bytes(b"copied by another thread")
    vault = Vault(tmp_path / "vault")
    with vault.claim() as claim:
        tmp, sha, _size = vault.copy_to_temp(source)
        assert vault.claimed(sha)
        other = Worker("other", lambda: vault.copy_to_temp(elsewhere))
        other.start()
        other_tmp, other_sha, _ = other.finish()
        assert claim.digests == {sha}
        assert not vault.claimed(other_sha)
        tmp.unlink()
        other_tmp.unlink()
    assert not vault.claimed(sha)
    outside = vault.store(source)
    assert not vault.claimed(outside.sha256)
