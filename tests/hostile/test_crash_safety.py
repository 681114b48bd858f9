"""Crash safety: every write operation is run in a subprocess and killed with SIGKILL at many moments.

After each kill the data folder must open, ``PRAGMA integrity_check`` must say ok, every attachment and imaging
row must point at a vault file of the right size and SHA-256, the output (packet, backup) must be either absent
or complete under its final name, and temporary files left behind must not be referenced and must be swept.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Imports everything the operations need, then says READY, so the kill delays sweep the operation itself.
DRIVER = """
import sys
from secondopinion_desktop import cli
import secondopinion_desktop.core.db, secondopinion_desktop.core.records
import secondopinion_desktop.core.imaging.importer, secondopinion_desktop.core.imaging.scan
import secondopinion_desktop.core.packet.build, secondopinion_desktop.core.packet.story
import secondopinion_desktop.core.packet.appendix
import secondopinion_desktop.core.lock, secondopinion_desktop.core.staging, secondopinion_desktop.core.fsutil
import reportlab.platypus, pypdf, pydicom, PIL.Image, filelock
try:
    import secondopinion_desktop.core.backup
except ImportError:
    pass
print("READY", flush=True)
sys.exit(cli.main(sys.argv[1:]))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(args: list[str], kill_after: float | None) -> tuple[bool, float, int]:
    """Run the CLI with ``args``; kill it ``kill_after`` seconds after READY. Returns (killed, elapsed, rc)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    start = time.monotonic()
    assert line.strip() == b"READY", (line, proc.stderr.read() if proc.stderr else b"")
    killed = False
    try:
        proc.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        killed = True
        proc.wait()
    elapsed = time.monotonic() - start
    err = proc.stderr.read() if proc.stderr else b""
    proc.stdout.close()
    if proc.stderr:
        proc.stderr.close()
    if not killed:
        assert proc.returncode == 0, err.decode(errors="replace")
    return killed, elapsed, proc.returncode


def _cli_has(command: str) -> bool:
    from secondopinion_desktop.cli import build_parser

    parser = build_parser()
    for action in parser._actions:  # noqa: SLF001 - argparse keeps subcommands here
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict) and command in choices:
            return True
    return False


# --- checks after a kill -----------------------------------------------------------------------------------


def check_folder(path: Path) -> None:
    from sqlalchemy import text

    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.vault import TEMP_PREFIX, sha256_of

    folder = open_data_folder(path)
    try:
        with folder.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            rows = conn.execute(text(
                "SELECT sha256, size FROM attachment UNION ALL SELECT sha256, size FROM imaging_file"
            )).fetchall()
        for sha, size in rows:
            stored = folder.vault.path_for(sha)
            assert stored.is_file(), f"a row points at the missing vault file {sha}"
            assert stored.stat().st_size == size
            assert sha256_of(stored) == sha
        temps = list(folder.vault.root.glob(TEMP_PREFIX + "*"))
        referenced = {folder.vault.path_for(sha) for sha, _ in rows}
        assert not referenced.intersection(temps)
    finally:
        folder.close()
    from secondopinion_desktop.core.lock import try_acquire
    from secondopinion_desktop.core.staging import sweep_places

    lock = try_acquire(path, "check --repair")
    assert lock is not None, "the killed command's lock went with it: the next writer takes the folder at once"
    lock.release()
    sweep_places(path)  # what the window's start and `check` do
    beside = [p.name for p in path.parent.iterdir()
              if p.name.startswith((".tmp-backup-", f".{path.name}.restoring-", f".{path.name}.old-"))]
    assert beside == [], f"the killed command's plain copies are left beside the folder: {beside}"
    if temps:  # a leftover from the kill: once stale, the next open sweeps it
        old = time.time() - 2 * 86400
        for t in temps:
            os.utime(t, (old, old))
        folder = open_data_folder(path)
        folder.close()
        assert not [t for t in temps if t.exists()], "stale temporary files were not swept at open"


def check_pdf(out: Path) -> None:
    if not out.exists():
        return
    from pypdf import PdfReader

    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:], "half-written packet under its final name"
    assert len(PdfReader(out).pages) > 0


def check_archive(out: Path) -> None:
    if not out.exists():
        return
    import tarfile

    if zipfile.is_zipfile(out):
        with zipfile.ZipFile(out) as zf:
            assert zf.testzip() is None
    else:
        with tarfile.open(out) as tf:  # raises on a truncated archive
            for member in tf.getmembers():
                if member.isfile():
                    fh = tf.extractfile(member)
                    assert fh is not None
                    fh.read()


# --- fixtures ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed data folder with the demo data, a multi-MB attachment to add and a synthetic study to import."""
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.demo import fill_demo_data
    from secondopinion_desktop.core.imaging.synthetic import SeriesSpec, StudySpec, write_study

    root = tmp_path_factory.mktemp("crash")
    with open_data_folder(root / "data") as folder:
        fill_demo_data(folder)
    (root / "big.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(6 * 1024 * 1024) + b"\n%%EOF\n")
    write_study(root / "cd", StudySpec(series=(SeriesSpec(2, "AX", images=16), SeriesSpec(3, "COR", images=16))),
                size=96)
    return root


def _sweep(base: Path, name: str, make_args, n: int, check_out) -> int:  # type: ignore[no-untyped-def]
    """Measure one uncrashed run, then kill ``n`` fresh copies at fractions of its duration; check each."""
    work = Path(tempfile.mkdtemp(prefix=f"kill-{name}-", dir=base))

    def copy(i: int) -> tuple[Path, Path]:
        target = work / f"run{i}"
        target.mkdir()
        shutil.copytree(base / "data", target / "data")
        return target / "data", target / "out"

    durations = []
    for warm_up in (-1, -2):  # the shorter of two uncrashed runs: the first may pay for cold caches alone
        data, out = copy(warm_up)
        killed, duration, _ = _run(make_args(data, out), None)
        assert not killed
        check_folder(data)
        check_out(out)
        durations.append(duration)
    duration = min(durations)
    # A slightly wider window than one run: the kill also lands before the first write and after the last.
    delays = [duration * (0.02 + 1.05 * i / (n - 1)) for i in range(n)]
    copies = [copy(i) for i in range(n)]

    def one(i: int) -> bool:
        d, o = copies[i]
        return _run(make_args(d, o), delays[i])[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, range(n)))
    for (d, o) in copies:
        check_folder(d)
        check_out(o)
    shutil.rmtree(work, ignore_errors=True)
    assert sum(results) >= n // 2, f"only {sum(results)} of {n} runs were killed before they finished"
    return sum(results)


def test_kill_records_add_with_large_attachment(base: Path) -> None:
    killed = _sweep(
        base, "add",
        lambda d, o: ["records", "add", "--data-dir", str(d), "--kind", "lab", "--title", "Big scan",
                      "--attach", str(base / "big.pdf")],
        16, lambda o: None,
    )
    assert killed >= 8


def test_kill_import_imaging(base: Path) -> None:
    killed = _sweep(
        base, "imaging",
        lambda d, o: ["import-imaging", "--data-dir", str(d), "--yes", str(base / "cd")],
        16, lambda o: None,
    )
    assert killed >= 8


def test_kill_packet_build(base: Path) -> None:
    killed = _sweep(
        base, "packet",
        lambda d, o: ["packet", "--data-dir", str(d), "--out", str(o.parent / "packet.pdf")],
        20, lambda o: check_pdf(o.parent / "packet.pdf"),
    )
    assert killed >= 10


def test_kill_backup(base: Path) -> None:
    if not _cli_has("backup"):
        pytest.skip("the CLI has no backup command yet")
    _sweep(
        base, "backup",
        lambda d, o: ["backup", "--data-dir", str(d), "--out", str(o.parent / "backup.archive")],
        6, lambda o: check_archive(o.parent / "backup.archive"),
    )


def test_kill_restore(base: Path) -> None:
    if not (_cli_has("backup") and _cli_has("restore")):
        pytest.skip("the CLI has no backup/restore commands yet")
    archive = base / "restore-source.archive"
    if not archive.exists():
        killed, _, _ = _run(["backup", "--data-dir", str(base / "data"), "--out", str(archive)], None)
        assert not killed and archive.exists()
    _sweep(
        base, "restore",
        lambda d, o: ["restore", str(archive), "--data-dir", str(d)],
        6, lambda o: None,
    )
