"""Inventory benchmark: 10,000 records and 2,000 attachments, offscreen.

Run:  .venv/bin/python tests/benchmarks/bench_inventory.py [--records N] [--attachments N] [--keys N]

Measures, for the Records tab and for a bare QSortFilterProxyModel over a QStandardItemModel holding the same
rows (built in the same run):
  1. time from opening the data folder to the table's first paint;
  2. the median time of one filter keystroke (text set → table repainted).
Targets: first paint < 300 ms, keystroke < 30 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView

from secondopinion_desktop.core.db import open_data_folder
from secondopinion_desktop.core.models import Attachment, Facility, Record, RecordKind, RecordStatus
from secondopinion_desktop.ui.app import make_application
from secondopinion_desktop.ui.records.tab import RecordsTab

WORDS = [
    "blood", "count", "metabolic", "panel", "tumor", "marker", "mammogram", "ultrasound", "biopsy", "pathology",
    "slides", "block", "CT", "MRI", "PET", "consult", "note", "discharge", "summary", "referral", "insurance",
    "card", "release", "genomic", "assay", "BRCA", "panel",
]
KEYS = "samplewood"
# PySide6 6.12 on Python 3.11 drops a reference to None per processEvents() call (see ui/gc_guard.py).
from secondopinion_desktop.ui.refpin import pin_singletons  # noqa: E402

pin_singletons(3_000_000)


class PaintWatch(QObject):
    """Notes when a widget has painted."""

    def __init__(self, widget) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.painted = False
        widget.installEventFilter(self)

    def eventFilter(self, _obj, event) -> bool:  # type: ignore[no-untyped-def]
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False

    def wait(self, app: QApplication, timeout: float = 10.0) -> None:
        deadline = time.perf_counter() + timeout
        while not self.painted:
            app.processEvents()
            if time.perf_counter() > deadline:
                raise RuntimeError("no paint")


def fill(data: Path, records: int, attachments: int) -> None:
    folder = open_data_folder(data)
    rng = random.Random(7)
    facilities = ["Samplewood Community Hospital", "Example Reference Laboratories", "Example Imaging Center",
                  "Example University Cancer Center", "Samplewood Family Medicine"]
    kinds, statuses = list(RecordKind), list(RecordStatus)
    now = dt.datetime(2026, 11, 1)
    with folder.session() as session:
        session.add_all([Facility(name=name) for name in facilities])
        session.flush()
        rows = []
        for i in range(1, records + 1):
            rows.append({
                "id": i, "kind": rng.choice(kinds), "status": rng.choice(statuses),
                "title": " ".join(rng.sample(WORDS, 3)).capitalize() + f" #{i}",
                "date_of_service": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(2400)),
                "facility_id": rng.randrange(1, len(facilities) + 1), "summary": " ".join(rng.sample(WORDS, 8)),
                "notes": " ".join(rng.sample(WORDS, 12)), "created_at": now, "updated_at": now,
                "imaging_modality": "", "imaging_body_region": "", "accession_number": "", "specimen_site": "",
                "material_holder": "",
            })
        session.execute(Record.__table__.insert(), rows)
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for i in range(attachments):
            source = Path(tmp) / f"scan-{i}.pdf"
            source.write_bytes(b"%PDF-1.4\n" + os.urandom(512))
            stored = folder.vault.store(source)
            rows.append({"record_id": rng.randrange(1, records + 1), "original_name": source.name,
                         "media_type": "application/pdf", "size": stored.size, "sha256": stored.sha256,
                         "added_at": now})
    with folder.session() as session:
        session.execute(Attachment.__table__.insert(), rows)
    folder.close()


def bare_rows(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT r.kind, r.title, r.date_of_service, f.name, r.status, "
            "(SELECT count(*) FROM attachment a WHERE a.record_id = r.id), r.summary, r.notes "
            "FROM record r LEFT JOIN facility f ON f.id = r.facility_id"
        ).fetchall()
    finally:
        conn.close()


def measure_bare(app: QApplication, db: Path, keys: str) -> tuple[float, list[float]]:
    start = time.perf_counter()
    rows = bare_rows(db)
    model = QStandardItemModel(0, 6)
    for values in rows:
        items = [QStandardItem("" if value is None else str(value)) for value in values[:6]]
        # searchable text, like the real table: title + facility + summary + notes
        items[1].setData(" ".join(str(v or "") for v in (values[1], values[3], values[6], values[7])),
                         Qt.ItemDataRole.UserRole)
        model.appendRow(items)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(1)
    proxy.setFilterRole(Qt.ItemDataRole.UserRole)
    view = QTableView()
    view.verticalHeader().hide()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.resize(1100, 700)
    watch = PaintWatch(view.viewport())
    view.show()
    watch.wait(app)
    first = time.perf_counter() - start
    times = []
    text = ""
    for key in keys + "\b" * len(keys):
        text = text[:-1] if key == "\b" else text + key
        watch.painted = False
        t = time.perf_counter()
        proxy.setFilterFixedString(text)
        view.viewport().update()
        watch.wait(app)
        times.append(time.perf_counter() - t)
    view.close()
    return first, times


def measure_tab(app: QApplication, data: Path, keys: str) -> tuple[float, list[float], int]:
    start = time.perf_counter()
    folder = open_data_folder(data)
    tab = RecordsTab()
    tab.resize(1100, 700)
    watch = PaintWatch(tab.table.viewport())
    tab.show()
    tab.set_folder(folder)
    watch.wait(app)
    first = time.perf_counter() - start
    rows = tab.model.total
    times = []
    text = ""
    for key in keys + "\b" * len(keys):
        text = text[:-1] if key == "\b" else text + key
        watch.painted = False
        t = time.perf_counter()
        tab.search.setText(text)
        tab.table.viewport().update()
        watch.wait(app)
        times.append(time.perf_counter() - t)
    tab.search.setText("")
    tab.close()
    folder.close()
    return first, times, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--attachments", type=int, default=2_000)
    parser.add_argument("--keys", default=KEYS, help="text typed one key at a time, then erased")
    args = parser.parse_args()
    app = make_application(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t = time.perf_counter()
        fill(data, args.records, args.attachments)
        print(f"filled {args.records:,} records and {args.attachments:,} attachments in "
              f"{time.perf_counter() - t:.1f} s")
        measure_bare(app, data / "secondopinion.db", args.keys[:2])  # warm caches for both
        measure_tab(app, data, args.keys[:2])
        bare_first, bare_keys = measure_bare(app, data / "secondopinion.db", args.keys)
        tab_first, tab_keys, rows = measure_tab(app, data, args.keys)
    assert rows == args.records, rows
    bk, tk = statistics.median(bare_keys), statistics.median(tab_keys)
    print(f"{'':28}{'Records tab':>14}{'bare proxy':>14}{'ratio':>8}   target")
    print(f"{'open → first paint':28}{tab_first * 1000:11.0f} ms{bare_first * 1000:11.0f} ms"
          f"{tab_first / bare_first:8.2f}   < 300 ms")
    print(f"{'filter keystroke (median)':28}{tk * 1000:11.1f} ms{bk * 1000:11.1f} ms{tk / bk:8.2f}   < 30 ms")
    print(f"{'filter keystroke (max)':28}{max(tab_keys) * 1000:11.1f} ms{max(bare_keys) * 1000:11.1f} ms")


if __name__ == "__main__":
    main()
