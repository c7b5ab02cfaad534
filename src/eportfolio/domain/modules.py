"""Workshop modules, their lessons and assignment templates, and the assignments coaches give.

Programme content (modules, lessons, templates, questions) is plaintext: it is not about a person.
What a participant answers and what a coach writes back is an opaque encrypted envelope here.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from eportfolio.domain.common import DomainModel, LanguageCode, LongText, Name, ReadModel, ShortText
from eportfolio.domain.programmes import LanguageLevel


class ModuleStatus(StrEnum):
    draft = "draft"  # never published
    published = "published"
    archived = "archived"


class VersionState(StrEnum):
    draft = "draft"
    published = "published"  # the version new assignments get
    superseded = "superseded"  # an older published version; assignments given from it keep it


class QuestionKind(StrEnum):
    open_text = "open_text"
    choice = "choice"
    scale = "scale"
    checklist = "checklist"
    upload = "upload"
    session_reflection = "session_reflection"


class UploadKind(StrEnum):
    photo = "photo"
    document = "document"
    voice = "voice"


class AssignmentStatus(StrEnum):
    assigned = "assigned"
    in_progress = "in_progress"
    submitted = "submitted"
    feedback_given = "feedback_given"
    completed = "completed"


class AssignmentKind(StrEnum):
    template = "template"  # from a published module version
    personal = "personal"  # written by her coach for her alone, encrypted


# Building blocks ---------------------------------------------------------------------------

Markdown = Annotated[str, StringConstraints(max_length=20_000)]
TextPath = Annotated[str, StringConstraints(max_length=80)]
HelpText = Annotated[str, StringConstraints(max_length=1000)]
Prompt = Annotated[str, StringConstraints(min_length=1, max_length=500)]
OptionText = Annotated[str, StringConstraints(min_length=1, max_length=200)]

_KEY = re.compile(r"^[a-z0-9]{6,32}$")


def _content_key(value: str) -> str:
    if not _KEY.match(value):
        raise ValueError("not a known key")
    return value


ContentKey = Annotated[str, AfterValidator(_content_key)]


def _https_url(value: str) -> str:
    if not value.startswith("https://") or len(value) < 12 or any(c.isspace() for c in value):
        raise ValueError("use a full link that starts with https://")
    return value


HttpsUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(_https_url)]

# Base64url without padding; 16-byte key ids are 22 characters.
_B64U = re.compile(r"^[A-Za-z0-9_-]*$")
MAX_ENVELOPE_CHARS = 96 * 1024  # text answers and feedback; attachments go to the blob store
MAX_KEY_WRAP_CHARS = 512


def _base64url(value: str) -> str:
    if not _B64U.match(value):
        raise ValueError("must be base64url text without padding")
    return value


def _key_id(value: str) -> str:
    if len(value) != 22 or not _B64U.match(value):
        raise ValueError("must be a 16-byte key id in base64url (22 characters)")
    return value


EnvelopeText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ENVELOPE_CHARS), AfterValidator(_base64url)
]
KeyWrapText = Annotated[str, StringConstraints(max_length=MAX_KEY_WRAP_CHARS), AfterValidator(_base64url)]
KeyId = Annotated[str, AfterValidator(_key_id)]

# Translations: language -> field -> text (options: a list of texts, one per option).
Translations = dict[LanguageCode, dict[str, Any]]


# Questions ---------------------------------------------------------------------------------


class QuestionBase(DomainModel):
    kind: QuestionKind
    prompt: Prompt
    help: HelpText = ""
    options: list[OptionText] = Field(default_factory=list, max_length=20)
    scale_min: int = Field(default=1, ge=0, le=10)
    scale_max: int = Field(default=5, ge=1, le=10)
    scale_min_label: ShortText = ""
    scale_max_label: ShortText = ""
    upload_kind: UploadKind | None = None
    required: bool = True

    @model_validator(mode="after")
    def _fits_its_kind(self) -> QuestionBase:
        if self.kind in (QuestionKind.choice, QuestionKind.checklist):
            if len(self.options) < 2:
                raise ValueError("give at least two options, one per line")
        elif self.options:
            raise ValueError("only choice and checklist questions have options")
        if self.kind is QuestionKind.scale and self.scale_min >= self.scale_max:
            raise ValueError("the lowest point of the scale must be below the highest")
        if self.kind is QuestionKind.upload and self.upload_kind is None:
            raise ValueError("choose what she uploads: a photo, a document or a voice note")
        if self.kind is not QuestionKind.upload:
            self.upload_kind = None
        return self


class QuestionCreate(QuestionBase):
    pass


class QuestionUpdate(DomainModel):
    kind: QuestionKind | None = None
    prompt: Prompt | None = None
    help: HelpText | None = None
    options: list[OptionText] | None = Field(default=None, max_length=20)
    scale_min: int | None = Field(default=None, ge=0, le=10)
    scale_max: int | None = Field(default=None, ge=1, le=10)
    scale_min_label: ShortText | None = None
    scale_max_label: ShortText | None = None
    upload_kind: UploadKind | None = None
    required: bool | None = None


class QuestionRead(QuestionBase):
    key: ContentKey
    translations: Translations = Field(default_factory=dict)


# Lessons -----------------------------------------------------------------------------------


class LessonBase(DomainModel):
    title: Name
    body: Markdown = ""
    video_url: HttpsUrl | None = None


class LessonCreate(LessonBase):
    pass


class LessonUpdate(DomainModel):
    title: Name | None = None
    body: Markdown | None = None
    video_url: HttpsUrl | None = None


class LessonRead(LessonBase):
    key: ContentKey
    translations: Translations = Field(default_factory=dict)


# Assignment templates ----------------------------------------------------------------------


class TemplateBase(DomainModel):
    title: Name
    intro: LongText = ""


class TemplateCreate(TemplateBase):
    pass


class TemplateUpdate(DomainModel):
    title: Name | None = None
    intro: LongText | None = None


class TemplateRead(TemplateBase):
    key: ContentKey
    questions: list[QuestionRead] = Field(default_factory=list, max_length=60)
    translations: Translations = Field(default_factory=dict)


# Modules -----------------------------------------------------------------------------------


class ModuleBase(DomainModel):
    title: Name
    theme: ShortText = ""
    language_level: LanguageLevel = LanguageLevel.b1
    summary: LongText = ""


class ModuleCreate(ModuleBase):
    pass


class ModuleUpdate(DomainModel):
    title: Name | None = None
    theme: ShortText | None = None
    language_level: LanguageLevel | None = None
    summary: LongText | None = None


class ModuleVersionRead(ReadModel):
    id: uuid.UUID
    number: int
    state: VersionState
    title: str
    theme: str
    language_level: LanguageLevel
    summary: str
    translations: Translations
    lessons: list[LessonRead]
    templates: list[TemplateRead]
    created_at: datetime
    published_at: datetime | None


class ModuleRead(ReadModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    programme_id: uuid.UUID
    status: ModuleStatus
    copied_from_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    # The version staff work on: the draft if there is one, else the latest published one.
    working: ModuleVersionRead
    published_number: int | None = None
    has_draft: bool = False


class TranslationUpdate(DomainModel):
    """Translated texts for one language.

    ``texts`` maps "<object key>.<field>" to text; an empty text means "show the Dutch".
    """

    language: LanguageCode
    texts: dict[TextPath, Markdown] = Field(default_factory=dict, max_length=2000)


class ModuleCopy(DomainModel):
    target_programme_id: uuid.UUID


# What a participant sees: one language, lessons as sanitised HTML -------------------------


class LocalisedQuestion(ReadModel):
    key: str
    kind: QuestionKind
    prompt: str
    help: str
    options: list[str]
    scale_min: int
    scale_max: int
    scale_min_label: str
    scale_max_label: str
    upload_kind: UploadKind | None
    required: bool


class LocalisedLesson(ReadModel):
    key: str
    title: str
    html: str
    video_url: str | None


class LocalisedTemplate(ReadModel):
    key: str
    title: str
    intro: str
    questions: list[LocalisedQuestion]


class LocalisedModule(ReadModel):
    module_id: uuid.UUID
    version_id: uuid.UUID
    number: int
    language: str  # the language shown; Dutch where no translation exists
    title: str
    theme: str
    language_level: LanguageLevel
    summary: str
    lessons: list[LocalisedLesson]
    templates: list[LocalisedTemplate]


# Encrypted envelopes -----------------------------------------------------------------------


class EnvelopeWrite(DomainModel):
    """A new revision of an encrypted item, based on ``base_revision`` (0 for a new one).

    ``id`` is the row's id, made by the browser before it encrypts because the envelope binds it
    (the same id the row keeps as a portfolio item later); the server makes one when it is left out.
    """

    id: uuid.UUID | None = None
    envelope: EnvelopeText
    key_id: KeyId
    item_key_wrap: KeyWrapText | None = None
    base_revision: int = Field(ge=0)


class EnvelopeRead(ReadModel):
    envelope: str
    key_id: str
    item_key_wrap: str | None
    revision: int


# Assignments -------------------------------------------------------------------------------


class AssignmentBase(DomainModel):
    due_on: date | None = None


class AssignmentCreate(AssignmentBase):
    """Give a template (without ``template_key``: every template of a module) to her or a group."""

    module_id: uuid.UUID
    template_key: ContentKey | None = None
    participant_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> AssignmentCreate:
        if (self.participant_id is None) == (self.group_id is None):
            raise ValueError("choose either one participant or one group")
        return self


class PersonalAssignmentCreate(AssignmentBase):
    """An assignment her coach writes for her alone, encrypted in the coach's browser."""

    participant_id: uuid.UUID
    content: EnvelopeWrite


class AssignmentUpdate(DomainModel):
    due_on: date | None = None


class AssignmentProgress(ReadModel):
    """How far she is: the module's lessons she read and the questions she answered.

    Shown to her and her coaches only (it is about her, though not secret content).
    """

    lessons_total: int
    lessons_read: list[str]  # the keys of the lessons she read
    questions_total: int
    questions_answered: int

    @property
    def steps_total(self) -> int:
        return self.lessons_total + self.questions_total

    @property
    def steps_done(self) -> int:
        return len(self.lessons_read) + self.questions_answered

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0


class AssignmentRead(ReadModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    assigned_by: uuid.UUID | None
    kind: AssignmentKind
    module_id: uuid.UUID | None
    module_version_id: uuid.UUID | None
    template_key: str | None
    group_id: uuid.UUID | None
    title: str  # the template's title in her language; empty for a personal assignment
    module_title: str
    due_on: date | None
    status: AssignmentStatus
    assigned_at: datetime
    started_at: datetime | None
    submitted_at: datetime | None
    feedback_at: datetime | None
    completed_at: datetime | None
    content: EnvelopeRead | None = None  # personal assignments only
    progress: AssignmentProgress | None = None  # for her and her coaches


class AnswerRead(ReadModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    question_key: str
    author_id: uuid.UUID
    envelope: EnvelopeRead
    updated_at: datetime


class FeedbackRead(ReadModel):
    id: uuid.UUID
    assignment_id: uuid.UUID
    author_id: uuid.UUID
    envelope: EnvelopeRead
    created_at: datetime
    updated_at: datetime


class AssignmentDetail(ReadModel):
    assignment: AssignmentRead
    template: LocalisedTemplate | None
    lessons: list[LocalisedLesson] = Field(default_factory=list)  # the module's, read before the questions
    answers: list[AnswerRead]
    feedback: list[FeedbackRead]


class ReviewItem(ReadModel):
    assignment: AssignmentRead
    participant_name: str
    programme_name: str


# Notifications -----------------------------------------------------------------------------


class NotificationKind(StrEnum):
    assignment_given = "assignment_given"
    due_soon = "due_soon"
    feedback_given = "feedback_given"
    submitted = "submitted"


class NotificationRead(ReadModel):
    id: uuid.UUID
    kind: str
    programme_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    link: str
    params: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


# Completion for staff (counts only) --------------------------------------------------------


class CompletionRow(ReadModel):
    module_id: uuid.UUID
    module_title: str
    group_id: uuid.UUID | None
    group_name: str  # empty: assigned to individuals
    counts: dict[AssignmentStatus, int]
    total: int
