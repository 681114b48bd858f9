"""File names that are safe on every disk the folder may be copied to, and what kind of disk the target is.

A name never holds ``/ \\ : * ? " < > |`` or control characters, never starts with a dot, never ends with a dot
or a space, is never one of Windows' reserved device names (CON, PRN, AUX, NUL, COM1…, LPT1…), holds no ``..``,
and is at most ``LIMIT`` characters with its extension kept (and short enough in bytes for ext4 and in UTF-16
units for FAT and NTFS). Names are compared without regard to letter case, as Windows, macOS and FAT do, so two
names that differ only in case are numbered like duplicates.

On a FAT disk mounted without UTF-8 names (Linux's ``iocharset`` other than utf8), letters outside ASCII cannot
be written: names are then spelt in ASCII. exFAT and FAT mounted with UTF-8 keep every letter, emoji included.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

LIMIT = 100  # characters of a document's name, extension included
_MAX_BYTES = 240  # UTF-8 bytes (ext4 allows 255)
_MAX_UTF16 = 250  # UTF-16 units (FAT and NTFS allow 255)
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"COM{i}" for i in "123456789¹²³"), *(f"LPT{i}" for i in "123456789¹²³")}
MOUNTS = Path("/proc/mounts")  # where Linux says which disk holds which folder
FAT_KINDS = {"vfat", "msdos", "fat", "umsdos"}
FAT32_MAX_FILE = 2**32 - 1  # the largest file FAT32 holds


@dataclass(frozen=True)
class Disk:
    """The file system a target lies on: its kind as the system names it ("ext4", "vfat", "exfat"…)."""

    kind: str = ""
    utf8_names: bool = True

    @property
    def is_fat32(self) -> bool:
        """FAT12/16/32: at most 4 GB per file."""
        return self.kind in FAT_KINDS

    @property
    def is_fat(self) -> bool:
        """Any FAT (exFAT too): FAT name rules."""
        return self.is_fat32 or self.kind == "exfat"


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def disk_of(path: Path | str) -> Disk:
    """The file system holding ``path`` (or its nearest existing folder), from /proc/mounts; an unknown Disk
    elsewhere (other systems: their own rules are the general ones here)."""
    probe = Path(os.path.realpath(Path(path).expanduser().absolute()))
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        lines = MOUNTS.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return Disk()
    best: tuple[int, Disk] | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 4:
            continue
        point, kind, options = Path(_unescape(fields[1])), fields[2], fields[3].split(",")
        if probe == point or point in probe.parents:
            depth = len(point.parts)
            if best is None or depth >= best[0]:
                utf8 = kind not in FAT_KINDS or "utf8" in options or "utf8=1" in options \
                    or "iocharset=utf8" in options
                best = (depth, Disk(kind, utf8))
    return best[1] if best is not None else Disk()


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if ord(c) < 128 else "_" for c in kept)


def _fits(text: str) -> bool:
    return len(text.encode("utf-8")) <= _MAX_BYTES and len(text.encode("utf-16-le")) // 2 <= _MAX_UTF16


def clean(text: str, *, ascii_only: bool = False) -> str:
    """``text`` made safe as part of a file name (never empty only if ``text`` had something to keep)."""
    text = unicodedata.normalize("NFC", text)
    if ascii_only:
        text = _ascii(text)
    text = re.sub(r"\s*:\s+", " - ", text)  # "Report: biopsy" reads as "Report - biopsy"
    text = re.sub(r"[:/\\]", "-", text)
    text = _FORBIDDEN.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" .")


def extension_of(name: str, *, ascii_only: bool = False) -> str:
    """The original file's extension (".pdf"), lower-case, or "" when it has none worth keeping."""
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix):
        return ""
    return suffix


def safe_name(stem: str, extension: str = "", *, ascii_only: bool = False, limit: int = LIMIT,
              fallback: str = "document") -> str:
    """``stem`` + ``extension`` as a name safe on every OS, at most ``limit`` characters, the extension kept."""
    extension = clean(extension, ascii_only=True).lower()
    if extension and not extension.startswith("."):
        extension = "." + extension
    base = clean(stem, ascii_only=ascii_only) or fallback
    room = max(1, limit - len(extension))
    base = base[:room].rstrip(" .") or fallback
    while base and not _fits(base + extension):
        base = base[:-1].rstrip(" .")
    base = base or fallback
    if base.split(".")[0].upper().rstrip(" ") in _RESERVED:
        base = "_" + base
        base = base[:room].rstrip(" .")
    return base + extension


class Names:
    """Hands out names in one folder: each safe, none equal to another when letter case is ignored."""

    def __init__(self, *, ascii_only: bool = False, limit: int = LIMIT) -> None:
        self.ascii_only = ascii_only
        self.limit = limit
        self._taken: set[str] = set()

    def take(self, stem: str, extension: str = "") -> str:
        extension = extension.lower()
        name = safe_name(stem, extension, ascii_only=self.ascii_only, limit=self.limit)
        if name.casefold() not in self._taken:
            self._taken.add(name.casefold())
            return name
        base = name[: len(name) - len(extension)] if extension and name.endswith(extension) else name
        number = 2
        while True:
            tag = f" ({number})"
            trimmed = base[: max(1, self.limit - len(extension) - len(tag))].rstrip(" .")
            candidate = safe_name(trimmed + tag, extension, ascii_only=self.ascii_only, limit=self.limit)
            if candidate.casefold() not in self._taken:
                self._taken.add(candidate.casefold())
                return candidate
            number += 1
