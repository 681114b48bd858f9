"""Benchmark: importing a 2,000-file study versus a bare pydicom header loop and `cp -r` (not collected by pytest).

    .venv/bin/python tests/benchmarks/bench_imaging.py [--files 2000] [--size 256] [--repeat 2]

Targets (issue 6): reading headers at >= 80 % of the bare loop's speed; copying into the vault at >= 70 % of cp.
Each measurement is run ``--repeat`` times on warm caches and the best time is kept.
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


def best_of(repeat: int, func, setup=None) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--size", type=int, default=256, help="rows and columns of each slice")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import pydicom

    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study

    work = Path(tempfile.mkdtemp(prefix="bench-imaging-"))
    try:
        per_series = args.files // 4
        spec = StudySpec(series=tuple(SeriesSpec(n, f"Series {n}", "CT", per_series) for n in range(1, 5)))
        start = time.perf_counter()
        written = write_study(work / "disc", spec, size=args.size)
        files = [w.path for w in written]
        total_mb = sum(f.stat().st_size for f in files) / 1e6
        print(f"Generated {len(files)} files ({total_mb:.0f} MB, {args.size}x{args.size}) in "
              f"{time.perf_counter() - start:.1f} s")

        def bare_loop() -> None:
            for f in files:
                pydicom.dcmread(f, stop_before_pixels=True)

        t_bare = best_of(args.repeat, bare_loop)
        scans = []
        t_scan = best_of(args.repeat, lambda: scans.append(scan_folder(work / "disc")))
        scan = scans[-1]
        assert scan.image_count == len(files), scan.summary_lines()

        def cp_setup() -> None:
            shutil.rmtree(work / "cp", ignore_errors=True)
            os.sync()  # start each timed run with nothing waiting to be written (the import syncs, cp does not)

        t_cp = best_of(args.repeat, lambda: subprocess.run(["cp", "-r", str(work / "disc"), str(work / "cp")],
                                                           check=True), cp_setup)
        t_cp_sync = best_of(args.repeat, lambda: (subprocess.run(["cp", "-r", str(work / "disc"), str(work / "cp")],
                                                                 check=True), os.sync()), cp_setup)

        counter = iter(range(10**6))
        folders = []

        def import_setup() -> None:
            for f in folders:
                f.close()
            folders.append(open_data_folder(work / f"data-{next(counter)}"))
            os.sync()

        t_import = best_of(args.repeat, lambda: import_imaging(folders[-1], scan), import_setup)
        for f in folders:
            f.close()

        print(f"bare dcmread(stop_before_pixels) loop: {t_bare:6.2f} s  ({len(files) / t_bare:7.0f} files/s)")
        print(f"scan_folder (headers, grouping):       {t_scan:6.2f} s  ({len(files) / t_scan:7.0f} files/s)")
        print(f"cp -r:                                 {t_cp:6.2f} s  ({total_mb / t_cp:7.0f} MB/s)")
        print(f"cp -r, then sync (as durable as ours): {t_cp_sync:6.2f} s  ({total_mb / t_cp_sync:7.0f} MB/s)")
        print(f"import_imaging (vault copy, rows, thumbnails): {t_import:6.2f} s  ({total_mb / t_import:7.0f} MB/s)")
        header_ratio, copy_ratio = t_bare / t_scan, t_cp / t_import
        print(f"headers: {header_ratio:.0%} of the bare loop's speed (target >= 80 %) "
              f"{'OK' if header_ratio >= 0.8 else 'BELOW TARGET'}")
        verdict = "OK" if copy_ratio >= 0.7 else "BELOW TARGET"
        print(f"copy:    {copy_ratio:.0%} of cp's speed (target >= 70 %) {verdict}; "
              f"{t_cp_sync / t_import:.0%} of cp followed by sync")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
