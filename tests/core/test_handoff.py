"""The folder for the doctor: read back with pydicom's FileSet, INDEX.HTM parsed, manifest checked, bad targets."""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

pytest.importorskip("pydicom")
pytest.importorskip("numpy")

from secondopinion_desktop.core.handoff import (
    HandoffError,
    HandoffOptions,
    names,
    plan_handoff,
    verify_handoff,
    write_handoff,
)
from secondopinion_desktop.core.handoff import folder as handoff_folder
from secondopinion_desktop.core.imaging.importer import import_imaging
from secondopinion_desktop.core.imaging.scan import scan_folder
from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study
from secondopinion_desktop.core.models import Attachment, ImagingFile
from secondopinion_desktop.core.profile import save_profile
from secondopinion_desktop.core.progress import Cancelled
from secondopinion_desktop.core.records import attach_file, create_record

TITLES = ["a/b", "..", "CON", "Scan 😀 result", "x" * 300, 'Report <script>alert("x")</script>']


@pytest.fixture
def filled(folder, tmp_path: Path):
    save_profile(folder, name="Zoë <b>Sample</b>", date_of_birth="1970-02-14")
    write_study(tmp_path / "cd", StudySpec(series=(SeriesSpec(2, "AX", "CT", 3), SeriesSpec(3, "COR", "CT", 2))),
                size=8)
    write_study(tmp_path / "cd2", StudySpec(description="MR PELVIS", date="20240410",
                                            series=(SeriesSpec(1, "T2", "MR", 2),)), size=8)
    import_imaging(folder, scan_folder(tmp_path / "cd"))
    import_imaging(folder, scan_folder(tmp_path / "cd2"))
    for i, title in enumerate(TITLES):
        day = None if title == "CON" else f"2024-01-0{i + 1}"
        record = create_record(folder, "pathology", title, date_of_service=day)
        source = tmp_path / f"doc{i}.pdf"
        source.write_bytes(b"%PDF-1.4\n% document " + str(i).encode() + b"\n")
        attach_file(folder, record.id, source, original_name=f"original {i}.pdf")
    return folder


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        for key, value in attrs:
            if key in ("href", "src"):
                self.links.append(value or "")
            assert not key.startswith("on"), key

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)


def test_the_folder_reads_back_with_filesets_index_and_manifest(filled, tmp_path: Path) -> None:
    from pydicom.fileset import FileSet

    target = tmp_path / "usb" / "For the doctor"
    target.parent.mkdir()
    plan = plan_handoff(filled, target)
    assert len(plan.documents) == len(TITLES) and len(plan.studies) == 2 and plan.image_count == 7
    result = write_handoff(filled, target)
    assert result.images == 7 and result.documents == len(TITLES) and result.problems == ()
    assert sorted(p.name for p in target.parent.iterdir()) == ["For the doctor"]  # no partial folder left

    fs = FileSet(target / "DICOMDIR")
    with filled.session() as session:
        stored = {sop: sha for sop, sha in session.query(ImagingFile.sop_instance_uid, ImagingFile.sha256)}
    assert {str(i.SOPInstanceUID) for i in fs} == set(stored)
    for instance in fs:  # each image byte for byte as imported, under short upper-case names
        path = Path(instance.path)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == stored[str(instance.SOPInstanceUID)]
        parts = path.relative_to(target).parts
        assert parts[0] == "DICOM" and all(len(p) <= 8 and p == p.upper() for p in parts)
    assert len(fs.find(Modality="MR")) == 2
    assert not any(p.name.lower().startswith("autorun") for p in target.iterdir())

    page = _Page()
    page.feed((target / "INDEX.HTM").read_text(encoding="utf-8"))
    assert "script" not in page.tags
    text = " ".join(page.text)
    assert "Zoë <b>Sample</b>" in text and "1970-02-14" in text  # escaped, so shown as typed
    assert 'Report <script>alert("x")</script>' in text
    for doc in plan.documents:
        assert doc.title in text or doc.title[:50] in text
    assert "CT CHEST WITH CONTRAST" in text and "MR PELVIS" in text
    for link in page.links:
        assert (target / unquote(link)).is_file(), link
    assert len([link for link in page.links if link.startswith("DOCUMENTS/")]) == len(TITLES)

    readme = (target / "README.TXT").read_bytes()
    assert b"\r\n" in readme and b"\n" not in readme.replace(b"\r\n", b"")
    lines = (target / "MANIFEST.SHA256").read_text(encoding="utf-8").splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in lines)
    every = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert set(listed) == every - {"MANIFEST.SHA256", "MANIFEST.CSV"}
    for relative, digest in listed.items():
        assert hashlib.sha256((target / relative).read_bytes()).hexdigest() == digest
    assert (target / "MANIFEST.CSV").read_text(encoding="utf-8").startswith("path,size,sha256")
    assert verify_handoff(target).ok


def test_document_names_are_safe_and_distinct(filled, tmp_path: Path) -> None:
    plan = plan_handoff(filled, tmp_path / "out")
    file_names = [d.path.split("/", 1)[1] for d in plan.documents]
    assert len({n.casefold() for n in file_names}) == len(file_names)
    for name in file_names:
        assert not set('/\\:*?"<>|') & set(name) and ".." not in name and len(name) <= 100
        assert name.endswith(".pdf") and not name.startswith(".")
        assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
    assert any("😀" in n for n in file_names)
    assert "undated CON.pdf" in file_names


def test_name_rules() -> None:
    assert names.safe_name("a/b", ".pdf") == "a-b.pdf"
    assert names.safe_name("Pathology: biopsy", ".pdf") == "Pathology - biopsy.pdf"
    assert names.safe_name('x\\y*z?"<>|', ".pdf") == "x-y_z_____.pdf"
    assert names.safe_name("..", ".pdf") == "document.pdf"
    assert names.safe_name("CON", ".txt") == "_CON.txt"
    assert names.safe_name("com1", "") == "_com1"
    assert names.safe_name("trailing. . ", ".pdf") == "trailing.pdf"
    long = names.safe_name("é" * 300, ".pdf")
    assert len(long) <= 100 and long.endswith(".pdf") and len(long.encode()) <= 240
    assert names.safe_name("Scan 😀", ".png") == "Scan 😀.png"
    assert names.safe_name("Scan 😀 Zoë", ".png", ascii_only=True) == "Scan _ Zoe.png"
    taken = names.Names()
    assert [taken.take("Report", ".pdf"), taken.take("report", ".pdf"), taken.take("REPORT", ".PDF")] == [
        "Report.pdf", "report (2).pdf", "REPORT (3).pdf"]


def _mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, options: str) -> None:
    fake = tmp_path / "mounts"
    fake.write_text(f"/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 {tmp_path} {kind} {options} 0 0\n")
    monkeypatch.setattr(names, "MOUNTS", fake)


def test_fat32_is_detected_and_its_limits_apply(filled, tmp_path: Path, monkeypatch) -> None:
    _mounts(tmp_path, monkeypatch, "vfat", "rw,relatime,fmask=0022,codepage=437,iocharset=iso8859-1")
    assert names.disk_of(tmp_path / "new" / "deeper").is_fat32
    plan = plan_handoff(filled, tmp_path / "stick")
    assert plan.fat32 and any("FAT32" in n for n in plan.notes)
    assert plan.files == 6 + len(TITLES) + 7
    with pytest.raises(HandoffError, match="cannot be used on this disk"):
        plan_handoff(filled, tmp_path / "Records: for the doctor")
    assert all(d.path.isascii() for d in plan.documents)  # no UTF-8 names on this mount

    with filled.session() as session:  # a 5 GB file, said so (never written)
        row = session.query(Attachment).filter(Attachment.original_name == "original 0.pdf").one()
        row.size = 5 * 1024**3
        session.commit()
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**12, 0, 10**12))
    with pytest.raises(HandoffError, match="FAT32.*4 GB"):
        plan_handoff(filled, tmp_path / "stick")
    assert not (tmp_path / "stick").exists()


def test_exfat_keeps_names_and_big_files(filled, tmp_path: Path, monkeypatch) -> None:
    _mounts(tmp_path, monkeypatch, "exfat", "rw,iocharset=utf8")
    plan = plan_handoff(filled, tmp_path / "stick")
    assert not plan.fat32 and any("😀" in d.path for d in plan.documents)


def test_bad_targets_are_refused_in_one_sentence(filled, tmp_path: Path, monkeypatch) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("x")
    with pytest.raises(HandoffError, match="not an empty folder"):
        plan_handoff(filled, busy)
    with pytest.raises(HandoffError, match="exists already"):
        plan_handoff(filled, busy / "x.txt", HandoffOptions(as_zip=True))
    with pytest.raises(HandoffError, match="does not exist"):
        plan_handoff(filled, tmp_path / "nowhere" / "out")

    real_access = os.access
    monkeypatch.setattr(handoff_folder.os, "access", lambda p, mode: False if Path(p) == tmp_path else
                        real_access(p, mode))
    with pytest.raises(HandoffError, match="not writable"):
        plan_handoff(filled, tmp_path / "out")
    monkeypatch.undo()

    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(HandoffError, match="not enough free space") as caught:
        write_handoff(filled, tmp_path / "out")
    assert len(str(caught.value).splitlines()) == 1
    assert not (tmp_path / "out").exists()

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.undo()
    assert write_handoff(filled, empty).path == empty and (empty / "DICOMDIR").is_file()


def test_a_study_missing_from_the_vault_is_reported_and_the_rest_written(filled, tmp_path: Path) -> None:
    with filled.session() as session:
        lost = session.query(ImagingFile).order_by(ImagingFile.id).first()
        lost_sha, lost_sop = lost.sha256, lost.sop_instance_uid
    filled.vault.path_for(lost_sha).unlink()
    plan = plan_handoff(filled, tmp_path / "out")
    assert any("missing from the data folder" in p for p in plan.problems)
    result = write_handoff(filled, tmp_path / "out")
    assert result.images == 6 and result.problems
    from pydicom.fileset import FileSet

    sops = {str(i.SOPInstanceUID) for i in FileSet(tmp_path / "out" / "DICOMDIR")}
    assert len(sops) == 6 and lost_sop not in sops
    assert verify_handoff(tmp_path / "out").ok


def test_verify_finds_changed_missing_and_extra_files(filled, tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_handoff(filled, target)
    document = next((target / "DOCUMENTS").iterdir())
    document.write_bytes(document.read_bytes()[:-1] + b"?")  # same size, other content
    image = next((target / "DICOM").rglob("IM000001"))
    image.unlink()
    (target / "DOCUMENTS" / "added.txt").write_text("x")
    result = verify_handoff(target)
    assert not result.ok
    assert result.changed == (document.relative_to(target).as_posix(),)
    assert result.missing == (image.relative_to(target).as_posix(),)
    assert result.extra == ("DOCUMENTS/added.txt",)
    assert len(result.problem_lines()) == 3


def test_a_zip_is_written_whole_and_checked(filled, tmp_path: Path) -> None:
    target = tmp_path / "for-doctor.zip"
    result = write_handoff(filled, target, HandoffOptions(as_zip=True))
    assert result.path == target and sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    with zipfile.ZipFile(target) as zf:
        assert {"DICOMDIR", "INDEX.HTM", "README.TXT", "PACKET.PDF", "MANIFEST.SHA256"} <= set(zf.namelist())
    assert verify_handoff(target).ok
    data = bytearray(target.read_bytes())
    at = data.find(b"% document 0")
    data[at:at + 3] = b"XXX"
    target.write_bytes(bytes(data))
    assert verify_handoff(target).changed


@pytest.mark.parametrize("as_zip", [False, True])
def test_cancel_halfway_leaves_nothing(filled, tmp_path: Path, as_zip: bool) -> None:
    parent = tmp_path / "usb"
    parent.mkdir()
    calls = 0

    def cancelled() -> bool:
        nonlocal calls
        calls += 1
        return calls > 12

    target = parent / ("out.zip" if as_zip else "out")
    with pytest.raises(Cancelled):
        write_handoff(filled, target, HandoffOptions(as_zip=as_zip), cancelled=cancelled)
    assert calls > 12 and list(parent.iterdir()) == []


def test_a_failure_while_copying_into_a_zip_leaves_nothing(filled, tmp_path: Path, monkeypatch) -> None:
    parent = tmp_path / "usb"
    parent.mkdir()
    opened = 0
    real_open = type(filled.vault).open

    def failing(self, sha256):  # type: ignore[no-untyped-def]
        nonlocal opened
        opened += 1
        if opened > 3:
            raise OSError(28, "No space left on device")
        return real_open(self, sha256)

    monkeypatch.setattr(type(filled.vault), "open", failing)
    with pytest.raises(HandoffError, match="No space left on device"):
        write_handoff(filled, parent / "out.zip", HandoffOptions(as_zip=True))
    assert list(parent.iterdir()) == []


def test_a_file_the_copying_process_cannot_write_stops_it_and_leaves_nothing(filled, tmp_path: Path,
                                                                             monkeypatch) -> None:
    from secondopinion_desktop.core.handoff.folder import _FolderSink

    parent = tmp_path / "usb"
    parent.mkdir()
    named = 0
    real = _FolderSink.target_name

    def clashing(self, relative):  # type: ignore[no-untyped-def]
        nonlocal named
        path = real(self, relative)
        named += relative.startswith("DICOM/")
        if named == 4 and relative.startswith("DICOM/"):  # something is in the way of the fourth image
            Path(path).write_bytes(b"in the way")
        return path

    monkeypatch.setattr(_FolderSink, "target_name", clashing)
    with pytest.raises(HandoffError, match=r"cannot be written to .*out: File exists; nothing was left behind"):
        write_handoff(filled, parent / "out")
    assert named >= 4 and list(parent.iterdir()) == []


def test_a_killed_hand_offs_partial_folder_is_swept(filled, tmp_path: Path) -> None:
    parent = tmp_path / "usb"
    stale = parent / ".out.partial-dead"
    (stale / "DOCUMENTS").mkdir(parents=True)
    running = parent / ".out.partial-busy"
    running.mkdir()
    os.utime(stale, (1, 1))
    write_handoff(filled, parent / "out")
    assert sorted(p.name for p in parent.iterdir()) == [".out.partial-busy", "out"]  # a fresh one is left alone


def test_a_zip_over_4_gb_is_refused_on_fat32_but_a_folder_is_not(filled, tmp_path: Path, monkeypatch) -> None:
    _mounts(tmp_path, monkeypatch, "vfat", "rw,utf8")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**13, 0, 10**13))
    with filled.session() as session:
        for row in session.query(ImagingFile):
            row.size = 1024**3  # each under 4 GB, together over it
        session.commit()
    with pytest.raises(HandoffError, match="write a folder instead"):
        plan_handoff(filled, tmp_path / "stick.zip", HandoffOptions(as_zip=True))
    plan = plan_handoff(filled, tmp_path / "stick")
    assert plan.fat32 and any("😀" in d.path for d in plan.documents)  # UTF-8 names on this mount


def test_damaged_and_unreadable_images_are_left_out(filled, tmp_path: Path) -> None:
    from pydicom.fileset import FileSet

    with filled.session() as session:
        rows = session.query(ImagingFile).order_by(ImagingFile.id).all()
        damaged, garbage = rows[-1], rows[0]
        damaged_sop, garbage_sop = damaged.sop_instance_uid, garbage.sop_instance_uid
        damaged_path, garbage_path = filled.vault.path_for(damaged.sha256), filled.vault.path_for(garbage.sha256)
    data = bytearray(damaged_path.read_bytes())
    data[-1] ^= 0xFF  # the header is intact, the content no longer matches its checksum
    damaged_path.write_bytes(bytes(data))
    garbage_path.write_bytes(b"not an image at all")
    result = write_handoff(filled, tmp_path / "out")
    assert result.images == 5 and len(result.problems) == 2
    sops = {str(i.SOPInstanceUID) for i in FileSet(tmp_path / "out" / "DICOMDIR")}
    assert len(sops) == 5 and not {damaged_sop, garbage_sop} & sops
    assert verify_handoff(tmp_path / "out").ok


def test_cancel_while_copying_leaves_nothing(filled, tmp_path: Path) -> None:
    parent = tmp_path / "usb"
    parent.mkdir()
    seen_copies: list[int] = []

    def cancelled() -> bool:  # once some files are copied into the hidden folder
        copied = [p for p in parent.glob(".*/DICOM/**/IM*") if p.is_file()]
        seen_copies.append(len(copied))
        return len(copied) >= 2

    with pytest.raises(Cancelled):
        write_handoff(filled, parent / "out", cancelled=cancelled)
    assert max(seen_copies) >= 2 and list(parent.iterdir()) == []


def test_an_empty_data_folder_gives_the_packet_and_the_index(folder, tmp_path: Path) -> None:
    result = write_handoff(folder, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "INDEX.HTM", "MANIFEST.CSV", "MANIFEST.SHA256", "PACKET.PDF", "README.TXT"]
    assert result.images == 0 and result.documents == 0
    assert b"DICOMDIR" not in (tmp_path / "out" / "README.TXT").read_bytes()
    assert verify_handoff(tmp_path / "out").ok


def test_the_copying_processes_write_what_copies_made_here_would(filled, tmp_path: Path, monkeypatch) -> None:
    import multiprocessing.context

    from secondopinion_desktop.core.copier import ChildCopies

    def listed(root: Path) -> list[str]:
        text = (root / "MANIFEST.SHA256").read_text(encoding="utf-8").splitlines()
        return sorted(line for line in text  # the packet, index and DICOMDIR carry the day or a new UID
                      if line.split("  ", 1)[1] not in ("PACKET.PDF", "INDEX.HTM", "README.TXT", "DICOMDIR"))

    started: list[bool] = []
    real_init = ChildCopies.__init__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        real_init(self, *args, **kwargs)
        started.append(self.running)

    monkeypatch.setattr(ChildCopies, "__init__", spy)
    by_children = write_handoff(filled, tmp_path / "children")
    assert started == [True]

    def refuse(self):  # type: ignore[no-untyped-def]
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", refuse)
    here = write_handoff(filled, tmp_path / "here")
    assert started == [True, False]
    assert listed(tmp_path / "children") == listed(tmp_path / "here")
    assert (by_children.files, by_children.images, by_children.documents) == (here.files, here.images,
                                                                             here.documents)
    assert verify_handoff(tmp_path / "children").ok and verify_handoff(tmp_path / "here").ok


def test_a_stored_file_replaced_by_a_link_is_left_out(filled, tmp_path: Path) -> None:
    with filled.session() as session:
        row = session.query(ImagingFile).order_by(ImagingFile.id).all()[2]
        path = filled.vault.path_for(row.sha256)
    elsewhere = tmp_path / "elsewhere.dcm"
    elsewhere.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(elsewhere)
    result = write_handoff(filled, tmp_path / "out")
    assert result.images == 6 and any("left out" in p for p in result.problems)
    assert verify_handoff(tmp_path / "out").ok


def test_a_report_or_presentation_state_in_a_series_gets_its_own_record(folder, tmp_path: Path) -> None:
    """Instances that are not plain images (here a key-object note) are listed with the record type pydicom gives
    them, their record made from their full header once copied."""
    import pydicom
    from pydicom.fileset import FileSet

    written = write_study(tmp_path / "cd", StudySpec(series=(SeriesSpec(1, "AX", "CT", 3),)), size=8)
    first = pydicom.dcmread(written[0].path)
    note = first.copy()
    note.file_meta = first.file_meta.copy()
    note.SOPClassUID = note.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.59"  # key object
    note.SOPInstanceUID = note.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    note.InstanceNumber = 9
    note.Modality = "KO"
    for keyword in ("PixelData", "Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit",
                    "PixelRepresentation", "SamplesPerPixel", "PhotometricInterpretation"):
        if keyword in note:
            delattr(note, keyword)
    note.ContentDate, note.ContentTime = "20240301", "101010"
    code = pydicom.Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "113000", "DCM", "Of Interest"
    note.ConceptNameCodeSequence = [code]
    note.save_as(tmp_path / "cd" / "NOTE.dcm", enforce_file_format=True)
    import_imaging(folder, scan_folder(tmp_path / "cd"))
    result = write_handoff(folder, tmp_path / "out")
    assert result.images == 4, result.problems
    kinds = sorted(str(i.DirectoryRecordType) for i in FileSet(tmp_path / "out" / "DICOMDIR"))
    assert kinds == ["IMAGE", "IMAGE", "IMAGE", "KEY OBJECT DOC"]
    assert verify_handoff(tmp_path / "out").ok
