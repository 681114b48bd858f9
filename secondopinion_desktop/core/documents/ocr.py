"""Text recognised in pictures: photos and scans of paper, and PDF pages that are only a picture.

The engine is RapidOCR (PP-OCR detection and recognition models run by onnxruntime). Its models come inside
the ``rapidocr`` wheel, so ``pip install`` is all a patient's computer needs and nothing is ever downloaded:
the model files are passed by path, which is the only way RapidOCR skips its download step. The engine is made
once per process, on first use (the reader's child process), and its logger is silenced.

A picture goes through the same steps whatever it came from: turned upright by its EXIF orientation, flattened
onto white, made at most ``OCR_MAX_SIDE`` pixels long, straightened (a small rotation of up to ±10° found by a
projection-profile search), then recognised; the boxes the engine finds are put back into lines in reading
order (boxes that overlap vertically are one line, left to right, so a table's row stays on one line).

Pictures are opened only by Pillow's decoders for PNG, JPEG, TIFF (each frame a page), GIF (first frame), BMP,
WebP and HEIC/HEIF (pillow-heif), and refused above the packet's pixel limit (``MAX_IMAGE_PIXELS`` of
``core.packet.appendix``), so a decompression bomb is never decoded.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secondopinion_desktop.core.documents.model import BY_OCR, NO_TEXT, PageText, ReaderUnavailable, Unreadable

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as PILImage

log = logging.getLogger(__name__)

OCR_MAX_SIDE = 2000  # pixels on a picture's long side given to the engine (its own default; ~180 dpi on Letter)
DESKEW_MAX_DEGREES = 10.0
DESKEW_MIN_DEGREES = 0.3  # smaller rotations are left alone (the engine reads them as they are)
DESKEW_SIDE = 800  # the long side of the small copy the rotation is searched on
MIN_SCORE = 0.5  # boxes the engine is less sure of are dropped
IMAGE_FORMATS = ("PNG", "JPEG", "MPO", "TIFF", "GIF", "BMP", "WEBP", "HEIF", "AVIF")

DAMAGED_PICTURE = "The picture is damaged, so its text cannot be read."
TRUNCATED_PICTURE = "The picture is incomplete (the file was cut short), so its text cannot be read."
NOT_A_PICTURE = "It is neither a PDF nor a picture the app can read, so its text cannot be read."

_engine: Any = None
_engine_lock = threading.Lock()


def pixel_limit() -> int:
    """The largest picture (width × height) read: the same limit the packet uses for its pictures."""
    from secondopinion_desktop.core.packet.appendix import MAX_IMAGE_PIXELS

    return MAX_IMAGE_PIXELS


def too_large(width: int, height: int) -> str:
    return (f"The picture is too large to open safely ({width:,} \u00d7 {height:,} pixels); it could be a "
            "decompression bomb.")


# --- the engine -------------------------------------------------------------------------------------------------

def model_paths() -> dict[str, Path]:
    """The model files inside the rapidocr wheel (detection, text-line direction, recognition)."""
    import rapidocr

    models = Path(rapidocr.__file__).resolve().parent / "models"
    return {
        "Det": models / "PP-OCRv6_det_small.onnx",
        "Cls": models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
        "Rec": models / "PP-OCRv6_rec_small.onnx",
    }


def engine_params() -> dict[str, object]:
    """RapidOCR's settings: local models only, quiet, the picture's size left as we prepared it."""
    params: dict[str, object] = {
        "Global.log_level": "critical",
        "Global.max_side_len": OCR_MAX_SIDE,
        "Global.text_score": MIN_SCORE,
        # the line-angle classifier turns some upright lines upside down ("SURGICAL PATHOLOGY REPORT" read as
        # "SU :S 12"); pages are upright by then (EXIF, deskew), and a page upside down as a whole is tried turned
        # round instead (``recognise``)
        "Global.use_cls": False,
    }
    for task, path in model_paths().items():
        if not path.is_file():
            raise ReaderUnavailable("Text cannot be recognised: the recognition models are missing from this "
                                    "installation.")
        params[f"{task}.model_path"] = str(path)
    return params


def engine() -> Any:
    """The process's one RapidOCR engine, made on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            logging.getLogger("RapidOCR").setLevel(logging.CRITICAL)  # its INFO lines are coloured noise
            from rapidocr import RapidOCR

            logging.getLogger("RapidOCR").setLevel(logging.CRITICAL)
            _engine = RapidOCR(params=engine_params())
            log.info("text recognition engine ready")
        return _engine


# --- boxes into lines -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float
    text: str

    @property
    def height(self) -> float:
        return max(1.0, self.bottom - self.top)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def boxes_from(points: Sequence[Any], texts: Sequence[str]) -> list[Box]:
    """The engine's quadrilaterals (four (x, y) corners each) as upright boxes."""
    out: list[Box] = []
    for corners, text in zip(points, texts, strict=False):
        text = str(text).strip()
        if not text:
            continue
        xs = [float(c[0]) for c in corners]
        ys = [float(c[1]) for c in corners]
        out.append(Box(min(xs), min(ys), max(xs), max(ys), text))
    return out


def lines_from(boxes: Sequence[Box]) -> list[str]:
    """The boxes as lines in reading order: a box joins a line when it overlaps the line vertically by at
    least half of the smaller height; a line's boxes are read left to right, joined by a space."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.middle, b.left)):
        best, best_overlap = None, 0.0
        for line in lines[-4:]:  # only the last few lines can still take a box (they are sorted by middle)
            top = sum(b.top for b in line) / len(line)
            bottom = sum(b.bottom for b in line) / len(line)
            overlap = min(bottom, box.bottom) - max(top, box.top)
            share = overlap / min(box.height, max(1.0, bottom - top))
            if share >= 0.5 and share > best_overlap and not _collides(line, box):
                best, best_overlap = line, share
        if best is None:
            lines.append([box])
        else:
            best.append(box)
    lines.sort(key=lambda line: sum(b.middle for b in line) / len(line))
    return [" ".join(b.text for b in sorted(line, key=lambda b: b.left)) for line in lines]


def _collides(line: Sequence[Box], box: Box) -> bool:
    """True when the box lies over one already in the line (two lines close together, not one line)."""
    for other in line:
        overlap = min(other.right, box.right) - max(other.left, box.left)
        if overlap > 0.5 * min(other.right - other.left, box.right - box.left):
            return True
    return False


# --- preparing a picture ----------------------------------------------------------------------------------------

def flattened(image: PILImage.Image) -> PILImage.Image:
    """RGB, with any transparency on white."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def downscaled(image: PILImage.Image, side: int = OCR_MAX_SIDE) -> PILImage.Image:
    from PIL import Image

    if max(image.size) <= side:
        return image
    scale = side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def skew_angle(image: PILImage.Image) -> float:
    """The rotation (degrees, counter-clockwise, within ±DESKEW_MAX_DEGREES) that makes the picture's lines of
    text level: the angle whose row profile of dark pixels is most peaked (lines of text and the gaps between
    them), searched every 0.5° and then every 0.1° around the best."""
    import numpy as np
    from PIL import Image

    gray = image.convert("L")
    if max(gray.size) > DESKEW_SIDE:
        scale = DESKEW_SIDE / max(gray.size)
        gray = gray.resize((max(1, round(gray.width * scale)), max(1, round(gray.height * scale))),
                           Image.Resampling.BILINEAR)
    pixels = np.asarray(gray, dtype=np.uint8)
    threshold = min(160, int(pixels.mean()) - 30)  # ink is well below the paper's brightness
    ink = Image.fromarray(((pixels < threshold) * 255).astype(np.uint8))
    if np.count_nonzero(np.asarray(ink)) < 50:
        return 0.0

    def score(angle: float) -> float:
        turned = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0), dtype=np.float32)
        rows = turned.sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    coarse = [a / 2 for a in range(int(-DESKEW_MAX_DEGREES * 2), int(DESKEW_MAX_DEGREES * 2) + 1)]
    best = max(coarse, key=score)
    fine = [best + a / 10 for a in range(-5, 6)]
    best = max(fine, key=score)
    return max(-DESKEW_MAX_DEGREES, min(DESKEW_MAX_DEGREES, best))


def straightened(image: PILImage.Image) -> PILImage.Image:
    from PIL import Image

    angle = skew_angle(image)
    if abs(angle) < DESKEW_MIN_DEGREES:
        return image
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=(255, 255, 255))


def prepared(image: PILImage.Image, *, deskew: bool = True) -> PILImage.Image:
    """A picture ready for the engine (already upright by its EXIF orientation): RGB on white, straightened, at
    most OCR_MAX_SIDE long. It is shrunk once, before it is turned, by as much as the turn will grow it: a turned
    page larger than the engine's size would be shrunk again by the engine, at a cost (2.72 s instead of 2.41 s
    for a 200 dpi letter page here)."""
    import math

    from PIL import Image

    picture = flattened(image)
    factor = max(1, max(picture.size) // DESKEW_SIDE)  # the angle is found on a small copy (a quick box filter)
    angle = skew_angle(picture.reduce(factor) if factor > 1 else picture) if deskew else 0.0
    if abs(angle) < DESKEW_MIN_DEGREES:
        return downscaled(picture)
    turn = math.radians(abs(angle))
    width, height = picture.size
    turned = max(width * math.cos(turn) + height * math.sin(turn), width * math.sin(turn) + height * math.cos(turn))
    if turned > OCR_MAX_SIDE:
        scale = (OCR_MAX_SIDE - 2) / turned  # (the turned canvas is rounded up a pixel or two)
        picture = picture.resize((max(1, int(width * scale)), max(1, int(height * scale))),
                                 Image.Resampling.LANCZOS, reducing_gap=3.0)
    return picture.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=(255, 255, 255))


UPSIDE_DOWN_BELOW = 0.75  # a page read with less confidence than this is also tried turned round


def recognise(image: PILImage.Image, *, deskew: bool = True) -> str:
    """The text in a picture, line by line ("" when there is none)."""
    import numpy as np

    picture = prepared(image, deskew=deskew)
    points, texts, confidence = _recognised(np.asarray(picture))
    if points is not None and confidence < UPSIDE_DOWN_BELOW:  # a page scanned upside down reads as noise
        turned = _recognised(np.asarray(picture.rotate(180)))
        if turned[0] is not None and turned[2] > confidence:
            points, texts, confidence = turned
    if points is None or texts is None:
        return ""
    return "\n".join(lines_from(boxes_from(points, texts)))


def _recognised(pixels: Any) -> tuple[Any, Any, float]:
    """The engine's boxes and texts, and how sure it is of them on the whole (its scores weighted by length)."""
    result = engine()(pixels)
    points = getattr(result, "boxes", None)
    texts = getattr(result, "txts", None)
    if points is None or texts is None or not len(texts):
        return None, None, 0.0
    scores = list(getattr(result, "scores", None) or [1.0] * len(texts))
    chars = [max(1, len(str(t))) for t in texts]
    return points, texts, sum(float(s) * n for s, n in zip(scores, chars, strict=False)) / sum(chars)


def recognised_page(number: int, image: PILImage.Image) -> PageText:
    text = recognise(image)
    if not text.strip():
        return PageText(number, "", NO_TEXT, "No text was found in this picture.")
    return PageText(number, text, BY_OCR)


# --- picture files ----------------------------------------------------------------------------------------------

def _register_plugins() -> None:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # pragma: no cover - pillow-heif is a dependency; without it HEIC is not a picture
        return
    register_heif_opener()


def _formats() -> list[str]:
    from PIL import Image

    _register_plugins()
    Image.init()
    return [f for f in IMAGE_FORMATS if f in Image.OPEN]


def _reason_for(exc: BaseException) -> str:
    return TRUNCATED_PICTURE if "truncat" in str(exc).lower() else DAMAGED_PICTURE


class PictureFile:
    """A picture file opened for reading, page by page (a TIFF's frames are its pages; a GIF's first frame).
    Use as a context manager; ``count`` is its number of pages."""

    def __init__(self, path: Path) -> None:
        from PIL import Image, UnidentifiedImageError

        self._path = path
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                self._image = Image.open(path, formats=_formats())
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise Unreadable("The picture is too large to open safely; it could be a decompression bomb.") from exc
        except UnidentifiedImageError as exc:
            raise Unreadable(NOT_A_PICTURE) from exc
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
            raise Unreadable(_reason_for(exc)) from exc
        self.format = str(self._image.format or "")
        frames = int(getattr(self._image, "n_frames", 1) or 1)
        self.count = frames if self.format == "TIFF" else 1
        self._check_size()

    def _check_size(self) -> None:
        width, height = self._image.size
        if width * height > pixel_limit():
            raise Unreadable(too_large(width, height))

    def __enter__(self) -> PictureFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._image.close()

    def picture(self, number: int) -> PILImage.Image:
        """Page ``number`` (from 1) decoded, upright by its EXIF orientation, at most OCR_MAX_SIDE long."""
        from PIL import Image, ImageOps

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                if number > 1 or self.count > 1:
                    self._image.seek(number - 1)
                    self._check_size()
                if self.format in ("JPEG", "MPO"):  # decode a big photo at a fraction of its size
                    self._image.draft("RGB", (OCR_MAX_SIDE, OCR_MAX_SIDE))
                self._image.load()
                picture = ImageOps.exif_transpose(self._image)
                return downscaled(flattened(picture))
        except Unreadable:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise Unreadable("The picture is too large to open safely; it could be a decompression bomb.") from exc
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
            raise Unreadable(_reason_for(exc)) from exc

    def page(self, number: int, *, ocr: bool = True) -> PageText:
        if not ocr:
            self.picture(number)  # still decoded: a damaged picture says so
            return PageText(number, "", NO_TEXT, "Text in pictures is not recognised in this setting.")
        try:
            image = self.picture(number)
        except Unreadable as exc:
            if number == 1:
                raise
            return PageText(number, "", NO_TEXT, exc.reason)  # one bad frame of a fax leaves the others
        return recognised_page(number, image)

    def pages(self, first: int = 1, *, ocr: bool = True) -> Iterator[PageText]:
        for number in range(first, self.count + 1):
            yield self.page(number, ocr=ocr)


__all__ = [
    "OCR_MAX_SIDE",
    "Box",
    "PictureFile",
    "boxes_from",
    "engine",
    "engine_params",
    "lines_from",
    "model_paths",
    "pixel_limit",
    "prepared",
    "recognise",
    "recognised_page",
    "skew_angle",
    "straightened",
]
