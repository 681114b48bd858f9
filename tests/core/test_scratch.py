"""Plain copies for the viewer and the packet preview live in the data folder's private scratch space."""

from __future__ import annotations

import stat

from secondopinion_desktop.core.scratch import SCRATCH_NAME, scratch_dir, sweep_scratch


def test_scratch_is_private_and_swept(folder, tmp_path) -> None:
    first = scratch_dir(folder.path, "open-")
    second = scratch_dir(folder.path, "packet-")
    assert first.parent == second.parent == folder.path / SCRATCH_NAME
    assert stat.S_IMODE(first.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.stat().st_mode) == 0o700
    (first / "report.pdf").write_bytes(b"%PDF- a plain copy")
    outside = tmp_path / "keep.txt"
    outside.write_text("not ours")
    (first.parent / "link").symlink_to(outside)
    assert sweep_scratch(folder.path) == 3
    assert list((folder.path / SCRATCH_NAME).iterdir()) == []
    assert outside.read_text() == "not ours", "a link is removed, never what it points to"
    assert sweep_scratch(tmp_path / "no-such-folder") == 0
