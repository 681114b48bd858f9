"""Putting the packet together.

1. Read the data (:mod:`.data`) and decide, by content, which attached files can be included
   (:mod:`.appendix`).
2. Lay out the reportlab story (:mod:`.story`) with ``multiBuild``, so the contents have page numbers. The
   appendix is laid out as one placeholder page per page it will have, so the numbered canvas already knows
   the final page count ("Page X of Y") and the contents and outline know where each appended document starts.
3. Assemble with pypdf: reportlab pages as they are; for each attached PDF its pages (``append``), each with
   a 26-point strip added below it and the placeholder's footer stamped there, so nothing on the original
   page is covered; each picture drawn on its own page (one small PDF per picture, so memory stays flat) and
   stamped the same way. Then the outline (every section and every appended document) and the metadata.
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
from secondopinion_desktop.core.packet import (
    PacketOptions,
    PacketProblem,
    PacketResult,
    Progress,
)
from secondopinion_desktop.core.packet.appendix import AppendixItem, inspect_attachment, render_picture
from secondopinion_desktop.core.packet.data import PacketData, load_packet_data
from secondopinion_desktop.core.progress import CancelCheck, Cancelled

STRIP = 26.0  # points added below an attached PDF page for the footer


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
    attachments = [(r, a) for r in data.records for a in r.attachments] if options.include_appendix else []
    steps.total = 3 + len(attachments) * 2
    steps.done = 1  # the data is read

    items: list[AppendixItem] = []
    problems: list[PacketProblem] = []
    for record, attachment in attachments:
        steps.step(f"Checking {attachment.original_name}")
        found = inspect_attachment(folder, record, attachment)
        (items if isinstance(found, AppendixItem) else problems).append(found)  # type: ignore[arg-type]

    from secondopinion_desktop.core.packet.text import binary_streams, register_fonts

    register_fonts()
    with binary_streams():
        return _build(folder, out, options, data, items, problems, steps, progress)


def _build(folder: DataFolder, out: Path, options: PacketOptions, data: PacketData, items: list[AppendixItem],
           problems: list[PacketProblem], steps: _Steps, progress: Progress | None) -> PacketResult:
    from reportlab.platypus.doctemplate import LayoutError

    from secondopinion_desktop.core.packet import story as st

    steps.step("Laying out the packet")
    meta = metadata(data)
    marks = st.Marks()
    rl_buf = io.BytesIO()
    doc = st.PacketDoc(rl_buf, marks, title=meta["/Title"], author=meta["/Author"], subject=meta["/Subject"],
                       creator="Second Opinion")
    story = st.build_story(st.StoryInput(data, items, problems, options.include_appendix), marks)
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


def _stamp(page: Any, stamp: Any, *, strip: bool, writer: Any) -> None:
    """Draw the placeholder page ``stamp`` (its footer) over an appended ``page``.

    An attached PDF page first gets a STRIP-point strip added below it, and the footer goes there (scaled down
    for pages narrower than Letter), so nothing on the original page is covered. The footer becomes a form
    XObject drawn after the page's own content, which is left as it is: pypdf's ``merge_page`` would parse
    (and rewrite) every page's content stream, which cost more than the rest of the appendix.
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NameObject, RectangleObject

    from secondopinion_desktop.core.packet.story import GEOMETRY

    scale, tx, ty = 1.0, 0.0, 0.0
    if strip:
        if page.rotation % 360:
            page.transfer_rotation_to_content()
        box = page.cropbox
        left, bottom, right, top = float(box.left), float(box.bottom), float(box.right), float(box.top)
        width = right - left
        new_bottom = bottom - STRIP
        page.mediabox = RectangleObject([left, new_bottom, right, top])
        page.cropbox = RectangleObject([left, new_bottom, right, top])
        page_w = GEOMETRY.pagesize[0]
        scale = min(1.0, width / page_w)
        tx = left + (width - page_w * scale) / 2
        ty = new_bottom + 9 - GEOMETRY.footer_y * scale

    form = DecodedStreamObject()
    form.set_data(stamp.get_contents().get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject([FloatObject(v) for v in (0, 0, *GEOMETRY.pagesize)]),
        NameObject("/Resources"): stamp["/Resources"].get_object().clone(writer),
    })
    form_ref = writer._add_object(form.flate_encode())  # noqa: SLF001 - pypdf's way to add an object
    _draw_on_page(page, writer, "/SOFooter", form_ref, (scale, 0.0, 0.0, scale, tx, ty))


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


def _draw_on_page(page: Any, writer: Any, base_name: str, xobject: Any, matrix: tuple[float, ...]) -> None:
    """Draw ``xobject`` over the page with ``matrix``, leaving the page's own content as it is.

    The page gets its own copy of its resource dictionaries (pages often share them); its content is wrapped
    in q … Q so that whatever graphics state it leaves cannot move what is drawn after it.
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
    numbers = " ".join(f"{v:.5f}".rstrip("0").rstrip(".") for v in matrix)
    call = f"Q q {numbers} cm {name} Do Q".encode()
    page[NameObject("/Contents")] = ArrayObject([stream(b"q"), *parts, stream(call)])


def _outline(writer: Any, marks: Any) -> None:
    parents: dict[int, Any] = {}
    for level, title, page, _key in marks.outline:
        parent = parents.get(level - 1) if level > 0 else None
        item = writer.add_outline_item(title=title or "\u2014", page_number=page - 1, parent=parent)
        parents[level] = item
