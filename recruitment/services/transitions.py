"""The case's state machine as the services run it: what a user may do now and why not
(``available_transitions``), one transition with guards, permission and audit
(``transition_case``) and the automatic steps along the critical path (``advance_case``).

The metadata (names, labels, reasons required, guards) is read from the model's
declarations by ``recruitment.state_machine``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed as FSMTransitionNotAllowed
from django_fsm import can_proceed

from .. import authz, state_machine
from ..actors import Actor
from ..errors import TransitionNotAllowed
from ..models import (
    CLOSED_STATES,
    CRITICAL_PATH_STATES,
    Case,
    CaseEvent,
    CaseState,
    readiness_blockers,
)
from ..reasons import SystemText
from ._write import _case_for_write, _lock_case, _record_event, _save_case

# Read from the model's declarations (recruitment.state_machine); public names kept here.
TRANSITIONS = state_machine.TRANSITIONS
REASON_REQUIRED = state_machine.REASON_REQUIRED


@dataclass(frozen=True)
class TransitionOption:
    """A transition as a user sees it: may they run it now, and if not, why not."""

    name: str
    label: str
    allowed: bool
    blocked_reasons: list[str] = field(default_factory=list)
    reason_required: bool = False


def transition_label(case: Case, name: str) -> str:
    """The transition's label as a user reads it."""
    return state_machine.label(name)


def available_transitions(case: Case, user=None, *, actor: Actor | None = None):
    """Every transition possible from the case's state, allowed or not, with blocked reasons.

    Transitions impossible from the current state are left out; those possible but blocked
    carry the reasons a user reads (guards, missing permission). The guards' reasons name
    the county's data (ethics record, recognition, language, permit): a viewer who may not
    change the case reads only that it may not.
    """
    actor = actor or (Actor.for_user(user) if user is not None else Actor.system())
    may_change = authz.actor_can_change_case(actor, case)
    options = []
    for name in state_machine.transition_names():
        if not state_machine.possible(case, name):
            continue
        if may_change:
            reasons = state_machine.blocked_reasons(case, name)
        else:
            reasons = [_("Only the county's recruiters can change this case.")]
        options.append(
            TransitionOption(
                name=name,
                label=state_machine.label(name),
                allowed=not reasons,
                blocked_reasons=reasons,
                reason_required=state_machine.reason_required(name),
            )
        )
    return options


@transaction.atomic
def transition_case(
    *,
    case: Case | int,
    name: str,
    actor: Actor,
    expected_version: int | None,
    reason: str | SystemText = "",
    occurred_at: dt.datetime | None = None,
) -> Case:
    """Run one transition of the case's state machine, with guards, permission and audit.

    ``expected_version`` is the version the writer saw; a different stored version raises
    ``StaleVersion``. Pass None only for system actors that act on the latest state.
    A ``SystemText`` reason is stored in English with its key (see ``recruitment.reasons``).
    """
    if name not in state_machine.transition_names():
        raise TransitionNotAllowed(
            _("There is no transition called “%(name)s”.") % {"name": name}, transition=name
        )
    case = _case_for_write(case, actor=actor, expected_version=expected_version)
    system_text = reason if isinstance(reason, SystemText) else None
    reason = system_text.source() if system_text else (reason or "").strip()
    label = state_machine.label(name)
    possible = state_machine.possible(case, name)
    if possible and not reason and state_machine.reason_required(name):
        raise TransitionNotAllowed(
            _("A reason is required for “%(label)s”.") % {"label": label}, transition=name
        )
    reasons = state_machine.blocked_reasons(case, name)
    if reasons:
        if not possible:
            message = reasons[0]  # already names the transition and the state
        else:
            message = _("“%(label)s” is blocked: %(reasons)s") % {
                "label": label,
                "reasons": " ".join(reasons),
            }
        raise TransitionNotAllowed(message, transition=name, reasons=reasons)
    method = getattr(case, name)
    from_state = case.state
    try:
        if not can_proceed(method):
            raise FSMTransitionNotAllowed(name)
        method()
    except FSMTransitionNotAllowed as exc:  # a race with the guard's inputs
        raise TransitionNotAllowed(
            _("“%(label)s” is not possible now.") % {"label": label},
            transition=name,
        ) from exc
    at = occurred_at or timezone.now()
    case.state_changed_at = at
    fields = {"state", "held_from", "state_changed_at"}
    if case.state in CLOSED_STATES:
        case.closed_at = at
        fields.add("closed_at")
    _save_case(case, fields)
    _record_event(
        case,
        actor=actor,
        kind=CaseEvent.Kind.TRANSITION,
        transition=name,
        from_state=from_state,
        to_state=case.state,
        reason=reason,
        changes=system_text.changes() if system_text else None,
        occurred_at=at,
    )
    return case


def _next_automatic_step(case: Case) -> tuple[str, SystemText] | None:
    """The next step the milestones justify, with the explanation written in the audit trail."""
    if case.state not in CRITICAL_PATH_STATES:
        return None
    if not readiness_blockers(case):
        return "mark_ready", SystemText(
            "requirements_met",
            {
                "recognition": bool(case.profession.needs_recognition),
                "language_level": case.profession.required_language_level or "",
                "permit_valid_until": (
                    case.permit_valid_until.isoformat() if case.needs_permit else None
                ),
            },
        )
    if case.state != CaseState.IN_TRAINING and case.training_in_progress:
        return "start_training", SystemText("training_started")
    if case.state == CaseState.OFFER_ACCEPTED and case.recognition_submitted_on:
        return "start_recognition", SystemText(
            "recognition_submitted", {"date": case.recognition_submitted_on.isoformat()}
        )
    if (
        case.state == CaseState.IN_TRAINING
        and not case.training_in_progress
        and case.recognition_submitted_on
        and case.recognition_outcome != "granted"
    ):
        return "start_recognition", SystemText("training_finished_recognition_pending")
    return None


def advance_case(
    *, case: Case | int, actor: Actor | None = None, occurred_at: dt.datetime | None = None
) -> Case:
    """Move the case along its critical path as far as its milestones allow.

    Each automatic step is a normal transition by the system actor, audited with its reason.
    """
    actor = actor or Actor.system()
    with transaction.atomic():
        case = _lock_case(case)
        for _step in range(4):  # the critical path has at most three automatic steps
            step = _next_automatic_step(case)
            if step is None:
                break
            name, explanation = step
            case = transition_case(
                case=case,
                name=name,
                actor=actor,
                expected_version=case.version,
                reason=explanation,
                occurred_at=occurred_at,
            )
    return case
