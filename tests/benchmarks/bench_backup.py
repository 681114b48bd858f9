"""Benchmark: a backup of the demo data plus one large attachment versus a bare zip of the same files.

    .venv/bin/python tests/benchmarks/bench_backup.py [--mb 200] [--repeat 3]

The backup streams every stored file once, hashing it on the way (its SHA-256 goes into the manifest and is
compared with the name it is stored under); the bare zip only copies. Each measurement runs ``--repeat`` times on
warm caches and the best time is kept. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path


def best_of(repeat: int, func) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the large attachment in MB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from secondopinion_desktop.core import records
    from secondopinion_desktop.core.backup import create_backup
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.demo import fill_demo_data

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        big = tmp / "large-scan.pdf"
        with open(big, "wb") as fh:
            for _ in range(args.mb):
                fh.write(os.urandom(1024 * 1024))
        folder = open_data_folder(tmp / "data")
        try:
            fill_demo_data(folder)
            with folder.session() as session:
                record = records.create_record(session, "imaging", "Large scan")
            records.attach_file(folder, record.id, big)
            big.unlink()
            files = [folder.db_path, *(folder.vault.path_for(sha) for sha in folder.vault.stored())]
            total = sum(p.stat().st_size for p in files)
            out = tmp / "backup.zip"

            def backup() -> None:
                create_backup(folder, out)

            def bare_zip() -> None:
                with zipfile.ZipFile(tmp / "bare.zip", "w", allowZip64=True) as zf:
                    zf.write(folder.db_path, "secondopinion.db", compress_type=zipfile.ZIP_DEFLATED)
                    for path in files[1:]:
                        zf.write(path, f"vault/{path.name[:2]}/{path.name}", compress_type=zipfile.ZIP_STORED)

            ours = best_of(args.repeat, backup)
            bare = best_of(args.repeat, bare_zip)
        finally:
            folder.close()
    print(f"{len(files)} files, {total / 1e6:.0f} MB")
    print(f"backup   {ours:.3f} s")
    print(f"bare zip {bare:.3f} s")
    print(f"ratio    {ours / bare:.2f} (backup / bare zip)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
