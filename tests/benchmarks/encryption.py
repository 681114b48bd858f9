"""An encrypted data folder against the same data unencrypted, in the same run.

Run:  .venv/bin/python tests/benchmarks/encryption.py [--records N] [--documents N] [--size-mb N] [--repeat N]

1. Opening a folder with 10,000 records (``open_data_folder`` and the whole inventory listed, as the Records tab
   does on opening): target ≤ 1.5× (the keys already derived: the passphrase's Argon2id is a fixed half second
   by design, reported on its own).
2. A filter keystroke in the Records tab's real search box (text set → table repainted, with 2,000 documents'
   text indexed): target ≤ 1.2×.
3. Storing one large file (1 GB by default) in the vault: target ≥ 50 % of the plain speed, memory flat (the
   peak of Python's allocations while storing, tracemalloc).
4. The sample case's packet: target ≤ 1.3×.
Medians over ``--repeat`` runs; plain first, then encrypted, then plain again, so the disk cache favours neither.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from records_search_keystroke import PaintWatch, fill, keystrokes

from secondopinion_desktop.core.crypto.convert import encrypt_folder
from secondopinion_desktop.core.crypto.keys import new_recovery_key
from secondopinion_desktop.core.crypto.seal import FolderKey, unlock_folder
from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.lock import folder_lock

PASS = "correct horse battery staple"
TYPED = ("ki-67", "biopsy")


def encrypted_copy(plain: Path, target: Path) -> tuple[FolderKey, float]:
    shutil.copytree(plain, target, symlinks=True)
    with folder_lock(target, "encrypt") as lock:
        encrypt_folder(target, PASS, new_recovery_key(), lock=lock)
    t = time.perf_counter()
    key = unlock_folder(target, passphrase=PASS)
    return key, time.perf_counter() - t


def time_open(data: Path, key: FolderKey | None) -> float:
    from secondopinion_desktop.core.records import list_records

    t = time.perf_counter()
    folder = open_data_folder(data, key=key)
    rows = list_records(folder)
    took = time.perf_counter() - t
    folder.close()
    assert rows, "the folder holds its records"
    return took


def time_keystrokes(app, data: Path, key: FolderKey | None, texts: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    from secondopinion_desktop.ui.records.tab import RecordsTab

    folder = open_data_folder(data, key=key)
    tab = RecordsTab()
    tab.resize(1100, 700)
    watch = PaintWatch(tab.table.viewport())
    tab.show()
    tab.set_folder(folder)
    watch.wait(app)
    times = []
    for text in texts:
        watch.painted = False
        t = time.perf_counter()
        tab.search.setText(text)
        tab.table.viewport().update()
        watch.wait(app)
        times.append(time.perf_counter() - t)
    tab.search.setText("")
    tab.shutdown()
    tab.close()
    folder.close()
    return times


def time_store(data: Path, key: FolderKey | None, source: Path) -> tuple[float, int]:
    from secondopinion_desktop.core.vault import Vault

    vault = Vault(data / "vault", key)
    vault.ensure()
    tracemalloc.start()
    t = time.perf_counter()
    stored = vault.store(source)
    took = time.perf_counter() - t
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    vault.remove(stored.sha256)
    return took, peak


def time_packet(data: Path, key: FolderKey | None, out: Path) -> float:
    from secondopinion_desktop.core.packet import PacketOptions, build_packet

    folder = open_data_folder(data, key=key)
    try:
        t = time.perf_counter()
        build_packet(folder, out, PacketOptions())
        return time.perf_counter() - t
    finally:
        folder.close()
        out.unlink()


def alternate(repeat: int, plain, sealed) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    a, b = [], []
    for _ in range(repeat):
        a.append(plain())
        b.append(sealed())
    a.append(plain())
    return a, b


def line(what: str, plain: float, sealed: float, unit: str, target: str) -> None:
    print(f"{what:<44} plain {plain:9.3f} {unit}   encrypted {sealed:9.3f} {unit}   ratio {sealed / plain:5.2f}×"
          f"   target {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--documents", type=int, default=2_000)
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from secondopinion_desktop.ui.app import make_application
    from secondopinion_desktop.ui.refpin import pin_singletons

    pin_singletons(3_000_000)
    app = make_application(sys.argv[:1])
    med = statistics.median
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain = root / "plain" / "data"
        t = time.perf_counter()
        fill(plain, args.records, args.documents, args.pages)
        print(f"filled {args.records:,} records, {args.documents:,} documents × {args.pages} pages in "
              f"{time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        key, unlocking = encrypted_copy(plain, root / "sealed" / "data")
        sealed = root / "sealed" / "data"
        print(f"encrypted a copy in {time.perf_counter() - t:.1f} s; unlocking it (Argon2id) takes "
              f"{unlocking:.2f} s")

        a, b = alternate(args.repeat, lambda: time_open(plain, None), lambda: time_open(sealed, key))
        line(f"open + list {args.records:,} records", med(a), med(b), "s ", "≤ 1.5×")

        texts = keystrokes(TYPED)
        time_keystrokes(app, plain, None, texts[:3])
        time_keystrokes(app, sealed, key, texts[:3])
        a = time_keystrokes(app, plain, None, texts)
        b = time_keystrokes(app, sealed, key, texts)
        a += time_keystrokes(app, plain, None, texts)
        line(f"filter keystroke (median of {len(texts)})", med(a) * 1000, med(b) * 1000, "ms", "≤ 1.2×")

        source = root / "big.bin"
        with open(source, "wb") as fh:
            block = os.urandom(1 << 20)
            for _ in range(args.size_mb):
                fh.write(block)
        runs = max(1, min(args.repeat, 3))
        plain_store, sealed_store = [], []
        peaks = []
        for _ in range(runs):
            took, _peak = time_store(plain, None, source)
            plain_store.append(took)
            took, peak = time_store(sealed, key, source)
            sealed_store.append(took)
            peaks.append(peak)
        size = args.size_mb
        ps, ss = size / med(plain_store), size / med(sealed_store)
        print(f"{'store a ' + str(size) + ' MB file':<44} plain {ps:9.1f} MB/s   encrypted {ss:9.1f} MB/s   "
              f"speed {ss / ps * 100:5.1f} %   target ≥ 50 %")
        print(f"{'  Python memory at most, encrypted store':<44} {max(peaks) / (1 << 20):.1f} MB for a {size} MB file")
        source.unlink()

        demo_plain = root / "demo-plain" / "data"
        folder = open_data_folder(demo_plain)
        from secondopinion_desktop.core.demo import fill_demo_data

        fill_demo_data(folder)
        folder.close()
        demo_key, _ = encrypted_copy(demo_plain, root / "demo-sealed" / "data")
        demo_sealed = root / "demo-sealed" / "data"
        out = root / "packet.pdf"
        time_packet(demo_plain, None, out)
        a, b = alternate(args.repeat, lambda: time_packet(demo_plain, None, out),
                         lambda: time_packet(demo_sealed, demo_key, out))
        line("packet of the sample case", med(a), med(b), "s ", "≤ 1.3×")


if __name__ == "__main__":
    main()
