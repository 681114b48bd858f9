"""Packet benchmark: 200 records, 20 attached PDFs totalling 200 pages, 50 attached pictures.

Run:  .venv/bin/python tests/benchmarks/bench_packet.py [--records N] [--pdfs N] [--pages N] [--images N]
                                                        [--runs N]

Measures, each in a fresh subprocess (so peak memory is that run's own):
  1. build_packet on the data folder (read, check every file, lay out, draw pictures, append, stamp, write);
  2. a bare script doing the same work with no checks: the same kind of reportlab story (cover, contents with
     multiBuild, summary, a 200-row inventory table, the pictures one per page as Image flowables) and a
     pypdf append of the same 20 PDFs, written to a file.
Reports the wall time of the work (imports and the data folder's set-up excluded) and the process's peak
resident memory (ru_maxrss), median of --runs.
Targets: build_packet ≤ 1.5 × the bare script, peak < 300 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

KINDS = ("lab", "imaging", "pathology", "molecular", "clinical", "treatment", "identity", "other")
WORDS = [
    "blood", "count", "metabolic", "panel", "tumor", "marker", "mammogram", "ultrasound", "biopsy", "pathology",
    "slides", "block", "CT", "MRI", "PET", "consult", "note", "discharge", "summary", "referral", "insurance",
    "card", "release", "genomic", "assay", "BRCA", "panel",
]


def make_pdf(pages: int, seed: int) -> bytes:
    """A text-heavy report of ``pages`` pages, as a clinic's PDF would be."""
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen.canvas import Canvas

    rng = random.Random(seed)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=LETTER)
    for page in range(pages):
        c.setFont("Helvetica-Bold", 14)
        c.drawString(72, 740, f"Report {seed} - page {page + 1}")
        c.setFont("Helvetica", 9)
        for line in range(60):
            c.drawString(72, 715 - line * 11, " ".join(rng.choice(WORDS) for _ in range(14)))
        c.showPage()
    c.save()
    return buf.getvalue()


def make_image(index: int) -> tuple[str, bytes]:
    """A photo-like JPEG (most) or a PNG scan (every fifth), 1600 × 1200 pixels."""
    from PIL import Image, ImageDraw

    image = Image.effect_noise((400, 300), 30 + index).convert("RGB").resize((1600, 1200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 100, 700, 400), fill=(240, 240, 240))
    draw.text((120, 120), f"Picture {index}", fill=(0, 0, 0))
    buf = io.BytesIO()
    if index % 5 == 0:
        image.convert("L").save(buf, "PNG")
        return f"scan_{index:02d}.png", buf.getvalue()
    image.save(buf, "JPEG", quality=85)
    return f"photo_{index:02d}.jpg", buf.getvalue()


def prepare(base: Path, n_records: int, n_pdfs: int, n_pages: int, n_images: int) -> dict[str, object]:
    from secondopinion_desktop.core import appointments, profile, records
    from secondopinion_desktop.core.db import open_data_folder

    rng = random.Random(7)
    sources = base / "sources"
    sources.mkdir()
    files: list[tuple[str, Path]] = []
    per_pdf = [n_pages // n_pdfs + (1 if i < n_pages % n_pdfs else 0) for i in range(n_pdfs)]
    for i, pages in enumerate(per_pdf):
        path = sources / f"report_{i:02d}.pdf"
        path.write_bytes(make_pdf(pages, i))
        files.append(("pdf", path))
    for i in range(n_images):
        name, data = make_image(i)
        path = sources / name
        path.write_bytes(data)
        files.append(("image", path))

    today = dt.date.today()
    with open_data_folder(base / "data") as folder:
        with folder.session() as session:
            profile.save_profile(session, name="Bench Patient", date_of_birth="1960-05-04",
                                 cancer_type="Colon cancer", histology="Adenocarcinoma", stage_group="III")
            ids = []
            for i in range(n_records):
                kind = KINDS[i % len(KINDS)]
                title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7))).capitalize() + f" {i}"
                ids.append(records.create_record(
                    session, kind, title, date_of_service=today - dt.timedelta(days=rng.randint(0, 700)),
                    facility=f"Facility {i % 9}", summary=" ".join(rng.choice(WORDS) for _ in range(20)),
                    status=rng.choice(("needed", "requested", "received")),
                ).id)
            soon = dt.datetime.now() + dt.timedelta(days=10)
            a = appointments.create_appointment(session, soon, place="Room 1")
            for q in range(12):
                appointments.add_question(session, a.id, f"Question number {q}: " + " ".join(WORDS[q:q + 8]))
        for n, (_, path) in enumerate(files):
            records.attach_file(folder, ids[n * 3 % len(ids)], path)
    return {
        "data": str(base / "data"),
        "pdfs": [str(p) for k, p in files if k == "pdf"],
        "images": [str(p) for k, p in files if k == "image"],
    }


PACKET_SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.packet import build_packet
    import reportlab.platypus, pypdf, PIL.Image  # imports are not part of the measured work
    spec = json.loads(sys.argv[1])
    folder = open_data_folder(spec["data"])
    start = time.perf_counter()
    result = build_packet(folder, Path(spec["out"]))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "pages": result.pages,
                      "problems": len(result.problems)}))
""")

BARE_SCRIPT = textwrap.dedent("""
    import io, json, resource, sys, time
    from pathlib import Path
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import (BaseDocTemplate, Frame, Image, PageBreak, PageTemplate, Paragraph, Table,
                                    TableStyle)
    from reportlab.platypus.tableofcontents import TableOfContents
    from pypdf import PdfReader, PdfWriter
    from sqlalchemy import create_engine, text
    from reportlab import rl_config
    rl_config.useA85 = 0  # binary image streams, as build_packet writes them (ASCII85 is pure Python here)
    spec = json.loads(sys.argv[1])
    start = time.perf_counter()
    engine = create_engine("sqlite:///" + spec["data"] + "/secondopinion.db")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, title, date_of_service, status, summary FROM record "
                                 "ORDER BY kind, date_of_service")).all()
    ss = getSampleStyleSheet()

    class Doc(BaseDocTemplate):
        def __init__(self, out):
            super().__init__(out, pagesize=LETTER)
            self.addPageTemplates([PageTemplate("p", [Frame(54, 61, 504, 670)])])
        def afterFlowable(self, f):
            if getattr(f, "style", None) is ss["Heading1"]:
                self.notify("TOCEntry", (0, f.getPlainText(), self.page))

    story = [Paragraph("Bench Patient", ss["Title"]), PageBreak(), TableOfContents(), PageBreak(),
             Paragraph("Summary", ss["Heading1"]),
             Paragraph("Colon cancer, adenocarcinoma, stage III", ss["Normal"]),
             PageBreak(), Paragraph("Records inventory", ss["Heading1"])]
    data = [["Kind", "Title", "Date", "Status"]] + [
        [r[0], Paragraph(r[1] + "<br/>" + r[4], ss["BodyText"]), str(r[2]), r[3]] for r in rows]
    table = Table(data, colWidths=[60, 280, 80, 80], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, "grey"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    for path in spec["images"]:
        story += [PageBreak(), Paragraph(Path(path).name, ss["Heading3"]),
                  Image(path, width=6.5 * inch, height=4.9 * inch, kind="proportional")]
    buf = io.BytesIO()
    Doc(buf).multiBuild(story)
    writer = PdfWriter()
    writer.append(PdfReader(buf))
    for path in spec["pdfs"]:
        writer.append(path, outline_item=Path(path).name)
    with open(spec["out"], "wb") as fh:
        writer.write(fh)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "pages": len(writer.pages)}))
""")


def run(script: str, spec: dict[str, object]) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", script, json.dumps(spec)], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--pdfs", type=int, default=20)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-packet-") as tmp:
        base = Path(tmp)
        t0 = dt.datetime.now()
        spec = prepare(base, args.records, args.pdfs, args.pages, args.images)
        print(f"data: {args.records} records, {args.pdfs} PDFs ({args.pages} pages), {args.images} pictures "
              f"(made in {(dt.datetime.now() - t0).total_seconds():.1f} s)")
        packet, bare = [], []
        for n in range(args.runs):
            packet.append(run(PACKET_SCRIPT, {**spec, "out": str(base / f"packet{n}.pdf")}))
            bare.append(run(BARE_SCRIPT, {**spec, "out": str(base / f"bare{n}.pdf")}))
        p_time = statistics.median(r["seconds"] for r in packet)
        b_time = statistics.median(r["seconds"] for r in bare)
        p_peak = max(r["peak_mb"] for r in packet)
        b_peak = max(r["peak_mb"] for r in bare)
        size = (base / "packet0.pdf").stat().st_size / 1e6
        bare_size = (base / "bare0.pdf").stat().st_size / 1e6
        print(f"build_packet: {p_time:.2f} s, peak {p_peak:.0f} MB, {packet[0]['pages']} pages, "
              f"{size:.1f} MB, "
              f"{packet[0]['problems']} problems")
        print(f"bare script:  {b_time:.2f} s, peak {b_peak:.0f} MB, {bare[0]['pages']} pages, "
              f"{bare_size:.1f} MB")
        ratio = p_time / b_time
        print(f"ratio {ratio:.2f} (target <= 1.5); peak {p_peak:.0f} MB (target < 300 MB)")
        ok = ratio <= 1.5 and p_peak < 300
        print("OK" if ok else "OVER TARGET")


if __name__ == "__main__":
    main()
