"""Every bad download of issue 15 through ``read_path``: refused with one plain sentence naming the file, nothing
expanded, fetched or written; and through the import itself, which then adds nothing to the data folder."""

from __future__ import annotations

import os
import re
import socket
import stat
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import ccda_samples, fhir_samples
from helpers.xdm_samples import JORDAN, NOBODY, Visit, ccda, visits, write_xdm, write_zip
from sqlalchemy import func, select

from secondopinion_desktop.core.models import Attachment, LabResultRow, Record
from secondopinion_desktop.core.portal import importer, safety
from secondopinion_desktop.core.portal.package import read_path
from secondopinion_desktop.core.portal.safety import Refused


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*")}


def refused(path: Path, shown: str | None = None) -> str:
    """``read_path(path)``'s refusal, checked: one sentence naming the file, no traceback, nothing written."""
    before = _snapshot(path.parent)
    with pytest.raises(Refused) as caught:
        read_path(path)
    message = str(caught.value)
    assert (shown or path.name) in message
    assert "\n" not in message and "Traceback" not in message and "Error" not in message
    assert not re.search(r"[.;]\s+[A-Z]", message), message  # one sentence
    assert message.endswith("."), message
    assert _snapshot(path.parent) == before
    return message


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    tried: list[str] = []

    def refuse(what: str) -> Callable[..., object]:
        def _refuse(*args: object, **kwargs: object) -> object:
            tried.append(what)
            raise OSError(f"network use attempted: {what}")
        return _refuse

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return tried


# --- XML with entities ----------------------------------------------------------------------------------------


def test_billion_laughs_is_refused_unexpanded(tmp_path: Path) -> None:
    path = tmp_path / "laughs.xml"
    path.write_bytes(ccda_samples.billion_laughs())

    start = time.perf_counter()
    message = refused(path)

    assert message == "laughs.xml declares XML entities, which a health record never needs; it was not read."
    assert time.perf_counter() - start < 2


def test_entities_hidden_after_a_long_comment_or_in_utf16_are_refused(tmp_path: Path) -> None:
    laughs = ccda_samples.billion_laughs()
    late = tmp_path / "late.xml"
    late.write_bytes(laughs.replace(b"<!DOCTYPE", b"<!--" + b"x" * 300_000 + b"-->\n<!DOCTYPE", 1))
    wide = tmp_path / "wide.xml"
    wide.write_bytes(laughs.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
                     .encode("utf-16"))

    assert "declares XML entities" in refused(late)
    assert "declares XML entities" in refused(wide)


@pytest.mark.parametrize("target", ["file:///etc/passwd", "http://records.example.invalid/steal.dtd"])
def test_external_entities_are_never_fetched(tmp_path: Path, no_network: list[str], target: str) -> None:
    path = tmp_path / "outside.xml"
    path.write_bytes(ccda_samples.external_entity(target))

    message = refused(path)

    assert "declares XML entities" in message
    assert "root:" not in message
    assert no_network == []


def test_an_external_dtd_is_not_loaded(tmp_path: Path, no_network: list[str]) -> None:
    doc = visits(1)[0].replace(b"<ClinicalDocument", b'<!DOCTYPE ClinicalDocument SYSTEM '
                               b'"http://records.example.invalid/cda.dtd">\n<ClinicalDocument', 1)
    path = tmp_path / "dtd.xml"
    path.write_bytes(doc)

    package = read_path(path)  # read, the DTD neither fetched nor loaded

    assert len(package.documents) == 1
    assert no_network == []


def test_an_external_dtd_on_the_disk_is_not_opened(tmp_path: Path) -> None:
    dtd = tmp_path / "secret.dtd"
    dtd.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")  # were it opened, it would break the document
    doc = visits(1)[0].replace(b"<ClinicalDocument", f'<!DOCTYPE ClinicalDocument SYSTEM "file://{dtd}">\n'
                               .encode() + b"<ClinicalDocument", 1)
    path = tmp_path / "local.xml"
    path.write_bytes(doc)

    assert len(read_path(path).documents) == 1


def test_entities_inside_an_xdm_zip_refuse_the_whole_download(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "HealthSummary.zip", {"DOC0001.XML": visits(1)[0],
                                                      "DOC0002.XML": ccda_samples.billion_laughs()})

    message = refused(path)

    assert message.startswith("DOC0002.XML in HealthSummary.zip declares XML entities")


def test_entities_in_an_apple_health_export_are_refused(tmp_path: Path) -> None:
    xml = fhir_samples.export_xml(fhir_samples.apple_records()).replace(
        b"<!DOCTYPE HealthData [", b'<!DOCTYPE HealthData [\n<!ENTITY a "aaaaaaaaaa">', 1)
    assert b"<!ENTITY" in xml
    path = fhir_samples.apple_export_zip(tmp_path, xml=xml)

    assert "declares XML entities" in refused(path, "export.xml")


# --- zips -----------------------------------------------------------------------------------------------------


def _zip_with(path: Path, *infos: tuple[zipfile.ZipInfo, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("DOC0001.XML", visits(1)[0])
        for info, data in infos:
            zf.writestr(info, data)
    return path


@pytest.mark.parametrize(("entry", "words"), [
    ("../../evil.xml", "climbs out of the folder"),
    ("IHE_XDM/../../../home/evil.xml", "climbs out of the folder"),
    ("/etc/cron.d/evil", "with an absolute name"),
    ("C:/Windows/evil.xml", "with an absolute name"),
])
def test_zip_names_leaving_the_folder_are_refused(tmp_path: Path, entry: str, words: str) -> None:
    path = _zip_with(tmp_path / "download.zip", (zipfile.ZipInfo(entry), b"x"))

    message = refused(path)

    assert message.startswith("download.zip holds an entry ")
    assert words in message


def test_zip_link_entries_are_refused(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("IHE_XDM/SUBSET01/DOC0002.XML")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = _zip_with(tmp_path / "download.zip", (info, b"/etc/passwd"))

    assert "that is a link" in refused(path)


def test_a_compression_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("DOC0001.XML", b"\0" * (8 * 2**20))
    info = zipfile.ZipFile(path).infolist()[0]
    assert info.file_size / info.compress_size > 1000

    assert "(a zip bomb)" in refused(path)


def test_many_small_tight_entries_adding_up_to_a_bomb_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bombs.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for n in range(80):
            zf.writestr(f"DOC{n:04d}.XML", b"\0" * 2**20)  # each at the free limit, 80 MB in all

    assert "(a zip bomb)" in refused(path)


def test_an_entry_unpacking_to_more_than_it_declares_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "liar.zip"
    real = visits(1)[0]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("DOC0001.XML", real)
    data = bytearray(path.read_bytes())
    # the central directory's declared size, made smaller than the entry really is
    at = data.rfind(b"PK\x01\x02")
    data[at + 24:at + 28] = (100).to_bytes(4, "little")
    path.write_bytes(bytes(data))

    message = refused(path)

    assert "DOC0001.XML" in message and "liar.zip" in message


def test_a_hundred_thousand_entries_are_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "entries.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for n in range(100_000):
            zf.writestr(f"f{n}", b"")

    start = time.perf_counter()
    message = refused(path)

    assert message == ("entries.zip holds 100,000 entries, more than any health record download (20,000); "
                       "it was not read.")
    assert time.perf_counter() - start < 3


def test_a_zip_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "HealthSummary.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)

    assert refused(path).startswith("HealthSummary.zip is not a readable zip file")


# --- sizes ----------------------------------------------------------------------------------------------------


def test_a_huge_base64_body_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_EMBEDDED_BYTES", 2**20)  # 48 MB : 500 MB, made 1 MB : 10 MB
    body = ccda_samples.MINIMAL_PDF + os.urandom(10 * 2**20)
    single = tmp_path / "radiology.xml"
    single.write_bytes(ccda_samples.pdf_document(body))
    zipped = write_xdm(tmp_path / "HealthSummary.zip", {"DOC0001.XML": visits(1)[0],
                                                        "DOC0002.XML": single.read_bytes()})

    assert "carries a file of over 1 MB inside it" in refused(single)
    assert refused(zipped).startswith("DOC0002.XML in HealthSummary.zip carries a file of over 1 MB")


def test_a_document_declared_too_large_is_refused_before_it_is_read(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    big = ccda(Visit("20240101", note=os.urandom(3 * 2**20 * 3 // 4).hex()[:3 * 2**20]))
    zipped = write_xdm(tmp_path / "zip" / "HealthSummary.zip", {"DOC0001.XML": big})
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "DOC0001.XML").write_bytes(big)
    single = tmp_path / "single.xml"
    single.write_bytes(big)
    monkeypatch.setattr(safety, "MAX_DOCUMENT_BYTES", 2**20)
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy_open(self: zipfile.ZipFile, name: object, *args: object, **kwargs: object) -> object:
        opened.append(getattr(name, "filename", str(name)))
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy_open)

    assert "DOC0001.XML in HealthSummary.zip is too large to be a health record document (3 MB)" in refused(zipped)
    assert not [n for n in opened if n.endswith("DOC0001.XML")]  # refused from what it declares

    real_read = os.read
    reads: list[int] = []

    def spy_read(fd: int, n: int) -> bytes:
        reads.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", spy_read)
    assert refused(folder).startswith("DOC0001.XML in folder is too large to be a health record document")
    assert refused(single).startswith("single.xml is too large to be a health record document")
    assert reads == []


# --- text and JSON ----------------------------------------------------------------------------------------------


def test_invalid_utf8_is_refused(tmp_path: Path) -> None:
    xml = tmp_path / "summary.xml"
    xml.write_bytes(visits(1)[0].replace(b"Seen in clinic", b"Seen in \xff\xfe clinic"))
    js = tmp_path / "bundle.json"
    js.write_bytes(b'{"resourceType": "Patient", "id": "p1", "name": [{"text": "Al\xffex"}]}')

    assert refused(xml) == ("summary.xml is not readable XML (its text is not in the encoding it declares).")
    assert refused(js) == "bundle.json is not UTF-8 text; it was not read."


def test_json_nested_ten_thousand_deep_is_refused(tmp_path: Path) -> None:
    fhir = tmp_path / "deep.json"
    fhir.write_bytes(b'{"resourceType": "Bundle", "type": "collection", "entry": ' + b"[" * 10_000 + b"]" * 10_000
                     + b"}")
    bare = tmp_path / "bare.json"
    bare.write_bytes(b"[" * 10_000 + b"]" * 10_000)

    assert "nests its data more than" in refused(fhir)
    assert "nests its data more than" in refused(bare)


def test_xml_nested_ten_thousand_deep_is_refused(tmp_path: Path) -> None:
    deep = (b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3">' + b"<section>" * 10_000
            + b"</section>" * 10_000 + b"</ClinicalDocument>")
    single = tmp_path / "deep.xml"
    single.write_bytes(deep)
    zipped = write_zip(tmp_path / "HealthSummary.zip", {"DOC0001.XML": visits(1)[0], "DOC0002.XML": deep})

    assert refused(single) == "deep.xml nests its elements more deeply than any health record does; it was not read."
    assert refused(zipped).startswith("DOC0002.XML in HealthSummary.zip nests its elements more deeply")


def test_a_bundle_of_a_million_entries_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "million.json"
    path.write_bytes(b'{"resourceType": "Bundle", "type": "collection", "entry": [' + b"{}," * 999_999 + b"{}]}")

    message = refused(path)

    assert "million.json holds more than" in message


def test_a_huge_number_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "number.json"
    path.write_bytes(b'{"resourceType": "Observation", "valueInteger": ' + b"9" * 100_000 + b"}")

    assert "number.json" in refused(path)


# --- whose record ------------------------------------------------------------------------------------------------


def test_a_document_naming_nobody_is_refused(tmp_path: Path) -> None:
    single = tmp_path / "nobody.xml"
    single.write_bytes(ccda(Visit("20240101"), patient=NOBODY))

    assert refused(single).startswith("nobody.xml does not say whose record it is")


def test_two_patients_in_one_zip_are_refused(tmp_path: Path) -> None:
    path = write_xdm(tmp_path / "HealthSummary.zip", {"DOC0001.XML": visits(1)[0],
                                                      "DOC0002.XML": visits(1, patient=JORDAN)[0]}, patient=None)

    message = refused(path)

    assert message.startswith("HealthSummary.zip holds the records of two people (")
    assert "Alex Sample" in message and "Jordan Other" in message


# --- through the import: nothing is written -----------------------------------------------------------------------


def _count(folder: object, table: object) -> int:
    with folder.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(table)))


def _import(folder: object, path: Path) -> importer.ImportResult:
    package = read_path(path)
    importer.preview_import(folder, package)
    return importer.import_package(folder, package, confirmed=True)  # type: ignore[arg-type]


def _hostile(tmp_path: Path, kind: str) -> Path:
    if kind == "entities":
        return write_xdm(tmp_path / "laughs.zip", {"DOC0001.XML": visits(1)[0],
                                                   "DOC0002.XML": ccda_samples.billion_laughs()})
    if kind == "traversal":
        return _zip_with(tmp_path / "traversal.zip", (zipfile.ZipInfo("../evil.xml"), visits(1)[0]))
    if kind == "two people":
        return write_zip(tmp_path / "family.zip", {"a.xml": visits(1)[0], "b.xml": visits(1, patient=JORDAN)[0]})
    if kind == "nobody":
        return write_zip(tmp_path / "nobody.zip", {"a.xml": visits(1)[0],
                                                   "b.xml": ccda(Visit("20240101"), patient=NOBODY)})
    path = tmp_path / "deep.json"
    path.write_bytes(b'{"resourceType": "Bundle", "entry": ' + b"[" * 10_000 + b"]" * 10_000 + b"}")
    return path


@pytest.mark.parametrize("kind", ["entities", "traversal", "two people", "nobody", "deep json"])
def test_a_hostile_download_imports_nothing(folder: object, tmp_path: Path, kind: str) -> None:
    path = _hostile(tmp_path, kind)
    vault_before = set(folder.vault.stored())  # type: ignore[attr-defined]

    with pytest.raises(Refused):
        _import(folder, path)

    assert _count(folder, Record) == _count(folder, Attachment) == _count(folder, LabResultRow) == 0
    assert set(folder.vault.stored()) == vault_before  # type: ignore[attr-defined]


def test_the_good_documents_next_to_an_odd_file_are_imported(folder: object, tmp_path: Path) -> None:
    path = write_zip(tmp_path / "download.zip", {"a.xml": visits(1)[0], "broken.xml": b"<ClinicalDocument",
                                                 "photo.jpg": b"\xff\xd8\xff"})

    result = _import(folder, path)

    assert result.created_record_ids and _count(folder, LabResultRow) == 3
    assert _count(folder, Record) == len(result.created_record_ids)


# --- safety on its own -----------------------------------------------------------------------------------------


def test_load_json_refuses_a_number_too_long_for_python() -> None:
    with pytest.raises(Refused, match=r"^n\.json holds a number thousands of digits long"):
        safety.load_json(b"9" * 100_000, "n.json")


def test_a_zip_of_twenty_thousand_entries_reads_each_quickly(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for n in range(safety.MAX_ZIP_ENTRIES):
            zf.writestr(f"IHE_XDM/SUBSET01/F{n:05d}.TXT", b"x")

    start = time.perf_counter()
    with safety.SafeZip(path) as archive:
        assert sum(len(archive.read(e)) for e in archive.entries) == safety.MAX_ZIP_ENTRIES
        assert archive.read(archive.entries[-1].name) == b"x"

    # each entry found at once: a search through all of them for each would take minutes (20 s leaves room for a
    # loaded machine)
    assert time.perf_counter() - start < 20


def test_unreadable_is_what_a_package_may_skip_and_refused_is_what_it_may_not() -> None:
    with pytest.raises(safety.Unreadable):
        safety.parse_xml(b"<broken", "a.xml")
    with pytest.raises(safety.Unreadable):
        safety.load_json(b"{", "a.json")
    with pytest.raises(Refused) as caught:
        safety.parse_xml(ccda_samples.billion_laughs(), "a.xml")
    assert not isinstance(caught.value, safety.Unreadable)


def test_a_damaged_entry_is_skipped_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "damaged.zip"
    second = visits(2)[1]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("DOC0001.XML", visits(1)[0])
        zf.writestr("DOC0002.XML", second)
    data = bytearray(path.read_bytes())
    at = data.find(second) + len(second) // 2
    data[at] ^= 0x20  # one byte changed: the entry no longer matches its checksum
    path.write_bytes(bytes(data))

    package = read_path(path)

    assert [d.source for d in package.documents] == ["DOC0001.XML"]
    assert [s.reason for s in package.skipped] == [
        "DOC0002.XML in damaged.zip cannot be unpacked (it is damaged: its checksum does not match)."]


def test_names_are_shown_without_control_characters() -> None:
    assert safety.shown("IHE_XDM/SUBSET01/DOC\x1b[31m1.XML") == "DOC?[31m1.XML"
    assert len(safety.shown("x" * 500)) == 120
