"""Recognition of qualifications: applications to the authority, its decision, appeals.

EU/EEA automatic recognition: for a candidate with EU/EEA nationality and a profession with
``eu_automatic_recognition`` (nurses, midwives) the authority still records a decision, but
``decide_recognition`` refuses a *conditional* one (no compensation measures may be ordered).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from recruitment.actors import Actor
from recruitment.errors import TransitionNotAllowed
from recruitment.models import Case, Organisation, RecognitionOutcome

from .. import authz
from ..models import RecognitionApplication, RecognitionCondition, RecognitionState
from ..selectors import recognition_measure_blockers
from ._write import (
    _audit,
    _case_for_write,
    _diff,
    _parse_choice,
    _record_for_write,
    _save,
    _snapshot,
)

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
    case = _case_for_write(case, actor=actor, track=authz.RECOGNITION)
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


@transaction.atomic
def start_recognition_review(
    *,
    application: RecognitionApplication,
    actor: Actor,
    expected_version: int | None,
    occurred_at: dt.datetime | None = None,
) -> RecognitionApplication:
    """The authority has started to review the application."""
    case, application = _record_for_write(
        application, actor=actor, expected_version=expected_version
    )
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
    case, application = _record_for_write(
        application, actor=actor, expected_version=expected_version
    )
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
    case, application = _record_for_write(
        application, actor=actor, expected_version=expected_version
    )
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
    case, application = _record_for_write(
        application, actor=actor, expected_version=expected_version, partner_may_write=False
    )
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
