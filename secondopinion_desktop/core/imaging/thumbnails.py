"""A representative picture of each series: its middle slice, windowed, as a small 8-bit PNG.

Where an image cannot be decoded (a compression no installed decoder handles, a damaged file), a placeholder
PNG carries the reason instead. Making a thumbnail never raises. ``store_thumbnail`` puts one in the vault by way
of the vault's own temporary area, never the system's temporary folder.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secondopinion_desktop.core.vault import StoredFile, Vault

MAX_SIZE = 512
PLACEHOLDER_SIZE = 256


def middle_index(count: int) -> int:
    return max(0, (count - 1) // 2)


def thumbnail_png(path: Path | str) -> tuple[bytes, str | None]:
    """PNG bytes for the image in ``path`` and None, or a placeholder PNG and the reason it is one."""
    try:
        image = _render(Path(path))
    except Exception as exc:  # noqa: BLE001 - any decoding failure becomes a placeholder, never a crash
        reason = _reason(exc)
        return placeholder_png(reason), reason
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue(), None


def store_thumbnail(vault: Vault, png: bytes) -> StoredFile:
    """Store PNG bytes in the vault straight from memory (sealed in an encrypted folder), so a picture of the
    patient's scan never lands anywhere else, not even as a temporary file."""
    return vault.store_bytes(png)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    lowered = text.lower()
    if isinstance(exc, (NotImplementedError, RuntimeError)) and ("decod" in lowered or "plugin" in lowered):
        return f"This image is compressed in a way that cannot be shown here ({text[:160]})."
    if isinstance(exc, ImportError):
        return f"Showing images needs a module that is not installed ({exc.name or text})."
    return f"This image cannot be shown ({text[:160]})."


def _render(path: Path) -> Any:
    import numpy as np
    from PIL import Image
    from pydicom import dcmread

    ds = dcmread(path)
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise ValueError("the file holds no image (it may be a report or other non-image object)")
    frames = int(ds.get("NumberOfFrames") or 1)
    arr = ds.pixel_array
    samples = int(ds.get("SamplesPerPixel") or 1)
    if frames > 1:
        arr = arr[middle_index(frames)]
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    if samples == 3 and arr.ndim == 3:
        if arr.dtype != np.uint8:
            top = float(arr.max()) or 1.0
            arr = np.clip(arr.astype(np.float64) / top * 255.0, 0, 255).astype(np.uint8)
        image = Image.fromarray(np.ascontiguousarray(arr), mode=None).convert("RGB")
    else:
        if arr.ndim != 2:
            raise ValueError(f"unexpected image shape {arr.shape}")
        values = arr.astype(np.float64)
        slope = float(ds.get("RescaleSlope") or 1.0)
        intercept = float(ds.get("RescaleIntercept") or 0.0)
        values = values * slope + intercept
        low, high = _window(ds, values)
        scaled = np.clip((values - low) / (high - low) * 255.0, 0, 255).astype(np.uint8)
        if photometric == "MONOCHROME1":
            scaled = 255 - scaled
        image = Image.fromarray(scaled).convert("L")
    image.thumbnail((MAX_SIZE, MAX_SIZE))
    return image


def _first(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if not isinstance(value, (str, bytes)) and hasattr(value, "__iter__"):
        value = next(iter(value), None)
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _window(ds: Any, values: Any) -> tuple[float, float]:
    """(low, high) from WindowCenter/WindowWidth (their first value), else the 1st–99th percentile."""
    import numpy as np

    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is not None and width is not None and width > 0:
        low, high = center - width / 2.0, center + width / 2.0
    else:
        low, high = (float(v) for v in np.percentile(values, [1, 99]))
    if high <= low:
        high = low + 1.0
    return low, high


def placeholder_png(reason: str) -> bytes:
    """A grey square with the reason written on it."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (PLACEHOLDER_SIZE, PLACEHOLDER_SIZE), 48)
    draw = ImageDraw.Draw(image)
    try:
        font: Any = ImageFont.load_default(size=13)
    except TypeError:  # Pillow older than 10.1
        font = ImageFont.load_default()
    y = 12
    for line in ["No preview", "", *textwrap.wrap(reason, width=34)][:16]:
        draw.text((12, y), line, fill=230, font=font)
        y += 15
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
