"""Writes to the credential tracks: the only place that changes them.

Every function is keyword-only and atomic. It checks who may write (``credentials.authz``),
locks the track record it changes (``select_for_update``), compares the writer's
``expected_version`` (``StaleVersion`` on a mismatch), runs the track's state machine, calls
``full_clean`` and then hands the change to ``recruitment.services.record_track_event``: that
writes the audit event (``CaseEvent`` of kind "track"), updates the case's milestone fields
and lets the case advance along its critical path by itself (audited as the system actor).

Rules that can change are data: ``Profession.required_language_level`` and
``accepted_languages``, ``Profession.eu_automatic_recognition``,
``Country.needs_residence_permit`` (EU/EEA and Nordic citizens need no permit) and
``StageTimeLimit`` rows for stalled-case detection.

EU/EEA automatic recognition: for a candidate with EU/EEA nationality and a profession with
``eu_automatic_recognition`` (nurses, midwives) the authority still records a decision, but
``decide_recognition`` refuses a *conditional* one (no compensation measures may be ordered).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import FSMField, can_proceed

from recruitment import authz as core_authz
from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.errors import NotPermitted, StaleVersion, TransitionNotAllowed
from recruitment.models import (
    CLOSED_STATES,
    Case,
    CasePartner,
    CaseState,
    Membership,
    Organisation,
    RecognitionOutcome,
    RetentionCheck,
    Role,
)
from recruitment.parsing import parse_int

from . import authz
from .models import (
    CIVIL_SERVICE_TO_CEFR,
    SUB_SKILLS,
    YKI_TO_CEFR,
    IntegrationStep,
    IntegrationStepStatus,
    LanguageCertificate,
    LanguageTest,
    Notification,
    NotificationKind,
    PermitState,
    Programme,
    RecognitionApplication,
    RecognitionCondition,
    RecognitionState,
    ResidencePermit,
    StageTimeLimit,
    TrainingEnrollment,
    TrainingState,
)
from .selectors import active_permit, recognition_measure_blockers

PERMIT_WARNING_DAYS = (90, 30)  # DOMAIN.md: warn 90 and 30 days before a permit expires
RETENTION_NOTICE_DAYS = 14  # remind recruiters this many days before a check is due


# --- helpers ---------------------------------------------------------------------------------


def _case(case: Case | int) -> Case:
    """The case, locked: track writes on one case are serialised by the case row."""
    pk = case.pk if isinstance(case, Case) else case
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("candidate__nationality", "profession")
        .get(pk=pk)
    )


def _lock(model, obj):
    return model.objects.select_for_update(of=("self",)).get(pk=obj.pk)


def _require_not_closed(case: Case) -> None:
    if case.state in CLOSED_STATES:
        raise TransitionNotAllowed(
            _("Case %(case)s is closed (%(state)s): its credential tracks can no longer change.")
            % {"case": case.number, "state": case.get_state_display()}
        )


def _check_version(obj, expected_version: int | None, actor: Actor, label: str) -> None:
    if expected_version is None:
        if actor.is_system:
            return
        raise ValidationError(_("The version of the record you saw is required."))
    if int(expected_version) != obj.version:
        raise StaleVersion(expected=int(expected_version), current=obj.version, label=label)


def _save(obj, *, created: bool = False) -> None:
    """Validate and store a track record, bumping its version on every change."""
    if not created:
        obj.version += 1
    # The protected FSM state field refuses the assignment full_clean makes; its value only
    # ever comes from a transition, so there is nothing to validate.
    state_fields = [f.name for f in obj._meta.concrete_fields if isinstance(f, FSMField)]
    obj.full_clean(exclude=state_fields)
    obj.save()


def _diff(before: dict[str, Any], obj) -> dict[str, list]:
    return {
        name: [old, getattr(obj, name)] for name, old in before.items() if old != getattr(obj, name)
    }


def _snapshot(obj, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _audit(
    *,
    case: Case,
    actor: Actor,
    track: str,
    action: str,
    record,
    changes: dict[str, list],
    reason: str = "",
    occurred_at: dt.datetime | None = None,
    milestones: dict[str, Any] | None = None,
) -> Case:
    return case_services.record_track_event(
        case=case,
        actor=actor,
        track=track,
        changes={"action": [None, action], "record_id": [None, record.pk], **changes},
        reason=reason,
        occurred_at=occurred_at,
        **(milestones or {}),
    )


def _create_with_partner(
    record,
    *,
    organisation: Organisation,
    role: str,
    actor: Actor,
    track: str,
    action: str,
    changes: dict[str, list],
    occurred_at: dt.datetime | None = None,
    milestones_of: Callable[[Case], dict[str, Any]] | None = None,
) -> None:
    """Save a new track record, make ``organisation`` a partner on its case and audit it.

    ``milestones_of`` is evaluated after the record is saved, so it sees the new record.
    """
    case = record.case
    _save(record, created=True)
    case_services.link_partner(
        case=case, organisation=organisation, role=role, actor=actor, occurred_at=occurred_at
    )
    _audit(
        case=case,
        actor=actor,
        track=track,
        action=action,
        record=record,
        changes=changes,
        occurred_at=occurred_at,
        milestones=milestones_of(case) if milestones_of else None,
    )


def _parse_choice(value: str, choices, field: str, label: str) -> str:
    if value not in choices.values:
        raise ValidationError(
            {
                field: _("“%(value)s” is not a valid %(label)s. Choose one of: %(choices)s.")
                % {"value": value, "label": label, "choices": ", ".join(choices.values)}
            }
        )
    return value


# --- Recognition -----------------------------------------------------------------------------

OPEN_RECOGNITION_STATES = (
    RecognitionState.SUBMITTED,
    RecognitionState.IN_REVIEW,
    RecognitionState.APPEALED,
)


def recognition_milestones(case: Case) -> dict[str, Any]:
    """Case milestones from the case's latest recognition application."""
    current = RecognitionApplication.objects.filter(case=case).order_by("-submitted_on", "-id")
    app = current.first()
    if app is None:
        return {
            "recognition_submitted_on": None,
            "recognition_decided_on": None,
            "recognition_outcome": "",
        }
    decided_on, outcome = None, ""
    if app.state == RecognitionState.DECIDED:
        decided_on, outcome = app.decided_on, app.outcome
    elif app.state == RecognitionState.COMPLETED:
        decided_on, outcome = app.completed_on or app.decided_on, RecognitionOutcome.GRANTED
    return {
        "recognition_submitted_on": app.submitted_on,
        "recognition_decided_on": decided_on,
        "recognition_outcome": outcome,
    }


def eu_automatic_recognition_applies(case: Case) -> bool:
    """Professional Qualifications Directive: EU/EEA nurses and midwives, as data.

    Nationality stands in for where the qualification was obtained (Polku does not store
    the country of the degree).
    """
    return case.candidate.nationality.is_eu_eea and case.profession.eu_automatic_recognition


@transaction.atomic
def submit_recognition(
    *,
    case: Case | int,
    authority: Organisation,
    submitted_on: dt.date,
    actor: Actor,
    notes: str = "",
    occurred_at: dt.datetime | None = None,
) -> RecognitionApplication:
    """Record that a recognition application was submitted to the authority."""
    case = _case(case)
    authz.require_track_write(actor, case, authz.RECOGNITION)
    _require_not_closed(case)
    if not case.profession.needs_recognition:
        raise ValidationError(
            _("%(profession)s is not regulated: no recognition is needed.")
            % {"profession": case.profession}
        )
    existing = RecognitionApplication.objects.filter(case=case)
    if existing.filter(state__in=OPEN_RECOGNITION_STATES).exists():
        raise ValidationError(
            _("Case %(case)s already has a recognition application waiting for a decision.")
            % {"case": case.number}
        )
    if (
        existing.filter(state=RecognitionState.COMPLETED).exists()
        or existing.filter(
            state=RecognitionState.DECIDED,
            outcome__in=[RecognitionOutcome.GRANTED, RecognitionOutcome.CONDITIONAL],
        ).exists()
    ):
        raise ValidationError(
            _("Case %(case)s already has a recognition decision that allows the work.")
            % {"case": case.number}
        )
    application = RecognitionApplication(
        case=case, authority=authority, submitted_on=submitted_on, notes=notes
    )
    _save(application, created=True)
    _audit(
        case=case,
        actor=actor,
        track=authz.RECOGNITION,
        action="submitted",
        record=application,
        changes={"authority": [None, authority.code], "submitted_on": [None, submitted_on]},
        occurred_at=occurred_at,
        milestones=recognition_milestones(case),
    )
    return application


def _application_for_write(
    application, actor, expected_version
) -> tuple[Case, RecognitionApplication]:
    """The application locked for a write as its authority, on an open case, version checked."""
    case = _case(application.case_id)
    application = _lock(RecognitionApplication, application)
    authz.require_track_write(actor, case, authz.RECOGNITION, organisation=application.authority)
    _require_not_closed(case)
    _check_version(application, expected_version, actor, "recognition application")
    return case, application


@transaction.atomic
def start_recognition_review(
    *,
    application: RecognitionApplication,
    actor: Actor,
    expected_version: int | None,
    occurred_at: dt.datetime | None = None,
) -> RecognitionApplication:
    """The authority has started to review the application."""
    case, application = _application_for_write(application, actor, expected_version)
    if not can_proceed(application.start_review):
        raise TransitionNotAllowed(
            _("The application is %(state)s: its review cannot start now.")
            % {"state": application.get_state_display().lower()},
            transition="start_review",
        )
    before = application.state
    application.start_review()
    _save(application)
    _audit(
        case=case,
        actor=actor,
        track=authz.RECOGNITION,
        action="review_started",
        record=application,
        changes={"state": [before, application.state]},
        occurred_at=occurred_at,
        milestones=recognition_milestones(case),
    )
    return application


@transaction.atomic
def decide_recognition(
    *,
    application: RecognitionApplication,
    actor: Actor,
    expected_version: int | None,
    outcome: str,
    decided_on: dt.date,
    reference: str = "",
    conditions: Iterable[str] = (),
    occurred_at: dt.datetime | None = None,
) -> RecognitionApplication:
    """Record the authority's decision: granted, conditional (with ordered measures) or refused."""
    case, application = _application_for_write(application, actor, expected_version)
    outcome = _parse_choice(outcome, RecognitionOutcome, "outcome", _("decision"))
    conditions = list(dict.fromkeys(conditions or ()))
    for condition in conditions:
        _parse_choice(condition, RecognitionCondition, "conditions", _("measure"))
    if outcome != RecognitionOutcome.CONDITIONAL and conditions:
        raise ValidationError({"conditions": _("Only a conditional decision orders measures.")})
    if outcome == RecognitionOutcome.CONDITIONAL and eu_automatic_recognition_applies(case):
        raise ValidationError(
            {
                "outcome": _(
                    "%(profession)s qualifications of EU/EEA citizens are recognised "
                    "automatically: a conditional decision is not possible."
                )
                % {"profession": case.profession}
            }
        )
    if not can_proceed(application.decide):
        raise TransitionNotAllowed(
            _("The application is %(state)s: it cannot be decided now.")
            % {"state": application.get_state_display().lower()},
            transition="decide",
        )
    if application.appealed_on and decided_on < application.appealed_on:
        raise ValidationError(
            {"decided_on": _("The appeal decision cannot be before the appeal was lodged.")}
        )
    before = _snapshot(application, ("state", "outcome", "decided_on", "conditions"))
    application.decide()
    application.outcome = outcome
    application.decided_on = decided_on
    application.conditions = conditions
    application.decision_reference = (reference or "").strip()
    _save(application)
    _audit(
        case=case,
        actor=actor,
        track=authz.RECOGNITION,
        action="decided",
        record=application,
        changes=_diff(before, application),
        reason=application.decision_reference,
        occurred_at=occurred_at,
        milestones=recognition_milestones(case),
    )
    return application


@transaction.atomic
def complete_recognition(
    *,
    application: RecognitionApplication,
    actor: Actor,
    expected_version: int | None,
    completed_on: dt.date,
    occurred_at: dt.datetime | None = None,
) -> RecognitionApplication:
    """Close a decided application: for a conditional decision, the ordered measures are done
    (supplementary studies must be a completed enrollment; aptitude tests and adaptation
    periods are confirmed by whoever records this) and the right to practise is granted."""
    case, application = _application_for_write(application, actor, expected_version)
    if not can_proceed(application.complete):
        raise TransitionNotAllowed(
            _("Only a decided application that was granted or conditional can be completed."),
            transition="complete",
        )
    blockers = recognition_measure_blockers(application)
    if blockers:
        raise TransitionNotAllowed(" ".join(blockers), transition="complete", reasons=blockers)
    before = _snapshot(application, ("state", "outcome", "completed_on"))
    application.complete()
    application.outcome = RecognitionOutcome.GRANTED
    application.completed_on = completed_on
    _save(application)
    _audit(
        case=case,
        actor=actor,
        track=authz.RECOGNITION,
        action="completed",
        record=application,
        changes=_diff(before, application),
        occurred_at=occurred_at,
        milestones=recognition_milestones(case),
    )
    return application


@transaction.atomic
def appeal_recognition(
    *,
    application: RecognitionApplication,
    actor: Actor,
    expected_version: int | None,
    appealed_on: dt.date,
    reason: str = "",
    occurred_at: dt.datetime | None = None,
) -> RecognitionApplication:
    """Appeal a refusal; the application waits for a new decision."""
    case = _case(application.case_id)
    application = _lock(RecognitionApplication, application)
    authz.require_track_write(actor, case, authz.RECOGNITION)
    _require_not_closed(case)
    _check_version(application, expected_version, actor, "recognition application")
    if not can_proceed(application.appeal):
        raise TransitionNotAllowed(
            _("Only a refused decision can be appealed."), transition="appeal"
        )
    if application.decided_on and appealed_on < application.decided_on:
        raise ValidationError({"appealed_on": _("An appeal cannot be lodged before the decision.")})
    if appealed_on > timezone.localdate():
        raise ValidationError({"appealed_on": _("The appeal date cannot be in the future.")})
    before = _snapshot(application, ("state", "appealed_on"))
    application.appeal()
    application.appealed_on = appealed_on
    _save(application)
    _audit(
        case=case,
        actor=actor,
        track=authz.RECOGNITION,
        action="appealed",
        record=application,
        changes=_diff(before, application),
        reason=(reason or "").strip(),
        occurred_at=occurred_at,
        milestones=recognition_milestones(case),
    )
    return application


# --- Training --------------------------------------------------------------------------------


def training_milestones(case: Case) -> dict[str, Any]:
    return {
        "training_in_progress": TrainingEnrollment.objects.filter(
            case=case, state__in=[TrainingState.ENROLLED, TrainingState.IN_PROGRESS]
        ).exists()
    }


@transaction.atomic
def enroll(
    *,
    case: Case | int,
    institution: Organisation,
    programme: str,
    actor: Actor,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    """Enroll the candidate at an institution; the institution becomes a partner on the case."""
    case = _case(case)
    authz.require_track_write(actor, case, authz.TRAINING, organisation=institution)
    _require_not_closed(case)
    programme = _parse_choice(programme, Programme, "programme", _("programme"))
    if TrainingEnrollment.objects.filter(
        case=case,
        institution=institution,
        programme=programme,
        state__in=[TrainingState.ENROLLED, TrainingState.IN_PROGRESS],
    ).exists():
        raise ValidationError(
            _("The candidate is already enrolled in this programme at %(institution)s.")
            % {"institution": institution}
        )
    enrollment = TrainingEnrollment(
        case=case,
        institution=institution,
        programme=programme,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    _create_with_partner(
        enrollment,
        organisation=institution,
        role=CasePartner.PartnerRole.EDUCATION,
        actor=actor,
        track=authz.TRAINING,
        action="enrolled",
        changes={
            "institution": [None, institution.code],
            "programme": [None, programme],
            "starts_on": [None, starts_on],
            "ends_on": [None, ends_on],
        },
        occurred_at=occurred_at,
        milestones_of=training_milestones,
    )
    return enrollment


def _enrollment_for_write(enrollment, actor, expected_version) -> tuple[Case, TrainingEnrollment]:
    case = _case(enrollment.case_id)
    enrollment = _lock(TrainingEnrollment, enrollment)
    authz.require_track_write(actor, case, authz.TRAINING, organisation=enrollment.institution)
    _require_not_closed(case)
    _check_version(enrollment, expected_version, actor, "enrollment")
    return case, enrollment


def _not_active(enrollment: TrainingEnrollment, verb: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("The enrollment is %(state)s: it cannot be %(verb)s.")
        % {"state": enrollment.get_state_display().lower(), "verb": verb},
        transition=verb,
    )


@transaction.atomic
def update_enrollment(
    *,
    enrollment: TrainingEnrollment,
    actor: Actor,
    expected_version: int | None,
    progress_percent: int | None = None,
    ends_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    """Report progress or a new planned end. Progress on an enrolled (not yet started)
    enrollment starts it."""
    case, enrollment = _enrollment_for_write(enrollment, actor, expected_version)
    if not enrollment.is_active:
        raise _not_active(enrollment, "updated")
    if progress_percent is not None:
        try:
            progress_percent = int(progress_percent)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                {"progress_percent": _("Progress is a whole number from 0 to 100.")}
            ) from exc
        if not 0 <= progress_percent <= 100:
            raise ValidationError(
                {"progress_percent": _("Progress is a whole number from 0 to 100.")}
            )
    before = _snapshot(enrollment, ("state", "progress_percent", "ends_on"))
    if progress_percent is not None:
        if progress_percent > 0 and enrollment.state == TrainingState.ENROLLED:
            enrollment.start()
        enrollment.progress_percent = progress_percent
    if ends_on is not None:
        enrollment.ends_on = ends_on
    changes = _diff(before, enrollment)
    if not changes:
        return enrollment
    _save(enrollment)
    _audit(
        case=case,
        actor=actor,
        track=authz.TRAINING,
        action="updated",
        record=enrollment,
        changes=changes,
        occurred_at=occurred_at,
        milestones=training_milestones(case),
    )
    return enrollment


@dataclass(frozen=True)
class EnrollmentUpdate:
    """One item of ``update_enrollments_bulk``: what ``update_enrollment`` takes."""

    enrollment_id: int
    expected_version: int | None
    progress_percent: int | None = None
    ends_on: dt.date | None = None


_ENROLLMENT_UPDATE_FIELDS = ("state", "progress_percent", "ends_on", "version", "updated_at")


@transaction.atomic
def update_enrollments_bulk(
    *, actor: Actor, items: list[EnrollmentUpdate], occurred_at: dt.datetime | None = None
) -> list[TrainingEnrollment | Exception]:
    """``update_enrollment`` for many enrollments at once, with the same rules per item.

    Returns one result per item, in order: the updated enrollment, or the error that item
    alone would have raised (``NotPermitted``, ``StaleVersion``, ``TransitionNotAllowed``,
    ``ValidationError``). A failing item writes nothing and does not stop the others. Items
    are applied in order, so the same enrollment may appear twice (the second item names the
    version the first one produced).

    The work takes a constant number of queries: the cases and then the enrollments are
    locked in one query each (by id, the order the one-by-one services lock in), the partner
    links read once for authorisation, the enrollments written with one ``bulk_update`` and
    the audit trail through ``recruitment.services.record_track_events_bulk``.
    """
    ids = sorted({item.enrollment_id for item in items})
    case_ids = sorted(
        set(TrainingEnrollment.objects.filter(pk__in=ids).values_list("case_id", flat=True))
    )
    cases = {
        case.pk: case
        for case in Case.objects.select_for_update(of=("self",))
        .select_related("candidate__nationality", "profession")
        .filter(pk__in=case_ids)
        .order_by("pk")
    }
    enrollments = {
        e.pk: e
        for e in TrainingEnrollment.objects.select_for_update(of=("self",))
        .select_related("institution")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    linked: dict[int, set[int]] = {pk: set() for pk in cases}
    for case_id, org_id in CasePartner.objects.filter(case_id__in=list(cases)).values_list(
        "case_id", "organisation_id"
    ):
        linked[case_id].add(org_id)
    allowed: dict[tuple[int, int], NotPermitted | None] = {}
    state_fields = [
        f.name for f in TrainingEnrollment._meta.concrete_fields if isinstance(f, FSMField)
    ]
    results: list[TrainingEnrollment | Exception] = []
    changed: dict[int, TrainingEnrollment] = {}
    track_changes: list[case_services.TrackChange] = []
    now = timezone.now()
    for item in items:
        enrollment = enrollments.get(item.enrollment_id)
        if enrollment is None or enrollment.case_id not in cases:
            results.append(
                ValidationError(
                    _("No enrollment with id %(id)s.") % {"id": item.enrollment_id}, code="missing"
                )
            )
            continue
        case = cases[enrollment.case_id]
        saved = {name: enrollment.__dict__[name] for name in _ENROLLMENT_UPDATE_FIELDS}
        try:
            key = (case.pk, enrollment.institution_id)
            if key not in allowed:
                try:
                    authz.require_track_write(
                        actor,
                        case,
                        authz.TRAINING,
                        organisation=enrollment.institution,
                        linked_org_ids=linked[case.pk],
                    )
                    allowed[key] = None
                except NotPermitted as exc:
                    allowed[key] = exc
            if allowed[key] is not None:
                raise allowed[key]
            _require_not_closed(case)
            _check_version(enrollment, item.expected_version, actor, "enrollment")
            if not enrollment.is_active:
                raise _not_active(enrollment, "updated")
            progress_percent = item.progress_percent
            if progress_percent is not None:
                try:
                    progress_percent = int(progress_percent)
                except (TypeError, ValueError) as exc:
                    raise ValidationError(
                        {"progress_percent": _("Progress is a whole number from 0 to 100.")}
                    ) from exc
                if not 0 <= progress_percent <= 100:
                    raise ValidationError(
                        {"progress_percent": _("Progress is a whole number from 0 to 100.")}
                    )
            before = _snapshot(enrollment, ("state", "progress_percent", "ends_on"))
            if progress_percent is not None:
                if progress_percent > 0 and enrollment.state == TrainingState.ENROLLED:
                    enrollment.start()
                enrollment.progress_percent = progress_percent
            if item.ends_on is not None:
                enrollment.ends_on = item.ends_on
            changes = _diff(before, enrollment)
            if changes:
                # The case and institution are locked rows that an update does not change:
                # only the record's own fields and rules need validating.
                enrollment.full_clean(exclude=[*state_fields, "case", "institution"])
        except (NotPermitted, StaleVersion, TransitionNotAllowed, ValidationError) as exc:
            enrollment.__dict__.update(saved)  # nothing of a failed item is kept
            results.append(exc)
            continue
        if changes:
            enrollment.version += 1
            enrollment.updated_at = now
            changed[enrollment.pk] = enrollment
            track_changes.append(
                case_services.TrackChange(
                    case_id=case.pk,
                    track=authz.TRAINING,
                    changes={
                        "action": [None, "updated"],
                        "record_id": [None, enrollment.pk],
                        **changes,
                    },
                    # An updated enrollment is still enrolled or in progress, so the case's
                    # training is in progress (what training_milestones would read back).
                    milestones={"training_in_progress": True},
                )
            )
        results.append(_copy_enrollment(enrollment))
    if changed:
        case_services.bulk_save_fields(
            TrainingEnrollment, list(changed.values()), _ENROLLMENT_UPDATE_FIELDS
        )
        case_services.record_track_events_bulk(
            actor=actor, changes=track_changes, occurred_at=occurred_at
        )
    return results


def _copy_enrollment(enrollment: TrainingEnrollment) -> TrainingEnrollment:
    """A snapshot of the enrollment as this item left it (a later item may change it again)."""
    copy = TrainingEnrollment.__new__(TrainingEnrollment)
    copy.__dict__.update(enrollment.__dict__)
    copy._state = type(enrollment._state)()
    copy._state.adding = False
    copy._state.db = enrollment._state.db
    copy._state.fields_cache = dict(enrollment._state.fields_cache)
    return copy


@transaction.atomic
def start_enrollment(
    *,
    enrollment: TrainingEnrollment,
    actor: Actor,
    expected_version: int | None,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    case, enrollment = _enrollment_for_write(enrollment, actor, expected_version)
    if not can_proceed(enrollment.start):
        raise _not_active(enrollment, "started")
    enrollment.start()
    _save(enrollment)
    _audit(
        case=case,
        actor=actor,
        track=authz.TRAINING,
        action="started",
        record=enrollment,
        changes={"state": [TrainingState.ENROLLED, enrollment.state]},
        occurred_at=occurred_at,
        milestones=training_milestones(case),
    )
    return enrollment


@transaction.atomic
def complete_enrollment(
    *,
    enrollment: TrainingEnrollment,
    actor: Actor,
    expected_version: int | None,
    completed_on: dt.date,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    """The candidate completed the programme (an enrolled one is started and completed)."""
    case, enrollment = _enrollment_for_write(enrollment, actor, expected_version)
    if not enrollment.is_active:
        raise _not_active(enrollment, "completed")
    before = _snapshot(enrollment, ("state", "progress_percent", "completed_on"))
    if enrollment.state == TrainingState.ENROLLED:
        enrollment.start()
    enrollment.complete()
    enrollment.completed_on = completed_on
    _save(enrollment)
    _audit(
        case=case,
        actor=actor,
        track=authz.TRAINING,
        action="completed",
        record=enrollment,
        changes=_diff(before, enrollment),
        occurred_at=occurred_at,
        milestones=training_milestones(case),
    )
    return enrollment


@transaction.atomic
def interrupt_enrollment(
    *,
    enrollment: TrainingEnrollment,
    actor: Actor,
    expected_version: int | None,
    reason: str,
    interrupted_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    case, enrollment = _enrollment_for_write(enrollment, actor, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"interruption_reason": _("Say why the training was interrupted.")})
    if not can_proceed(enrollment.interrupt):
        raise _not_active(enrollment, "interrupted")
    before = enrollment.state
    enrollment.interrupt()
    enrollment.interruption_reason = reason
    enrollment.interrupted_on = interrupted_on or timezone.localdate()
    _save(enrollment)
    _audit(
        case=case,
        actor=actor,
        track=authz.TRAINING,
        action="interrupted",
        record=enrollment,
        changes={"state": [before, enrollment.state]},
        reason=reason,
        occurred_at=occurred_at,
        milestones=training_milestones(case),
    )
    return enrollment


# --- Language --------------------------------------------------------------------------------


def to_cefr(test: str, value: Any, *, field: str = "level") -> str:
    """A sub-skill result as a CEFR level: CEFR as given, YKI levels 1-6 and the civil-service
    exam's satisfactory/good through the mappings in ``credentials.models``."""
    text = str(value).strip() if value is not None else ""
    if text.upper() in YKI_TO_CEFR.values():
        return text.upper()
    if test == LanguageTest.YKI and parse_int(text) in YKI_TO_CEFR:
        return YKI_TO_CEFR[parse_int(text)]
    if test == LanguageTest.CIVIL_SERVICE and text.lower() in CIVIL_SERVICE_TO_CEFR:
        return CIVIL_SERVICE_TO_CEFR[text.lower()]
    hints = {
        LanguageTest.YKI: _("a CEFR level A1–C2 or a YKI level 1–6"),
        LanguageTest.CIVIL_SERVICE: _("a CEFR level A1–C2, “satisfactory” or “good”"),
    }
    raise ValidationError(
        {
            field: _("“%(value)s” is not a language level: give %(hint)s.")
            % {"value": text, "hint": hints.get(test, _("a CEFR level A1–C2"))}
        }
    )


def language_milestones(case: Case) -> dict[str, Any]:
    """The date of the first certificate that meets the profession's requirement."""
    met = [
        certificate.taken_on
        for certificate in LanguageCertificate.objects.filter(case=case)
        if certificate.meets(case.profession)
    ]
    return {"language_requirement_met_on": min(met) if met else None}


@transaction.atomic
def record_language_certificate(
    *,
    case: Case | int,
    actor: Actor,
    language: str,
    test: str,
    taken_on: dt.date,
    speaking: Any,
    listening: Any,
    reading: Any,
    writing: Any,
    issuer: Organisation | None = None,
    occurred_at: dt.datetime | None = None,
) -> LanguageCertificate:
    """Record a language certificate; levels are CEFR (or YKI 1-6 / civil-service grades)."""
    case = _case(case)
    authz.require_track_write(actor, case, authz.LANGUAGE)
    _require_not_closed(case)
    given = {"speaking": speaking, "listening": listening, "reading": reading, "writing": writing}
    errors: dict = {}
    levels: dict[str, str] = {}
    for skill in SUB_SKILLS:
        try:
            levels[skill] = to_cefr(test, given[skill], field=skill)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    certificate = LanguageCertificate(
        case=case, language=language, test=test, taken_on=taken_on, issuer=issuer, **levels
    )
    if LanguageCertificate.objects.filter(
        case=case, language=language, test=test, taken_on=taken_on
    ).exists():
        raise ValidationError(
            _("A %(test)s certificate taken on %(date)s is already recorded.")
            % {"test": certificate.get_test_display(), "date": taken_on}
        )
    _save(certificate, created=True)
    _audit(
        case=case,
        actor=actor,
        track=authz.LANGUAGE,
        action="certificate_recorded",
        record=certificate,
        changes={
            "language": [None, language],
            "test": [None, test],
            "taken_on": [None, taken_on],
            **{skill: [None, level] for skill, level in levels.items()},
        },
        reason=certificate.shortfall_reason(case.profession),
        occurred_at=occurred_at,
        milestones=language_milestones(case),
    )
    return certificate


# --- Residence permits -----------------------------------------------------------------------


def permit_milestones(case: Case) -> dict[str, Any]:
    permits = list(ResidencePermit.objects.filter(case=case))
    granted = [p for p in permits if p.state == PermitState.GRANTED and p.valid_until]
    current = max(granted, key=lambda p: (p.valid_until, p.pk), default=None)
    return {
        "permit_applied_on": max((p.applied_on for p in permits), default=None),
        "permit_granted_on": current.decided_on if current else None,
        "permit_valid_until": current.valid_until if current else None,
    }


@transaction.atomic
def apply_permit(
    *,
    case: Case | int,
    actor: Actor,
    permit_type: str,
    permit_kind: str,
    applied_on: dt.date,
    occurred_at: dt.datetime | None = None,
) -> ResidencePermit:
    """Record a residence permit application to Migri. At most one active permit per case."""
    case = _case(case)
    authz.require_track_write(actor, case, authz.PERMIT)
    _require_not_closed(case)
    if not case.needs_permit:
        raise ValidationError(
            _("%(country)s citizens need no residence permit (EU/EEA or Nordic).")
            % {"country": case.candidate.nationality}
        )
    current = active_permit(case, on=applied_on)
    if current is not None:
        if current.state == PermitState.APPLIED:
            detail = _("an application from %(date)s is waiting for a decision") % {
                "date": current.applied_on
            }
        else:
            detail = _("a permit is valid until %(date)s") % {"date": current.valid_until}
        raise ValidationError(
            _("Case %(case)s already has an active residence permit: %(detail)s.")
            % {"case": case.number, "detail": detail}
        )
    permit = ResidencePermit(
        case=case, permit_type=permit_type, permit_kind=permit_kind, applied_on=applied_on
    )
    _save(permit, created=True)
    _audit(
        case=case,
        actor=actor,
        track=authz.PERMIT,
        action="applied",
        record=permit,
        changes={
            "permit_type": [None, permit_type],
            "permit_kind": [None, permit_kind],
            "applied_on": [None, applied_on],
        },
        occurred_at=occurred_at,
        milestones=permit_milestones(case),
    )
    return permit


@transaction.atomic
def decide_permit(
    *,
    permit: ResidencePermit,
    actor: Actor,
    expected_version: int | None,
    granted: bool,
    decided_on: dt.date,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    reference: str = "",
    occurred_at: dt.datetime | None = None,
) -> ResidencePermit:
    """Record Migri's decision. A granted permit needs its validity (from defaults to the
    decision date)."""
    case = _case(permit.case_id)
    permit = _lock(ResidencePermit, permit)
    authz.require_track_write(actor, case, authz.PERMIT)
    _require_not_closed(case)
    _check_version(permit, expected_version, actor, "residence permit")
    if permit.state != PermitState.APPLIED:
        raise TransitionNotAllowed(
            _("This permit was already decided (%(state)s).")
            % {"state": permit.get_state_display().lower()},
            transition="decide",
        )
    before = _snapshot(permit, ("state", "decided_on", "valid_from", "valid_until"))
    if granted:
        if valid_until is None:
            raise ValidationError(
                {"valid_until": _("A granted permit needs its last day of validity.")}
            )
        permit.grant()
        permit.valid_from = valid_from or decided_on
        permit.valid_until = valid_until
    else:
        if valid_from or valid_until:
            raise ValidationError({"valid_until": _("A refused permit has no period of validity.")})
        permit.refuse()
    permit.decided_on = decided_on
    permit.decision_reference = (reference or "").strip()
    _save(permit)
    _audit(
        case=case,
        actor=actor,
        track=authz.PERMIT,
        action="granted" if granted else "refused",
        record=permit,
        changes=_diff(before, permit),
        reason=permit.decision_reference,
        occurred_at=occurred_at,
        milestones=permit_milestones(case),
    )
    return permit


# --- Integration steps (employment services) -------------------------------------------------


@transaction.atomic
def record_integration_step(
    *,
    case: Case | int,
    organisation: Organisation,
    kind: str,
    actor: Actor,
    due_on: dt.date | None = None,
    status: str = IntegrationStepStatus.PLANNED,
    done_on: dt.date | None = None,
    notes: str = "",
    occurred_at: dt.datetime | None = None,
) -> IntegrationStep:
    """Record a step of the employment service; the service becomes a partner on the case."""
    case = _case(case)
    authz.require_track_write(actor, case, authz.INTEGRATION, organisation=organisation)
    _require_not_closed(case)
    step = IntegrationStep(
        case=case,
        organisation=organisation,
        kind=kind,
        status=status,
        due_on=due_on,
        done_on=done_on,
        notes=notes,
    )
    _create_with_partner(
        step,
        organisation=organisation,
        role=CasePartner.PartnerRole.EMPLOYMENT_SERVICE,
        actor=actor,
        track=authz.INTEGRATION,
        action="step_recorded",
        changes={
            "organisation": [None, organisation.code],
            "kind": [None, kind],
            "status": [None, status],
            "due_on": [None, due_on],
        },
        occurred_at=occurred_at,
    )
    return step


_UNSET: Any = object()


@transaction.atomic
def update_integration_step(
    *,
    step: IntegrationStep,
    actor: Actor,
    expected_version: int | None,
    status: str | None = None,
    due_on: dt.date | None = _UNSET,
    done_on: dt.date | None = _UNSET,
    notes: str | None = None,
    occurred_at: dt.datetime | None = None,
) -> IntegrationStep:
    """Change an integration step; marking it done without a date means today."""
    case = _case(step.case_id)
    step = _lock(IntegrationStep, step)
    authz.require_track_write(actor, case, authz.INTEGRATION, organisation=step.organisation)
    _require_not_closed(case)
    _check_version(step, expected_version, actor, "integration step")
    before = _snapshot(step, ("status", "due_on", "done_on", "notes"))
    if status is not None:
        step.status = _parse_choice(status, IntegrationStepStatus, "status", _("status"))
    if due_on is not _UNSET:
        step.due_on = due_on
    if done_on is not _UNSET:
        step.done_on = done_on
    if step.status == IntegrationStepStatus.DONE and step.done_on is None:
        step.done_on = timezone.localdate()
    if step.status != IntegrationStepStatus.DONE and done_on is _UNSET:
        step.done_on = None
    if notes is not None:
        step.notes = notes
    changes = _diff(before, step)
    if not changes:
        return step
    _save(step)
    _audit(
        case=case,
        actor=actor,
        track=authz.INTEGRATION,
        action="step_updated",
        record=step,
        changes=changes,
        occurred_at=occurred_at,
    )
    return step


# --- Notifications (scheduled work) ----------------------------------------------------------


def _recipients_by_county(county_ids: set[int]) -> dict[int, set[int]]:
    """County → ids of active users who recruit for it."""
    result: dict[int, set[int]] = {}
    for county_id, user_id in Membership.objects.filter(
        organisation_id__in=county_ids,
        role=Role.RECRUITER,
        user__is_active=True,
        organisation__is_active=True,
    ).values_list("organisation_id", "user_id"):
        result.setdefault(county_id, set()).add(user_id)
    return result


def _notify_cases(items: list[tuple[Case, str, dict[str, Any], str]]) -> int:
    """Create notifications for the recruiters of each case (``(case, kind, params, key)``);
    rows whose dedupe key exists already are skipped. Returns how many were created.

    ``params`` (JSON) let each reader see the message in their own language
    (``Notification.text``); ``message`` keeps it in English as the fallback."""
    if not items:
        return 0
    by_county = _recipients_by_county({case.county_id for case, *_rest in items})
    # The case's own recruiter is told too, but like anyone outside the county's recruiters
    # only about data the rule lets them see (credentials.authz.sees_notification).
    others = {
        case.recruiter_id
        for case, *_rest in items
        if case.recruiter_id and case.recruiter_id not in by_county.get(case.county_id, set())
    }
    users = get_user_model().objects.filter(pk__in=others, is_active=True).in_bulk()
    rows = []
    for case, kind, params, key in items:
        message = Notification(kind=kind, params=params).source_text()
        recipients = set(by_county.get(case.county_id, set()))
        recruiter = users.get(case.recruiter_id)
        if (
            recruiter is not None
            and recruiter.pk not in recipients
            and authz.sees_notification(recruiter, kind, case)
        ):
            recipients.add(recruiter.pk)
        for user_id in sorted(recipients):
            rows.append(
                Notification(
                    recipient_id=user_id,
                    case=case,
                    kind=kind,
                    message=message,
                    params=params,
                    dedupe_key=f"{key}:u{user_id}"[:200],
                )
            )
    existing = set(
        Notification.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows]).values_list(
            "dedupe_key", flat=True
        )
    )
    new = [r for r in rows if r.dedupe_key not in existing]
    # ignore_conflicts: two workers running the same task at once still create each only once.
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def _watched_cases():
    return Case.objects.exclude(state__in=CLOSED_STATES).select_related("county")


@transaction.atomic
def watch_permit_expiry(*, today: dt.date | None = None) -> int:
    """Warn the case's recruiters 90 and 30 days before a residence permit expires, and when
    it has expired. Idempotent: one notification per case, permit end date, kind and user."""
    today = today or timezone.localdate()
    longest = max(PERMIT_WARNING_DAYS)
    items = []
    cases = _watched_cases().filter(
        permit_valid_until__isnull=False,
        permit_valid_until__lte=today + dt.timedelta(days=longest),
    )
    for case in cases:
        days_left = (case.permit_valid_until - today).days
        params = {"case": case.number, "date": case.permit_valid_until.isoformat()}
        if days_left < 0:
            kind = NotificationKind.PERMIT_EXPIRED
        else:
            window = min(d for d in PERMIT_WARNING_DAYS if days_left <= d)
            kind = f"permit_expiring_{window}"
            params["days"] = days_left
        key = f"{kind}:c{case.pk}:{case.permit_valid_until.isoformat()}"
        items.append((case, kind, params, key))
    return _notify_cases(items)


@transaction.atomic
def detect_stalled_cases(*, now: dt.datetime | None = None) -> int:
    """Notify recruiters of cases that stayed in a state longer than its ``StageTimeLimit``.
    Idempotent: one notification per case, stay in the state (its start) and user."""
    now = now or timezone.now()
    items = []
    for limit in StageTimeLimit.objects.all():
        cutoff = now - dt.timedelta(days=limit.max_days)
        for case in _watched_cases().filter(state=limit.state, state_changed_at__lt=cutoff):
            params = {
                "case": case.number,
                "state": case.state,
                "days": (now - case.state_changed_at).days,
                "limit": limit.max_days,
            }
            key = f"stalled:c{case.pk}:{case.state}:{case.state_changed_at.date().isoformat()}"
            items.append((case, NotificationKind.STALLED, params, key))
    return _notify_cases(items)


@transaction.atomic
def notify_due_retention_checks(*, today: dt.date | None = None) -> int:
    """Remind recruiters of 6- and 12-month retention checks that are due (or due within
    ``RETENTION_NOTICE_DAYS``). Idempotent: one notification per check and user."""
    today = today or timezone.localdate()
    checks = RetentionCheck.objects.filter(
        outcome=RetentionCheck.Outcome.PENDING,
        due_on__lte=today + dt.timedelta(days=RETENTION_NOTICE_DAYS),
        placement__case__state=CaseState.PLACED,
    ).select_related("placement__case__county")
    items = []
    for check in checks:
        case = check.placement.case
        params = {"case": case.number, "months": check.months, "date": check.due_on.isoformat()}
        items.append((case, NotificationKind.RETENTION_DUE, params, f"retention:{check.pk}"))
    return _notify_cases(items)


@transaction.atomic
def mark_notification_read(*, notification: Notification, user) -> Notification:
    """A user marks one of their own notifications read."""
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.recipient_id != user.pk:
        raise NotPermitted(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def set_stage_time_limit(*, actor: Actor, state: str, max_days: int) -> StageTimeLimit:
    """Set how long a case may stay in a state before it counts as stalled (platform admins)."""
    if not actor.is_system and not core_authz.is_platform_admin(actor.user):
        raise NotPermitted(_("Only platform admins configure stage time limits."))
    limit = StageTimeLimit.objects.select_for_update().filter(state=state).first()
    limit = limit or StageTimeLimit(state=state)
    limit.max_days = max_days
    limit.full_clean()
    limit.save()
    return limit
