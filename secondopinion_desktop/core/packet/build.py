"""Putting the packet together.

1. Read the data (:mod:`.data`) and decide, by content, which attached files can be included
   (:mod:`.appendix`).
2. Lay out the reportlab story (:mod:`.story`) with ``multiBuild``, so the contents have page numbers. The
   appendix is laid out as one placeholder page per page it will have, so the numbered canvas already knows
   the final page count ("Page X of Y") and the contents and outline know where each appended document starts.
3. Assemble with pypdf: reportlab pages as they are; for each attached PDF its pages (``append``), each made
   the packet's page size (turned upright, scaled with its aspect ratio kept into the page above the footer
   strip, whatever its size, rotation or CropBox) and the placeholder's footer stamped there, so nothing on the
   original page is cut off or covered; each picture drawn on its own page (one small PDF per picture, so
   memory stays flat) and stamped the same way. Then the outline (every section and every appended document)
   and the metadata.
4. Write to a temporary file beside ``out``, fsync, rename over ``out`` (mode 0600), fsync the folder.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.models import RecordKind
from secondopinion_desktop.core.packet import (
    PacketOptions,
    PacketProblem,
    PacketResult,
    Progress,
)
from secondopinion_desktop.core.packet.appendix import AppendixItem, inspect_attachment, render_picture
from secondopinion_desktop.core.packet.data import PacketData, load_packet_data
from secondopinion_desktop.core.progress import CancelCheck, Cancelled
from secondopinion_desktop.core.records import AttachmentData, RecordData

CONTENT_BOTTOM = 44.0  # an appended page is scaled into the page above this: the footer strip (rule at 41)


class _Steps:
    def __init__(self, progress: Progress | None, cancelled: CancelCheck | None) -> None:
        self.progress, self.cancelled = progress, cancelled
        self.done, self.total = 0, 1

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled("The packet was not made: cancelled.")

    def step(self, what: str) -> None:
        """Check for cancel, then report that ``what`` starts (``done`` steps are finished)."""
        self.check()
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total, what)
        self.done += 1


def check_destination(out: Path) -> None:
    """Fail early, with a clear sentence, when ``out`` cannot be written."""
    parent = out.parent
    if out.is_dir():
        raise SecondOpinionError(f"{out} is a folder; give a file name for the packet, such as packet.pdf.")
    if not parent.exists():
        raise SecondOpinionError(f"Cannot write the packet to {out}: the folder {parent} does not exist.")
    if not parent.is_dir():
        raise SecondOpinionError(f"Cannot write the packet to {out}: {parent} is not a folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SecondOpinionError(f"Cannot write the packet to {out}: the folder {parent} is not writable.")


def save_copy(built: Path, target: Path, *, progress: Callable[[int, int], None] | None = None,
              cancelled: CancelCheck | None = None) -> Path:
    """Copy a built packet to ``target`` whole or not at all, private to this user (``core.fsutil``); returns
    ``target``. Check ``target`` with ``core.outputs.check_output`` first. Raises Cancelled (``target`` as it
    was), or SecondOpinionError when it cannot be written."""
    from secondopinion_desktop.core import fsutil

    try:
        fsutil.copy_atomically(built, target, mode=0o600, progress=progress, cancelled=cancelled)
    except OSError as exc:
        raise SecondOpinionError(f"Cannot save the packet to {target}: {exc.strerror or exc}.") from exc
    return target


def _write_error(exc: OSError, out: Path) -> SecondOpinionError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return SecondOpinionError(f"The disk is full: the packet could not be saved to {out.parent}.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return SecondOpinionError(
            f"Cannot write the packet to {out}: the folder {out.parent} is not writable."
        )
    return SecondOpinionError(f"Cannot write the packet to {out}: {exc.strerror or exc}.")


def write_atomically(out: Path, write: Any) -> None:
    """Call ``write(fh)`` on a temporary file beside ``out``, then fsync and rename it to ``out`` (mode 0600),
    through ``core.fsutil.write_atomically``.

    On any failure the temporary file is removed and ``out`` is untouched; OSErrors become SecondOpinionError.
    """
    from secondopinion_desktop.core import fsutil

    try:
        fsutil.write_atomically(out, write, mode=0o600)
    except OSError as exc:
        raise _write_error(exc, out) from exc


def footer_left(data: PacketData) -> str:
    from secondopinion_desktop.core.packet.story import human_date
    from secondopinion_desktop.core.packet.text import plain

    name = plain(data.profile.name, 80) or "Patient"
    born = f" \u00b7 born {human_date(data.profile.date_of_birth)}" if data.profile.date_of_birth else ""
    return name + born


def metadata(data: PacketData, title_prefix: str = "Second-opinion packet") -> dict[str, str]:
    from secondopinion_desktop.core.packet.text import plain

    name = plain(data.profile.name) or "Patient"
    about = plain(data.profile.cancer_type)
    return {
        "/Title": f"{title_prefix} \u2014 {name}",
        "/Author": name,
        "/Subject": "Medical records for a second-opinion consultation" + (f": {about}" if about else ""),
        "/Creator": "Second Opinion",
        "/Producer": "Second Opinion (reportlab, pypdf)",
    }


def build_packet(
    folder: DataFolder,
    out: Path,
    options: PacketOptions,
    *,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
) -> PacketResult:
    out = Path(out).expanduser().absolute()
    check_destination(out)
    steps = _Steps(progress, cancelled)
    steps.check()
    data = load_packet_data(
        folder, appointment_id=options.appointment_id, record_ids=options.record_ids, today=options.today
    )
    attachments = appendix_attachments(data, options) if options.include_appendix else []
    thumbnails_left_out = 0
    if options.include_appendix and not options.include_image_thumbnails:
        thumbnails_left_out = sum(1 for r in data.records for a in r.attachments if is_image_thumbnail(r, a))
    steps.total = 3 + len(attachments) * 2
    steps.done = 1  # the data is read

    items: list[AppendixItem] = []
    problems: list[PacketProblem] = []
    for record, attachment in attachments:
        steps.step(f"Checking {attachment.original_name}")
        found = inspect_attachment(folder, record, attachment)
        if (isinstance(found, AppendixItem) and found.kind == "image" and record.kind is RecordKind.IMAGING
                and not options.include_image_thumbnails):  # a picture stored under another type
            thumbnails_left_out += 1
            continue
        (items if isinstance(found, AppendixItem) else problems).append(found)  # type: ignore[arg-type]

    from secondopinion_desktop.core.packet.text import binary_streams, register_fonts

    register_fonts()
    with binary_streams():
        return _build(folder, out, options, data, items, problems, steps, progress, thumbnails_left_out)


def is_image_thumbnail(record: RecordData, attachment: AttachmentData) -> bool:
    """Whether an attachment is a picture of an imaging record (a series' preview, a photo of a screen): not
    diagnostic, so left out of the appendix unless asked for. Decided by the stored type, not the name."""
    return record.kind is RecordKind.IMAGING and attachment.media_type.startswith("image/")


def appendix_attachments(data: PacketData, options: PacketOptions) -> list[tuple[RecordData, AttachmentData]]:
    """The attachments that go into the appendix, in the order a consultant reads them (``data.appendix_order``),
    imaging pictures only when ``options.include_image_thumbnails``."""
    from secondopinion_desktop.core.packet.data import appendix_order

    return [(r, a) for r in sorted(data.records, key=appendix_order) for a in r.attachments
            if options.include_image_thumbnails or not is_image_thumbnail(r, a)]


def _build(folder: DataFolder, out: Path, options: PacketOptions, data: PacketData, items: list[AppendixItem],
           problems: list[PacketProblem], steps: _Steps, progress: Progress | None,
           thumbnails_left_out: int = 0) -> PacketResult:
    from reportlab.platypus.doctemplate import LayoutError

    from secondopinion_desktop.core.packet import story as st

    steps.step("Laying out the packet")
    meta = metadata(data)
    marks = st.Marks()
    rl_buf = io.BytesIO()
    doc = st.PacketDoc(rl_buf, marks, title=meta["/Title"], author=meta["/Author"], subject=meta["/Subject"],
                       creator="Second Opinion")
    story = st.build_story(st.StoryInput(data, items, problems, options.include_appendix, thumbnails_left_out), marks)
    try:
        doc.multiBuild(story, canvasmaker=st.footer_canvas(st.Footer(footer_left(data))))
    except st.PacketLayoutError as exc:
        raise SecondOpinionError(f"The packet could not be laid out: {exc}.") from exc
    except LayoutError as exc:  # pragma: no cover - outside any page (PacketDoc names what it can)
        raise SecondOpinionError("The packet could not be laid out: one part of it is too long to fit on a "
                                 "page.") from exc
    steps.check()

    writer, included = _assemble(rl_buf, items, marks, problems, steps)
    writer.add_metadata(meta)
    writer.page_mode = "/UseOutlines"
    pages = len(writer.pages)

    steps.step("Saving the packet")
    write_atomically(out, writer.write)
    if progress is not None:
        progress(steps.total, steps.total, "Done")
    return PacketResult(path=out, pages=pages, problems=tuple(problems), included_files=included)


def _assemble(
    rl_buf: io.BytesIO,
    items: list[AppendixItem],
    marks: Any,
    problems: list[PacketProblem],
    steps: _Steps,
) -> tuple[Any, int]:
    from pypdf import PdfReader, PdfWriter

    from secondopinion_desktop.core.packet.story import GEOMETRY

    rl_reader = PdfReader(rl_buf)
    where = {value: page for page, value in marks.placeholders.items()}  # (item, page) -> rl page (1-based)

    writer = PdfWriter()
    included = 0
    for index, item in enumerate(items):
        first = where.get((index, 0))
        if first is None:  # pragma: no cover - the layout always places every item
            raise SecondOpinionError(f"The packet could not be laid out: no place for {item.title}.")
    appended: dict[int, int] = {}  # rl page index (0-based) of each appended document's first page -> item
    for index in range(len(items)):
        appended[where[(index, 0)] - 1] = index

    page = 0
    total = len(rl_reader.pages)
    while page < total:
        index = appended.get(page)
        if index is None:
            writer.add_page(rl_reader.pages[page])
            page += 1
            continue
        item = items[index]
        steps.step(f"Adding {item.attachment.original_name}")
        stamps = [rl_reader.pages[page + k] for k in range(item.pages)]
        before = len(writer.pages)
        if item.kind == "pdf":
            ok = _append_pdf(writer, item)
            for k in range(before, len(writer.pages)):
                _stamp(writer.pages[k], stamps[k - before], strip=True, writer=writer)
        else:
            pictures, troubles, inserts = render_picture(item, GEOMETRY)
            problems += troubles
            ok = True
            for k, picture_page in enumerate(PdfReader(pictures).pages):
                added = writer.add_page(picture_page)
                for frame, png, matrix in inserts:
                    if frame == k:
                        _draw_on_page(added, writer, "/SOPicture", _png_xobject(writer, png), matrix)
                _stamp(added, stamps[k], strip=False, writer=writer)
        got = len(writer.pages) - before
        for k in range(got, item.pages):  # a document that failed part-way: keep the page count right
            writer.add_page(stamps[k])
        if ok:
            included += 1
        else:
            problems.append(PacketProblem(
                item.title, "the PDF could not be copied into the packet" +
                (f" (only {got} of its {item.pages} pages are in)" if got else ""),
            ))
        page += item.pages
    _outline(writer, marks)
    return writer, included


def _append_pdf(writer: Any, item: AppendixItem) -> bool:
    from pypdf import PdfReader

    try:
        with open(item.path, "rb") as fh:
            reader = PdfReader(fh, strict=False)
            if reader.is_encrypted:
                reader.decrypt("")
            writer.append(reader, import_outline=False)
        return True
    except Exception:  # noqa: BLE001 - a document that cannot be copied is reported, never fatal
        return False


def fit_matrix(box: tuple[float, float, float, float], rotation: int,
               area: tuple[float, float, float, float]) -> tuple[float, float, float, float, float, float]:
    """The PDF matrix that turns a page's visible ``box`` (left, bottom, right, top) upright (``rotation``
    degrees clockwise, as /Rotate says) and scales it, keeping its aspect ratio, to fit and centre it in
    ``area`` (x, y, width, height)."""
    left, bottom, right, top = box
    w, h = right - left, top - bottom
    rotation %= 360
    # (a, b, c, d, e, f): x' = a·x + c·y + e, y' = b·x + d·y + f — the box turned upright, from (0, 0).
    if rotation == 90:
        m, shown = (0.0, -1.0, 1.0, 0.0, -bottom, left + w), (h, w)
    elif rotation == 180:
        m, shown = (-1.0, 0.0, 0.0, -1.0, left + w, bottom + h), (w, h)
    elif rotation == 270:
        m, shown = (0.0, 1.0, -1.0, 0.0, bottom + h, -left), (h, w)
    else:
        m, shown = (1.0, 0.0, 0.0, 1.0, -left, -bottom), (w, h)
    x, y, aw, ah = area
    scale = min(aw / shown[0], ah / shown[1])
    tx = x + (aw - shown[0] * scale) / 2
    ty = y + (ah - shown[1] * scale) / 2
    a, b, c, d, e, f = m
    return (a * scale, b * scale, c * scale, d * scale, e * scale + tx, f * scale + ty)


def _visible_box(page: Any, size: tuple[float, float]) -> tuple[float, float, float, float]:
    """The page's CropBox clipped to its MediaBox (the part a viewer shows), or the MediaBox when that is empty."""
    media = page.mediabox
    ml, mb, mr, mt = (float(v) for v in (media.left, media.bottom, media.right, media.top))
    ml, mr = min(ml, mr), max(ml, mr)
    mb, mt = min(mb, mt), max(mb, mt)
    try:
        crop = page.cropbox
        cl, cb, cr, ct = (float(v) for v in (crop.left, crop.bottom, crop.right, crop.top))
        cl, cr = min(cl, cr), max(cl, cr)
        cb, ct = min(cb, ct), max(cb, ct)
        box = (max(ml, cl), max(mb, cb), min(mr, cr), min(mt, ct))
    except Exception:  # noqa: BLE001 - a damaged CropBox: the MediaBox is what shows
        box = (ml, mb, mr, mt)
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        box = (ml, mb, mr, mt)
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        box = (0.0, 0.0, *size)
    return box


def fit_to_packet(page: Any) -> bytes:
    """Make an appended page the packet's size: its visible part turned upright and scaled, keeping its aspect
    ratio, into the page above the footer. Returns the content that goes before the page's own (the matrix
    and a clip to the visible part); the page's boxes, rotation and links are changed to match."""
    from pypdf.generic import ArrayObject, FloatObject, NameObject, RectangleObject

    from secondopinion_desktop.core.packet.story import GEOMETRY

    size = (float(GEOMETRY.pagesize[0]), float(GEOMETRY.pagesize[1]))
    box = _visible_box(page, size)
    try:
        rotation = int(page.get("/Rotate", 0) or 0)
    except (TypeError, ValueError):
        rotation = 0
    if rotation % 90:
        rotation = 0
    matrix = fit_matrix(box, rotation, (0.0, CONTENT_BOTTOM, size[0], size[1] - CONTENT_BOTTOM))
    for key in ("/Rotate", "/UserUnit", "/TrimBox", "/BleedBox", "/ArtBox"):
        if key in page:
            del page[NameObject(key)]
    page.mediabox = RectangleObject([0, 0, *size])
    page.cropbox = RectangleObject([0, 0, *size])
    try:  # links and notes keep their place on the scaled page
        for ref in page.get("/Annots", None) or []:
            annot = ref.get_object()
            rect = [float(v) for v in annot["/Rect"]]
            xs, ys = [], []
            for px, py in ((rect[0], rect[1]), (rect[2], rect[3]), (rect[0], rect[3]), (rect[2], rect[1])):
                xs.append(matrix[0] * px + matrix[2] * py + matrix[4])
                ys.append(matrix[1] * px + matrix[3] * py + matrix[5])
            annot[NameObject("/Rect")] = ArrayObject([FloatObject(v) for v in (min(xs), min(ys), max(xs), max(ys))])
    except Exception:  # noqa: BLE001 - notes that cannot be moved are dropped rather than left in the wrong place
        del page[NameObject("/Annots")]
    numbers = " ".join(_number(v) for v in matrix)
    left, bottom, right, top = box
    clip = " ".join(_number(v) for v in (left, bottom, right - left, top - bottom))
    return f"{numbers} cm {clip} re W n".encode()


def _number(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".") or "0"


def _stamp(page: Any, stamp: Any, *, strip: bool, writer: Any) -> None:
    """Draw the placeholder page ``stamp`` (its footer) over an appended ``page``.

    An attached PDF page is first made the packet's size (:func:`fit_to_packet`): turned upright and scaled,
    keeping its aspect ratio, into the page above the footer strip, so nothing on it is cut off or covered. The
    footer becomes a form XObject drawn after the page's own content, which is left as it is: pypdf's
    ``merge_page`` or ``add_transformation`` would parse (and rewrite) every page's content stream, which cost
    more than the rest of the appendix.
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NameObject

    from secondopinion_desktop.core.packet.story import GEOMETRY

    before = fit_to_packet(page) if strip else b""
    form = DecodedStreamObject()
    form.set_data(stamp.get_contents().get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject([FloatObject(v) for v in (0, 0, *GEOMETRY.pagesize)]),
        NameObject("/Resources"): stamp["/Resources"].get_object().clone(writer),
    })
    form_ref = writer._add_object(form.flate_encode())  # noqa: SLF001 - pypdf's way to add an object
    _draw_on_page(page, writer, "/SOFooter", form_ref, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), before=before)


def _png_xobject(writer: Any, png: Any) -> Any:
    """An image XObject holding a PNG's compressed data unchanged (Flate with the PNG predictors)."""
    from pypdf.generic import DictionaryObject, NameObject, NumberObject, StreamObject

    image = StreamObject()
    image._data = png.data  # noqa: SLF001 - already encoded: written as it is
    image.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Image"),
        NameObject("/Width"): NumberObject(png.width),
        NameObject("/Height"): NumberObject(png.height),
        NameObject("/BitsPerComponent"): NumberObject(png.bits),
        NameObject("/ColorSpace"): NameObject("/DeviceGray" if png.colors == 1 else "/DeviceRGB"),
        NameObject("/Filter"): NameObject("/FlateDecode"),
        NameObject("/DecodeParms"): DictionaryObject({
            NameObject("/Predictor"): NumberObject(15),
            NameObject("/Colors"): NumberObject(png.colors),
            NameObject("/BitsPerComponent"): NumberObject(png.bits),
            NameObject("/Columns"): NumberObject(png.width),
        }),
    })
    return writer._add_object(image)  # noqa: SLF001


def _draw_on_page(page: Any, writer: Any, base_name: str, xobject: Any, matrix: tuple[float, ...],
                  before: bytes = b"") -> None:
    """Draw ``xobject`` over the page with ``matrix``, leaving the page's own content as it is.

    The page gets its own copy of its resource dictionaries (pages often share them); its content is wrapped
    in q … Q so that whatever graphics state it leaves cannot move what is drawn after it; ``before`` goes
    inside that q, ahead of the page's content (the matrix that fits it to the packet's page).
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject

    resources = DictionaryObject(page.get("/Resources", DictionaryObject()).get_object())
    xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
    name = base_name
    while NameObject(name) in xobjects:
        name += "x"
    xobjects[NameObject(name)] = xobject
    resources[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = resources

    def stream(data: bytes) -> Any:
        obj = DecodedStreamObject()
        obj.set_data(data)
        return writer._add_object(obj)  # noqa: SLF001

    raw = page.get("/Contents")
    contents = raw.get_object() if raw is not None else None
    if isinstance(contents, ArrayObject):
        parts = list(contents)
    elif contents is None:
        parts = []
    elif isinstance(raw, IndirectObject):
        parts = [raw]
    else:  # a direct stream (pypdf leaves one after turning a rotated page upright): streams must be indirect
        parts = [writer._add_object(contents)]  # noqa: SLF001
    numbers = " ".join(_number(v) for v in matrix)
    call = f"Q q {numbers} cm {name} Do Q".encode()
    page[NameObject("/Contents")] = ArrayObject([stream(b"q " + before if before else b"q"), *parts, stream(call)])


def _outline(writer: Any, marks: Any) -> None:
    parents: dict[int, Any] = {}
    for level, title, page, _key in marks.outline:
        parent = parents.get(level - 1) if level > 0 else None
        item = writer.add_outline_item(title=title or "\u2014", page_number=page - 1, parent=parent)
        parents[level] = item
