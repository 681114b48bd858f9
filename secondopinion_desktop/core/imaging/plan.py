"""What an import of a scanned disc would do, before anything is written: whose images each study holds, and
which studies and images are already in the data folder.

``plan_import`` compares every study's patient (name and birth date from the DICOM headers) with the profile and
looks up the Study and SOP Instance UIDs the data folder already stores. A study of someone other than the
profile's patient, or one whose images are all stored already, is not chosen by default; a study imported in
part before brings only its new images. Reads only; no Qt.

The window reads through ``scan_and_plan(folder, root, …)`` (the scan, then ``plan_against`` in a read of its
own): the core owns the transaction (``core.unit``), the window never holds a session.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from secondopinion_desktop.core.imaging.scan import ScanResult, StudyInfo, person_name
from secondopinion_desktop.core.models import ImagingFile
from secondopinion_desktop.core.profile import ProfileData, get_profile
from secondopinion_desktop.core.unit import reading
from secondopinion_desktop.core.vault import Vault
from secondopinion_desktop.core.words import plural

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

UID_LENGTH = 64  # how much of a UID the imaging_file table keeps (the DICOM maximum)

# --- the patient check ---------------------------------------------------------------------------------------


def _name_tokens(name: str) -> set[str]:
    alphabetic = name.split("=")[0]  # DICOM: alphabetic=ideographic=phonetic
    plain = unicodedata.normalize("NFKD", alphabetic)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    return {t for t in re.split(r"[^\w]+|_", plain) if t}


def names_match(dicom_name: str, profile_name: str) -> bool:
    """Loose: "SAMPLE^ALEX" matches "Alex Sample" and "Alex J. Sample"; one name's words within the other's."""
    a, b = _name_tokens(dicom_name), _name_tokens(profile_name)
    if not a or not b:
        return True  # nothing to compare
    return a <= b or b <= a


def _differences(name: str, birth_date: dt.date | None, profile: ProfileData) -> list[str]:
    differences = []
    if profile.name.strip() and name and not names_match(name, profile.name):
        differences.append(f"the name on the images is {person_name(name)!r}, "
                           f"the profile says {profile.name.strip()!r}")
    if profile.date_of_birth and birth_date and birth_date != profile.date_of_birth:
        differences.append(f"the birth date on the images is {birth_date.isoformat()}, "
                           f"the profile says {profile.date_of_birth.isoformat()}")
    return differences


def patient_mismatch(scan: ScanResult, profile: ProfileData) -> list[str]:
    """Sentences saying where the patient on the images differs from the profile; empty when they agree."""
    messages: list[str] = []
    for patient in scan.patients:
        differences = _differences(patient.name, patient.birth_date, profile)
        if differences:
            messages.append("These images may be of someone else: " + "; ".join(differences) + ".")
    return messages


def profile_can_be_checked(profile: ProfileData) -> bool:
    return bool(profile.name.strip() or profile.date_of_birth)


NOT_CHECKED = ("Your profile has no name or birth date yet, so whose images these are cannot be checked; "
               "fill in the profile first, or look at the patient shown beside each study.")


# --- what is stored already --------------------------------------------------------------------------------


class StoredImage(NamedTuple):
    record_id: int
    sha256: str


def stored_images(session: Session, study_uids: Iterable[str]) -> dict[str, dict[str, StoredImage]]:
    """For each of ``study_uids`` the data folder holds images of: {SOP Instance UID: where it is stored}."""
    wanted = list(dict.fromkeys(uid[:UID_LENGTH] for uid in study_uids))
    found: dict[str, dict[str, StoredImage]] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(ImagingFile.study_uid, ImagingFile.sop_instance_uid, ImagingFile.record_id, ImagingFile.sha256)
            .where(ImagingFile.study_uid.in_(wanted[start:start + 500]))
            .order_by(ImagingFile.id)
        )
        for study_uid, sop_uid, record_id, sha256 in rows:
            if sop_uid:
                found.setdefault(study_uid, {}).setdefault(sop_uid, StoredImage(record_id, sha256))
    return found


def stored_in(study: StudyInfo, stored: dict[str, dict[str, StoredImage]]) -> dict[str, StoredImage]:
    """The images of ``study`` already stored: {SOP Instance UID as the scan has it: where it is stored}."""
    known = stored.get(study.study_uid[:UID_LENGTH], {})
    if not known:
        return {}
    return {f.sop_instance_uid: known[f.sop_instance_uid[:UID_LENGTH]]
            for s in study.series for f in s.files if f.sop_instance_uid[:UID_LENGTH] in known}


def lost_files(known: dict[str, StoredImage], vault: Vault) -> set[str]:
    """The SOP Instance UIDs of ``known`` whose file is missing from the vault (the import puts them back)."""
    return {sop for sop, where in known.items() if not vault.exists(where.sha256)}


# --- the plan ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyPlan:
    study: StudyInfo
    patient: str  # as people write it: "Alex Sample"
    birth_date: dt.date | None
    differences: tuple[str, ...]  # how the patient differs from the profile; empty when they agree
    stored_images: int  # images of this study the data folder holds already
    record_ids: tuple[int, ...]  # the records holding them
    lost_images: int = 0  # images recorded as imported whose file is missing from the data folder: put back
    uncertain: bool = False  # the profile cannot tell (no name, no birth date) and the disc holds several patients

    @property
    def study_uid(self) -> str:
        return self.study.study_uid

    @property
    def someone_else(self) -> bool:
        return bool(self.differences)

    @property
    def new_images(self) -> int:
        return self.study.image_count - self.stored_images

    @property
    def already_imported(self) -> bool:
        return self.stored_images > 0 and self.new_images == 0

    @property
    def partly_imported(self) -> bool:
        return self.stored_images > 0 and self.new_images > 0

    @property
    def importable(self) -> bool:
        return self.new_images > 0

    @property
    def needs_confirmation(self) -> bool:
        """Importing it needs an explicit yes: it is someone else's, or nobody can tell whose it is."""
        return self.someone_else or self.uncertain

    @property
    def chosen_by_default(self) -> bool:
        return self.importable and not self.needs_confirmation

    def patient_label(self) -> str:
        name = self.patient or "No name on the images"
        return f"{name}, born {self.birth_date.isoformat()}" if self.birth_date else name

    def stored_sentence(self) -> str:
        """"Already imported: CT CHEST (2024-03-05) (9 images) — skipped", or "" for a new study."""
        if self.lost_images:
            verb = "is" if self.lost_images == 1 else "are"
            lost = (f"{plural(self.lost_images, 'image')} of {self.study.label()} {verb} missing from the data "
                    "folder and will be put back from this disc.")
            return f"Imported before: {lost}" if self.stored_images == 0 else lost
        if self.already_imported:
            return f"Already imported: {self.study.label()} ({plural(self.stored_images, 'image')}) — skipped."
        if self.partly_imported:
            return (f"Imported in part before: {self.study.label()} — {plural(self.stored_images, 'image')} "
                    f"already stored {'is' if self.stored_images == 1 else 'are'} skipped; only "
                    f"{plural(self.new_images, 'new image')} will be added.")
        return ""

    def to_json(self) -> dict[str, Any]:
        return {
            "study_uid": self.study_uid, "label": self.study.label(), "patient": self.patient,
            "patient_birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "someone_else": self.someone_else, "uncertain": self.uncertain, "differences": list(self.differences),
            "images": self.study.image_count, "stored_images": self.stored_images, "new_images": self.new_images,
            "lost_images": self.lost_images,
            "record_ids": list(self.record_ids),
        }


@dataclass(frozen=True)
class ImportPlan:
    scan: ScanResult
    studies: tuple[StudyPlan, ...]
    profile_name: str
    profile_checked: bool  # False when the profile has neither name nor birth date
    warnings: tuple[str, ...]  # about whose images these are, in plain sentences

    def study(self, study_uid: str) -> StudyPlan:
        return next(s for s in self.studies if s.study_uid == study_uid)

    def default_study_uids(self) -> list[str]:
        return [s.study_uid for s in self.studies if s.chosen_by_default]

    def skipped_lines(self) -> list[str]:
        return [s.stored_sentence() for s in self.studies if s.stored_images or s.lost_images]

    @property
    def everything_stored(self) -> bool:
        return bool(self.studies) and not any(s.importable for s in self.studies)

    def to_json(self) -> dict[str, Any]:
        return {"profile_checked": self.profile_checked, "studies": [s.to_json() for s in self.studies]}


def plan_import(
    session: Session | None, scan: ScanResult, profile: ProfileData, vault: Vault | None = None
) -> ImportPlan:
    """The import plan of ``scan`` against the data folder (``session``; None for one that does not exist yet,
    which holds nothing) and the patient ``profile``. With ``vault``, images whose stored file went missing count
    as not stored (importing puts their files back)."""
    stored = stored_images(session, (s.study_uid for s in scan.studies)) if session is not None else {}
    checked = profile_can_be_checked(profile)
    uncertain = not checked and len(scan.patients) > 1  # which of them is she? Nobody ticks that for her
    plans = []
    for study in scan.studies:
        known = stored_in(study, stored)
        lost = lost_files(known, vault) if vault is not None else set()
        plans.append(StudyPlan(
            study=study, patient=person_name(study.patient_name), birth_date=study.patient_birth_date,
            differences=tuple(_differences(study.patient_name, study.patient_birth_date, profile)),
            stored_images=len(known) - len(lost), lost_images=len(lost),
            record_ids=tuple(dict.fromkeys(k.record_id for k in known.values())), uncertain=uncertain,
        ))
    warnings = patient_mismatch(scan, profile)
    if len(scan.patients) > 1:
        names = "; ".join(p.label() for p in scan.patients)
        warnings.append(f"These images belong to {len(scan.patients)} different patients: {names}.")
    if not checked and scan.studies:
        warnings.append(NOT_CHECKED)
    return ImportPlan(scan=scan, studies=tuple(plans), profile_name=profile.name.strip(), profile_checked=checked,
                      warnings=tuple(warnings))


@reading
def plan_against(session: Session, scan: ScanResult, vault: Vault | None = None) -> ImportPlan:
    """The plan of ``scan`` against what the data folder stores and its patient profile (a read only)."""
    return plan_import(session, scan, get_profile(session), vault)


def scan_and_plan(
    folder: DataFolder, root: Path | str, *, progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportPlan:
    """Read the DICOM headers in ``root`` (``scan_folder``), then plan their import into ``folder``. Nothing is
    written. Raises ``core.progress.Cancelled`` when ``cancelled()`` turns True."""
    from secondopinion_desktop.core.imaging.scan import scan_folder

    scan = scan_folder(root, progress=progress, cancelled=cancelled)
    return plan_against(folder, scan, folder.vault)
