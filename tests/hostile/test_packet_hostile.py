"""Hostile packets through the real command: a record with 80 files, text too long for any page, and the
encrypted PDFs that patient portals send. Each run is the `secondopinion` command in its own process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader, PdfWriter

ENV = {key: value for key, value in os.environ.items() if key != "SECONDOPINION_DATA_DIR"}


def so(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "secondopinion_desktop", *argv], capture_output=True,
                          text=True, timeout=300, check=False, env=ENV)


def one_page_pdf(text: str) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canvas = Canvas(buf)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


def encrypted(data: bytes, user: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user, owner_password="x", algorithm="AES-256")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def no_reportlab_words(text: str) -> None:
    for word in ("Traceback", "Flowable", "Table@", "Paragraph", "0x", "frame 'body'"):
        assert word not in text, text


def test_a_record_with_80_files_and_portal_pdfs_makes_a_packet(tmp_path: Path) -> None:
    data = tmp_path / "data"
    files = tmp_path / "files"
    files.mkdir()
    pages = []
    for n in range(80):
        page = files / f"chart-page-{n:03d}.pdf"
        page.write_bytes(one_page_pdf(f"Chart page {n}"))
        pages.append(str(page))
    (files / "portal.pdf").write_bytes(encrypted(one_page_pdf("From the portal"), user=""))
    (files / "locked.pdf").write_bytes(encrypted(one_page_pdf("Locked"), user="secret"))

    added = so("records", "add", "--data-dir", str(data), "--kind", "clinical", "--title", "Scanned chart",
               "--summary", "word " * 2000, "--attach", *pages)
    assert added.returncode == 0, added.stderr
    added = so("records", "add", "--data-dir", str(data), "--kind", "pathology", "--title", "Portal reports",
               "--attach", str(files / "portal.pdf"), str(files / "locked.pdf"))
    assert added.returncode == 0, added.stderr

    out = tmp_path / "packet.pdf"
    made = so("packet", "--data-dir", str(data), "--out", str(out))

    assert made.returncode == 0, made.stderr
    no_reportlab_words(made.stdout + made.stderr)
    lines = made.stdout.strip().splitlines()
    assert lines[0].startswith(f"Wrote {out}: ")
    assert len(lines) == 2 and "locked.pdf" in lines[1] and "password" in lines[1], lines
    reader = PdfReader(out)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "From the portal" in text
    assert all(f"Chart page {n}" in text for n in range(80))
    assert "80 files in all" in " ".join(text.split())


def test_a_row_too_tall_for_any_page_is_named_in_one_line(tmp_path: Path) -> None:
    """The fallback message when a row still cannot be laid out, through the command, names the record."""
    data = tmp_path / "data"
    files = tmp_path / "files"
    files.mkdir()
    names = []
    for n in range(80):
        page = files / f"scan-{n:03d}.pdf"
        page.write_bytes(one_page_pdf(f"Scan {n}"))
        names.append(str(page))
    assert so("records", "add", "--data-dir", str(data), "--kind", "clinical", "--title", "Scanned chart",
              "--attach", *names).returncode == 0
    script = (
        "import sys\n"
        "from secondopinion_desktop.core.packet import story\n"
        "story.SPLIT_IN_ROW = 0\n"  # as before the fix: a row could not be split
        "story.MAX_LISTED_FILES = 1000\n"
        "from secondopinion_desktop.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    out = tmp_path / "packet.pdf"
    run = subprocess.run([sys.executable, "-c", script, "packet", "--data-dir", str(data), "--out", str(out)],
                         capture_output=True, text=True, timeout=300, check=False, env=ENV)
    assert run.returncode == 1
    no_reportlab_words(run.stdout + run.stderr)
    assert run.stderr.strip().splitlines() == [
        "secondopinion: error: The packet could not be laid out: the record \u201cScanned chart\u201d is too "
        "long to fit on a page."
    ]
    assert not out.exists()
