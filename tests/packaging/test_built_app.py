"""Smoke test of the PyInstaller build: the bundled executable runs its CLI and opens its window.

Skipped unless SECONDOPINION_TEST_PACKAGING=1. Builds with packaging/build.sh (about a minute, mostly
creating .venv-build), or reuses dist/secondopinion when SECONDOPINION_REUSE_BUILD=1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "secondopinion"
EXE = BUNDLE / ("secondopinion.exe" if sys.platform == "win32" else "secondopinion")

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("SECONDOPINION_TEST_PACKAGING") != "1",
        reason="set SECONDOPINION_TEST_PACKAGING=1 to build and smoke-test the bundled app",
    ),
    # the first test also waits for the bundle build (its own limit is 1800 s)
    pytest.mark.timeout(2400),
]


@pytest.fixture(scope="module")
def exe() -> Path:
    if os.environ.get("SECONDOPINION_REUSE_BUILD") == "1" and EXE.exists():
        return EXE
    build = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh")], capture_output=True, text=True, timeout=1800
    )
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    print(build.stdout[-300:])
    assert EXE.exists()
    return EXE


def _env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "SECONDOPINION_"))}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    return env


def _run(exe: Path, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=300, env=_env(tmp_path), cwd=tmp_path
    )
    assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def test_version(exe: Path, tmp_path: Path) -> None:
    from secondopinion_desktop import __version__

    assert _run(exe, "--version", tmp_path=tmp_path).stdout.strip() == f"Second Opinion {__version__}"


def test_demo_packet_and_imaging(exe: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    from secondopinion_desktop.core.imaging.synthetic import write_study

    data = tmp_path / "data"
    _run(exe, "demo", "--data-dir", str(data), tmp_path=tmp_path)  # creates the database: bundled migrations
    assert (data / "secondopinion.db").exists()

    pdf = tmp_path / "p.pdf"
    _run(exe, "packet", "--out", str(pdf), "--data-dir", str(data), tmp_path=tmp_path)  # fonts, reportlab
    assert len(PdfReader(pdf).pages) > 1

    written = write_study(tmp_path / "study")  # uncompressed and compressed (RLE) slices
    out = _run(exe, "import-imaging", str(tmp_path / "study"), "--data-dir", str(data), "--yes",
               tmp_path=tmp_path).stdout
    assert f"Imported {len(written)} image files" in out
    assert "needs a module that is not installed" not in out  # numpy/pydicom decoders made it into the bundle

    # the folder for the doctor: its copies are made by child processes, which the bundle starts through
    # freeze_support (a child that could not start would only be given up after a minute)
    started = time.monotonic()
    handed = _run(exe, "handoff", "--out", str(tmp_path / "for-the-doctor"), "--json", "--data-dir", str(data),
                  tmp_path=tmp_path)
    assert time.monotonic() - started < 45, "the copying children did not start in the bundle"
    assert json.loads(handed.stdout)["images"] >= len(written)
    assert (tmp_path / "for-the-doctor" / "DICOMDIR").is_file()
    _run(exe, "handoff", "--verify", str(tmp_path / "for-the-doctor"), tmp_path=tmp_path)

    _run(exe, "check", "--data-dir", str(data), tmp_path=tmp_path)


def test_a_portal_download_is_read_by_the_bundle(exe: Path, tmp_path: Path) -> None:
    """lxml (C-CDA) and the FHIR reader made it into the bundle: a download is previewed and imported."""
    import json
    import sys
    import zipfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from helpers import ccda_samples

    download = tmp_path / "HealthSummary_CCDA.zip"
    with zipfile.ZipFile(download, "w") as z:
        z.writestr("IHE_XDM/SUBSET01/DOC0001.XML", ccda_samples.ccd())
    data = tmp_path / "data"
    preview = json.loads(_run(exe, "import-records", str(download), "--dry-run", "--json", "--data-dir", str(data),
                              tmp_path=tmp_path).stdout)
    assert preview["documents"] == 1 and preview["lab_results"] > 0
    _run(exe, "import-records", str(download), "--data-dir", str(data), tmp_path=tmp_path)
    rows = json.loads(_run(exe, "labs", "list", "--json", "--data-dir", str(data), tmp_path=tmp_path).stdout)
    assert len(rows) == preview["lab_results"]


def test_a_scanned_page_is_read_by_the_bundle(exe: Path, tmp_path: Path) -> None:
    """RapidOCR, its models, ONNX Runtime and OpenCV made it into the bundle, and the reader's child process
    starts from the frozen executable: a scan's words are found by search as soon as it is attached."""
    import json

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(ROOT / "resources" / "fonts" / "DejaVuSans.ttf"), 40)
    scan = Image.new("RGB", (900, 360), (236, 236, 236))
    draw = ImageDraw.Draw(scan)
    draw.text((50, 60), "Surgical Pathology Report", fill="black", font=font)
    draw.text((50, 160), "HER2 negative, Ki-67 22%", fill="black", font=font)
    scan.save(tmp_path / "scan.png")
    data = tmp_path / "data"
    _run(exe, "records", "add", "--kind", "pathology", "--title", "Biopsy", "--attach", str(tmp_path / "scan.png"),
         "--data-dir", str(data), tmp_path=tmp_path)
    hits = json.loads(_run(exe, "search", "ki-67", "--json", "--data-dir", str(data), tmp_path=tmp_path).stdout)
    assert [(h["attachment"], h["page"]) for h in hits] == [("scan.png", 1)]
    assert "HER2 negative" in hits[0]["snippet"]


def test_a_document_not_in_english_is_told_by_the_bundle(exe: Path, tmp_path: Path) -> None:
    """py3langid's model made it into the bundle: the pre-flight check flags a Spanish report."""
    import json

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    lines = [
        "Informe de anatomia patologica. Diagnostico: carcinoma ductal infiltrante de mama",
        "izquierda, grado histologico dos. Los receptores de estrogeno son positivos en el noventa",
        "por ciento de las celulas tumorales y los receptores de progesterona tambien son positivos.",
        "La proteina HER2 es negativa por inmunohistoquimica. Se recomienda valoracion por oncologia",
        "medica y discusion en el comite de tumores de la semana proxima.",
    ]
    pdf = canvas.Canvas(str(tmp_path / "informe.pdf"), pagesize=letter)
    for n, line in enumerate(lines):
        pdf.drawString(60, 700 - 18 * n, line)
    pdf.save()
    data = tmp_path / "data"
    _run(exe, "records", "add", "--kind", "pathology", "--title", "Informe", "--attach",
         str(tmp_path / "informe.pdf"), "--data-dir", str(data), tmp_path=tmp_path)
    rows = json.loads(_run(exe, "preflight", "--json", "--data-dir", str(data), tmp_path=tmp_path).stdout)
    assert [r["message"] for r in rows if r["kind"] == "language"] == [
        "Informe (informe.pdf) seems to be in Spanish; the consultant may need a translation."]


def test_window_starts_and_stays_up(exe: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _run(exe, "demo", "--data-dir", str(data), tmp_path=tmp_path)
    proc = subprocess.Popen(
        [str(exe), "--data-dir", str(data)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_env(tmp_path), cwd=tmp_path,
    )
    try:
        try:  # the window must still be up after 5 s
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        assert code is None, f"exited with {code}:\n{proc.communicate()[1][-4000:]}"
    finally:
        proc.terminate()
        try:
            _, stderr = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
    assert "Traceback" not in stderr, stderr[-4000:]
