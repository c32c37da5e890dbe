"""Credential tracks of a case: recognition, training, language, residence permits, plus the
employment services' integration steps, in-app notifications and per-stage time limits.

Models hold data, simple properties and the *rules* of each track's state machine
(django-fsm-2, protected state fields). Writes go through ``credentials.services``, which
keeps the case's milestone fields up to date and lets the case advance by itself.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from recruitment.models import (
    CEFR_ORDER,
    Case,
    CaseState,
    CEFRLevel,
    Organisation,
    OrganisationKind,
    Profession,
    ProtectedStateRefreshMixin,
    RecognitionOutcome,
)
from recruitment.reasons import SystemText, register, render

# --- Language levels: the one place that maps test results to CEFR --------------------------

# YKI (National Certificates of Language Proficiency, Opetushallitus): levels 1-2 are the
# basic level (A1-A2), 3-4 intermediate (B1-B2), 5-6 advanced (C1-C2). "YKI 3 = B1".
YKI_TO_CEFR: dict[int, str] = {
    1: CEFRLevel.A1,
    2: CEFRLevel.A2,
    3: CEFRLevel.B1,
    4: CEFRLevel.B2,
    5: CEFRLevel.C1,
    6: CEFRLevel.C2,
}
# Civil-service language exam (valtionhallinnon kielitutkinto): "satisfactory" (tyydyttävä)
# is roughly B1 and "good" (hyvä) roughly B2 (verify; kept as data, not logic).
CIVIL_SERVICE_TO_CEFR: dict[str, str] = {
    "satisfactory": CEFRLevel.B1,
    "good": CEFRLevel.B2,
}
CEFR_TO_YKI: dict[str, int] = {cefr: yki for yki, cefr in YKI_TO_CEFR.items()}


def cefr_rank(level: str) -> int:
    """Position of a CEFR level (A1 = 0 ... C2 = 5); -1 for anything else."""
    return CEFR_ORDER.index(level) if level in CEFR_ORDER else -1


class VersionedTrackRecord(ProtectedStateRefreshMixin, models.Model):
    """Common fields of a track record: a version for optimistic concurrency (ETag/If-Match)
    bumped on every write, and timestamps for incremental sync."""

    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


def _not_in_future(value: dt.date | None, field: str, label) -> dict:
    if value and value > timezone.localdate():
        return {field: _("%(label)s cannot be in the future.") % {"label": label}}
    return {}


# --- Recognition of the qualification ------------------------------------------------------


class RecognitionState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    DECIDED = "decided", _("Decided")
    APPEALED = "appealed", _("Appealed")
    COMPLETED = "completed", _("Completed")


class RecognitionCondition(models.TextChoices):
    """Compensation measures the authority may order in a conditional decision."""

    SUPPLEMENTARY_STUDIES = "supplementary_studies", _("Supplementary studies")
    APTITUDE_TEST = "aptitude_test", _("Aptitude test")
    ADAPTATION_PERIOD = "adaptation_period", _("Adaptation period")


class RecognitionApplication(VersionedTrackRecord):
    """An application to the licensing authority (or OPH) to recognise a qualification.

    submitted → in_review → decided (granted | conditional | refused) → completed;
    a refusal can be appealed (decided → appealed → decided again).
    """

    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        related_name="recognition_applications",
        verbose_name=_("case"),
    )
    authority = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.AUTHORITY},
        verbose_name=_("authority"),
    )
    state = FSMField(
        _("state"),
        max_length=20,
        choices=RecognitionState.choices,
        default=RecognitionState.SUBMITTED,
        protected=True,
        db_index=True,
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=RecognitionOutcome.choices, blank=True
    )
    conditions = models.JSONField(
        _("ordered measures"),
        default=list,
        blank=True,
        help_text=_(
            "For a conditional decision: supplementary studies, aptitude test and/or "
            "adaptation period."
        ),
    )
    submitted_on = models.DateField(_("submitted on"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    completed_on = models.DateField(
        _("completed on"),
        null=True,
        blank=True,
        help_text=_("When the ordered measures were completed and the right to practise granted."),
    )
    appealed_on = models.DateField(_("appealed on"), null=True, blank=True)
    decision_reference = models.CharField(_("decision reference"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("recognition application")
        verbose_name_plural = _("recognition applications")
        ordering = ["-submitted_on", "-id"]
        indexes = [models.Index(fields=["updated_at", "id"], name="recognition_sync_idx")]

    def __str__(self) -> str:
        return f"{self.case} · {self.authority} · {self.get_state_display()}"

    def clean(self) -> None:
        errors: dict = {}
        errors |= _not_in_future(self.submitted_on, "submitted_on", _("The submission date"))
        errors |= _not_in_future(self.decided_on, "decided_on", _("The decision date"))
        errors |= _not_in_future(self.completed_on, "completed_on", _("The completion date"))
        if self.authority_id and self.authority.kind != OrganisationKind.AUTHORITY:
            errors["authority"] = _("Recognition is decided by an authority.")
        if self.decided_on and self.submitted_on and self.decided_on < self.submitted_on:
            errors["decided_on"] = _(
                "The decision (%(decided)s) cannot be before the application was submitted "
                "(%(submitted)s)."
            ) % {"decided": self.decided_on, "submitted": self.submitted_on}
        if self.completed_on and self.decided_on and self.completed_on < self.decided_on:
            errors["completed_on"] = _("Completion cannot be before the decision.")
        unknown = [c for c in self.conditions or [] if c not in RecognitionCondition.values]
        if unknown:
            errors["conditions"] = _("Unknown measures: %(m)s.") % {
                "m": ", ".join(map(str, unknown))
            }
        if self.outcome == RecognitionOutcome.CONDITIONAL and not self.conditions:
            errors["conditions"] = _(
                "A conditional decision orders at least one measure (supplementary studies, "
                "aptitude test or adaptation period)."
            )
        if (
            self.outcome != RecognitionOutcome.CONDITIONAL
            and self.conditions
            and self.state != RecognitionState.COMPLETED
        ):
            errors["conditions"] = _("Only a conditional decision orders measures.")
        if errors:
            raise ValidationError(errors)

    # Transitions: rules only; credentials.services runs them.

    @transition(
        field=state,
        source=RecognitionState.SUBMITTED,
        target=RecognitionState.IN_REVIEW,
        custom={"label": _("Review started")},
    )
    def start_review(self) -> None:
        pass

    @transition(
        field=state,
        source=[RecognitionState.SUBMITTED, RecognitionState.IN_REVIEW, RecognitionState.APPEALED],
        target=RecognitionState.DECIDED,
        custom={"label": _("Record the decision")},
    )
    def decide(self) -> None:
        pass

    @transition(
        field=state,
        source=RecognitionState.DECIDED,
        target=RecognitionState.APPEALED,
        conditions=[lambda app: app.outcome == RecognitionOutcome.REFUSED],
        custom={"label": _("Appeal")},
    )
    def appeal(self) -> None:
        pass

    @transition(
        field=state,
        source=RecognitionState.DECIDED,
        target=RecognitionState.COMPLETED,
        conditions=[
            lambda app: app.outcome in (RecognitionOutcome.GRANTED, RecognitionOutcome.CONDITIONAL)
        ],
        custom={"label": _("Measures completed: right to practise granted")},
    )
    def complete(self) -> None:
        pass


# --- Training ------------------------------------------------------------------------------


class TrainingState(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    INTERRUPTED = "interrupted", _("Interrupted")


class Programme(models.TextChoices):
    LANGUAGE = "language", _("Language training")
    SUPPLEMENTARY_STUDIES = "supplementary_studies", _("Supplementary studies")
    BRIDGING = "bridging", _("Bridging programme")
    ORIENTATION = "orientation", _("Orientation")


ACTIVE_TRAINING_STATES = (TrainingState.ENROLLED, TrainingState.IN_PROGRESS)


class TrainingEnrollment(VersionedTrackRecord):
    """A candidate's enrollment at an educational institution.

    enrolled → in_progress → completed | interrupted (also enrolled → interrupted).
    """

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("case")
    )
    institution = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="enrollments",
        limit_choices_to={"kind": OrganisationKind.EDUCATIONAL_INSTITUTION},
        verbose_name=_("educational institution"),
    )
    programme = models.CharField(_("programme"), max_length=30, choices=Programme.choices)
    state = FSMField(
        _("state"),
        max_length=20,
        choices=TrainingState.choices,
        default=TrainingState.ENROLLED,
        protected=True,
        db_index=True,
    )
    progress_percent = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("planned end"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    interrupted_on = models.DateField(_("interrupted on"), null=True, blank=True)
    interruption_reason = models.TextField(_("reason for interruption"), blank=True)

    class Meta:
        verbose_name = _("training enrollment")
        verbose_name_plural = _("training enrollments")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["updated_at", "id"], name="enrollment_sync_idx")]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_programme_display()} · {self.institution}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_TRAINING_STATES

    def clean(self) -> None:
        errors: dict = {}
        if (
            self.institution_id
            and self.institution.kind != OrganisationKind.EDUCATIONAL_INSTITUTION
        ):
            errors["institution"] = _("Training takes place at an educational institution.")
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _(
                "The planned end (%(end)s) cannot be before the start (%(start)s)."
            ) % {"end": self.ends_on, "start": self.starts_on}
        if self.completed_on and self.starts_on and self.completed_on < self.starts_on:
            errors["completed_on"] = _("Training cannot be completed before it starts.")
        if self.interrupted_on and self.starts_on and self.interrupted_on < self.starts_on:
            errors["interrupted_on"] = _("Training cannot be interrupted before it starts.")
        errors |= _not_in_future(self.completed_on, "completed_on", _("The completion date"))
        if self.state == TrainingState.INTERRUPTED and not self.interruption_reason.strip():
            errors["interruption_reason"] = _("Say why the training was interrupted.")
        if errors:
            raise ValidationError(errors)

    @transition(
        field=state,
        source=TrainingState.ENROLLED,
        target=TrainingState.IN_PROGRESS,
        custom={"label": _("Started")},
    )
    def start(self) -> None:
        pass

    @transition(
        field=state,
        source=TrainingState.IN_PROGRESS,
        target=TrainingState.COMPLETED,
        custom={"label": _("Completed")},
    )
    def complete(self) -> None:
        self.progress_percent = 100

    @transition(
        field=state,
        source=list(ACTIVE_TRAINING_STATES),
        target=TrainingState.INTERRUPTED,
        custom={"label": _("Interrupted")},
    )
    def interrupt(self) -> None:
        pass


# --- Language ------------------------------------------------------------------------------


class Language(models.TextChoices):
    FINNISH = "fi", _("Finnish")
    SWEDISH = "sv", _("Swedish")


class LanguageTest(models.TextChoices):
    YKI = "yki", _("YKI (National Certificate of Language Proficiency)")
    CIVIL_SERVICE = "civil_service", _("Civil-service language exam")
    INSTITUTION = "institution", _("Educational institution's certificate")


SUB_SKILLS = ("speaking", "listening", "reading", "writing")


class LanguageCertificate(VersionedTrackRecord):
    """A language certificate with a CEFR level per sub-skill."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="language_certificates", verbose_name=_("case")
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    test = models.CharField(_("test"), max_length=20, choices=LanguageTest.choices)
    issuer = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issuer"),
    )
    taken_on = models.DateField(_("taken on"))
    speaking = models.CharField(_("speaking"), max_length=2, choices=CEFRLevel.choices)
    listening = models.CharField(_("listening"), max_length=2, choices=CEFRLevel.choices)
    reading = models.CharField(_("reading"), max_length=2, choices=CEFRLevel.choices)
    writing = models.CharField(_("writing"), max_length=2, choices=CEFRLevel.choices)

    class Meta:
        verbose_name = _("language certificate")
        verbose_name_plural = _("language certificates")
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["updated_at", "id"], name="certificate_sync_idx")]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_language_display()} · {self.get_test_display()}"

    def clean(self) -> None:
        errors = _not_in_future(self.taken_on, "taken_on", _("The test date"))
        if self.test == LanguageTest.INSTITUTION and not self.issuer_id:
            errors["issuer"] = _("Name the institution that issued the certificate.")
        if errors:
            raise ValidationError(errors)

    @property
    def levels(self) -> dict[str, str]:
        return {skill: getattr(self, skill) for skill in SUB_SKILLS}

    def shortfall_items(self, profession: Profession) -> list[tuple[str, dict]]:
        """Why this certificate does not meet the profession's requirement, as reason keys
        and parameters (see ``recruitment.reasons``); [] when it does."""
        items: list[tuple[str, dict]] = []
        accepted = profession.accepted_languages or list(Language.values)
        if self.language not in accepted:
            items.append(("language_not_accepted", {"language": self.language}))
        required = profession.required_language_level
        if required:
            for skill in SUB_SKILLS:
                level = getattr(self, skill)
                if cefr_rank(level) < cefr_rank(required):
                    items.append(
                        (
                            "language_below_level",
                            {"skill": skill, "level": level, "required": required},
                        )
                    )
        return items

    def shortfall_reason(self, profession: Profession) -> SystemText | str:
        """The shortfalls as one audit reason ("" when the certificate meets the requirement)."""
        items = self.shortfall_items(profession)
        if not items:
            return ""
        return SystemText(
            "language_shortfalls",
            {"items": [{"key": key, "params": params} for key, params in items]},
        )

    def shortfalls(self, profession: Profession) -> list[str]:
        """Why this certificate does not meet the profession's requirement ([] when it does)."""
        return [render(key, params) or key for key, params in self.shortfall_items(profession)]

    def meets(self, profession: Profession) -> bool:
        return not self.shortfalls(profession)


# --- Residence permits ---------------------------------------------------------------------


@register("language_not_accepted")
def _language_not_accepted(params: dict) -> str:
    return gettext("%(language)s is not accepted for this profession.") % {
        "language": Language(params["language"]).label
    }


@register("language_below_level")
def _language_below_level(params: dict) -> str:
    if params["skill"] not in SUB_SKILLS:
        raise ValueError(params["skill"])
    field = LanguageCertificate._meta.get_field(params["skill"])
    return gettext("%(skill)s %(level)s is below %(required)s.") % {
        "skill": str(field.verbose_name).capitalize(),
        "level": params["level"],
        "required": params["required"],
    }


@register("language_shortfalls")
def _language_shortfalls(params: dict) -> str:
    texts = [render(item["key"], item["params"]) for item in params["items"]]
    if not all(texts):
        raise ValueError("unknown shortfall")
    return " ".join(texts)


class PermitState(models.TextChoices):
    APPLIED = "applied", _("Applied")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class PermitType(models.TextChoices):
    EMPLOYED_PERSON = "employed_person", _("Residence permit for an employed person")
    SPECIALIST = "specialist", _("Specialist permit")
    EU_BLUE_CARD = "eu_blue_card", _("EU Blue Card")
    STUDIES = "studies", _("Residence permit for studies")
    OTHER = "other", _("Other")


class PermitKind(models.TextChoices):
    TEMPORARY = "temporary", _("Temporary (B)")
    CONTINUOUS = "continuous", _("Continuous (A)")


class ResidencePermit(VersionedTrackRecord):
    """A residence permit decided by Migri: applied → granted | refused.

    At most one *active* permit per case: applied, or granted and not yet expired.
    """

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="residence_permits", verbose_name=_("case")
    )
    permit_type = models.CharField(_("permit type"), max_length=20, choices=PermitType.choices)
    permit_kind = models.CharField(_("permit kind"), max_length=20, choices=PermitKind.choices)
    state = FSMField(
        _("state"),
        max_length=20,
        choices=PermitState.choices,
        default=PermitState.APPLIED,
        protected=True,
        db_index=True,
    )
    applied_on = models.DateField(_("applied on"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, db_index=True)
    decision_reference = models.CharField(_("decision reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("residence permit")
        verbose_name_plural = _("residence permits")
        ordering = ["-applied_on", "-id"]
        indexes = [models.Index(fields=["updated_at", "id"], name="permit_sync_idx")]
        constraints = [
            # Only one pending application per case; "granted and not expired" depends on
            # today's date, so the service checks that part.
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="applied"), name="permit_one_pending_per_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_permit_type_display()} · {self.get_state_display()}"

    def is_expired(self, on: dt.date | None = None) -> bool:
        on = on or timezone.localdate()
        return (
            self.state == PermitState.GRANTED and bool(self.valid_until) and self.valid_until < on
        )

    def is_active(self, on: dt.date | None = None) -> bool:
        if self.state == PermitState.APPLIED:
            return True
        return self.state == PermitState.GRANTED and not self.is_expired(on)

    @property
    def expired(self) -> bool:
        return self.is_expired()

    def clean(self) -> None:
        errors: dict = {}
        errors |= _not_in_future(self.applied_on, "applied_on", _("The application date"))
        errors |= _not_in_future(self.decided_on, "decided_on", _("The decision date"))
        if self.decided_on and self.applied_on and self.decided_on < self.applied_on:
            errors["decided_on"] = _(
                "The decision (%(decided)s) cannot be before the application (%(applied)s)."
            ) % {"decided": self.decided_on, "applied": self.applied_on}
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = _(
                "The permit must be valid until a date after it becomes valid (%(start)s)."
            ) % {"start": self.valid_from}
        if self.state == PermitState.GRANTED and not self.valid_until:
            errors["valid_until"] = _("A granted permit needs its last day of validity.")
        if errors:
            raise ValidationError(errors)

    @transition(
        field=state,
        source=PermitState.APPLIED,
        target=PermitState.GRANTED,
        custom={"label": _("Granted")},
    )
    def grant(self) -> None:
        pass

    @transition(
        field=state,
        source=PermitState.APPLIED,
        target=PermitState.REFUSED,
        custom={"label": _("Refused")},
    )
    def refuse(self) -> None:
        pass


# --- Employment services' integration steps ------------------------------------------------


class IntegrationStepKind(models.TextChoices):
    INITIAL_ASSESSMENT = "initial_assessment", _("Initial assessment")
    INTEGRATION_PLAN = "integration_plan", _("Integration plan")
    FINNISH_COURSE_REFERRAL = "finnish_course_referral", _("Referral to a Finnish course")
    REGISTRATION = "registration", _("Registration as a client")
    OTHER = "other", _("Other")


class IntegrationStepStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class IntegrationStep(VersionedTrackRecord):
    """A step the employment service (employment area) takes with the candidate."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="integration_steps", verbose_name=_("case")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="integration_steps",
        limit_choices_to={"kind": OrganisationKind.EMPLOYMENT_SERVICE},
        verbose_name=_("employment service"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=IntegrationStepKind.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=IntegrationStepStatus.choices,
        default=IntegrationStepStatus.PLANNED,
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("integration step")
        verbose_name_plural = _("integration steps")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["updated_at", "id"], name="integration_sync_idx")]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()} · {self.get_status_display()}"

    def clean(self) -> None:
        errors: dict = {}
        if self.organisation_id and self.organisation.kind != OrganisationKind.EMPLOYMENT_SERVICE:
            errors["organisation"] = _("Integration steps belong to an employment service.")
        errors |= _not_in_future(self.done_on, "done_on", _("The completion date"))
        if self.status == IntegrationStepStatus.DONE and not self.done_on:
            errors["done_on"] = _("Give the date the step was done.")
        if self.done_on and self.status != IntegrationStepStatus.DONE:
            errors["done_on"] = _("Only a step that is done has a completion date.")
        if errors:
            raise ValidationError(errors)


# --- Notifications and time limits ---------------------------------------------------------


class NotificationKind(models.TextChoices):
    PERMIT_EXPIRING_90 = "permit_expiring_90", _("Residence permit expires within 90 days")
    PERMIT_EXPIRING_30 = "permit_expiring_30", _("Residence permit expires within 30 days")
    PERMIT_EXPIRED = "permit_expired", _("Residence permit expired")
    STALLED = "stalled", _("Case stalled")
    RETENTION_DUE = "retention_due", _("Retention check due")


class Notification(models.Model):
    """An in-app notification for one user. ``dedupe_key`` makes scheduled tasks idempotent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    # ``message`` is the text in English (the source language), kept as a fallback; ``text``
    # renders ``kind`` + ``params`` in the reader's language.
    message = models.TextField(_("message"))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.get_kind_display()}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def text(self) -> str:
        """The message in the active language (the stored English ``message`` for older rows)."""
        return notification_text(self.kind, self.params) or self.message

    def source_text(self) -> str:
        """The message in the source language, as stored in ``message``."""
        with translation.override("en"):
            return notification_text(self.kind, self.params) or self.message


def _date(value: str) -> str:
    date = parse_date(value)
    if date is None:
        raise ValueError(value)
    return formats.date_format(date, "DATE_FORMAT")


def notification_text(kind: str, params: dict | None) -> str | None:
    """A notification's message in the active language from its kind and parameters; None
    when the parameters do not fit the kind (then the stored message is shown)."""
    if not params:
        return None
    try:
        if kind == NotificationKind.PERMIT_EXPIRED:
            return gettext(
                "Case %(case)s: the residence permit expired on %(date)s. The candidate cannot "
                "be placed until a new permit is granted."
            ) % {"case": params["case"], "date": _date(params["date"])}
        if kind in (NotificationKind.PERMIT_EXPIRING_90, NotificationKind.PERMIT_EXPIRING_30):
            return gettext(
                "Case %(case)s: the residence permit expires on %(date)s (in %(days)s days)."
            ) % {"case": params["case"], "date": _date(params["date"]), "days": params["days"]}
        if kind == NotificationKind.STALLED:
            return gettext(
                "Case %(case)s has been %(state)s for %(days)s days (limit %(limit)s days)."
            ) % {
                "case": params["case"],
                "state": CaseState(params["state"]).label,
                "days": params["days"],
                "limit": params["limit"],
            }
        if kind == NotificationKind.RETENTION_DUE:
            return gettext(
                "Case %(case)s: the %(months)s-month retention check is due on %(date)s."
            ) % {"case": params["case"], "months": params["months"], "date": _date(params["date"])}
    except (KeyError, TypeError, ValueError):
        return None
    return None


class StageTimeLimit(models.Model):
    """How long a case may stay in a state before it counts as stalled (editable in admin)."""

    state = models.CharField(_("state"), max_length=30, choices=CaseState.choices, unique=True)
    max_days = models.PositiveIntegerField(_("maximum days"))

    class Meta:
        verbose_name = _("stage time limit")
        verbose_name_plural = _("stage time limits")
        ordering = ["state"]

    def __str__(self) -> str:
        return f"{self.get_state_display()}: {self.max_days} d"

    def clean(self) -> None:
        if self.max_days is not None and self.max_days < 1:
            raise ValidationError({"max_days": _("A limit is at least one day.")})
