"""The database schema as SQLAlchemy 2 typed ORM classes.

Changes to this file need a new Alembic migration under ``migrations/versions``; a test compares the two.
Timestamps are stored in UTC without a zone (``utcnow()``).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a human label; stored in the database by value."""

    label: str

    def __new__(cls, value: str, label: str = "") -> LabelledEnum:  # RecordStatus("needed") looks a member up
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    def __str__(self) -> str:
        value: str = self.value
        return value


class RecordKind(LabelledEnum):
    LAB = ("lab", "Lab / test result")
    IMAGING = ("imaging", "Imaging")
    PATHOLOGY = ("pathology", "Pathology")
    MOLECULAR = ("molecular", "Molecular / biomarker report")
    CLINICAL = ("clinical", "Clinical report")
    TREATMENT = ("treatment", "Treatment")
    IDENTITY = ("identity", "Identity and insurance")
    OTHER = ("other", "Other")


class RecordStatus(LabelledEnum):
    NEEDED = ("needed", "Needed")
    REQUESTED = ("requested", "Requested")
    RECEIVED = ("received", "Received")
    SENT = ("sent", "Sent to second-opinion doctor")


class ClinicianRole(LabelledEnum):
    TREATING = ("treating", "Treating")
    SECOND_OPINION = ("second_opinion", "Second opinion")
    OTHER = ("other", "Other")


class FacilityKind(LabelledEnum):
    HOSPITAL = ("hospital", "Hospital")
    CANCER_CENTER = ("cancer_center", "Cancer center")
    CLINIC = ("clinic", "Clinic / practice")
    LAB = ("lab", "Laboratory")
    IMAGING_CENTER = ("imaging_center", "Imaging center")
    OTHER = ("other", "Other")


class TreatmentKind(LabelledEnum):
    SURGERY = ("surgery", "Surgery")
    CHEMOTHERAPY = ("chemotherapy", "Chemotherapy")
    RADIATION = ("radiation", "Radiation therapy")
    TARGETED = ("targeted", "Targeted therapy")
    IMMUNOTHERAPY = ("immunotherapy", "Immunotherapy")
    HORMONE = ("hormone", "Hormone therapy")
    OTHER = ("other", "Other")


class RequestStatus(LabelledEnum):
    """Where a records request stands: draft → sent → extended → partly received → complete, or refused /
    cancelled."""

    DRAFT = ("draft", "Draft")
    SENT = ("sent", "Sent")
    EXTENDED = ("extended", "Extended")
    PARTLY_RECEIVED = ("partly_received", "Partly received")
    COMPLETE = ("complete", "Complete")
    REFUSED = ("refused", "Refused")
    CANCELLED = ("cancelled", "Cancelled")


class RequestVia(LabelledEnum):
    """How a request was sent to the facility."""

    FAX = ("fax", "Fax")
    MAIL = ("mail", "Mail")
    EMAIL = ("email", "Email")
    PORTAL = ("portal", "Patient portal")
    IN_PERSON = ("in_person", "In person")
    PHONE = ("phone", "Phone")


class CopyFormat(LabelledEnum):
    """The form the copies are asked in."""

    PDF = ("pdf", "Electronic copy (PDF)")
    PORTAL = ("portal", "The patient portal's download")
    PAPER = ("paper", "Paper copies")


class ImagesMedia(LabelledEnum):
    """How the images themselves are asked for (always DICOM, the format a radiologist can read)."""

    NONE = ("none", "Not asked for")
    CD = ("cd", "DICOM on a CD or DVD")
    DOWNLOAD = ("download", "DICOM by download")


class Delivery(LabelledEnum):
    """Where and how the copies reach their reader."""

    MAIL = ("mail", "Mail to me")
    PICK_UP = ("pick_up", "I will pick them up")
    EMAIL = ("email", "Email to me")
    FAX = ("fax", "Fax to me")
    PORTAL = ("portal", "Through the patient portal")
    THIRD_PARTY = ("third_party", "Send directly to someone else")


class RequestEventKind(LabelledEnum):
    """One entry of a request's log."""

    SENT = ("sent", "Sent")
    CALLED = ("called", "Called")
    OWN_FORM = ("own_form", "They asked for their own form")
    FEE_QUOTED = ("fee_quoted", "Fee quoted")
    EXTENSION = ("extension", "Extension notice")
    PARTLY_RECEIVED = ("partly_received", "Partly received")
    RECEIVED = ("received", "Received")
    REFUSED = ("refused", "Refused")
    ESCALATED = ("escalated", "Escalated")
    CANCELLED = ("cancelled", "Cancelled")
    NOTE = ("note", "Note")


class LetterKind(LabelledEnum):
    REQUEST = ("request", "Records request letter")
    RELEASE = ("release", "Pathology material release request")


class MaterialKind(LabelledEnum):
    """What pathology material a shipment holds."""

    STAINED_SLIDES = ("stained_slides", "Stained slides")
    UNSTAINED_SLIDES = ("unstained_slides", "Unstained slides")
    RECUTS = ("recuts", "Recuts")
    BLOCKS = ("blocks", "Paraffin blocks")
    OTHER = ("other", "Other material")


class ImagesLocation(LabelledEnum):
    CD = ("cd", "CD / DVD / USB stick")
    FILES = ("files", "Files on this computer")
    PORTAL = ("portal", "Patient portal")
    AT_FACILITY = ("at_facility", "Still at the facility")


class DiagnosisVerdict(LabelledEnum):
    """What the second opinion made of the first diagnosis."""

    CONFIRMED = ("confirmed", "Confirmed")
    REFINED = ("refined", "Refined (same cancer, more detail or a different subtype, grade or stage)")
    CHANGED = ("changed", "Changed (a different diagnosis)")


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Profile(Base):
    """The patient. One per data folder."""

    __tablename__ = "profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    medical_record_numbers: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    cancer_type: Mapped[str] = mapped_column(String(200), default="")
    histology: Mapped[str] = mapped_column(String(200), default="")
    grade: Mapped[str] = mapped_column(String(100), default="")
    tnm_stage: Mapped[str] = mapped_column(String(100), default="")
    stage_group: Mapped[str] = mapped_column(String(50), default="")
    biomarkers: Mapped[str] = mapped_column(Text, default="")
    diagnosis_date: Mapped[dt.date | None] = mapped_column(Date)
    insurer: Mapped[str] = mapped_column(String(200), default="")
    member_number: Mapped[str] = mapped_column(String(100), default="")
    group_number: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Facility(Base):
    """A hospital, lab, clinic or cancer center, with its records-department contact."""

    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[FacilityKind] = mapped_column(_enum(FacilityKind, "facility_kind"), default=FacilityKind.HOSPITAL)
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(100), default="")
    records_contact: Mapped[str] = mapped_column(String(200), default="")
    records_phone: Mapped[str] = mapped_column(String(100), default="")
    records_fax: Mapped[str] = mapped_column(String(100), default="")
    records_email: Mapped[str] = mapped_column(String(200), default="")
    # The records department's portal (web address), mailing address and own release form (name, where to get
    # it). Added after the first version: existing rows start empty.
    records_portal: Mapped[str] = mapped_column(String(500), default="", server_default=text("''"))
    records_address: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    records_form: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    notes: Mapped[str] = mapped_column(Text, default="")

    clinicians: Mapped[list[Clinician]] = relationship(back_populates="facility")


class Clinician(Base):
    """A doctor or other clinician: the treating team, the second-opinion doctor, others."""

    __tablename__ = "clinician"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(200), default="")
    credentials: Mapped[str] = mapped_column(String(100), default="")
    board_certification: Mapped[str] = mapped_column(String(300), default="")
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id", ondelete="SET NULL"), index=True)
    phone: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[ClinicianRole] = mapped_column(_enum(ClinicianRole, "clinician_role"), default=ClinicianRole.TREATING)
    notes: Mapped[str] = mapped_column(Text, default="")

    facility: Mapped[Facility | None] = relationship(back_populates="clinicians")


class Record(Base):
    """One item of the medical-records inventory: a report, a set of images, slides, a card…"""

    __tablename__ = "record"
    __table_args__ = (
        CheckConstraint("slides_count IS NULL OR slides_count >= 0", name="slides_not_negative"),
        CheckConstraint("blocks_count IS NULL OR blocks_count >= 0", name="blocks_not_negative"),
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RecordKind] = mapped_column(_enum(RecordKind, "record_kind"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    date_of_service: Mapped[dt.date | None] = mapped_column(Date)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id", ondelete="SET NULL"), index=True)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id", ondelete="SET NULL"), index=True)
    status: Mapped[RecordStatus] = mapped_column(
        _enum(RecordStatus, "record_status"), default=RecordStatus.NEEDED, index=True
    )
    requested_on: Mapped[dt.date | None] = mapped_column(Date)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    sent_on: Mapped[dt.date | None] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # imaging
    imaging_modality: Mapped[str] = mapped_column(String(50), default="")
    imaging_body_region: Mapped[str] = mapped_column(String(200), default="")
    images_location: Mapped[ImagesLocation | None] = mapped_column(_enum(ImagesLocation, "images_location"))
    # pathology
    accession_number: Mapped[str] = mapped_column(String(100), default="")
    specimen_site: Mapped[str] = mapped_column(String(200), default="")
    slides_count: Mapped[int | None] = mapped_column(Integer)
    blocks_count: Mapped[int | None] = mapped_column(Integer)
    material_holder: Mapped[str] = mapped_column(String(300), default="")

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    facility: Mapped[Facility | None] = relationship()
    clinician: Mapped[Clinician | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="record", cascade="all, delete-orphan", passive_deletes=True, order_by="Attachment.id"
    )


class Attachment(Base):
    """A file attached to a record. The bytes live in the vault under their SHA-256."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size_not_negative"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(1000))
    media_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    record: Mapped[Record] = relationship(back_populates="attachments")


class ChecklistItem(Base):
    """One step of the patient's second-opinion checklist: from the guide's template (``key``) or their own."""

    __tablename__ = "checklist_item"
    __table_args__ = (CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(100), unique=True)  # None for steps the patient added
    title: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    answers: Mapped[str] = mapped_column(Text, default="{}")  # JSON object: field key -> answer
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Question(Base):
    """A question the patient added to the question bank (the built-in ones live in resources/)."""

    __tablename__ = "question"
    __table_args__ = (CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_key: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Appointment(Base):
    """A consult: when, with whom, where, why, who comes along. Questions and notes hang off it."""

    __tablename__ = "appointment"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # local wall-clock time
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id", ondelete="SET NULL"), index=True)
    place: Mapped[str] = mapped_column(String(300), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    attendees: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    clinician: Mapped[Clinician | None] = relationship()
    questions: Mapped[list[AppointmentQuestion]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True,
        order_by="AppointmentQuestion.position",
    )
    notes: Mapped[list[AppointmentNote]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True,
        order_by="AppointmentNote.started_at",
    )
    # the visit this one follows up (its unanswered questions were carried forward here); not a foreign key, as a
    # column added in place cannot name one: deleting an appointment clears it (core.appointments)
    follow_up_of_id: Mapped[int | None] = mapped_column(Integer)
    opinion: Mapped[Opinion | None] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True, uselist=False,
    )
    requirements: Mapped[list[AppointmentRequirement]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", passive_deletes=True,
        order_by="AppointmentRequirement.position",
    )


class AppointmentQuestion(Base):
    __tablename__ = "appointment_question"
    __table_args__ = (CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(1000))
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str] = mapped_column(Text, default="")

    appointment: Mapped[Appointment] = relationship(back_populates="questions")


class AppointmentNote(Base):
    """Notes taken during (or after) a consult; ``started_at`` is when the note was begun."""

    __tablename__ = "appointment_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)  # local wall-clock time
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="notes")


class Opinion(Base):
    """What the consultant said at (or after) an appointment: the second opinion itself."""

    __tablename__ = "opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), unique=True)
    verdict: Mapped[DiagnosisVerdict | None] = mapped_column(_enum(DiagnosisVerdict, "diagnosis_verdict"))
    diagnosis: Mapped[str] = mapped_column(Text, default="")  # the consultant's wording
    stage: Mapped[str] = mapped_column(String(200), default="")
    plan: Mapped[str] = mapped_column(Text, default="")  # the recommended treatment plan
    trials: Mapped[str] = mapped_column(Text, default="")  # one suggested trial per line
    further_tests: Mapped[str] = mapped_column(Text, default="")  # one test or review per line
    next_steps: Mapped[str] = mapped_column(Text, default="")  # who should do what next
    report_record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    appointment: Mapped[Appointment] = relationship(back_populates="opinion")
    report: Mapped[Record | None] = relationship()
    follow_ups: Mapped[list[OpinionFollowUp]] = relationship(
        back_populates="opinion", cascade="all, delete-orphan", passive_deletes=True,
        order_by="OpinionFollowUp.position",
    )


class OpinionFollowUp(Base):
    """A question sent to the consultant after the visit (programs often allow a few), and the answer."""

    __tablename__ = "opinion_follow_up"
    __table_args__ = (CheckConstraint("length(trim(question)) > 0", name="question_not_blank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinion.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    question: Mapped[str] = mapped_column(String(1000))
    asked_on: Mapped[dt.date | None] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[dt.date | None] = mapped_column(Date)

    opinion: Mapped[Opinion] = relationship(back_populates="follow_ups")


requirement_record = Table(
    "requirement_record", Base.metadata,
    Column("requirement_id", ForeignKey("appointment_requirement.id", ondelete="CASCADE"), primary_key=True),
    Column("record_id", ForeignKey("record.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class AppointmentRequirement(Base):
    """One item on the receiving center's own list of what to send before the visit, linked to the records that
    answer it; ``done`` is for an item no record stands for (a form faxed, slides sent by the lab)."""

    __tablename__ = "appointment_requirement"
    __table_args__ = (CheckConstraint("length(trim(text)) > 0", name="text_not_blank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(1000))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")

    appointment: Mapped[Appointment] = relationship(back_populates="requirements")
    records: Mapped[list[Record]] = relationship(secondary=requirement_record, order_by="Record.id")


class TreatmentLine(Base):
    """One line of treatment in the patient's history (for the packet's cancer summary)."""

    __tablename__ = "treatment_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TreatmentKind] = mapped_column(_enum(TreatmentKind, "treatment_kind"))
    description: Mapped[str] = mapped_column(String(300), default="")
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    response: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ImagingFile(Base):
    """One DICOM file of an imported imaging study. The bytes live in the vault under their SHA-256.

    DICOM files are not attachments: a study of thousands of images must not flood the record's file list or
    the packet. ``relative_path`` is where the file was inside the imported folder, to export the same set.
    """

    __tablename__ = "imaging_file"
    __table_args__ = (
        CheckConstraint("size >= 0", name="size_not_negative"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    relative_path: Mapped[str] = mapped_column(String(1000))
    study_uid: Mapped[str] = mapped_column(String(64), default="")
    series_uid: Mapped[str] = mapped_column(String(64), default="")
    sop_instance_uid: Mapped[str] = mapped_column(String(64), default="")
    series_number: Mapped[int | None] = mapped_column(Integer)
    instance_number: Mapped[int | None] = mapped_column(Integer)
    modality: Mapped[str] = mapped_column(String(16), default="")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FolderChange(Base):
    """When anything in the data folder last changed (one row, written by triggers: see migration 0005)."""

    __tablename__ = "folder_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RecordsRequest(Base):
    """A written request to one facility's records department for copies of a set of records.

    ``facility_name`` is kept with the request, so a request whose facility is deleted keeps its history.
    ``scope`` is a JSON list of the kinds of document asked for (``core.requests.SCOPE``) between ``scope_from``
    and ``scope_to``."""

    __tablename__ = "records_request"
    __table_args__ = (
        CheckConstraint("length(trim(facility_name)) > 0", name="facility_name_not_blank"),
        CheckConstraint("due_on IS NULL OR sent_on IS NULL OR due_on >= sent_on", name="due_after_sent"),
        CheckConstraint("unstained_count IS NULL OR unstained_count >= 0", name="unstained_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id", ondelete="SET NULL"), index=True)
    facility_name: Mapped[str] = mapped_column(String(300))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus, "request_status"), default=RequestStatus.DRAFT,
                                                  index=True)
    medical_record_number: Mapped[str] = mapped_column(String(100), default="")
    scope_from: Mapped[dt.date | None] = mapped_column(Date)
    scope_to: Mapped[dt.date | None] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(Text, default="[]")
    copy_format: Mapped[CopyFormat] = mapped_column(_enum(CopyFormat, "copy_format"), default=CopyFormat.PDF)
    images_media: Mapped[ImagesMedia] = mapped_column(_enum(ImagesMedia, "images_media"), default=ImagesMedia.NONE)
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery, "delivery"), default=Delivery.MAIL)
    send_to_name: Mapped[str] = mapped_column(String(300), default="")
    send_to_address: Mapped[str] = mapped_column(Text, default="")
    send_to_fax: Mapped[str] = mapped_column(String(100), default="")
    send_to_phone: Mapped[str] = mapped_column(String(100), default="")
    send_to_email: Mapped[str] = mapped_column(String(200), default="")
    sent_on: Mapped[dt.date | None] = mapped_column(Date)
    sent_via: Mapped[RequestVia | None] = mapped_column(_enum(RequestVia, "request_via"))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    extended_due_on: Mapped[dt.date | None] = mapped_column(Date)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    extra_paragraph: Mapped[str] = mapped_column(Text, default="")  # the patient's own words for the letter
    # For the pathology material release request (a request whose records include pathology):
    release_material: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of core.requests.RELEASE keys
    unstained_count: Mapped[int | None] = mapped_column(Integer)
    unstained_microns: Mapped[int | None] = mapped_column(Integer)  # section thickness
    return_instructions: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    facility: Mapped[Facility | None] = relationship()
    records: Mapped[list[Record]] = relationship(secondary="request_record", order_by="Record.id")
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", cascade="all, delete-orphan", passive_deletes=True,
        order_by="[RequestEvent.happened_on, RequestEvent.id]",
    )
    letters: Mapped[list[RequestLetter]] = relationship(
        back_populates="request", cascade="all, delete-orphan", passive_deletes=True, order_by="RequestLetter.id",
    )


class RequestRecord(Base):
    """Which inventory records a request asks for."""

    __tablename__ = "request_record"

    request_id: Mapped[int] = mapped_column(ForeignKey("records_request.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)


class RequestEvent(Base):
    """One entry of a request's log: sent, a call (who, what they said), a fee quoted, an extension…"""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("records_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RequestEventKind] = mapped_column(_enum(RequestEventKind, "request_event_kind"))
    happened_on: Mapped[dt.date] = mapped_column(Date)
    who: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    request: Mapped[RecordsRequest] = relationship(back_populates="events")


class RequestLetter(Base):
    """A letter made for a request, kept as the PDF that was printed (a few kilobytes)."""

    __tablename__ = "request_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("records_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LetterKind] = mapped_column(_enum(LetterKind, "letter_kind"))
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # read only when the letter is opened
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    size: Mapped[int] = column_property(func.length(pdf))

    request: Mapped[RecordsRequest] = relationship(back_populates="letters")


class MaterialShipment(Base):
    """Pathology material on its way: slides or blocks from the lab to the consulting pathologist, and back."""

    __tablename__ = "material_shipment"
    __table_args__ = (
        CheckConstraint("count IS NULL OR count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id", ondelete="SET NULL"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("records_request.id", ondelete="SET NULL"),
                                                   index=True)
    material: Mapped[MaterialKind] = mapped_column(_enum(MaterialKind, "material_kind"),
                                                   default=MaterialKind.STAINED_SLIDES)
    count: Mapped[int | None] = mapped_column(Integer)
    from_lab: Mapped[str] = mapped_column(String(300), default="")
    to_whom: Mapped[str] = mapped_column(String(300), default="")
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(200), default="")
    shipped_on: Mapped[dt.date | None] = mapped_column(Date)
    received_on: Mapped[dt.date | None] = mapped_column(Date)  # by the consultant
    due_back_on: Mapped[dt.date | None] = mapped_column(Date)
    returned_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    record: Mapped[Record | None] = relationship()


class Setting(Base):
    """A choice kept with the data folder (``requests.due_days``…): key → JSON value."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="null")


class RecordSource(Base):
    """Where an imported record came from: the download's file (``source_name``, its vault copy ``sha256``,
    attached to the record) and the place inside it (``position``). A document's readable text is kept here as
    JSON sections (``core.portal.model.sections_to_json``); ``digest`` recognises the same document or report
    when it is imported again."""

    __tablename__ = "record_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(40))  # "C-CDA", "FHIR R4", "FHIR DSTU2", "Apple Health"
    source_name: Mapped[str] = mapped_column(String(1000), default="")
    position: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    digest: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    type_code: Mapped[str] = mapped_column(String(40), default="")
    sections: Mapped[str] = mapped_column(Text, default="[]")
    # whose records the download said they were (to tell a second person's download when the profile is empty)
    patient_name: Mapped[str] = mapped_column(String(200), default="")
    patient_birth_date: Mapped[dt.date | None] = mapped_column(Date)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class _FromSource:
    """Columns every structured row shares: the record it belongs to and where in which file it was read."""

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="CASCADE"), index=True)
    source_name: Mapped[str] = mapped_column(String(1000), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")  # the vault copy of that file ("" when none)
    position: Mapped[str] = mapped_column(String(300), default="")


class _Enterable(_FromSource):
    """A row the patient can also type in herself (``origin`` "hand"), from a paper result or her own list: its
    ``record_id`` is the record of the paper it was copied from, or None."""

    record_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("record.id", ondelete="CASCADE"), index=True, nullable=True)
    origin: Mapped[str] = mapped_column(String(20), default="import", server_default=text("'import'"))


class LabResultRow(_Enterable, Base):
    """One test result read from a download (C-CDA result observation, FHIR Observation)."""

    __tablename__ = "lab_result"

    test: Mapped[str] = mapped_column(String(300))
    loinc: Mapped[str] = mapped_column(String(20), default="", index=True)
    value: Mapped[str] = mapped_column(String(500), default="")
    number: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(50), default="")
    reference_range: Mapped[str] = mapped_column(String(200), default="")
    flag: Mapped[str] = mapped_column(String(50), default="")
    observed_at: Mapped[str] = mapped_column(String(20), default="")  # ISO text as precise as the source
    observed_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    panel: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(40), default="")


class MedicationRow(_Enterable, Base):
    __tablename__ = "medication"

    name: Mapped[str] = mapped_column(String(500))
    code: Mapped[str] = mapped_column(String(40), default="")
    dose: Mapped[str] = mapped_column(String(200), default="")
    route: Mapped[str] = mapped_column(String(100), default="")
    frequency: Mapped[str] = mapped_column(String(200), default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(40), default="")
    start: Mapped[str] = mapped_column(String(20), default="")
    end: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))  # why it is taken
    prescriber: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))


class AllergyRow(_Enterable, Base):
    __tablename__ = "allergy"

    substance: Mapped[str] = mapped_column(String(500))
    code: Mapped[str] = mapped_column(String(40), default="")
    reaction: Mapped[str] = mapped_column(String(500), default="")
    severity: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(40), default="")
    onset: Mapped[str] = mapped_column(String(20), default="")
    category: Mapped[str] = mapped_column(String(20), default="", server_default=text("''"))  # allergy/intolerance


class ProblemRow(_FromSource, Base):
    __tablename__ = "problem"

    name: Mapped[str] = mapped_column(String(500))
    code: Mapped[str] = mapped_column(String(40), default="")
    code_system: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(40), default="")
    onset: Mapped[str] = mapped_column(String(20), default="")
    resolved: Mapped[str] = mapped_column(String(20), default="")
    stage: Mapped[str] = mapped_column(String(200), default="")


class DocumentText(Base):
    """What the app could read of one distinct file (by its vault ``sha256``; a file attached twice is read once).

    ``state`` is ``pending`` (waiting for the reader), ``read`` (its pages are in ``document_page``; ``reason``
    may still say why some pages gave no text) or ``failed`` (nothing could be read: ``reason`` says why, and
    it is not tried again unless the patient asks). ``method`` is how it was read: ``text`` (a PDF's text
    layer), ``ocr`` (recognised from the picture), ``mixed`` or ``none``."""

    __tablename__ = "document_text"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    pages_read: Mapped[int] = mapped_column(Integer, default=0)
    method: Mapped[str] = mapped_column(String(40), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # whom the document names (``core.documents.identity.FoundIdentity`` as JSON), compared with the profile
    identity: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))


class DocumentPage(Base):
    """One page's text of a file in ``document_text`` (pages count from 1; an image is one page). The FTS5 table
    ``document_fts`` (migration 0008, not an ORM class) indexes ``text`` and is kept in step by triggers."""

    __tablename__ = "document_page"
    # the search box joins matching FTS rows to their file by id: this index answers that without reading the
    # pages' text (a table row holds the whole page)
    __table_args__ = (UniqueConstraint("sha256", "page"), Index("ix_document_page_owner", "id", "sha256", "page"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("document_text.sha256", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(20), default="text")
