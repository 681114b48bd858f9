"""Files a document carries inside it are limited in all, not only one by one: twelve compressed files of zeros,
each under the limit, are refused together; and a download is refused when it holds more than can be read at
once."""

from __future__ import annotations

import base64
import zipfile
import zlib
from pathlib import Path

import pytest
from helpers import ccda_samples as cs

from secondopinion_desktop.core.portal import safety
from secondopinion_desktop.core.portal.ccda import read_ccda
from secondopinion_desktop.core.portal.package import read_path


def _deflated(size: int) -> str:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(packer.compress(b"\0" * size) + packer.flush()).decode("ascii")


def _bomb(files: int, size: int) -> bytes:
    media = "".join(
        f'<entry><observationMedia classCode="OBS" moodCode="EVN"><value xsi:type="ED" mediaType="image/png" '
        f'representation="B64" compression="DF">{_deflated(size)}</value></observationMedia></entry>'
        for _ in range(files))
    body = cs.structured(cs.section("Images", "8716-3", None, "<paragraph>pictures</paragraph>", media))
    return cs.wrap(cs.header(), body)


def test_many_compressed_files_together_over_the_limit_are_refused(monkeypatch) -> None:
    monkeypatch.setattr(safety, "MAX_EMBEDDED_BYTES", 4 * 2**20)
    monkeypatch.setattr(safety, "MAX_CARRIED_BYTES", 8 * 2**20)
    data = _bomb(12, 3 * 2**20)  # each 3 MB unpacked (under 4 MB), 36 MB together
    assert len(data) < 200_000
    with pytest.raises(safety.Refused, match=r"bomb.xml carries more than 8 MB of files inside it"):
        read_ccda(data, "IHE_XDM/SUBSET01/bomb.xml")
    fine = read_ccda(_bomb(2, 3 * 2**20), "two.xml").documents[0]
    assert len(fine.files) == 2


def test_a_download_holding_more_than_can_be_read_at_once_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(safety, "MAX_PACKAGE_BYTES", 2**20)  # 80 documents of about 16 KB: 1.25 MB
    path = tmp_path / "HealthSummary.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(80):
            z.writestr(f"IHE_XDM/SUBSET01/DOC{i:04d}.XML", cs.ccd(when=f"2024{1 + i % 12:02d}{1 + i % 28:02d}"))
    with pytest.raises(safety.Refused, match=r"HealthSummary.zip holds more than 1 MB of documents and files"):
        read_path(path)
