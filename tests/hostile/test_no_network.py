"""No network: the main flows run with socket creation made to fail, and never try to open a socket."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class _NetworkAttempt(OSError):
    pass


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    tried: list[str] = []

    def refuse(what: str):  # type: ignore[no-untyped-def]
        def _refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
            tried.append(f"{what}{args!r}")
            raise _NetworkAttempt(f"network use attempted: {what}")
        return _refuse

    # pydicom imports requests when it is installed (rapidocr brings it); urllib3's import-time IPv6 check
    # creates (never connects) a socket bound to ::1: load it before the guard goes up
    with contextlib.suppress(ImportError):
        import urllib3.util.connection  # noqa: F401
    monkeypatch.setattr(socket.socket, "__init__", refuse("socket.socket"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    monkeypatch.setattr(socket, "socketpair", refuse("socket.socketpair"))
    return tried


def test_main_flows_open_no_socket(attempts: list[str], tmp_path: Path) -> None:
    from secondopinion_desktop.core import records
    from secondopinion_desktop.core.db import open_data_folder
    from secondopinion_desktop.core.demo import fill_demo_data
    from secondopinion_desktop.core.imaging.importer import import_imaging
    from secondopinion_desktop.core.imaging.scan import scan_folder
    from secondopinion_desktop.core.imaging.synthetic import write_study
    from secondopinion_desktop.core.packet import build_packet

    # the guard really is in place
    with pytest.raises(_NetworkAttempt):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    attempts.clear()

    attachment = tmp_path / "report.pdf"
    attachment.write_bytes(b"%PDF-1.4\n%%EOF\n")
    write_study(tmp_path / "cd")
    with open_data_folder(tmp_path / "data") as folder:
        fill_demo_data(folder)
        with folder.session() as session:
            record = records.create_record(session, "lab", "Blood count", date_of_service="2024-01-02")
        records.attach_file(folder, record.id, attachment)
        import_imaging(folder, scan_folder(tmp_path / "cd"))
        result = build_packet(folder, tmp_path / "packet.pdf")
        assert result.pages > 0
    # backup and restore run through the CLI in test_cli_flows_open_no_socket when the CLI has them
    assert attempts == []


SITECUSTOMIZE = textwrap.dedent("""
    import os, socket, sys

    try:
        import urllib3.util.connection  # its IPv6 check creates (never connects) a local socket at import
    except ImportError:
        pass

    def _refuse(*args, **kwargs):
        sys.stderr.write("NETWORK ATTEMPT %r\\n" % (args,))
        sys.stderr.flush()
        os._exit(97)

    socket.socket.__init__ = _refuse
    socket.create_connection = _refuse
    socket.getaddrinfo = _refuse
    socket.socketpair = _refuse
""")


def _cli(args: list[str], site: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "secondopinion_desktop", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _has(command: str) -> bool:
    from secondopinion_desktop.cli import build_parser

    for action in build_parser()._actions:  # noqa: SLF001
        if isinstance(getattr(action, "choices", None), dict) and command in action.choices:
            return True
    return False


def test_cli_flows_open_no_socket(tmp_path: Path) -> None:
    from secondopinion_desktop.core.imaging.synthetic import write_study

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.socket()"],
        env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True, timeout=60,
    )
    assert probe.returncode == 97, "the sitecustomize guard is not active"

    data = str(tmp_path / "data")
    attachment = tmp_path / "scan.pdf"
    attachment.write_bytes(b"%PDF-1.4\n%%EOF\n")
    write_study(tmp_path / "cd")
    steps = [
        ["demo", "--data-dir", data],
        ["records", "add", "--data-dir", data, "--kind", "lab", "--title", "CBC", "--attach", str(attachment)],
        ["records", "list", "--data-dir", data],
        ["import-imaging", "--data-dir", data, "--yes", str(tmp_path / "cd")],
        ["packet", "--data-dir", data, "--out", str(tmp_path / "packet.pdf")],
    ]
    if _has("backup"):
        steps.append(["backup", "--data-dir", data, "--out", str(tmp_path / "backup.archive")])
        if _has("restore"):
            steps.append(["restore", str(tmp_path / "backup.archive"), "--data-dir", str(tmp_path / "restored")])
    for step in steps:
        done = _cli(step, site)
        assert "NETWORK ATTEMPT" not in done.stderr, (step, done.stderr)
        assert done.returncode == 0, (step, done.stderr)
