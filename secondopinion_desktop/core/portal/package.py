"""What a patient downloaded, read as one package: a C-CDA or FHIR file, a portal's zip (IHE XDM, as "Download
my record" gives, or a plain zip of documents), an Apple Health export, or a folder of any of these.

``read_path`` finds every document in what was opened, reads each with its format's reader, and gives back a
``Package``: the documents oldest first, whatever could not be read (with its reason), and how much of it
repeated what an earlier document already said. Visit-by-visit downloads repeat whole documents and the same
results again and again: a document whose text is the same as an earlier one is left out, and a result (or
medication, allergy, problem, report) an earlier document gave is left out of the later ones.

What is refused as a whole, with one sentence naming the file (``safety.Refused``): hostile input (entities,
zip bombs, traversing names, files far too large — whatever ``safety`` refuses), a document that does not
say whose record it is, and a package holding the records of two different people. One broken or unknown
file among many is skipped with its reason; the rest is read.

IHE XDM (ITI TF-1 and TF-3 "Cross-Enterprise Document Media Interchange"): ``IHE_XDM/<subset>/`` holds the
documents and ``METADATA.XML``, an XDS submission listing each document (``ExtrinsicObject``) with its
``URI``, ``size`` and SHA-1 ``hash``. Each document is checked against it; a document that does not match is
still read (it is parsed as safely as any other, and a vendor's wrong checksum should not cost the patient
their record) and the mismatch is reported as a skipped item saying the download may be damaged. A PDF in the
subset becomes a document of its own, its title from the metadata (or its file name) and its patient from the
metadata's ``sourcePatientInfo`` (or the package's other documents). ``INDEX.HTM``, ``README.TXT``,
stylesheets and operating-system clutter are passed over silently.

Nothing is written; links in a folder are never followed and nothing outside the folder is ever read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import stat
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from secondopinion_desktop.core import people
from secondopinion_desktop.core.portal import safety
from secondopinion_desktop.core.portal.model import (
    Document,
    Embedded,
    Patient,
    ReadResult,
    Report,
    ResultKey,
    Skipped,
    iso_time,
    plain,
    result_key,
)
from secondopinion_desktop.core.portal.safety import Refused, Unreadable, shown
from secondopinion_desktop.core.progress import CancelCheck, Cancelled, Progress
from secondopinion_desktop.core.words import day_month_year, plural

log = logging.getLogger(__name__)

MAX_FOLDER_FILES = 20_000  # files looked at in a chosen folder (a download holds a few hundred at most)
MAX_FOLDER_DEPTH = 24

# --- the package ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    name: str  # what was opened, its last path part ("HealthSummary_CCDA.zip")
    documents: tuple[Document, ...]  # every document read, repeats of an earlier one left out, oldest first
    skipped: tuple[Skipped, ...]  # files and entries not read, with reasons (metadata mismatches too)
    repeats: int  # whole documents left out as repeats (same digest)
    repeated_results: int  # results left out because an earlier document had them

    @property
    def patients(self) -> tuple[Patient, ...]:
        """The distinct people the documents are about (see ``same_person``), the most complete of each."""
        return _distinct_patients(d.patient for d in self.documents if d.patient is not None)


def same_person(a: Patient, b: Patient) -> bool:
    """Whether two documents' patients can be one person: birth dates not different, and names the same by
    the core's name rule (or, with the same birth date, one name's words within the other's: "Alex Sample" and
    "Alex J. Sample"). What one of them does not give is not held against them: a patient given by birth date
    alone (an Apple Health owner) is the person born that day whatever their name."""
    if a.birth_date and b.birth_date and a.birth_date != b.birth_date:
        return False
    if not a.name.strip() or not b.name.strip():
        return True
    if people.same_name(a.name, b.name):
        return True
    if a.birth_date and b.birth_date:
        wa, wb = _name_words(a.name), _name_words(b.name)
        return bool(wa and wb) and (wa <= wb or wb <= wa)
    return False


def _name_words(name: str) -> set[str]:
    return {"".join(c for c in w if c.isalnum()).casefold() for w in name.replace(",", " ").split()} - {""}


def _completeness(p: Patient) -> int:
    return 4 * bool(p.name.strip()) + 2 * bool(p.birth_date) + bool(p.identifiers) + len(p.name) // 1000


def _distinct_patients(patients: Iterable[Patient], at_most: int | None = None) -> tuple[Patient, ...]:
    """The distinct people among ``patients``; with ``at_most``, counting stops once there are more than that
    many (a zip of thousands of strangers is refused as soon as that is certain, not after comparing them all)."""
    groups: list[list[Patient]] = []
    for p in dict.fromkeys(patients):  # the same patient on every visit's document is compared once
        if at_most is not None and len(groups) > at_most:
            break
        for group in groups:
            if all(same_person(p, q) for q in group):  # with each: a nameless one never joins two people
                group.append(p)
                break
        else:
            groups.append([p])
    return tuple(max(group, key=_completeness) for group in groups)


_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def _person(p: Patient) -> str:
    name = plain(p.name) or "a person with no name given"
    return f"{name}, born {day_month_year(p.birth_date)}" if p.birth_date else name


# --- members: the files inside what was opened ------------------------------------------------------------------


@dataclass
class _Member:
    name: str  # its path inside what was opened, with "/" ("IHE_XDM/SUBSET01/DOC0001.XML")
    size: int
    weight: int  # its share of the progress bar
    read: Callable[[int], bytes]  # (limit) -> bytes; Refused over the limit before reading
    head: Callable[[], bytes]  # its first bytes, to tell what it is
    path: Path | None = None  # on disk (a folder's file): a zip or an Apple Health export inside a folder


_IGNORED_NAMES = {"index.htm", "index.html", "readme.txt", "readme", "readme.htm", "readme.html", ".ds_store",
                  "thumbs.db", "desktop.ini", "metadata.xml"}
_IGNORED_SUFFIXES = {".xsl", ".xslt", ".css", ".js", ".dtd", ".xsd"}
_XML_SUFFIXES = {".xml", ".cda", ".ccd", ".ccda", ".cdaxml"}
_JSON_SUFFIXES = {".json", ".ndjson", ".fhir", ".jsonl"}
_MEDIA_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".bmp", ".heic", ".mp4", ".mov", ".avi",
                   ".doc", ".docx", ".xls", ".xlsx", ".csv", ".gpx", ".dcm", ".rtf", ".htm", ".html",
                   ".exe", ".dll", ".msi", ".dmg", ".iso", ".7z", ".rar", ".gz", ".tar"}
_XDM_SUBSET = re.compile(r"(?:^|/)IHE_XDM/([^/]+)/", re.IGNORECASE)
_HEAD_BYTES = 64 * 1024


def _ignored(name: str) -> bool:
    """Files a download carries for people and browsers, not records: passed over without a word."""
    parts = name.split("/")
    base = parts[-1].casefold()
    if any(p.casefold() == "__macosx" for p in parts[:-1]) or base.startswith("._"):
        return True
    return base in _IGNORED_NAMES or PurePosixPath(base).suffix in _IGNORED_SUFFIXES


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.casefold()


def _zip_members(archive: safety.SafeZip, prefix: str = "") -> list[_Member]:
    members = []
    for entry in archive.entries:
        def read(limit: int, entry: safety.ZipEntry = entry) -> bytes:
            return archive.read(entry, limit)

        def head(entry: safety.ZipEntry = entry) -> bytes:
            chunks = archive.stream(entry, safety.MAX_STREAMED_BYTES)
            try:
                return next(iter(chunks), b"")[:_HEAD_BYTES]
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()

        members.append(_Member(prefix + entry.name, entry.size, max(entry.packed, 1), read, head))
    return members


def _file_member(path: Path, name: str, size: int) -> _Member:
    def read(limit: int) -> bytes:
        return safety.read_file(path, name, limit)

    def head() -> bytes:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags)
        except OSError:
            return b""
        try:
            return os.read(fd, _HEAD_BYTES) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
        except OSError:
            return b""
        finally:
            os.close(fd)

    return _Member(name, size, max(size, 1), read, head, path)


# --- XDM metadata ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Listed:
    """One document as METADATA.XML lists it."""

    uri: str
    size: int | None
    sha1: str
    title: str = ""
    when: str = ""
    facility: str = ""
    patient: Patient | None = None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _slots(element: object) -> dict[str, list[str]]:
    slots: dict[str, list[str]] = {}
    for child in element:  # type: ignore[attr-defined]
        if _local(child.tag) != "Slot":
            continue
        values = [plain(v.text) for v in child.iter() if _local(v.tag) == "Value"]
        slots.setdefault(str(child.get("name") or "").strip(), []).extend(v for v in values if v)
    return slots


def _uri(values: list[str]) -> str:
    """The URI slot: one value, or (XDS, long URIs) several as "1|part", "2|part" in order."""
    if len(values) > 1 and all(re.match(r"^\d+\|", v) for v in values):
        return "".join(v.split("|", 1)[1] for v in sorted(values, key=lambda v: int(v.split("|", 1)[0])))
    return values[0] if values else ""


def _pid_patient(values: list[str]) -> Patient | None:
    """A patient from XDS ``sourcePatientInfo`` (HL7 v2 PID fields: PID-5 name "Family^Given^Middle",
    PID-7 birth date)."""
    name = ""
    birth = None
    for value in values:
        field_name, _, text = value.partition("|")
        field_name = field_name.strip().upper()
        if field_name == "PID-5" and not name:
            parts = [plain(p) for p in text.split("~")[0].split("^")]
            family = parts[0] if parts else ""
            given = " ".join(p for p in parts[1:3] if p)
            name = " ".join(p for p in (given, family) if p)
        elif field_name == "PID-7" and birth is None:
            from secondopinion_desktop.core.portal.model import day_of

            birth = day_of(iso_time(text.strip()[:8]))
    patient = Patient(name=name, birth_date=birth)
    return patient if patient.named else None


def _read_metadata(data: bytes, name: str) -> dict[str, _Listed]:
    """METADATA.XML's documents by their file name (upper case)."""
    root = safety.parse_xml(data, name)
    listed: dict[str, _Listed] = {}
    for element in root.iter():
        if _local(element.tag) != "ExtrinsicObject":
            continue
        slots = _slots(element)
        uri = _uri(slots.get("URI", []))
        if not uri:
            continue
        size_text = (slots.get("size") or [""])[0]
        title = ""
        for child in element:
            if _local(child.tag) == "Name":
                for string in child.iter():
                    if _local(string.tag) == "LocalizedString" and plain(string.get("value")):
                        title = plain(string.get("value"))
                        break
        institution = (slots.get("authorInstitution") or [""])[0].split("^")[0]
        for nested in element.iter():  # authorInstitution sits inside the author Classification
            if not institution and _local(nested.tag) == "Slot" and nested.get("name") == "authorInstitution":
                values = [plain(v.text) for v in nested.iter() if _local(v.tag) == "Value" and plain(v.text)]
                institution = values[0].split("^")[0] if values else ""
        when = iso_time((slots.get("serviceStartTime") or slots.get("creationTime") or [""])[0])
        key = PurePosixPath(uri.replace("\\", "/")).name.upper()
        listed[key] = _Listed(
            uri=uri, size=int(size_text) if size_text.isascii() and size_text.isdigit() else None,
            sha1=(slots.get("hash") or [""])[0].strip().lower(), title=title, when=when,
            facility=plain(institution), patient=_pid_patient(slots.get("sourcePatientInfo", [])),
        )
    return listed


# --- reading -----------------------------------------------------------------------------------------------------


@dataclass
class _Meter:
    progress: Progress | None
    total: int = 0
    done: int = 0

    def add(self, n: int) -> None:
        self.done += n
        self.report()

    def report(self, extra: int = 0) -> None:
        if self.progress is not None and self.total > 0:
            self.progress(min(self.done + extra, self.total), self.total)


@dataclass
class _Reading:
    name: str  # the package's name, for messages
    meter: _Meter
    cancelled: CancelCheck | None
    single: bool = False  # one file opened on its own: its problems are the package's
    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    pdfs: list[int] = field(default_factory=list)  # documents made of a PDF whose patient is to be found
    ccda_memo: Any = None  # what the C-CDA documents read already (ccda.Memo)
    held: int = 0  # bytes of the documents and files read so far
    patients_seen: list[Patient] = field(default_factory=list)  # named by files with nothing else to read
    text_reader: Any = None  # reads loose PDFs' text layers for their suggestions (made when first needed)

    def read_text(self, path: Path) -> Any:
        """A PDF's text layer, read in the reader's own process (a PDF that hangs or crashes its library cannot
        take the window with it), without recognising scans (that comes once it is attached)."""
        if self.text_reader is None:
            from secondopinion_desktop.core.documents.reader import ProcessReader

            self.text_reader = ProcessReader(ocr=False)
        return self.text_reader.read(path, "application/pdf", cancelled=self.cancelled)

    def close_text_reader(self) -> None:
        reader, self.text_reader = self.text_reader, None
        if reader is not None:
            reader.close()

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled(f"Reading {self.name} was cancelled; nothing was changed.")

    def skip(self, source: str, reason: str, where: str = "") -> None:
        self.skipped.append(Skipped(source, where, reason))

    def add(self, result: ReadResult) -> None:
        for doc in result.documents:
            self.held += len(doc.original or b"") + sum(len(f.data) for f in doc.files) + sum(
                len(f.data) for r in doc.reports for f in r.files)
        if self.held > safety.MAX_PACKAGE_BYTES:
            raise Refused(f"{self.name} holds more than {safety.MAX_PACKAGE_BYTES // 2**20} MB of documents and "
                          "files, more than can be read at once; import it in parts (its documents one by one, or "
                          "a shorter date range from the portal).")
        self.documents.extend(result.documents)
        self.skipped.extend(result.skipped)
        self.patients_seen.extend(p for p in result.patients if p.named)

    # --- one member ---

    def member(self, m: _Member, listed: _Listed | None = None, in_xdm: bool = False) -> None:
        self.check()
        try:
            self._member(m, listed, in_xdm)
        except Cancelled:
            raise
        except Unreadable as exc:
            if self.single:
                raise
            self.skip(m.name, str(exc))
        except Refused as exc:
            raise self._named(exc, m.name) from None
        except Exception as exc:  # a reader tripped on something odd: that file is skipped, never the whole
            log.warning("A portal file could not be read: %s at %s", exc.__class__.__name__, _where(exc))
            if self.single:
                raise Unreadable(f"{shown(m.name)} could not be read; it may be damaged or in a form this "
                                 "version does not know.") from None
            self.skip(m.name, f"{shown(m.name)} could not be read; it may be damaged or in a form this version "
                              "does not know.")
        finally:
            self.meter.add(m.weight)

    def _named(self, exc: Refused, member: str) -> Refused:
        """``exc`` saying which download its file is in ("DOC0003.XML in HealthSummary.zip declares …")."""
        text = str(exc)
        part = shown(member)
        if not self.single and part != self.name and text.startswith(part) and \
                not text[len(part):].startswith(f" in {self.name}"):
            text = f"{part} in {self.name}{text[len(part):]}"
        return type(exc)(text, field=exc.field)

    def _member(self, m: _Member, listed: _Listed | None, in_xdm: bool) -> None:
        suffix = _suffix(m.name)
        if suffix == ".zip":
            if m.path is None:
                self.skip(m.name, f"{shown(m.name)} is a zip inside the zip; unpack it and open it on its own.")
                return
            self.nested_zip(m)
            return
        if suffix == ".pdf" or (suffix not in _XML_SUFFIXES | _JSON_SUFFIXES and m.head().startswith(b"%PDF")):
            data = m.read(safety.MAX_EMBEDDED_BYTES)
            self.verify(m, data, listed)
            if not data.startswith(b"%PDF"):
                raise Unreadable(f"{shown(m.name)} is not a PDF file, whatever its name says; it was not read.")
            self.pdf(m, data, listed, in_xdm)
            return
        if suffix in _XML_SUFFIXES | _JSON_SUFFIXES:
            data = m.read(safety.MAX_DOCUMENT_BYTES)
        else:
            head = m.head() if suffix not in _MEDIA_SUFFIXES else b""
            if not _looks_like_record(head):
                self.skip(m.name, f"{shown(m.name)} is not a health record file this app reads (C-CDA, FHIR, "
                                  "Apple Health or PDF); it was left out.")
                return
            data = m.read(safety.MAX_DOCUMENT_BYTES)
        self.verify(m, data, listed)
        self.document(m.name, data)

    def document(self, name: str, data: bytes) -> None:
        from secondopinion_desktop.core.portal import ccda, fhir

        if ccda.looks_like_ccda(data):
            if self.ccda_memo is None:
                self.ccda_memo = ccda.Memo()
            self.add(ccda.read_ccda(data, name, self.ccda_memo))
        elif fhir.looks_like_fhir(data):
            self.add(fhir.read_fhir(data, name))
        elif _suffix(name) in _XML_SUFFIXES or data.lstrip()[:1] == b"<":
            safety.parse_xml(data, name)  # hostile or broken XML says so; well-formed XML of another kind:
            raise Unreadable(f"{shown(name)} is XML but not a C-CDA document; it was not read.")
        else:
            if data.lstrip()[:1] in (b"{", b"["):
                safety.load_json(data, name)  # hostile or broken JSON says so
            raise Unreadable(f"{shown(name)} is not a C-CDA document or FHIR resource; it was not read.")

    def verify(self, m: _Member, data: bytes, listed: _Listed | None) -> None:
        if listed is None:
            return
        wrong = []
        if listed.size is not None and listed.size != len(data):
            wrong.append("size")
        if listed.sha1 and listed.sha1 != hashlib.sha1(data).hexdigest():  # SHA-1: the checksum XDS lists
            wrong.append("checksum")
        if wrong:
            self.skip(m.name, f"{shown(m.name)} does not have the {' and '.join(wrong)} METADATA.XML lists for it, "
                              "so the download may be damaged; it was read anyway — compare its values with the "
                              "portal's, or download it again.")

    def pdf(self, m: _Member, data: bytes, listed: _Listed | None, in_xdm: bool) -> None:
        title = (listed.title if listed else "") or PurePosixPath(m.name).stem.replace("_", " ").strip() or "PDF"
        doc = Document(
            source=m.name, format="XDM" if in_xdm else "PDF", kind="clinical", title=title,
            when=listed.when if listed else "", facility=listed.facility if listed else "",
            patient=listed.patient if listed else None,
            files=(Embedded(PurePosixPath(m.name).name, "application/pdf", data, position="the whole file"),),
            original=None, original_name=PurePosixPath(m.name).name, original_media_type="application/pdf",
        )
        if listed is None:  # nothing describes it: its own text proposes what its record is
            doc = _suggested_from_text(doc, data, PurePosixPath(m.name).name, self)
        if doc.patient is None:
            self.pdfs.append(len(self.documents))
        self.documents.append(doc)

    # --- containers ---

    def members(self, members: list[_Member]) -> None:
        """Read the members of one zip or folder, an XDM subset's documents checked against its metadata."""
        subsets: dict[str, dict[str, _Listed]] = {}
        for m in members:
            match = _XDM_SUBSET.search(m.name)
            if match is None:
                continue
            subset = m.name[:match.end()]
            subsets.setdefault(subset.casefold(), {})
            if PurePosixPath(m.name).name.casefold() == "metadata.xml" and m.name[match.end():].count("/") == 0:
                self.check()
                try:
                    subsets[subset.casefold()] = _read_metadata(m.read(safety.MAX_DOCUMENT_BYTES), m.name)
                except Unreadable as exc:
                    self.skip(m.name, f"{str(exc).rstrip('.')}; the documents were read without checking them "
                                      "against it.")
                except Refused as exc:
                    raise self._named(exc, m.name) from None
                except Exception as exc:  # metadata of an odd shape: the documents are still read
                    log.warning("XDM metadata could not be read: %s at %s", exc.__class__.__name__, _where(exc))
                    self.skip(m.name, f"{shown(m.name)} could not be read; the documents were read without "
                                      "checking them against it.")
                finally:
                    self.meter.add(m.weight)
        seen: dict[str, set[str]] = {}
        for m in members:
            if _ignored(m.name):
                continue
            match = _XDM_SUBSET.search(m.name)
            listed = None
            if match is not None:
                key = m.name[:match.end()].casefold()
                base = PurePosixPath(m.name).name.upper()
                listed = subsets.get(key, {}).get(base)
                seen.setdefault(key, set()).add(base)
            self.member(m, listed, in_xdm=match is not None)
        for key, listed_docs in subsets.items():
            for base, item in listed_docs.items():
                if base not in seen.get(key, set()):
                    self.skip(item.uri, f"{shown(item.uri)} is listed in METADATA.XML but is not in the download, "
                                        "so the download may be incomplete.")

    def nested_zip(self, m: _Member) -> None:
        """A zip in a chosen folder: its entries are read as the folder's own files are."""
        assert m.path is not None
        if _looks_like_apple(m.path):
            self.apple(m.path, m.weight)
            return
        before = self.meter.done
        with safety.SafeZip(m.path, shown(m.name)) as archive:
            members = _zip_members(archive, m.name + "/")
            total = sum(x.weight for x in members) or 1
            for x in members:  # its entries share the zip's part of the progress bar
                x.weight = x.weight * m.weight // total
            self.members(members)
        self.meter.done = before  # ``member`` adds the zip's whole part

    def apple(self, path: Path, weight: int) -> None:
        from secondopinion_desktop.core.portal import apple

        def progress(done: int, total: int) -> None:
            if total > 0:
                self.meter.report(weight * min(done, total) // total)

        try:
            result = apple.read_apple_health(path, progress=progress, cancelled=self.cancelled)
        except Cancelled:
            raise Cancelled(f"Reading {self.name} was cancelled; nothing was changed.") from None
        self.add(result)

    def folder(self, root: Path) -> None:
        members: list[_Member] = []
        apple_dirs: list[tuple[Path, str]] = []
        count = 0

        def walk(directory: Path, relative: str, depth: int) -> None:
            nonlocal count
            self.check()
            if depth > MAX_FOLDER_DEPTH:
                self.skip(relative, f"{shown(relative)} is nested too deeply in the folder; it was not read.")
                return
            try:
                with os.scandir(directory) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self.skip(relative or self.name, f"{shown(relative) or self.name} cannot be opened "
                                                 f"({(exc.strerror or 'unreadable').lower()}).")
                return
            for entry in entries:
                name = f"{relative}{entry.name}"
                count += 1
                if count > MAX_FOLDER_FILES:
                    raise Refused(f"{self.name} holds more than {MAX_FOLDER_FILES:,} files, more than any health "
                                  "record download; choose the folder of the download itself.")
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISLNK(info.st_mode):
                    if not _ignored(name):
                        self.skip(name, f"{entry.name} is a link; links are not followed.")
                    continue
                if stat.S_ISDIR(info.st_mode):
                    path = Path(entry.path)
                    if _looks_like_apple_folder(path):
                        apple_dirs.append((path, name))
                    elif entry.name.casefold() != "__macosx":
                        walk(path, name + "/", depth + 1)
                    continue
                if not stat.S_ISREG(info.st_mode):
                    if not _ignored(name):
                        self.skip(name, f"{entry.name} is not a regular file; it was not read.")
                    continue
                members.append(_file_member(Path(entry.path), name, info.st_size))

        if _looks_like_apple_folder(root):
            self.meter.total = 1000
            self.apple(root, 1000)
            return
        walk(root, "", 0)
        weights = [_apple_weight(p) for p, _ in apple_dirs]
        self.meter.total = sum(m.weight for m in members) + sum(weights)
        for (path, _name), weight in zip(apple_dirs, weights, strict=True):
            self.check()
            self.apple(path, weight)
            self.meter.add(weight)
        self.members(members)

    # --- the end ---

    def package(self) -> Package:
        documents = self.documents
        if self.pdfs:
            known = next((d.patient for d in documents if d.patient is not None and d.patient.named), None)
            for i in self.pdfs:
                if known is not None:
                    documents[i] = dataclasses.replace(documents[i], patient=known)
        # A FHIR export split into one file per resource type keeps the Patient in one file only: the others
        # are that person's when the rest of the download names exactly one person.
        nameless = [i for i, d in enumerate(documents)
                    if d.format.startswith("FHIR") and (d.patient is None or not d.patient.named)]
        if nameless:
            named = _distinct_patients([*(d.patient for d in documents if d.patient is not None and d.patient.named),
                                        *self.patients_seen], at_most=1)
            if len(named) == 1:
                for i in nameless:
                    documents[i] = dataclasses.replace(documents[i], patient=named[0])
        people_found = _distinct_patients(
            [*(d.patient for d in documents if d.patient is not None), *self.patients_seen], at_most=9)
        if len(people_found) > 1:
            names = ", ".join(_person(p) for p in people_found[:3])
            more = f" and {len(people_found) - 3:,} more" if len(people_found) > 3 else ""
            count = _NUMBER_WORDS.get(len(people_found), "more than nine")
            if len(people_found) > 9:
                more = " and others"
            raise Refused(f"{self.name} holds the records of {count} people ({names}{more}); "
                          "import them one at a time.")
        for doc in documents:
            if doc.patient is None or not doc.patient.named:
                where = shown(doc.source)
                place = f"{where} in {self.name}" if where != self.name else where
                raise Refused(f"{place} does not say whose record it is (no patient's name or birth date), so it "
                              "cannot be told apart from someone else's; nothing was imported.")
        kept, repeats, repeated_results = _deduplicate(documents)
        skipped = list(self.skipped)
        for doc in kept:
            skipped.extend(doc.skipped)
        if not kept:
            if len(skipped) == 1 and not skipped[0].reason.startswith(shown(skipped[0].source)):
                # a reader's reason about the whole of what was opened ("it holds no clinical records …")
                raise Refused(f"{self.name} holds no record this app can read: {skipped[0].reason.rstrip('.')}.")
            if skipped:
                first = skipped[0].reason.rstrip(".")
                raise Refused(f"{self.name} holds no record this app can read "
                              f"({plural(len(skipped), 'item')} left out; the first: {first}).")
            raise Refused(f"{self.name} holds no record this app can read (C-CDA, FHIR, Apple Health or PDF).")
        return Package(self.name, tuple(kept), tuple(skipped), repeats, repeated_results)


def _where(exc: BaseException) -> str:
    """Where in the code ``exc`` was raised ("ccda.py:812"), for the log: never its message, which may hold
    what the file said."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


def _looks_like_record(head: bytes) -> bool:
    from secondopinion_desktop.core.portal import ccda, fhir

    if head.startswith(b"%PDF"):
        return True
    try:
        return bool(ccda.looks_like_ccda(head) or fhir.looks_like_fhir(head))
    except Exception:  # a sniffer that trips on a cut-off head: not a record we can tell  # noqa: BLE001
        return False


def _looks_like_apple(path: Path) -> bool:
    from secondopinion_desktop.core.portal import apple

    try:
        return bool(apple.looks_like_apple_health(path))
    except (OSError, ValueError, Refused):
        return False


_APPLE_NAMES = ("export.xml", "exportar.xml")  # the Health app names it in the phone's language at times


def _is_apple_export(name: str) -> bool:
    parts = name.split("/")
    return len(parts) >= 2 and parts[-2] == "apple_health_export" and parts[-1].lower() in _APPLE_NAMES


def _in_apple_export(name: str) -> bool:
    return "apple_health_export" in name.split("/")[:-1]


def _looks_like_apple_folder(path: Path) -> bool:
    """An Apple Health export folder: ``export.xml`` in it, a file of its own and not a link (so the export
    reader never reads something outside the chosen folder through one)."""
    try:
        if not any(stat.S_ISREG(os.lstat(path / n).st_mode) for n in _APPLE_NAMES if os.path.lexists(path / n)):
            return False
    except OSError:
        return False
    return _looks_like_apple(path)


def _apple_weight(path: Path) -> int:
    try:
        return max(1, os.lstat(path / "export.xml").st_size)
    except OSError:
        return 1


# --- repeats ----------------------------------------------------------------------------------------------------


def _order(doc: Document) -> tuple[int, str, str]:
    return (0 if doc.when else 1, doc.when, doc.source)


def _shallow_key(doc: Document) -> tuple[object, ...]:
    """What two documents with the same digest must share: cheap to compute, so the digest (which turns the
    whole document into JSON) is worked out only for documents that share it."""
    return (doc.format, doc.title, doc.when, len(doc.sections), len(doc.reports),
            sum(len(r.results) for r in doc.reports), len(doc.medications), len(doc.allergies), len(doc.problems),
            len(doc.files))


def _file_key(f: Embedded) -> str:
    return hashlib.sha256(f.data).hexdigest()


def _text_key(doc: Document, r: Report) -> tuple[str, str, str, str]:
    return (r.kind, plain(r.title).casefold(), r.when or doc.when, plain(r.text))


def _deduplicate(documents: list[Document]) -> tuple[list[Document], int, int]:
    """Documents oldest first (then by name), whole repeats left out, and what each later document repeats of
    the earlier ones left out of it; with the number of repeated documents and of repeated results."""
    ordered = sorted(documents, key=_order)
    by_shallow: dict[tuple[object, ...], list[int]] = {}
    for i, doc in enumerate(ordered):
        by_shallow.setdefault(_shallow_key(doc), []).append(i)
    repeat_of: set[int] = set()
    for indexes in by_shallow.values():
        if len(indexes) < 2:
            continue
        digests: set[str] = set()
        for i in indexes:
            digest = ordered[i].digest()
            if digest in digests:
                repeat_of.add(i)
            digests.add(digest)
    repeats = len(repeat_of)
    results: set[ResultKey] = set()
    medications: set[tuple[str, str, str]] = set()
    allergies: set[tuple[str, str]] = set()
    problems: set[tuple[str, str]] = set()
    files: set[str] = set()
    texts: set[tuple[str, str, str, str]] = set()
    bares: set[tuple[object, ...]] = set()
    repeated_results = 0
    kept: list[Document] = []
    for i, doc in enumerate(ordered):
        if i in repeat_of:
            continue
        new_results: set[ResultKey] = set()
        reports = []
        changed = False
        for report in doc.reports:
            when = report.when or doc.when
            keys = [result_key(r, when, report.title) for r in report.results]
            fresh = tuple(r for r, key in zip(report.results, keys, strict=True) if key is None or key not in results)
            repeated_results += len(report.results) - len(fresh)
            new_results.update(key for key in keys if key is not None)
            new_files = tuple(f for f in report.files if _file_key(f) not in files)
            text_key = _text_key(doc, report)
            text_new = bool(report.text) and text_key not in texts
            if not (report.results or report.files or report.text):
                # a report with nothing in it but its title (an imaging study to link, links): kept unless an
                # earlier document gave the very same one
                bare = (*text_key, report.study_uid, report.accession_number,
                        tuple(link.url for link in report.links))
                if bare in bares:
                    changed = True
                    continue
                bares.add(bare)
                reports.append(report)
                continue
            if not fresh and not new_files and not text_new:
                changed = True
                continue
            if len(fresh) != len(report.results) or len(new_files) != len(report.files):
                report = dataclasses.replace(report, results=fresh, files=new_files)
                changed = True
            reports.append(report)
            files.update(_file_key(f) for f in new_files)
            if report.text:
                texts.add(text_key)
        results |= new_results
        meds = tuple(m for m in doc.medications if m.key() not in medications)
        alls = tuple(a for a in doc.allergies if a.key() not in allergies)
        probs = tuple(p for p in doc.problems if p.key() not in problems)
        medications.update(m.key() for m in meds)
        allergies.update(a.key() for a in alls)
        problems.update(p.key() for p in probs)
        files.update(_file_key(f) for f in doc.files)
        if changed or len(meds) != len(doc.medications) or len(alls) != len(doc.allergies) or \
                len(probs) != len(doc.problems):
            doc = dataclasses.replace(doc, reports=tuple(reports), medications=meds, allergies=alls, problems=probs)
        if not doc.own_record and not (doc.reports or doc.medications or doc.allergies or doc.problems or doc.files
                                       or doc.sections):
            repeats += 1  # all it held was given before
            continue
        kept.append(doc)
    return kept, repeats, repeated_results


# --- the entry point ----------------------------------------------------------------------------------------------


def read_path(path: Path | str, *, progress: Progress | None = None, cancelled: CancelCheck | None = None) -> Package:
    """Read what ``path`` is (a C-CDA .xml, a FHIR .json or .ndjson, a portal .zip, an Apple Health export, or a
    folder of them) into a ``Package``. ``Refused`` (one sentence naming the file, nothing read further) for
    hostile input, a document with no patient and two different patients; ``Cancelled`` when ``cancelled()``
    says so. Writes nothing."""
    path = Path(path)
    name = path.name or str(path)
    meter = _Meter(progress)
    reading = _Reading(name, meter, cancelled)
    try:
        reading.check()
        try:
            info = path.stat()
        except OSError:
            raise Refused(f"{name} cannot be opened: it is not there or cannot be read.") from None
        if stat.S_ISDIR(info.st_mode):
            reading.folder(path)
        elif not stat.S_ISREG(info.st_mode):
            raise Refused(f"{name} is not a file or a folder that can be read.")
        elif _suffix(name) == ".zip" or _is_zip(path):
            with safety.SafeZip(path, name) as archive:
                members = _zip_members(archive)
                meter.total = sum(m.weight for m in members) or 1
                if any(_is_apple_export(m.name) for m in members):
                    # the Apple Health reader reads its export; whatever else the zip holds is read as usual
                    apple_part = [m for m in members if _in_apple_export(m.name)]
                    members = [m for m in members if not _in_apple_export(m.name)]
                    weight = sum(m.weight for m in apple_part)
                    reading.apple(path, weight)
                    meter.add(weight)
                reading.members(members)
        else:
            reading.single = True
            member = _file_member(path, name, info.st_size)
            meter.total = member.weight
            if _suffix(name) not in _XML_SUFFIXES | _JSON_SUFFIXES:  # told by what it holds
                head = member.head()
                if _suffix(name) == ".pdf" or head.startswith(b"%PDF"):
                    raise Refused(f"{name} is a PDF, not a portal download; add it to a record as a file instead.")
                if not _looks_like_record(head):
                    raise Refused(f"{name} is not a health record file this app reads (C-CDA, FHIR, Apple Health "
                                  "or a portal's zip).")
            reading.member(member)
        reading.check()
        meter.done = meter.total
        meter.report()
        return reading.package()
    finally:
        reading.close_text_reader()


def _is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


__all__ = ["Package", "read_path", "same_person"]


def _suggested_from_text(doc: Document, data: bytes, name: str, reading: _Reading) -> Document:
    """A loose PDF's record as its own text layer proposes it (kind, title, date, facility, clinician, accession
    number), each proposal kept with where it came from so the preview can mark it; the PDF as it was when its
    text gives nothing (a scan: it is recognised later, once attached)."""
    import tempfile

    from secondopinion_desktop.core.documents.model import ReaderUnavailable
    from secondopinion_desktop.core.documents.model import Unreadable as NoText
    from secondopinion_desktop.core.documents.suggest import suggest
    from secondopinion_desktop.core.fsutil import write_atomically

    with tempfile.TemporaryDirectory(prefix="secondopinion-pdf-") as tmp:  # private (0700), removed at once
        path = Path(tmp) / "document.pdf"
        write_atomically(path, data)
        try:
            pages = list(reading.read_text(path).pages)
        except (NoText, ReaderUnavailable):
            return doc
        except Exception as exc:  # an odd PDF: its name still gives the record, as before
            log.warning("a PDF's text could not be read for suggestions: %s", exc.__class__.__name__)
            return doc
    if not any(p.text.strip() for p in pages):
        return doc
    found = suggest(pages, file_name=name)
    changes: dict[str, Any] = {}
    why: list[tuple[str, str]] = []
    for item in found.items():
        if item.field == "kind":
            changes["kind"] = getattr(item.value, "value", str(item.value))
        elif item.field == "title":
            changes["title"] = str(item.value)
        elif item.field == "date_of_service":
            changes["when"] = item.value.isoformat() if hasattr(item.value, "isoformat") else str(item.value)
        elif item.field in ("facility", "clinician", "accession_number"):
            changes[item.field] = str(item.value)
        else:
            continue
        why.append((item.field, item.why))
    return dataclasses.replace(doc, suggested=tuple(why), **changes) if changes else doc
