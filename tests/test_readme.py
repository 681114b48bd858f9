"""The README's two commands are the ones CI runs, and the layout matches what the README says."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text(encoding="utf-8"))


def test_readme_has_the_run_and_test_commands() -> None:
    run, test = readme_commands()
    assert run.endswith("secondopinion --demo")
    assert "'.[test]'" in test and test.endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, test = readme_commands()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test in ci_lines
    assert "set -euo pipefail" in ci_lines


def test_readme_screenshot_exists() -> None:
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert images and all((ROOT / image).is_file() for image in images)


# What the Qt xcb platform plugin (the window on X11) loads from the system, by Debian/Ubuntu package. Libraries
# of a basic system (libc, libstdc++ …) and those these packages pull in themselves are not listed.
XCB_LIBRARY_PACKAGES = {
    "libGL.so.1": "libgl1", "libEGL.so.1": "libegl1", "libOpenGL.so.0": "libopengl0",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-util.so.1": "libxcb-util1", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0", "libxcb-shape.so.0": "libxcb-shape0", "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb-xinput.so.0": "libxcb-xinput0", "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1", "libX11-xcb.so.1": "libx11-xcb1", "libX11.so.6": "libx11-6",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6", "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
}


def readme_apt_packages() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = re.findall(r"apt-get install -y ([^`\n]+)", text)
    assert lines, "the README names the system libraries to install"
    return {word for line in lines for word in line.split()}


def xcb_plugin_libraries() -> dict[str, str | None]:
    """ldd of PySide6's xcb platform plugin: soname → where it was found (None: not found), Qt's own left out."""
    import shutil
    import subprocess

    import PySide6
    import pytest

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if shutil.which("ldd") is None or not plugin.is_file():
        pytest.skip("ldd or the xcb plugin is not on this machine")
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    found: dict[str, str | None] = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+)\s+=>\s+(not found|\S+)", line)
        if match is None:
            continue
        name, where = match.groups()
        if "PySide6" in where:
            continue
        found[name] = None if where == "not found" else where
    return found


def test_readme_lists_every_system_library_the_window_needs() -> None:
    """A minimal Debian/Ubuntu gets everything the xcb plugin loads from the README's apt line."""
    listed = readme_apt_packages()
    libraries = xcb_plugin_libraries()
    missing_here = sorted(name for name, where in libraries.items() if where is None)
    unknown = [name for name in missing_here if name not in XCB_LIBRARY_PACKAGES]
    assert unknown == [], f"the xcb plugin needs {unknown}, which no package in this test's table provides"
    not_in_readme = sorted({XCB_LIBRARY_PACKAGES[name] for name in libraries if name in XCB_LIBRARY_PACKAGES}
                           - listed)
    assert not_in_readme == [], f"the README's apt line does not install {not_in_readme}"
