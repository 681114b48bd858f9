"""``INDEX.HTM`` and ``README.TXT`` of the folder for the doctor.

INDEX.HTM is one static page: no script, no outside style sheet or font, CSS inline in a ``<style>`` element, every
string that comes from the patient's data escaped. Links are relative, so the page works from a USB stick, a CD
or an unpacked zip. README.TXT has Windows line endings so that Notepad shows its lines.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from secondopinion_desktop.core.words import plural, size

PACKET_NAME = "PACKET.PDF"
INDEX_NAME = "INDEX.HTM"
README_NAME = "README.TXT"
MANIFEST_NAME = "MANIFEST.SHA256"
MANIFEST_CSV_NAME = "MANIFEST.CSV"
DOCUMENTS = "DOCUMENTS"

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#111;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #ddd;
vertical-align:top} th{background:#f0f0f0} .muted{color:#555} .num{text-align:right}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _link(relative: str) -> str:
    return _e(quote(relative, safe="/"))


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else "no date"


def index_html(*, patient_name: str, date_of_birth: dt.date | None, prepared: dt.date,
               documents: Sequence[Any], studies: Sequence[Any], has_packet: bool,
               problems: Sequence[str]) -> str:
    """The page. ``documents`` carry date, kind, title, path and size; ``studies`` date, modality, description,
    series, images."""
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Medical records of {_e(patient_name or 'the patient')}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Medical records of {_e(patient_name or 'the patient')}</h1>",
        f'<p>Date of birth: {_e(_day(date_of_birth) if date_of_birth else "not given")}<br>'
        f'<span class="muted">Prepared on {_e(prepared.isoformat())} with Second Opinion.</span></p>',
    ]
    if has_packet:
        out.append(f'<p><a href="{_link(PACKET_NAME)}">The records packet (PDF)</a>: the case summary, the '
                   "inventory of records and every report, in one file.</p>")
    out.append(f"<h2>Documents ({len(documents)})</h2>")
    if documents:
        out.append('<table><tr><th>Date</th><th>Kind</th><th>Document</th><th class="num">Size</th></tr>')
        for d in documents:
            out.append(f"<tr><td>{_e(_day(d.date))}</td><td>{_e(d.kind)}</td>"
                       f'<td><a href="{_link(d.path)}">{_e(d.title)}</a></td>'
                       f'<td class="num">{_e(size(d.size))}</td></tr>')
        out.append("</table>")
    else:
        out.append("<p>No documents.</p>")
    out.append(f"<h2>Imaging studies ({len(studies)})</h2>")
    if studies:
        out.append('<p>The images are in DICOM form in the <code>DICOM</code> folder, indexed by the '
                   '<code>DICOMDIR</code> file: open that file with a DICOM viewer.</p>')
        out.append('<table><tr><th>Date</th><th>Modality</th><th>Study</th><th class="num">Series</th>'
                   '<th class="num">Images</th></tr>')
        for s in studies:
            out.append(f"<tr><td>{_e(_day(s.date))}</td><td>{_e(s.modality or '—')}</td>"
                       f"<td>{_e(s.description)}</td><td class=\"num\">{s.series_count}</td>"
                       f'<td class="num">{s.image_count}</td></tr>')
        out.append("</table>")
    else:
        out.append("<p>No imaging studies.</p>")
    if problems:
        out.append("<h2>Left out</h2><ul>")
        out.extend(f"<li>{_e(p)}</li>" for p in problems)
        out.append("</ul>")
    out.append(f'<p class="muted">Every file and its SHA-256 checksum is listed in '
               f'<a href="{_link(MANIFEST_NAME)}">{MANIFEST_NAME}</a> and '
               f'<a href="{_link(MANIFEST_CSV_NAME)}">{MANIFEST_CSV_NAME}</a>.</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def readme_text(*, documents: int, studies: int, images: int, has_packet: bool) -> bytes:
    """README.TXT, with CRLF line endings."""
    lines = [
        "MEDICAL RECORDS FOR THE DOCTOR",
        "",
        "This folder holds a patient's medical records, prepared with Second Opinion:",
        "",
    ]
    if has_packet:
        lines.append(f"- {PACKET_NAME}: the records packet (case summary, inventory and reports) in one PDF.")
    if documents:
        lines.append(f"- {DOCUMENTS}: the original documents, {plural(documents, 'file')}, named by date and title.")
    if studies:
        lines.append(f"- DICOMDIR and the DICOM folder: {plural(studies, 'imaging study', 'imaging studies')} "
                     f"({plural(images, 'image')}) in DICOM form.")
    lines += [
        f"- {INDEX_NAME}: a page listing all of the above with links.",
        f"- {MANIFEST_NAME} and {MANIFEST_CSV_NAME}: every file with its size and SHA-256 checksum.",
        "",
        "HOW TO OPEN IT",
        "",
        f"Open {INDEX_NAME} in any web browser (double-click it). It has no scripts and needs no internet.",
        "",
    ]
    if studies:
        lines += [
            "Open DICOMDIR with a DICOM viewer (for example the viewer of your PACS, Horos, OsiriX, Weasis,",
            "RadiAnt or MicroDicom) to see the images.",
            "",
        ]
    lines += [
        "Nothing in this folder starts by itself.",
        "",
        "HOW TO CHECK THAT NOTHING IS MISSING OR CHANGED",
        "",
        f"{MANIFEST_NAME} is in the format of the sha256sum tool. In this folder, run:",
        f"    sha256sum -c {MANIFEST_NAME}          (Linux)",
        f"    shasum -a 256 -c {MANIFEST_NAME}      (macOS)",
        "On Windows, 'certutil -hashfile FILE SHA256' gives one file's checksum to compare with the list.",
        f"{MANIFEST_CSV_NAME} lists the same files as path,size,sha256 for a spreadsheet.",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")
