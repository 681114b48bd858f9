"""Benchmark: the folder for the doctor versus `cp -r` of the same files followed by `sync` (not collected by pytest).

    nice .venv/bin/python tests/benchmarks/handoff.py [--files 2000] [--size 256] [--documents 50] [--repeat 2]

Builds a data folder with ``--files`` synthetic DICOM images (``--size``² 16-bit slices: 256 gives ≈130 KB each,
≈260 MB for 2,000) and ``--documents`` one-page PDF documents, imported with the app's own imaging import and
``attach_file``. Then, in the same run and on the same disk, it times ``write_handoff`` (packet, DICOMDIR, copies
with checksums, index, manifest, every file flushed to the disk) and ``cp -r`` of the imported source files
followed by ``sync``. One untimed run of each comes first (the first writes after the set-up meet memory and
disk in another state than the later ones, and that favoured whichever ran first); then each is run ``--repeat``
times, alternating, after a ``sync``; the best time is kept, and the medians are shown beside it.
Target: the hand-off at >= 70 % of cp's speed, i.e. time_handoff <= time_cp / 0.7.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _pdf(path: Path, text: str) -> None:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pagesize=letter)
    page.drawString(72, 720, text)
    page.drawString(72, 700, "Synthetic document for a benchmark; not patient data.")
    page.showPage()
    page.save()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--size", type=int, default=256, help="rows and columns of each slice")
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--where", default=None, help="folder to work in (default: a temporary folder)")
    args = parser.parse_args()

    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.handoff import verify_handoff, write_handoff
    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study
    from secondopinion_desktop.core.profile import save_profile
    from secondopinion_desktop.core.records import attach_file, create_record

    work = Path(tempfile.mkdtemp(prefix="handoff-bench-", dir=args.where))
    try:
        source = work / "source"
        per_series = 200
        series = tuple(SeriesSpec(n + 1, f"Series {n + 1}", "CT", min(per_series, args.files - n * per_series))
                       for n in range((args.files + per_series - 1) // per_series))
        started = time.perf_counter()
        write_study(source / "disc", StudySpec(series=series), size=args.size)
        docs = source / "documents"
        docs.mkdir(parents=True)
        for i in range(args.documents):
            _pdf(docs / f"report-{i:03d}.pdf", f"Report number {i}")
        source_bytes = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
        source_files = sum(1 for p in source.rglob("*") if p.is_file())
        print(f"source: {source_files:,} files, {source_bytes / 1e6:.1f} MB "
              f"(made in {time.perf_counter() - started:.1f} s)")

        started = time.perf_counter()
        folder = open_data_folder(work / "data")
        save_profile(folder, name="Sample Patient", date_of_birth="1970-02-14")
        import_imaging(folder, scan_folder(source / "disc"))
        for i, pdf in enumerate(sorted(docs.iterdir())):
            record = create_record(folder, "pathology" if i % 2 else "lab", f"Report {i}",
                                   date_of_service=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}")
            attach_file(folder, record.id, pdf)
        print(f"imported in {time.perf_counter() - started:.1f} s")

        cp_times: list[float] = []
        handoff_times: list[float] = []
        warm = work / "warm-up"
        subprocess.run(["cp", "-r", str(source), str(warm)], check=True)
        subprocess.run(["sync"], check=True)
        shutil.rmtree(warm)
        write_handoff(folder, warm)
        shutil.rmtree(warm)
        for round_ in range(args.repeat):
            for what in ("cp", "handoff") if round_ % 2 == 0 else ("handoff", "cp"):
                target = work / f"out-{what}-{round_}"
                os.sync()
                start = time.perf_counter()
                if what == "cp":
                    subprocess.run(["cp", "-r", str(source), str(target)], check=True)
                    subprocess.run(["sync"], check=True)
                    cp_times.append(time.perf_counter() - start)
                else:
                    result = write_handoff(folder, target)
                    handoff_times.append(time.perf_counter() - start)
                    if round_ == 0:
                        print(f"hand-off: {result.files:,} files, {result.bytes / 1e6:.1f} MB, "
                              f"{result.images:,} images, {result.documents} documents")
                shutil.rmtree(target) if round_ < args.repeat - 1 or what == "cp" else None
        packet_times: list[float] = []
        from secondopinion_desktop.core.packet import build_packet

        for round_ in range(args.repeat):  # the packet alone: the part of the hand-off cp has nothing like
            start = time.perf_counter()
            build_packet(folder, work / f"packet-{round_}.pdf")
            packet_times.append(time.perf_counter() - start)
        last = work / f"out-handoff-{args.repeat - 1}"
        started = time.perf_counter()
        checked = verify_handoff(last)
        verify_time = time.perf_counter() - started
        folder.close()

        cp_best, handoff_best = min(cp_times), min(handoff_times)
        ratio = cp_best / handoff_best
        import statistics

        cp_median, handoff_median = statistics.median(cp_times), statistics.median(handoff_times)
        print(f"cp -r + sync: {cp_best:.2f} s (runs: {', '.join(f'{t:.2f}' for t in cp_times)})")
        print(f"write_handoff: {handoff_best:.2f} s (runs: {', '.join(f'{t:.2f}' for t in handoff_times)})")
        print(f"verify_handoff: {verify_time:.2f} s, ok={checked.ok}")
        packet_best = min(packet_times)
        print(f"of which the packet alone: {packet_best:.2f} s; without it the hand-off is "
              f"{cp_best / max(handoff_best - packet_best, 1e-6):.0%} of cp -r + sync")
        print(f"medians: cp -r + sync {cp_median:.2f} s, write_handoff {handoff_median:.2f} s "
              f"({cp_median / handoff_median:.0%})")
        print(f"hand-off speed = {ratio:.0%} of cp -r + sync (target >= 70 %): {'PASS' if ratio >= 0.7 else 'FAIL'}")
        return 0 if ratio >= 0.7 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
