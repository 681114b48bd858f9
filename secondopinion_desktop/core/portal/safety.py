"""The one way the portal readers open untrusted input.

Everything a patient downloads is treated as hostile until read: a document may declare entities (the
"billion laughs" bomb, or an external entity pointing at ``/etc/passwd`` or a web address), a zip may hold
``../`` names, absolute names, links, a compression bomb or a hundred thousand entries, JSON may nest ten
thousand deep, a body may be hundreds of megabytes of base64. Each is refused with one plain sentence naming
the file (``Refused``), before anything is written; nothing is ever fetched. A file that is merely broken or
not what its name says (bad markup, not UTF-8, a damaged zip entry) is ``Unreadable``, a kind of ``Refused``
that a download of many files may skip while reading the rest; any other ``Refused`` refuses the whole.

- ``parse_xml(data, name)``: lxml with entities never substituted, no DTD loaded (not even from the disk), no
  network; a document that declares an entity anywhere before its root element, in any encoding, is refused
  outright (no C-CDA or XDM metadata needs one), and so is one nested deeper than libxml2's 256 levels.
- ``iter_xml(stream, name, tag)``: the same rules for a file too big to hold (Apple Health's export.xml,
  which carries an internal DTD): elements one at a time, memory flat.
- ``load_json(data, name)``: strict UTF-8, a nesting limit, a size limit.
- ``SafeZip``: names checked (no traversal, no absolute names, no links), entry count and sizes limited,
  the ratio limited per entry and over the whole zip, every read counted against the declared size and the
  ratio limit; a declared size over the limit is refused before anything is unpacked.
- ``read_file(path, name)``: a folder's file, never through a link, its size checked before it is read.
"""

from __future__ import annotations

import errno
import io
import json
import os
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
MAX_CARRIED_BYTES = 2 * MAX_EMBEDDED_BYTES  # all the files one document carries, unpacked (compression multiplies)
MAX_PACKAGE_BYTES = 768 * 1024 * 1024  # every document and file one download holds, read into memory at once


class Refused(ValidationError):
    """Input that is refused as a whole, with one sentence naming the file; nothing was written."""


class Unreadable(Refused):
    """A file that is broken or not what its name says (bad markup, not UTF-8, not a zip), but not hostile: one
    such file among many in a download is skipped with this sentence as its reason, while any other ``Refused``
    (entities, a zip bomb, a file far too large) refuses the whole download."""


def shown(name: str) -> str:
    """A file's name for a message: its last part, never a full path; characters that cannot be shown (a
    damaged or hostile name's control characters) as "?", and never longer than 120 characters."""
    last = PurePosixPath(name.replace("\\", "/")).name or name
    text = "".join("?" if not ch.isprintable() else ch for ch in last)
    return text if len(text) <= 120 else text[:117] + "..."


# --- XML ---------------------------------------------------------------------------------------------------------

_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def _parser(huge: bool = False) -> Any:
    """lxml's parser with nothing loaded, fetched or substituted. (``collect_ids=False`` is never passed: with
    it libxml2 opens a document's external DTD from the disk, ``<!DOCTYPE x SYSTEM "file:///etc/passwd">``.)"""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=huge,
        remove_comments=True, remove_pis=True,
    )


MAX_PROLOG_BYTES = 16 * 1024 * 1024  # what may come before the root element (declarations, comments, a DTD)


def _ascii(data: bytes) -> bytes:
    """``data`` as ASCII-compatible bytes, whichever of the encodings XML allows it is in (UTF-16 and UTF-32
    are decoded; markup characters are all ASCII, so nothing that matters is lost)."""
    head = data[:4]
    for bom, enc in ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
                     (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                     (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"), (b"\x00<", "utf-16-be"),
                     (b"<\x00", "utf-16-le")):
        if head.startswith(bom):
            usable = len(data) - len(data) % (4 if "32" in enc else 2)
            return data[:usable].decode(enc, "ignore").encode("ascii", "ignore")
    return data


_PROLOG_TOKEN = re.compile(rb"\s*(<\?|<!--|<!DOCTYPE|<)", re.IGNORECASE)


def _prolog_end(data: bytes) -> int | None:
    """Where the root element starts in ``data`` (ASCII-compatible), skipping the XML declaration, processing
    instructions, comments and the DOCTYPE with its internal subset (quotes, comments and brackets inside it
    followed); None when ``data`` ends before the root element does start."""
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while True:
        m = _PROLOG_TOKEN.match(data, pos)
        if m is None:
            return pos if data[pos:].strip() else None  # text before any element: not XML, the parser says so
        token = m.group(1)
        start = m.start(1)
        if token == b"<?":
            end = data.find(b"?>", start + 2)
            if end < 0:
                return None
            pos = end + 2
        elif token == b"<!--":
            end = data.find(b"-->", start + 4)
            if end < 0:
                return None
            pos = end + 3
        elif token.upper() == b"<!DOCTYPE":
            after = _doctype_end(data, m.end(1))
            if after is None:
                return None
            pos = after
        else:
            return start


def _doctype_end(data: bytes, pos: int) -> int | None:
    """The position just after the DOCTYPE declaration that continues at ``pos``."""
    depth = 0
    quote = 0
    n = len(data)
    while pos < n:
        c = data[pos]
        if quote:
            if c == quote:
                quote = 0
        elif c in (0x22, 0x27):  # " '
            quote = c
        elif c == 0x5B:  # [
            depth += 1
        elif c == 0x5D:  # ]
            depth = max(0, depth - 1)
        elif depth and data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
            if end < 0:
                return None
            pos = end + 3
            continue
        elif c == 0x3E and not depth:  # >
            return pos + 1
        pos += 1
    return None


def _declares_entities(prolog: bytes) -> bool:
    return bool(_DOCTYPE.search(prolog) and _ENTITY_DECL.search(prolog))


def _entities_refused(name: str, what: str = "a health record") -> Refused:
    return Refused(f"{shown(name)} declares XML entities, which {what} never needs; it was not read.")


def refuse_entities(data: bytes, name: str) -> None:
    """Refuse XML that declares entities (in its internal DTD) before any parser sees it: everything before
    the root element is looked at, however long (up to ``MAX_PROLOG_BYTES``), in any encoding XML allows."""
    text = _ascii(data[:MAX_PROLOG_BYTES + 8])
    end = _prolog_end(text)
    prolog = text if end is None else text[:end]
    if _declares_entities(prolog):
        raise _entities_refused(name)
    if end is None and len(data) > MAX_PROLOG_BYTES:
        raise Refused(f"{shown(name)} has more than {MAX_PROLOG_BYTES // 2**20} MB before its first element, "
                      "which no health record has; it was not read.")


def parse_xml(data: bytes, name: str) -> Any:
    """The root element of ``data``; ``Refused`` (naming the file) for entities, bad encoding or broken XML."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Refused(f"{shown(name)} is too large to be a health record document ({_mb(len(data))}); "
                      "it was not read.")
    refuse_entities(data, name)
    from lxml import etree

    try:
        try:
            root = etree.fromstring(data, parser=_parser())
        except etree.XMLSyntaxError as exc:
            if "too long" not in str(exc).lower() or "name too long" in str(exc).lower():
                raise
            # a text over libxml2's 10 MB (a scanned report's base64): read again without that limit; the
            # entities were refused above and the size is limited by MAX_DOCUMENT_BYTES
            root = etree.fromstring(data, parser=_parser(huge=True))
    except etree.XMLSyntaxError as exc:
        raise _xml_refused(exc, name) from None
    except (ValueError, MemoryError) as exc:
        raise Unreadable(f"{shown(name)} is not readable XML ({exc.__class__.__name__}).") from None
    if root is None:
        raise Unreadable(f"{shown(name)} is empty.")
    return root


def _xml_refused(exc: Exception, name: str, what: str = "a health record") -> Refused:
    text = str(exc).lower()
    if "amplification" in text or "entity loop" in text or "huge input lookup" in text:
        return _entities_refused(name, what)
    if "excessive depth" in text:
        return Refused(f"{shown(name)} nests its elements more deeply than any health record does; "
                       "it was not read.")
    return Unreadable(f"{shown(name)} is not readable XML ({_xml_reason(exc)}).")


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
    while True:
        text = _ascii(head)
        end = _prolog_end(text)
        if _declares_entities(text if end is None else text[:end]):
            raise _entities_refused(name, "a health export")
        if end is not None:
            break
        more = stream.read(1024 * 1024)
        if not more:
            break
        head += more
        if len(head) > MAX_PROLOG_BYTES:
            raise Refused(f"{shown(name)} has more than {MAX_PROLOG_BYTES // 2**20} MB before its first element, "
                          "which no health export has; it was not read.")
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
        raise _xml_refused(exc, name, "a health export") from None


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
        raise Unreadable(f"{shown(name)} is not UTF-8 text; it was not read.") from None


_KEPT = frozenset(b'[]{}"')
_NOT_KEPT = bytes(b for b in range(256) if b not in _KEPT)


def _too_deep(text: str, limit: int) -> bool:
    """Whether JSON text nests deeper than ``limit`` (brackets outside strings), checked without recursion and
    without a Python loop over the characters (about half a second for a 40 MB bundle). Escaped backslashes go
    first, left to right as JSON reads them, then escaped quotes; then everything but brackets and quotes; then
    the strings with what is left inside them; then each pass takes away the innermost pairs: brackets still
    there after ``limit`` passes nest deeper. Brackets that do not pair up count by their longest run of openings."""
    if text.count("[") + text.count("{") <= limit:
        return False
    raw = text.encode("utf-8", "surrogatepass").replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(raw.translate(None, _NOT_KEPT).split(b'"')[::2])
    for _ in range(limit):
        # one level a pass: a pair taken away leaves a mark, so no pair it closed is taken in the same pass
        shorter = brackets.replace(b"[]", b"\0").replace(b"{}", b"\0").replace(b"\0", b"")
        if not shorter:
            return False
        if len(shorter) == len(brackets):  # they do not pair up: deep if a long run of them opens at once
            return re.search(rb"[\[{]{%d}" % (limit + 1), shorter) is not None
        brackets = shorter
    return True


def load_json(data: bytes | str, name: str) -> Any:
    """Parsed JSON; ``Refused`` (naming the file) when too large, not UTF-8, nested too deep or broken."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Refused(f"{shown(name)} is too large to be a health record file ({_mb(len(data))}); "
                      "it was not read.")
    text = decode_text(data, name) if isinstance(data, bytes) else data
    if _too_deep(text, MAX_JSON_DEPTH):
        raise Refused(f"{shown(name)} nests its data more than {MAX_JSON_DEPTH} levels deep; it was not read.")
    try:
        return json.loads(text)
    except RecursionError:
        raise Refused(f"{shown(name)} nests its data too deeply; it was not read.") from None
    except json.JSONDecodeError as exc:
        raise Unreadable(f"{shown(name)} is not readable JSON ({exc.msg.lower()} at line {exc.lineno}).") from None
    except ValueError:  # a number of thousands of digits (Python's integer conversion limit)
        raise Refused(f"{shown(name)} holds a number thousands of digits long, which no health record has; "
                      "it was not read.") from None


def decode_base64(text: str, name: str) -> bytes:
    """Base64 text (white space allowed) decoded; ``Refused`` when it would exceed ``MAX_EMBEDDED_BYTES`` or is
    not base64."""
    import base64
    import binascii

    if len(text) // 2 * 3 // 4 > MAX_EMBEDDED_BYTES:  # refused before anything is copied, even with line breaks
        raise Refused(f"{shown(name)} carries a file of over {MAX_EMBEDDED_BYTES // 2**20} MB inside it; "
                      "it was not read.")
    compact = "".join(text.split())
    if len(compact) * 3 // 4 > MAX_EMBEDDED_BYTES:
        raise Refused(f"{shown(name)} carries a file of over {MAX_EMBEDDED_BYTES // 2**20} MB inside it; "
                      "it was not read.")
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise Unreadable(f"{shown(name)} carries a file that is not valid base64.") from None


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
        self.name = shown(shown_name or self.path.name)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except Exception as exc:  # a damaged zip raises many kinds (BadZipFile, struct.error, EOFError…)
            raise Unreadable(f"{self.name} is not a readable zip file ({_zip_reason(exc)}).") from None
        try:
            self.entries: tuple[ZipEntry, ...] = self._check(self._zip.infolist())
        except BaseException:
            self._zip.close()
            raise

    def _check(self, infos: list[zipfile.ZipInfo]) -> tuple[ZipEntry, ...]:
        if len(infos) > MAX_ZIP_ENTRIES:
            raise Refused(f"{self.name} holds {len(infos):,} entries, more than any health record download "
                          f"({MAX_ZIP_ENTRIES:,}); it was not read.")
        total = 0
        packed = 0
        entries: list[ZipEntry] = []
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            problem = _bad_entry(info)
            if problem:
                raise Refused(f"{self.name} holds an entry {problem} ({_safe_repr(info.filename)}); it was not read.")
            if info.is_dir():
                continue
            name = info.filename.replace("\\", "/")
            if name in self._infos:  # a name given twice: the first one is the entry
                continue
            total += info.file_size
            packed += info.compress_size
            if total > MAX_ZIP_TOTAL_BYTES:
                raise Refused(f"{self.name} would unpack to more than {MAX_ZIP_TOTAL_BYTES // 2**30} GB; "
                              "it was not read.")
            if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise Refused(f"{self.name} holds an entry packed {info.file_size // max(info.compress_size, 1):,} "
                              "times tighter than any real document (a zip bomb); it was not read.")
            self._infos[name] = info
            entries.append(ZipEntry(name, info.file_size, info.compress_size))
        # many small entries that each pack tightly add up to a bomb as well
        if total > 64 * RATIO_FREE_BYTES and total > MAX_RATIO * max(packed, 1):
            raise Refused(f"{self.name} would unpack {total // max(packed, 1):,} times larger than it is "
                          "(a zip bomb); it was not read.")
        return tuple(entries)

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def read(self, entry: ZipEntry | str, limit: int | None = None) -> bytes:
        """An entry's bytes, counted as they unpack: more than declared, or than ``limit`` (by default
        ``MAX_DOCUMENT_BYTES``), is refused — a declared size over the limit before anything is unpacked."""
        chunks = []
        for chunk in self.stream(entry, MAX_DOCUMENT_BYTES if limit is None else limit):
            chunks.append(chunk)
        return b"".join(chunks)

    def stream(self, entry: ZipEntry | str, limit: int | None = None) -> Iterator[bytes]:
        item = entry if isinstance(entry, ZipEntry) else self._entry(entry)
        limit = MAX_STREAMED_BYTES if limit is None else limit
        if item.size > limit:
            raise Refused(f"{shown(item.name)} in {self.name} is too large to be a health record document "
                          f"({_mb(item.size)}); it was not read.")
        return self._chunks(item, limit)

    def _chunks(self, item: ZipEntry, limit: int) -> Iterator[bytes]:
        done = 0
        try:
            with self._zip.open(self._infos[item.name]) as fh:
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
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
            raise Unreadable(f"{shown(item.name)} in {self.name} cannot be unpacked ({_unpack_reason(exc)}).") \
                from None
        except Exception as exc:  # zlib.error and other damage  # noqa: BLE001
            raise Unreadable(f"{shown(item.name)} in {self.name} cannot be unpacked ({_unpack_reason(exc)}).") \
                from None

    def open(self, entry: ZipEntry | str, limit: int | None = None) -> IO[bytes]:
        """A file-like reader over ``stream`` (for ``iter_xml``)."""
        return io.BufferedReader(_StreamReader(self.stream(entry, limit)), buffer_size=1024 * 1024)

    def _entry(self, name: str) -> ZipEntry:
        info = self._infos.get(name.replace("\\", "/"))
        if info is None:
            raise KeyError(name)
        return ZipEntry(info.filename.replace("\\", "/"), info.file_size, info.compress_size)


def _mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB" if size >= 2**20 else f"{size / 1024:,.0f} KB"


# --- files in a folder ---------------------------------------------------------------------------------------------


def read_file(path: Path, name: str, limit: int | None = None) -> bytes:
    """A regular file's bytes, never through a link; a size over ``limit`` (by default ``MAX_DOCUMENT_BYTES``)
    is refused before anything is read, and a file that grows while being read is refused too."""
    limit = MAX_DOCUMENT_BYTES if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unreadable(f"{shown(name)} is a link; links are not followed.") from None
        raise Unreadable(f"{shown(name)} cannot be read ({_zip_reason(exc)}).") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"{shown(name)} is not a regular file; it was not read.")
        if info.st_size > limit:
            raise Refused(f"{shown(name)} is too large to be a health record document ({_mb(info.st_size)}); "
                          "it was not read.")
        chunks = []
        done = 0
        while True:
            chunk = os.read(fd, 1024 * 1024)
            if not chunk:
                break
            done += len(chunk)
            if done > limit:
                raise Refused(f"{shown(name)} is too large to be a health record document; it was not read.")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable(f"{shown(name)} cannot be read ({_zip_reason(exc)}).") from None
    finally:
        os.close(fd)


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


def _unpack_reason(exc: BaseException) -> str:
    reason = _zip_reason(exc)
    return "it is damaged" if reason == "it is damaged or not a zip file" else reason


def _zip_reason(exc: BaseException) -> str:
    """Why a zip or a file could not be read, in plain words (never the library's own message, which may hold
    a name or mean nothing to a person)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).lower()
    if isinstance(exc, NotImplementedError) or "compression method" in text:
        return "it is packed in a way this app cannot unpack"
    if "version" in text or "multi-disk" in text or "zip64" in text:
        return "it was made by a zip program whose format this app cannot read"
    if "crc" in text or "checksum" in text:
        return "it is damaged: its checksum does not match"
    return "it is damaged or not a zip file"
