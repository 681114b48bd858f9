"""A photo of a paper record, turned and cropped before it is stored (no Qt).

    edit = PhotoEdit(quarter_turns=1, straighten=-1.5, crop=(0.05, 0.1, 0.95, 0.9))
    edited = save_edited(Path("scan.jpg"), edit, private_dir)      # private_dir/scan.jpg, 0600

- The picture is first turned upright as its camera said (EXIF orientation), then turned ``quarter_turns``
  times 90° clockwise, then by ``straighten`` degrees (clockwise positive; the corners this uncovers are white),
  then cropped to ``crop``: (left, top, right, bottom) as fractions of the turned picture's width and height, as
  the editor shows it. The box is clamped to the picture and at least one pixel each way.
- A JPEG or HEIC photo is saved as JPEG, a PNG or TIFF scan as PNG (no loss for a sharp black-and-white page).
  The edited copy carries no metadata: a phone photo's place and time stay with the original only.
- Pictures larger than the packet's limit (``MAX_IMAGE_PIXELS``) are refused before they are decoded, as is a
  picture whose file is damaged or cut off: one sentence each (``Unreadable``).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secondopinion_desktop.core.documents.model import Unreadable
from secondopinion_desktop.core.packet.appendix import MAX_IMAGE_PIXELS

if TYPE_CHECKING:
    from PIL.Image import Image

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".tif", ".tiff")
PHOTO_TYPES = ("image/jpeg", "image/png", "image/heic", "image/heif", "image/tiff")
MAX_STRAIGHTEN = 10.0  # degrees either way: more than that is a quarter turn's job
JPEG_QUALITY = 92
WHITE = 255


@dataclass(frozen=True)
class PhotoEdit:
    """What the patient did to a photo: quarter turns clockwise, a small straightening, a crop (fractions)."""

    quarter_turns: int = 0
    straighten: float = 0.0
    crop: tuple[float, float, float, float] | None = None

    @property
    def changes_nothing(self) -> bool:
        whole = self.crop is None or clamp_fractions(self.crop) == (0.0, 0.0, 1.0, 1.0)
        return self.quarter_turns % 4 == 0 and abs(self.straighten) < 0.05 and whole


def is_photo(name: str, media_type: str = "") -> bool:
    """Whether a file is a picture the photo editor takes (by its type, else by its name)."""
    if media_type:
        return media_type.lower() in PHOTO_TYPES
    return name.lower().endswith(PHOTO_SUFFIXES)


def original_name(name: str) -> str:
    """The name the untouched original is kept under beside its edited copy: "scan (original).jpg"."""
    path = Path(name)
    return f"{path.stem} (original){path.suffix}"


def edited_name(name: str) -> str:
    """The edited copy's name: the original's, with the suffix of the format it is saved in."""
    path = Path(name)
    return f"{path.stem}{'.png' if _saved_as_png(name) else '.jpg'}"


def _saved_as_png(name: str) -> bool:
    return name.lower().endswith((".png", ".tif", ".tiff"))


def clamp_fractions(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A crop box in fractions, each side within 0…1 and left/top before right/bottom."""
    left, top, right, bottom = (min(1.0, max(0.0, float(v))) for v in box)
    return min(left, right), min(top, bottom), max(left, right), max(top, bottom)


def crop_box(box: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int]:
    """The crop in pixels of a ``width`` × ``height`` picture: clamped to it, at least one pixel each way."""
    left, top, right, bottom = clamp_fractions(box)
    x0 = min(width - 1, max(0, round(left * width)))
    y0 = min(height - 1, max(0, round(top * height)))
    x1 = min(width, max(x0 + 1, round(right * width)))
    y1 = min(height, max(y0 + 1, round(bottom * height)))
    return x0, y0, x1, y1


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # pragma: no cover - a dependency; without it a HEIC photo is refused in one sentence
        return
    register_heif_opener()


def open_photo(path: Path, *, max_side: int | None = None) -> Image:
    """The picture upright (EXIF orientation applied), decoded; ``max_side`` makes a smaller copy to show
    (a JPEG is then decoded at a fraction of its size, which is fast). Raises ``Unreadable``."""
    from PIL import Image as PILImage
    from PIL import ImageOps, UnidentifiedImageError

    _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(path) as im:
                width, height = im.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise Unreadable(f"The picture is too large to edit safely ({width:,} \u00d7 {height:,} "
                                     "pixels).")
                if getattr(im, "n_frames", 1) > 1 and im.format == "TIFF":
                    raise Unreadable("This scan has several pages; it is stored as it is, without editing.")
                if max_side is not None and im.format == "JPEG":
                    im.draft("RGB", (max_side, max_side))
                im.load()
                upright = ImageOps.exif_transpose(im)
                picture: Image = upright if upright is not None else im.copy()
    except Unreadable:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise Unreadable("The picture is too large to open safely (it could be a decompression bomb).") from None
    except UnidentifiedImageError:
        if _looks_like_a_picture(path):
            raise Unreadable("The picture is damaged and cannot be edited.") from None
        raise Unreadable("This file is not a picture this app can edit.") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError) as exc:
        detail = "incomplete" if "truncat" in str(exc).lower() else "damaged"
        raise Unreadable(f"The picture is {detail} and cannot be edited.") from None
    picture = _plain_mode(picture)
    if max_side is not None and max(picture.size) > max_side:
        picture.thumbnail((max_side, max_side))
    return picture


def _looks_like_a_picture(path: Path) -> bool:
    """Whether the file starts as a JPEG, PNG, TIFF or HEIC does (so it is a damaged one, not another kind)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")) or head[4:8] == b"ftyp"


def _plain_mode(picture: Image) -> Image:
    """A mode every step below takes: grey or colour, with transparency made white."""
    if picture.mode in ("L", "RGB"):
        return picture
    if picture.mode in ("1", "I", "I;16", "F"):
        return picture.convert("L")
    if "A" in picture.mode or picture.mode == "P":
        from PIL import Image as PILImage

        rgba = picture.convert("RGBA")
        background = PILImage.new("RGB", rgba.size, (WHITE, WHITE, WHITE))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return picture.convert("RGB")


def apply_edit(picture: Image, edit: PhotoEdit) -> Image:
    """The picture turned, straightened and cropped as ``edit`` says (see the module's docstring)."""
    from PIL import Image as PILImage

    picture = _plain_mode(picture)
    turns = edit.quarter_turns % 4
    if turns:
        transpose = {1: PILImage.Transpose.ROTATE_270, 2: PILImage.Transpose.ROTATE_180,
                     3: PILImage.Transpose.ROTATE_90}[turns]
        picture = picture.transpose(transpose)
    angle = max(-MAX_STRAIGHTEN, min(MAX_STRAIGHTEN, float(edit.straighten)))
    if abs(angle) >= 0.05:
        fill: Any = WHITE if picture.mode == "L" else (WHITE, WHITE, WHITE)
        picture = picture.rotate(-angle, resample=PILImage.Resampling.BICUBIC, expand=True, fillcolor=fill)
    if edit.crop is not None:
        picture = picture.crop(crop_box(edit.crop, *picture.size))
    return picture


def save_edited(path: Path, edit: PhotoEdit, out_dir: Path, *, name: str | None = None) -> Path:
    """Write the edited picture into ``out_dir`` (a private folder) as ``edited_name(name)``, readable by its
    owner only (0600); returns its path. Raises ``Unreadable`` for a picture that cannot be edited."""
    shown = name or path.name
    picture = apply_edit(open_photo(path), edit)
    target = out_dir / edited_name(shown)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            if _saved_as_png(shown):
                picture.save(fh, format="PNG", optimize=False)
            else:
                picture.save(fh, format="JPEG", quality=JPEG_QUALITY, subsampling=0)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


__all__ = ["MAX_IMAGE_PIXELS", "PhotoEdit", "apply_edit", "clamp_fractions", "crop_box", "edited_name",
           "is_photo", "open_photo", "original_name", "save_edited"]
