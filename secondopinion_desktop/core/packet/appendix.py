"""The appendix: which attached files can go into the packet (decided by their content, not their name), and
the pages drawn for the pictures.

A PDF is included when pypdf can read every page's box and it is not password-protected (a PDF encrypted with
an empty user password opens like any other). A picture is included when Pillow can decode it: JPEG, PNG,
TIFF (every page of a multi-page fax), GIF, BMP, and HEIC when a Pillow plugin for it is installed. Everything
else becomes a :class:`PacketProblem` with the reason, and the packet is built without it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from secondopinion_desktop.core import words
from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import VaultError
from secondopinion_desktop.core.packet import PacketProblem
from secondopinion_desktop.core.records import AttachmentData, RecordData, attachment_path
from secondopinion_desktop.core.vault import VaultDamaged

IMAGE_FORMATS = {"JPEG", "MPO", "PNG", "TIFF", "GIF", "BMP", "HEIF", "AVIF", "WEBP"}
MAX_IMAGE_PIXELS = 60_000_000  # a 600 dpi scan of a Letter page is 34 million pixels
MAX_TIFF_PAGES = 500
MAX_DRAWN_SIDE = 2400  # pixels on a picture's long side at most (≈ 270 dpi on a page)


@dataclass(frozen=True)
class AppendixItem:
    record: RecordData
    attachment: AttachmentData
    path: Path
    kind: str  # "pdf" or "image"
    pages: int
    image_format: str = ""

    @property
    def title(self) -> str:
        return f"{self.record.title} \u2014 {self.attachment.original_name}"


def _problem(record: RecordData, attachment: AttachmentData, reason: str) -> PacketProblem:
    return PacketProblem(f"{record.title} \u2014 {attachment.original_name}", reason)


def inspect_attachment(
    folder: DataFolder, record: RecordData, attachment: AttachmentData
) -> AppendixItem | PacketProblem:
    if not folder.vault.exists(attachment.sha256):
        return _problem(record, attachment, "the stored copy of this file is missing from the data folder "
                        "(attach the original again)")
    try:  # the content must still be what its SHA-256 says: a damaged copy never goes to the doctor
        with folder.vault.open_verified(attachment.sha256) as fh:
            head = fh.read(1024)
    except VaultDamaged:
        return _problem(record, attachment, "the stored copy is damaged (its content no longer matches its "
                        "fingerprint); attach the original again")
    except VaultError as exc:
        return _problem(record, attachment, f"the stored copy cannot be read ({exc})")
    except OSError as exc:
        return _problem(record, attachment, f"the stored copy cannot be read ({exc.strerror or exc})")
    path = attachment_path(folder, attachment)
    if path is None:
        return _problem(record, attachment, "the stored copy of this file is missing from the data folder "
                        "(attach the original again)")
    if b"%PDF-" in head:
        reason, pages = _check_pdf(path)
        if reason:
            return _problem(record, attachment, reason)
        return AppendixItem(record, attachment, path, "pdf", pages)
    reason, fmt, pages = _check_image(path, head)
    if reason:
        return _problem(record, attachment, reason)
    return AppendixItem(record, attachment, path, "image", pages, fmt)


PASSWORD = "the PDF is protected by a password; save an unprotected copy and attach that"
CANNOT_DECRYPT = "the PDF is encrypted in a way this computer cannot open"


def _uses_aes(reader) -> bool:  # type: ignore[no-untyped-def]
    """Whether an encrypted PDF's streams are AES-encrypted (/V 5: AES-256; /V 4: AESV2 in a filter)."""
    try:
        encrypt = reader.trailer["/Encrypt"].get_object()
        version = int(encrypt.get("/V", 0))
        if version >= 5:
            return True
        filters = encrypt.get("/CF", {}).get_object() if version == 4 else {}
        return any(str(f.get_object().get("/CFM", "")).startswith("/AESV") for f in filters.values())
    except Exception:  # noqa: BLE001 - a damaged /Encrypt is found when the file is opened
        return False


def _aes_available() -> bool:
    """Whether pypdf has an AES implementation (the cryptography package, a dependency of ours)."""
    try:
        from pypdf import _crypt_providers
    except ImportError:  # pragma: no cover - a pypdf without the module decides for itself
        return True
    return _crypt_providers.crypt_provider[0] != "local_crypt_fallback"


def _check_pdf(path: Path) -> tuple[str, int]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 2048))
            if b"%%EOF" not in fh.read():
                return ("the PDF is incomplete (the file ends too early; it may have been cut off while "
                        "copying)"), 0
            fh.seek(0)
            reader = PdfReader(fh, strict=False)
            if reader.is_encrypted:
                if _uses_aes(reader) and not _aes_available():
                    return CANNOT_DECRYPT, 0
                try:
                    opened = reader.decrypt("")
                except DependencyError:
                    return CANNOT_DECRYPT, 0
                if not opened:
                    return PASSWORD, 0
            pages = len(reader.pages)
            for page in reader.pages:
                page.mediabox  # noqa: B018 - reading each page's box finds most damage cheaply
        if pages == 0:
            return "the PDF has no pages", 0
        return "", pages
    except FileNotDecryptedError:
        return PASSWORD, 0
    except DependencyError:
        return CANNOT_DECRYPT, 0
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, AssertionError) as exc:
        return f"the PDF is damaged and cannot be read ({type(exc).__name__})", 0


def _unknown_type(head: bytes) -> str:
    if head[128:132] == b"DICM":
        return "DICOM image files cannot be printed; bring the images on a CD or USB stick instead"
    if head.startswith(b"PK\x03\x04"):
        return "this is a ZIP archive; open it and attach the files inside instead"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftyphevc"):
        return "this HEIC photo cannot be opened on this computer; save it as JPEG and attach that"
    return "it is neither a PDF nor a picture that can be printed (JPEG, PNG, TIFF, GIF or BMP)"


def _ends_like_a_jpeg(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        fh.seek(max(0, fh.tell() - 4096))
        return b"\xff\xd9" in fh.read()


def _open_formats() -> list[str]:
    """The picture formats Pillow may try: ours, among those installed (HEIF/AVIF need plugins)."""
    from PIL import Image

    Image.init()
    return sorted(f for f in IMAGE_FORMATS if f in Image.OPEN)


def _check_image(path: Path, head: bytes) -> tuple[str, str, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=_open_formats()) as im:  # only the decoders we mean to use
                fmt = im.format or ""
                if fmt not in IMAGE_FORMATS:
                    return _unknown_type(head), "", 0
                width, height = im.size
                if width * height > MAX_IMAGE_PIXELS:
                    return (f"the picture is too large to print safely ({width:,} \u00d7 {height:,} pixels)",
                            "", 0)
                frames = min(getattr(im, "n_frames", 1), MAX_TIFF_PAGES) if fmt == "TIFF" else 1
                if fmt == "PNG":
                    im.verify()  # every chunk's checksum, to the end of the file: finds cut-off files
                elif fmt in ("JPEG", "MPO") and _ends_like_a_jpeg(path):
                    pass  # drawn as it is (never decoded); a complete JPEG ends with its EOI marker
                else:
                    if fmt in ("JPEG", "MPO"):
                        im.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "the picture is too large to open safely (it could be a decompression bomb)", "", 0
    except UnidentifiedImageError:
        return _unknown_type(head), "", 0
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError) as exc:
        detail = "incomplete" if "truncat" in str(exc).lower() else "damaged"
        return f"the picture is {detail} and cannot be read ({type(exc).__name__})", "", 0
    return "", fmt, frames


def _prepared(path: Path, fmt: str, frame: int):  # type: ignore[no-untyped-def]
    """An ImageReader for one picture (frame), turned upright and at most MAX_DRAWN_SIDE pixels long.

    An upright RGB or greyscale JPEG goes in as it is (no decoding, no quality loss).
    """
    from PIL import Image, ImageOps
    from reportlab.lib.utils import ImageReader

    with Image.open(path, formats=_open_formats()) as im:
        if frame:
            im.seek(frame)
        orientation = im.getexif().get(0x0112, 1) if fmt in ("JPEG", "MPO", "TIFF", "WEBP", "HEIF") else 1
        if fmt == "JPEG" and orientation == 1 and im.mode in ("RGB", "L"):
            return _jpeg_passthrough(path), im.size
        if fmt in ("JPEG", "MPO"):
            im.draft("RGB", (MAX_DRAWN_SIDE, MAX_DRAWN_SIDE))
        picture = ImageOps.exif_transpose(im) if orientation != 1 else im.copy()
    if max(picture.size) > MAX_DRAWN_SIDE:
        picture.thumbnail((MAX_DRAWN_SIDE, MAX_DRAWN_SIDE), Image.Resampling.BILINEAR)
    if picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info):
        rgba = picture.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        picture = background
    elif picture.mode not in ("RGB", "L"):
        picture = picture.convert("L" if picture.mode in ("1", "I;16", "I", "F") else "RGB")
    return ImageReader(picture), picture.size


@dataclass(frozen=True)
class PngData:
    """A PNG's compressed pixels, ready to go into a PDF as they are (FlateDecode with the PNG predictor)."""

    width: int
    height: int
    bits: int
    colors: int
    data: bytes


def png_passthrough(path: Path) -> PngData | None:
    """The PNG's IDAT data when a PDF can use it unchanged: grey or RGB, not interlaced, no transparency.

    Anything else (palette, alpha, interlaced, damaged) returns None and is drawn through Pillow instead.
    """
    import struct
    import zlib

    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4 or zlib.crc32(kind + body) != struct.unpack(">I", crc)[0]:
            return None
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind in (b"tRNS", b"PLTE"):
            return None
        elif kind == b"IEND":
            break
        pos += 12 + length
    else:
        return None
    if header is None or not idat:
        return None
    width, height, bits, color_type, _, _, interlace = header
    if interlace or color_type not in (0, 2) or bits not in (1, 2, 4, 8, 16):
        return None
    return PngData(width, height, bits, 1 if color_type == 0 else 3, b"".join(idat))


def _jpeg_passthrough(path: Path):  # type: ignore[no-untyped-def]
    """An ImageReader for a JPEG that reportlab copies into the PDF as it is.

    reportlab's canvas names each image by a digest of its *decoded* pixels, which would decode every JPEG
    only to hash it (and hold the pixels in memory); this reader hands it the file's bytes to hash instead.
    """
    from reportlab.lib.utils import ImageReader

    class JpegReader(ImageReader):
        def getRGBData(self) -> bytes:  # noqa: N802 - reportlab's name; used for the digest only
            self._dataA = None
            return bytes(self.fp.getbuffer())

    return JpegReader(str(path))


Insert = tuple[int, PngData, tuple[float, float, float, float, float, float]]  # page, image, matrix


def render_picture(item: AppendixItem, geometry):  # type: ignore[no-untyped-def]
    """Draw a picture (each page of a TIFF) on its own page with its caption, as a small PDF in memory.

    Returns (the PDF, problems, inserts). One small PDF per picture keeps memory flat however many pictures
    there are. The bottom of each page is left blank for the footer that is stamped later. A TIFF page that
    will not decode gets a page saying so, and a problem. A plain PNG is not decoded at all: its compressed
    data goes into the PDF as it is, by the assembly, as listed in ``inserts``.
    """
    from reportlab.lib.colors import HexColor
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    from secondopinion_desktop.core.packet.story import caption_styles

    styles = caption_styles()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=geometry.pagesize, pageCompression=1)
    page_w, page_h = geometry.pagesize
    left, right = geometry.left, page_w - geometry.right
    bottom, top = geometry.bottom, page_h - geometry.top
    troubles: list[PacketProblem] = []
    inserts: list[Insert] = []
    for frame in range(item.pages):
        caption = caption_markup(item, frame)
        title = Paragraph(caption[0], styles[0])
        sub = Paragraph(caption[1], styles[1])
        _, th = title.wrapOn(canvas, right - left, 200)
        _, sh = sub.wrapOn(canvas, right - left, 200)
        title.drawOn(canvas, left, top - th)
        sub.drawOn(canvas, left, top - th - sh - 2)
        box_top = top - th - sh - 12
        try:
            png = png_passthrough(item.path) if item.image_format == "PNG" else None
            if png is not None:
                w, h = png.width, png.height
            else:
                reader, (w, h) = _prepared(item.path, item.image_format, frame)
            scale = min((right - left) / w, (box_top - bottom) / h)
            dw, dh = w * scale, h * scale
            x = left + (right - left - dw) / 2
            y = box_top - dh
            if png is not None:  # put in afterwards, unchanged, by the assembly (see build._draw_on_page)
                inserts.append((frame, png, (dw, 0.0, 0.0, dh, x, y)))
            else:
                canvas.drawImage(reader, x, y, dw, dh)
                del reader
            canvas.setStrokeColor(HexColor("#c8d0d8"))
            canvas.setLineWidth(0.5)
            canvas.rect(x, y, dw, dh)
        except Exception as exc:  # noqa: BLE001 - one bad frame must not stop the packet
            troubles.append(PacketProblem(
                item.title, f"page {frame + 1} of the picture could not be drawn ({type(exc).__name__})"))
            canvas.setFont("Helvetica", 10)
            canvas.drawString(left, box_top - 20, "This page of the picture could not be read.")
        canvas.showPage()
    canvas.save()
    out.seek(0)
    return out, troubles, inserts


def caption_markup(item: AppendixItem, frame: int) -> tuple[str, str]:
    from secondopinion_desktop.core.packet.story import MAX_CAPTION
    from secondopinion_desktop.core.packet.text import para, plain

    record = item.record
    bits = [record.kind.label]
    if record.date_of_service:
        bits.append(words.month_day_year(record.date_of_service))
    if record.facility_name:
        bits.append(para(plain(record.facility_name, MAX_CAPTION)))
    if item.pages > 1:
        bits.append(f"page {frame + 1} of {item.pages}")
    sub = " \u00b7 ".join(bits[:1] + [b for b in bits[1:]])
    title, name = plain(record.title, MAX_CAPTION), plain(item.attachment.original_name, MAX_CAPTION)
    return f"{para(title)} \u2014 {para(name)}", sub
