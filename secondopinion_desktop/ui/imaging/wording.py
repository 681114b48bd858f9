"""What the import dialog says about a scanned disc and an import: plain functions of the core's results (no widgets).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape as _html_escape
from typing import TYPE_CHECKING, Any

from secondopinion_desktop.core.words import plural

if TYPE_CHECKING:
    from secondopinion_desktop.core.imaging.importer import ImportResult
    from secondopinion_desktop.core.imaging.plan import ImportPlan, StudyPlan


def escape(text: str) -> str:
    return _html_escape(text, quote=False)


def problem_text(problem: Any) -> str:
    where, why = getattr(problem, "path", ""), getattr(problem, "reason", "")
    return f"{where} — {why}" if where and why else (where or why or str(problem))


def counts_text(plan: ImportPlan) -> str:
    scan = plan.scan
    text = (f"{plural(len(scan.studies), 'study', 'studies')}, {plural(scan.series_count, 'series', 'series')}, "
            f"{plural(scan.image_count, 'image')}")
    if scan.non_dicom_count:
        text += f"; {plural(scan.non_dicom_count, 'other file')} skipped"
    if scan.used_dicomdir:
        text += " (read from the disc's DICOMDIR index)"
    text += "."
    stored = [s for s in plan.studies if s.already_imported]
    partly = [s for s in plan.studies if s.partly_imported]
    if stored:
        verb = "is" if len(stored) == 1 else "are"
        text += f" {plural(len(stored), 'study', 'studies')} {verb} already in your records and will be skipped."
    if partly:
        text += (f" {plural(len(partly), 'study', 'studies')} imported in part before: only "
                 f"{plural(sum(s.new_images for s in partly), 'new image')} will be added.")
    return text


def plan_status(plan: ImportPlan) -> str:
    if plan.everything_stored:
        return "Everything on this disc is already in your records; there is nothing to import."
    if plan.scan.studies:
        return "Nothing has been imported yet. Tick the studies you want, then press Import."
    return "No images were found in this folder. Choose another folder."


def warning_html(plan: ImportPlan) -> str:
    """The banner about whose images these are, or "" when there is nothing to warn about."""
    lines = list(plan.warnings)
    if not lines:
        return ""
    others = [s for s in plan.studies if s.needs_confirmation]
    advice = ("Studies that may be of someone else are not ticked; import one only if you are sure it "
              "belongs in your records." if others else "Untick the studies that are not yours before importing.")
    return ("⚠ <b>Check that these images are yours.</b><br>" + "<br>".join(escape(line) for line in lines)
            + "<br>" + escape(advice))


@dataclass(frozen=True)
class Question:
    """The question asked before importing studies that may be of someone else."""

    title: str
    text: str
    yes: str


def someone_else_question(plan: ImportPlan, others: Sequence[StudyPlan]) -> Question:
    whose = "; ".join(f"{s.study.label()} — {s.patient_label()}" for s in others)
    mine = plan.profile_name or "the patient in your profile"
    one = len(others) == 1
    if any(s.someone_else for s in others):
        title = "Import someone else's images?"
        said = f"{'This study is' if one else 'These studies are'} not of {mine}:"
    else:
        title = "Whose images are these?"
        said = (f"This disc holds images of {len(plan.scan.patients)} patients, and the profile has no name or "
                "birth date yet to tell which are yours:")
    them = "it" if one else "them"
    return Question(title, f"{said}\n\n{whose}\n\nImport {them} into your records anyway?", f"Import {them} anyway")


def done_text(result: ImportResult, record_ids: Sequence[int], *, attaching: bool,
              title_of: Callable[[int], str]) -> str:
    """The status line after an import: how many images went where, what was skipped, how many notes."""
    stored = result.files_stored
    created = list(result.created_record_ids)
    if not stored:
        text = " ".join(line for line in result.summary_lines() if not line.startswith(" "))
        text = text or "Nothing new was imported."
    else:
        where = []
        if created:
            where.append(f"in {plural(len(created), 'new imaging record')}")
        verb = "attached to" if attaching else "added to"
        where += [f"{verb} “{title_of(r)}”" for r in record_ids if r not in created]
        text = f"Imported {plural(stored, 'image')} {' and '.join(where)}."
        skipped = result.skipped_sentence()
        if skipped:
            text += f" {skipped}"
    if result.problems:
        text += f" {plural(len(result.problems), 'note')} about single files — listed above."
    return text


def removed_text(can_redo: bool) -> str:
    return ("The import was removed; everything it added is gone."
            + (" Redo (Ctrl+Shift+Z) in the main window brings it back." if can_redo else ""))
