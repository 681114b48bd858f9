"""`check --repair` run again and again while an imaging import runs in another process.

The import gives its images their names in the vault, then makes thumbnails, then commits the rows; in between the
files look unreferenced. A repair in that moment must not remove them: after the import every imaging row points at
a stored file of the right SHA-256, whatever the repair loop did.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "secondopinion_desktop", *args]


def test_repair_in_a_loop_during_an_import_removes_none_of_the_imported_images(tmp_path: Path) -> None:
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study

    disc = tmp_path / "disc"
    spec = StudySpec(series=tuple(SeriesSpec(n, f"AX {n}", "CT", 8) for n in range(1, 51)))
    written = write_study(disc, spec, size=128)
    images, study_uid = len(written), written[0].study_uid
    data = tmp_path / "data"
    subprocess.run(_cli("demo", "--data-dir", str(data)), check=True, env=_env(), cwd=ROOT, capture_output=True)

    importer = subprocess.Popen(
        _cli("import-imaging", "--data-dir", str(data), "--yes", str(disc)), env=_env(), cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    repairs = refused = 0
    removed = []
    no_wait = {**_env(), "SECONDOPINION_LOCK_WAIT": "0"}  # a repair does not wait for the import: it is refused
    while importer.poll() is None:
        done = subprocess.run(_cli("check", "--data-dir", str(data), "--repair"), env=no_wait, cwd=ROOT,
                              capture_output=True, text=True)
        repairs += 1
        removed += [line for line in done.stdout.splitlines() if "Removed the stored file" in line]
        if done.returncode == 1 and "is being changed by the command “secondopinion import-imaging”" in done.stderr:
            refused += 1
            assert done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr
    out, err = importer.communicate()
    assert importer.returncode == 0, err.decode(errors="replace")
    assert repairs >= 2, "the import finished before the repair loop could race it; make the disc bigger"
    assert refused >= 1, "a repair while the import holds the folder is refused in one line, changing nothing"

    conn = sqlite3.connect(data / "secondopinion.db")
    try:
        rows = conn.execute("SELECT sha256 FROM imaging_file WHERE study_uid = ?", (study_uid,)).fetchall()
    finally:
        conn.close()
    assert len(rows) == images
    vault = data / "vault"
    lost = [sha for (sha,) in rows
            if not (vault / sha[:2] / sha).is_file()
            or hashlib.sha256((vault / sha[:2] / sha).read_bytes()).hexdigest() != sha]
    assert lost == [], f"{len(lost)} of {images} imported images are gone; repair said: {removed[:3]}"
    final = subprocess.run(_cli("check", "--data-dir", str(data)), env=_env(), cwd=ROOT, capture_output=True,
                           text=True)
    assert final.returncode == 0, final.stdout
