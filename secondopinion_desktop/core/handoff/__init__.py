"""The folder for the doctor: everything on a USB stick, a folder to burn or one zip file.

What it holds, at its root:

- ``PACKET.PDF``: the records packet (``core.packet.build_packet``);
- ``DICOMDIR`` and ``DICOM/PT000000/ST000000/SE000000/IM000000…``: every imported imaging study, each image
  byte for byte as imported, under one DICOMDIR, as imaging CDs have it (no autorun);
- ``DOCUMENTS/``: the original documents and attached files, named ``<date> <title>.<ext>`` with names safe on
  every system (``names``);
- ``INDEX.HTM``: a static page (no script) listing the patient, every document and every study, with links;
- ``README.TXT``: what the folder holds and how to open and check it (Windows line endings);
- ``MANIFEST.SHA256`` (``<sha256>  <path>``, as ``sha256sum -c`` reads it) and ``MANIFEST.CSV``
  (``path,size,sha256``): every other file. The two manifests do not list themselves.

``plan_handoff`` says what would be written and refuses a target that cannot take it; ``write_handoff`` writes it
under a hidden name beside the target and renames it when complete; ``verify_handoff`` checks a folder (or zip)
against its manifest, e.g. after it was copied to a stick. No Qt here.

A folder's files are copied, with their checksums, by two child processes (``core.copier``) while this process
builds the packet; each image's DICOMDIR record is made from the first bytes its copy read (the first image of
each series is read here, for its series' records). Where no child can start, the copies are made here. A zip
file is written one entry at a time, after the packet.
"""

from __future__ import annotations

from secondopinion_desktop.core.handoff.folder import (
    CANCELLED,
    HandoffError,
    HandoffOptions,
    HandoffPlan,
    HandoffResult,
    PlannedDocument,
    PlannedStudy,
    VerifyResult,
    plan_handoff,
    sweep_partials,
    verify_handoff,
    write_handoff,
)

__all__ = [
    "CANCELLED",
    "HandoffError",
    "HandoffOptions",
    "HandoffPlan",
    "HandoffResult",
    "PlannedDocument",
    "PlannedStudy",
    "VerifyResult",
    "plan_handoff",
    "sweep_partials",
    "verify_handoff",
    "write_handoff",
]
