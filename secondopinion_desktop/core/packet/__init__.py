"""The PDF packet the patient brings to the second-opinion consult.

Importing this package is light: reportlab, pypdf and Pillow are imported by the submodules that use them,
and those are imported only when a packet is built.

What goes in, in order: the case summary on the cover (page 1: who, diagnosis, questions, treatment, latest
imaging, medications, allergies), the key labs with their trend charts (page 2), the contents, the cancer summary
with the clinicians and a one-page timeline, the records inventory with what is still missing, imaging studies
and pathology specimens, the questions for the doctor, the appointment's notes, then the appendix (pathology
first, then imaging reports newest first, molecular reports, labs, the treatment plan and the rest; every
attached PDF in full, scaled to the packet's page size, and every attached picture on its own page, imaging
pictures only when asked for), the files that could not be included and why, and an index of the included files
with their SHA-256.
See :mod:`.build` for how the parts are put together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from secondopinion_desktop.core.progress import CancelCheck

if TYPE_CHECKING:  # pragma: no cover
    from secondopinion_desktop.core.db import DataFolder

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class PacketOptions:
    appointment_id: int | None = None  # None: the next upcoming appointment, if any
    record_ids: frozenset[int] | None = None  # None: every record
    include_appendix: bool = True
    # Imaging records' pictures (a DICOM series' middle-slice preview, a photo of a screen) are not diagnostic
    # and are left out of the appendix unless asked for; the images themselves go on a CD or USB stick.
    include_image_thumbnails: bool = False
    today: dt.date | None = None  # "Prepared on" and the what's-missing rules; None: the real today


@dataclass(frozen=True)
class PacketProblem:
    """Something the packet had to leave out (a file, usually), and why, in one plain sentence."""

    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass(frozen=True)
class PacketResult:
    path: Path
    pages: int
    problems: tuple[PacketProblem, ...]
    included_files: int


def build_packet(
    folder: DataFolder,
    out: Path,
    options: PacketOptions = PacketOptions(),
    *,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> PacketResult:
    """Write the packet to ``out`` (atomically, mode 0600); say how many pages it has and what was left out.

    Raises core.progress.Cancelled when ``cancelled()`` turns True (checked between steps and between appended files),
    NotFoundError for an unknown appointment or record, and SecondOpinionError when the packet cannot be
    written. In every failing case neither ``out`` nor a temporary file is left behind.
    """
    from secondopinion_desktop.core.packet.build import build_packet as _build

    return _build(folder, Path(out), options, progress=progress, cancelled=cancelled)


def export_notes_pdf(folder: DataFolder, appointment_id: int, out: Path,
                     cancelled: CancelCheck | None = None) -> Path:
    """Write one appointment's sheet (date, doctor, who came along, questions, answers, notes) to ``out``.

    Raises core.progress.Cancelled when ``cancelled()`` turns True (checked between the parts of the sheet);
    then nothing is left at ``out``."""
    from secondopinion_desktop.core.packet.notes import export_notes_pdf as _export

    return _export(folder, appointment_id, Path(out), cancelled=cancelled)


__all__ = [
    "PacketOptions",
    "PacketProblem",
    "PacketResult",
    "build_packet",
    "export_notes_pdf",
]
