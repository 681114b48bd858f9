"""The one way the portal readers open untrusted input.

Everything a patient downloads is treated as hostile until read: a document may declare entities (the
"billion laughs" bomb, or an external entity pointing at ``/etc/passwd`` or a web address), a zip may hold
``../`` names, absolute names, links, a compression bomb or a hundred thousand entries, JSON may nest ten
thousand deep, a body may be hundreds of megabytes of base64. Each is refused with one plain sentence naming
the file (``Refused``), before anything is written; nothing is ever fetched.

- ``parse_xml(data, name)``: lxml with entities never substituted, no DTD loaded, no network; a document that
  declares an entity is refused outright (no C-CDA or XDM metadata needs one).
- ``iter_xml(stream, name, tag)``: the same rules for a file too big to hold (Apple Health's export.xml,
  which carries an internal DTD): elements one at a time, memory flat.
- ``load_json(data, name)``: strict UTF-8, a nesting limit, a size limit.
- ``SafeZip``: names checked (no traversal, no absolute names, no links), entry count and sizes limited,
  every read counted against the declared size and the ratio limit.
"""

from __future__ import annotations

import io
import json
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from secondopinion_desktop.core.errors import ValidationError

# --- limits (module constants so a test can lower one) -----------------------------------------------------------

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # one XML or JSON document read whole: real ones are a few MB at most
MAX_STREAMED_BYTES = 8 * 1024 * 1024 * 1024  # Apple Health's export.xml, read element by element
MAX_ZIP_ENTRIES = 20_000
MAX_ZIP_TOTAL_BYTES = 16 * 1024 * 1024 * 1024  # what the entries say they hold when unpacked
MAX_RATIO = 200  # unpacked : packed, per entry (text packs 5-30 times; a bomb 1000 times and more)
RATIO_FREE_BYTES = 1024 * 1024  # below this an entry may pack as tightly as it likes
MAX_JSON_DEPTH = 100  # real FHIR nests a dozen deep
MAX_RESOURCES = 200_000  # resources in one bundle or NDJSON file
MAX_EMBEDDED_BYTES = 48 * 1024 * 1024  # one decoded base64 file inside a document


class Refused(ValidationError):
    """Input that is refused as a whole, with one sentence naming the file; nothing was written."""


def shown(name: str) -> str:
    """A file's name for a message: its last part, never a full path."""
    return PurePosixPath(name.replace("\\", "/")).name or name


# --- XML ---------------------------------------------------------------------------------------------------------

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
        remove_comments=True, remove_pis=True, collect_ids=False,
    )


def _prolog(data: bytes) -> bytes:
    """The bytes before the root element (where a DTD would be), in any of the encodings XML allows."""
    head = data[:64 * 1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 1 and head[1:2] == b"\x00") or head[:1] == b"\x00":
        enc = "utf-16"
        try:
            return head.decode(enc, "ignore").encode("ascii", "ignore")
        except LookupError:  # pragma: no cover - utf-16 is always there
            return head
    return head


def refuse_entities(data: bytes, name: str) -> None:
    """Refuse XML that declares entities (in its internal DTD) before any parser sees it."""
    prolog = _prolog(data)
    if _DOCTYPE.search(prolog) and _ENTITY_DECL.search(prolog if len(data) <= len(prolog) else data[:4 * 1024 * 1024]):
        raise Refused(f"{shown(name)} declares XML entities, which a health record never needs; it was not read.")


def parse_xml(data: bytes, name: str) -> Any:
    """The root element of ``data``; ``Refused`` (naming the file) for entities, bad encoding or broken XML."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Refused(f"{shown(name)} is too large to be a health record document ({len(data) // 2**20} MB); "
                      "it was not read.")
    refuse_entities(data, name)
    from lxml import etree

    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise Refused(f"{shown(name)} is not readable XML ({_xml_reason(exc)}).") from None
    except (ValueError, MemoryError) as exc:
        raise Refused(f"{shown(name)} is not readable XML ({exc.__class__.__name__}).") from None
    if root is None:
        raise Refused(f"{shown(name)} is empty.")
    return root


def _xml_reason(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    lowered = text.lower()
    if "utf-8" in lowered or "encoding" in lowered or "char" in lowered and "invalid" in lowered:
        return "its text is not in the encoding it declares"
    if "entity" in lowered:
        return "it refers to entities it does not declare"
    if "document is empty" in lowered or "start tag expected" in lowered:
        return "it is empty or not XML at all"
    return re.sub(r",? line \d+, column \d+", "", text)[:120].rstrip(". ") or "broken markup"


def iter_xml(stream: IO[bytes], name: str, tags: tuple[str, ...]) -> Iterator[Any]:
    """Each element named in ``tags`` (no namespace) as it ends, then cleared: memory stays flat however large
    the file. Entities are never substituted and nothing is loaded or fetched; an internal DTD that declares
    an entity is refused."""
    from lxml import etree

    head = stream.read(256 * 1024)
    prolog = head.split(b"<HealthData", 1)[0] if b"<HealthData" in head else head
    if _DOCTYPE.search(prolog) and _ENTITY_DECL.search(prolog):
        raise Refused(f"{shown(name)} declares XML entities, which a health export never needs; it was not read.")
    rest = _Chained(head, stream)
    try:
        for _event, element in etree.iterparse(
            rest, events=("end",), tag=tags, resolve_entities=False, no_network=True, load_dtd=False,
            huge_tree=True, remove_comments=True, remove_pis=True,
        ):
            yield element
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise Refused(f"{shown(name)} is not readable XML ({_xml_reason(exc)}).") from None


class _Chained(io.RawIOBase):
    """``head`` then the rest of ``stream``, as one readable file."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            out = self._head + self._stream.read()
            self._head = b""
            return out
        return super().read(size) or b""


# --- JSON --------------------------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark allowed); ``Refused`` for anything that is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(f"{shown(name)} is not UTF-8 text; it was not read.") from None


def _too_deep(text: str, limit: int) -> bool:
    """Whether JSON text nests deeper than ``limit`` (brackets outside strings), checked without recursion."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped = False
    for ch in re.finditer(r'[\[\]{}"\\]', text):
        c = ch.group()
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
            continue
        if c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > limit:
                return True
        elif c in "]}":
            depth -= 1
    return False


def load_json(data: bytes | str, name: str) -> Any:
    """Parsed JSON; ``Refused`` (naming the file) when too large, not UTF-8, nested too deep or broken."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Refused(f"{shown(name)} is too large to be a health record file ({len(data) // 2**20} MB); "
                      "it was not read.")
    text = decode_text(data, name) if isinstance(data, bytes) else data
    if _too_deep(text, MAX_JSON_DEPTH):
        raise Refused(f"{shown(name)} nests its data more than {MAX_JSON_DEPTH} levels deep; it was not read.")
    try:
        return json.loads(text)
    except RecursionError:
        raise Refused(f"{shown(name)} nests its data too deeply; it was not read.") from None
    except json.JSONDecodeError as exc:
        raise Refused(f"{shown(name)} is not readable JSON ({exc.msg.lower()} at line {exc.lineno}).") from None


def decode_base64(text: str, name: str) -> bytes:
    """Base64 text (white space allowed) decoded; ``Refused`` when it would exceed ``MAX_EMBEDDED_BYTES`` or is
    not base64."""
    import base64
    import binascii

    compact = "".join(text.split())
    if len(compact) * 3 // 4 > MAX_EMBEDDED_BYTES:
        raise Refused(f"{shown(name)} carries a file of over {MAX_EMBEDDED_BYTES // 2**20} MB inside it; "
                      "it was not read.")
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise Refused(f"{shown(name)} carries a file that is not valid base64.") from None


# --- zip ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZipEntry:
    name: str  # as stored, with "/" separators
    size: int  # unpacked, as declared
    packed: int


class SafeZip:
    """A zip opened for reading with every rule above checked when it is opened."""

    def __init__(self, path: Path, shown_name: str | None = None) -> None:
        self.path = Path(path)
        self.name = shown_name or self.path.name
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            raise Refused(f"{self.name} is not a readable zip file ({_zip_reason(exc)}).") from None
        infos = self._zip.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            self._zip.close()
            raise Refused(f"{self.name} holds {len(infos):,} entries, more than any health record download "
                          f"({MAX_ZIP_ENTRIES:,}); it was not read.")
        total = 0
        entries: list[ZipEntry] = []
        for info in infos:
            problem = _bad_entry(info)
            if problem:
                self._zip.close()
                raise Refused(f"{self.name} holds an entry {problem} ({_safe_repr(info.filename)}); it was not read.")
            if info.is_dir():
                continue
            total += info.file_size
            if total > MAX_ZIP_TOTAL_BYTES:
                self._zip.close()
                raise Refused(f"{self.name} would unpack to more than {MAX_ZIP_TOTAL_BYTES // 2**30} GB; "
                              "it was not read.")
            if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                self._zip.close()
                raise Refused(f"{self.name} holds an entry packed {info.file_size // max(info.compress_size, 1):,} "
                              "times tighter than any real document (a zip bomb); it was not read.")
            entries.append(ZipEntry(info.filename.replace("\\", "/"), info.file_size, info.compress_size))
        self.entries: tuple[ZipEntry, ...] = tuple(entries)

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def read(self, entry: ZipEntry | str, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
        """An entry's bytes, counted as they unpack: more than declared, or than ``limit``, is refused."""
        chunks = []
        for chunk in self.stream(entry, limit):
            chunks.append(chunk)
        return b"".join(chunks)

    def stream(self, entry: ZipEntry | str, limit: int = MAX_STREAMED_BYTES) -> Iterator[bytes]:
        item = entry if isinstance(entry, ZipEntry) else self._entry(entry)
        if item.size > limit:
            raise Refused(f"{shown(item.name)} in {self.name} is too large to be a health record document "
                          f"({item.size // 2**20} MB); it was not read.")
        done = 0
        try:
            with self._zip.open(self._info(item)) as fh:
                while True:
                    chunk = fh.read(1024 * 1024)
                    if not chunk:
                        break
                    done += len(chunk)
                    if done > item.size or done > limit:
                        raise Refused(f"{shown(item.name)} in {self.name} unpacks to more than it declares; "
                                      "it was not read.")
                    if done > RATIO_FREE_BYTES and done > MAX_RATIO * max(item.packed, 1):
                        raise Refused(f"{self.name} holds a zip bomb; it was not read.")
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise Refused(f"{shown(item.name)} in {self.name} cannot be unpacked ({_zip_reason(exc)}).") from None

    def open(self, entry: ZipEntry | str, limit: int = MAX_STREAMED_BYTES) -> IO[bytes]:
        """A file-like reader over ``stream`` (for ``iter_xml``)."""
        return io.BufferedReader(_StreamReader(self.stream(entry, limit)), buffer_size=1024 * 1024)

    def _entry(self, name: str) -> ZipEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    def _info(self, entry: ZipEntry) -> zipfile.ZipInfo:
        for info in self._zip.infolist():
            if info.filename.replace("\\", "/") == entry.name:
                return info
        raise KeyError(entry.name)


class _StreamReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            try:
                self._left = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


def _bad_entry(info: zipfile.ZipInfo) -> str:
    name = info.filename.replace("\\", "/")
    if "\x00" in name:
        return "with a broken name"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or name.startswith("//"):
        return "with an absolute name"
    if any(part == ".." for part in name.split("/")):
        return "whose name climbs out of the folder"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "that is a link"
    if info.flag_bits & 0x1:
        return "that is encrypted"
    return ""


def _safe_repr(name: str) -> str:
    return name.encode("ascii", "backslashreplace").decode("ascii")[:80]


def _zip_reason(exc: BaseException) -> str:
    text = str(exc).split("\n")[0].strip()
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return text[:100] or exc.__class__.__name__
