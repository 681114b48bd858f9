"""App identity (issue 8, points 1, 3 and 6): the icon, the window icon, the version, the CHANGELOG and the
Linux desktop entry and AppStream metadata."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from secondopinion_desktop import APP_ID, APP_NAME, ORG_NAME, __version__

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _hicolor_png(size: int) -> Path:
    return ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def _png_size_and_alpha(path: Path) -> tuple[int, int, bool]:
    """Width, height and whether the PNG has an alpha channel, read from its IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    colour_type = data[25]
    has_alpha = colour_type in (4, 6) or b"tRNS" in data
    return width, height, has_alpha


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


# --- the icon -------------------------------------------------------------------------------------

def test_svg_icon_parses_and_is_square() -> None:
    root = ET.parse(ICONS / "secondopinion.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _x, _y, w, h = (float(v) for v in root.attrib["viewBox"].split())
    assert w == h > 0
    assert root.find(".//{http://www.w3.org/2000/svg}text") is None  # no text: unreadable at 16 px


def test_svg_icon_renders_with_qt() -> None:
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(ICONS / "secondopinion.svg"))
    assert renderer.isValid()


@pytest.mark.parametrize("size", SIZES)
def test_hicolor_png_has_its_size_and_alpha(size: int) -> None:
    path = _hicolor_png(size)
    assert path.is_file(), f"run packaging/make_icons.py ({path} is missing)"
    assert _png_size_and_alpha(path) == (size, size, True)


def test_packaged_256_png() -> None:
    assert _png_size_and_alpha(ICONS / "secondopinion-256.png") == (256, 256, True)


def test_icon_corners_are_transparent() -> None:
    """The rounded square leaves the corners clear, so the icon sits on any panel colour."""
    from PySide6.QtGui import QImage

    for size in (16, 256):
        image = QImage(str(_hicolor_png(size)))
        assert not image.isNull()
        assert image.pixelColor(0, 0).alpha() == 0
        assert image.pixelColor(size // 2, size // 2).alpha() == 255


def test_icons_are_in_the_installed_resources_package() -> None:
    from importlib.resources import files

    icons = files("secondopinion_desktop.resources") / "icons"
    assert (icons / "secondopinion.svg").is_file()
    assert (icons / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").is_file()


def test_make_application_sets_identity_and_window_icon() -> None:
    """In a fresh process, as a user's launch would be; the test session's QApplication stays untouched."""
    script = (
        "from secondopinion_desktop.ui.app import make_application\n"
        "app = make_application()\n"
        "icon = app.windowIcon()\n"
        "assert not icon.isNull()\n"
        "for size in (16, 48, 256):\n"
        "    assert not icon.pixmap(size).isNull(), size\n"
        "print(app.applicationName(), app.organizationName(), app.desktopFileName(), "
        "app.applicationVersion(), sep='|')\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True,
                            env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == f"{APP_NAME}|{ORG_NAME}|{APP_ID}|{__version__}"


# --- the version and the CHANGELOG ----------------------------------------------------------------

def test_version_option_prints_the_package_version() -> None:
    result = subprocess.run([sys.executable, "-m", "secondopinion_desktop", "--version"],
                            check=False, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Second Opinion {__version__}"


def test_version_option_of_the_installed_command() -> None:
    command = Path(sys.executable).with_name("secondopinion")
    if not command.exists():
        pytest.skip("the secondopinion command is not installed next to this Python")
    result = subprocess.run([str(command), "--version"], check=False, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert __version__ in result.stdout


def test_changelog_top_release_is_the_package_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+[^\]]*)\] - (\d{4}-\d{2}-\d{2})$", text, flags=re.MULTILINE)
    assert releases, "no '## [x.y.z] - YYYY-MM-DD' heading"
    assert releases[0][0] == __version__


# --- Linux desktop integration --------------------------------------------------------------------

def test_desktop_entry_fields() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == APP_NAME
    assert entry["Exec"].split()[0] == "secondopinion"
    assert entry["Terminal"] == "false"
    assert entry["Icon"] == APP_ID
    assert "Office" in entry["Categories"].split(";")


def test_desktop_icon_name_matches_the_hicolor_pngs() -> None:
    icon = _desktop_entry()["Icon"]
    pngs = {path.name for path in (ICONS / "hicolor").glob("*x*/apps/*.png")}
    assert pngs == {f"{icon}.png"}


def test_metainfo_fields() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("name") == APP_NAME
    assert root.findtext("metadata_license") == "CC0-1.0"
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP.name
    assert root.findtext("provides/binary") == "secondopinion"
    releases = root.findall("releases/release")
    assert releases and releases[0].get("version") == __version__
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", releases[0].get("date", ""))


def test_desktop_file_validate() -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (Debian: desktop-file-utils)")
    result = subprocess.run([tool, str(DESKTOP)], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout  # not even hints


def test_appstreamcli_validate() -> None:
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli is not installed (Debian: appstream)")
    result = subprocess.run([tool, "validate", "--no-net", str(METAINFO)], check=False, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not re.search(r"^[EW]: ", result.stdout, flags=re.MULTILINE), result.stdout
