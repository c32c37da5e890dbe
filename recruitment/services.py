"""Writes to the core: the only place that changes a case.

Every function here is keyword-only, atomic, locks the case row it changes
(``select_for_update``), checks the writer's version (optimistic concurrency), runs the
state machine's rules and writes an immutable ``CaseEvent``. Upper layers (credentials,
integration) call these; recruitment never imports them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed as FSMTransitionNotAllowed
from django_fsm import can_proceed

from . import authz, state_machine
from .actors import Actor
from .errors import NotPermitted, StaleVersion, TransitionNotAllowed
from .models import (
    CLOSED_STATES,
    CRITICAL_PATH_STATES,
    RETENTION_MONTHS,
    Candidate,
    CandidateAccess,
    Case,
    CaseEvent,
    CasePartner,
    CaseState,
    ImmutableRecord,
    Membership,
    Organisation,
    OrganisationKind,
    Placement,
    Profession,
    RetentionCheck,
    Role,
    readiness_blockers,
)
from .reasons import SystemText
from .signals import case_event_recorded, case_events_recorded

# The state machine's metadata is read from the model's declarations (recruitment.state_machine);
# these names stay here for the modules that import them.
TRANSITIONS = state_machine.TRANSITIONS
REASON_REQUIRED = state_machine.REASON_REQUIRED

# Case fields a recruiter may edit directly (everything else moves through transitions or
# is maintained by credentials services as milestones).
EDITABLE_FIELDS = {
    "recruiter",
    "recruitment_basis",
    "ethics_justification",
    "g2g_agreement_ref",
    "no_fee_declared_on",
}
MILESTONE_FIELDS = authz.MILESTONE_FIELDS  # set by the credential tracks, never edited


@dataclass(frozen=True)
class TransitionOption:
    """A transition as a user sees it: may they run it now, and if not, why not."""

    name: str
    label: str
    allowed: bool
    blocked_reasons: list[str] = field(default_factory=list)
    reason_required: bool = False


# --- helpers ---------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _lock_case(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("candidate__nationality", "profession", "county")
        .get(pk=pk)
    )


def _require_version(actor: Actor, expected_version: int | None) -> None:
    """People and API clients write against the version they saw; only the system may not."""
    if expected_version is None and not actor.is_system:
        raise ValidationError(_("The version of the case you saw is required."))


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is None:
        return
    if int(expected_version) != case.version:
        raise StaleVersion(expected=int(expected_version), current=case.version)


def _actor_columns(actor: Actor) -> dict:
    """Who acted, as the CaseEvent columns that record it."""
    return {
        "actor_kind": actor.kind,
        "actor_user": actor.user if actor.user is not None and actor.user.pk else None,
        "actor_api_client_id": actor.api_client_id,
        "actor_label": actor.label[:200],
    }


def _record_event(
    case: Case,
    *,
    actor: Actor,
    kind: str,
    reason: str = "",
    changes: dict | None = None,
    transition: str = "",
    from_state: str = "",
    to_state: str = "",
    occurred_at: dt.datetime | None = None,
) -> CaseEvent:
    event = CaseEvent.objects.create(
        case=case,
        occurred_at=occurred_at or timezone.now(),
        kind=kind,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        **_actor_columns(actor),
        reason=reason,
        changes=changes or {},
        case_version=case.version,
    )
    # Inside the transaction: listeners (e.g. the webhook outbox) write in the same one.
    case_event_recorded.send(sender=CaseEvent, event=event)
    return event


def _save_case(case: Case, fields: set[str]) -> None:
    case.version += 1
    case.save(update_fields=sorted({*fields, "version", "updated_at"}))


def _refuse_unknown_milestones(milestones: dict[str, Any]) -> None:
    unknown = set(milestones) - set(MILESTONE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown milestones: %(f)s") % {"f": ", ".join(sorted(unknown))})


def _require_change(actor: Actor, case: Case) -> None:
    if not authz.actor_can_change_case(actor, case):
        raise NotPermitted(_("You may not change case %(number)s.") % {"number": case.number})


def transition_label(case: Case, name: str) -> str:
    """The transition's label as a user reads it."""
    return state_machine.label(name)


# --- reads used by writers -------------------------------------------------------------------


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


# --- writes ----------------------------------------------------------------------------------


def create_candidate(*, actor: Actor, created_by: Organisation, **data: Any) -> Candidate:
    if actor.kind == "api_client":
        allowed = actor.organisation is not None and actor.organisation.pk == created_by.pk
    elif actor.is_system:
        allowed = True
    else:
        allowed = authz.is_platform_admin(actor.user) or created_by.pk in authz.organisation_ids(
            actor.user, "recruiter"
        )
    if not allowed:
        raise NotPermitted(_("You may only add candidates for your own organisation."))
    candidate = Candidate(created_by=created_by, **data)
    candidate.full_clean()
    candidate.save()
    return candidate


@transaction.atomic
def open_case(
    *,
    candidate: Candidate,
    county: Organisation,
    profession: Profession,
    actor: Actor,
    recruiter=None,
    opened_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
    **details: Any,
) -> Case:
    """Open a case for a candidate in a county. The case starts as ``sourced``."""
    if county.kind != OrganisationKind.COUNTY:
        raise ValidationError({"county": _("Cases are opened for a wellbeing services county.")})
    if actor.kind == "user" and not authz.can_open_case(actor.user, county):
        raise NotPermitted(_("You may only open cases for your own county."))
    if actor.kind == "api_client" and (actor.organisation is None or actor.organisation != county):
        raise NotPermitted(_("You may only open cases for your own county."))
    unknown = set(details) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(_("Unknown case fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    opened_on = opened_on or timezone.localdate()
    at = occurred_at or timezone.now()
    case = Case(
        candidate=candidate,
        county=county,
        profession=profession,
        recruiter=recruiter,
        opened_on=opened_on,
        state_changed_at=at,
        number="pending",
        **details,
    )
    case.full_clean(exclude=["number", "state"])
    case.save()
    case.number = f"PK-{opened_on.year}-{case.pk:06d}"
    Case.objects.filter(pk=case.pk).update(number=case.number)
    _record_event(
        case,
        actor=actor,
        kind=CaseEvent.Kind.OPENED,
        to_state=case.state,
        changes={"county": county.code, "profession": profession.code},
        occurred_at=at,
    )
    return case


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
    case = _lock_case(case)
    _require_change(actor, case)
    _require_version(actor, expected_version)
    _check_version(case, expected_version)
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


@transaction.atomic
def update_case(
    *,
    case: Case | int,
    actor: Actor,
    expected_version: int | None,
    occurred_at: dt.datetime | None = None,
    **changes: Any,
) -> Case:
    """Change a case's editable details (ethics record, no-fee statement, recruiter)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These case fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    case = _lock_case(case)
    _require_change(actor, case)
    _require_version(actor, expected_version)
    _check_version(case, expected_version)
    diff = {}
    for name, value in changes.items():
        old = getattr(case, name)
        if old != value:
            diff[name] = [_json(old), _json(value)]
            setattr(case, name, value)
    if not diff:
        return case
    case.full_clean(exclude=["number", "state"])
    _save_case(case, set(diff))
    _record_event(
        case, actor=actor, kind=CaseEvent.Kind.CHANGE, changes=diff, occurred_at=occurred_at
    )
    return case


@transaction.atomic
def record_milestones(
    *,
    case: Case | int,
    actor: Actor,
    reason: str = "",
    occurred_at: dt.datetime | None = None,
    **milestones: Any,
) -> Case:
    """Set milestone fields (called by credentials services), then advance the case.

    Milestones are facts from the credential tracks, so no version is checked: the caller
    holds the lock on its own track record and the case row is locked here.
    """
    _refuse_unknown_milestones(milestones)
    case = _lock_case(case)
    _apply_milestones(case, actor=actor, reason=reason, occurred_at=occurred_at, **milestones)
    return advance_case(case=case, actor=Actor.system(), occurred_at=occurred_at)


def _apply_milestones(
    case: Case,
    *,
    actor: Actor,
    reason: str | SystemText,
    occurred_at: dt.datetime | None,
    **milestones: Any,
) -> None:
    """Set the changed milestones on a locked case and audit them as one event."""
    system_text = reason if isinstance(reason, SystemText) else None
    if system_text:
        reason = system_text.source()
    diff = {}
    for name, value in milestones.items():
        old = getattr(case, name)
        if old != value:
            diff[name] = [_json(old), _json(value)]
            setattr(case, name, value)
    if diff:
        _save_case(case, set(diff))
        _record_event(
            case,
            actor=actor,
            kind=CaseEvent.Kind.MILESTONE,
            changes={**diff, **system_text.changes()} if system_text else diff,
            reason=reason,
            occurred_at=occurred_at,
        )


@transaction.atomic
def record_track_event(
    *,
    case: Case | int,
    actor: Actor,
    track: str,
    changes: dict,
    reason: str | SystemText = "",
    occurred_at: dt.datetime | None = None,
    **milestones: Any,
) -> Case:
    """Audit a change on a credential track (called by credentials services), then set the
    milestones it implies and advance the case. A ``SystemText`` reason is stored in English
    with its key (see ``recruitment.reasons``).

    ``changes`` maps field names to ``[old, new]``. The case's version is bumped so that
    readers syncing by ``updated_at`` or comparing versions see the track change too.
    """
    _refuse_unknown_milestones(milestones)
    case = _lock_case(case)
    _save_case(case, set())
    _record_event(
        case,
        actor=actor,
        kind=CaseEvent.Kind.TRACK,
        changes={
            "track": [None, track],
            **{k: [_json(o), _json(n)] for k, (o, n) in changes.items()},
            **(reason.changes() if isinstance(reason, SystemText) else {}),
        },
        reason=reason.source() if isinstance(reason, SystemText) else reason,
        occurred_at=occurred_at,
    )
    _apply_milestones(case, actor=actor, reason=reason, occurred_at=occurred_at, **milestones)
    if _next_automatic_step(case) is None:
        return case  # the locked case is current: nothing to advance
    return advance_case(case=case, actor=Actor.system(), occurred_at=occurred_at)


def bulk_save_fields(model, objs: list, fields: list[str] | tuple[str, ...]) -> None:
    """Store ``fields`` of many rows in one UPDATE (for batch services that validated and
    locked the rows themselves; ``auto_now`` is not applied, callers set the timestamps).

    On PostgreSQL the values travel as one array per column (``UPDATE … FROM unnest(…)``):
    Django's ``bulk_update`` builds a ``CASE WHEN`` per row and field, which costs about a
    second per thousand rows in Python alone. Other databases use ``bulk_update``.
    Audit rows (``CaseEvent``) are immutable and refused here as everywhere.
    """
    if model is CaseEvent:
        raise ImmutableRecord("Case events are immutable: they cannot be updated.")
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._base_manager.bulk_update(objs, list(fields))
        return
    qn = connection.ops.quote_name
    pk = model._meta.pk
    columns = [pk, *(model._meta.get_field(name) for name in fields)]
    arrays = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for obj in objs]
        for column in columns
    ]
    names = [f"c{i}" for i in range(len(columns))]
    unnest = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)
    assignments = ", ".join(
        f"{qn(column.column)} = v.{name}"
        for column, name in zip(columns[1:], names[1:], strict=True)
    )
    # Only quoted names from the model's metadata are formatted in; every value is a parameter.
    sql = (
        f"UPDATE {qn(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM unnest({unnest}) AS v({', '.join(names)}) WHERE t.{qn(pk.column)} = v.c0"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)


@dataclass(frozen=True)
class TrackChange:
    """One change on a credential track for ``record_track_events_bulk``: what
    ``record_track_event`` takes for one case."""

    case_id: int
    track: str
    changes: dict
    reason: str = ""
    milestones: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def record_track_events_bulk(
    *, actor: Actor, changes: list[TrackChange], occurred_at: dt.datetime | None = None
) -> dict[int, Case]:
    """``record_track_event`` for many changes at once, with the same effects in the same
    order per case: each change bumps its case's version and writes a "track" event; changed
    milestones write a "milestone" event (and bump the version again); a case whose
    milestones justify an automatic step then advances (one by one: transitions are rare).

    The cases are locked in one query (ordered by id), the events are inserted with one
    ``bulk_create`` and the cases updated with one ``bulk_update``; listeners get the events
    through ``case_events_recorded`` inside this transaction. Returns the cases by id.
    """
    for change in changes:
        _refuse_unknown_milestones(change.milestones)
    if not changes:
        return {}
    case_ids = sorted({change.case_id for change in changes})
    cases = {
        case.pk: case
        for case in Case.objects.select_for_update(of=("self",))
        .select_related("candidate__nationality", "profession", "county")
        .filter(pk__in=case_ids)
        .order_by("pk")
    }
    missing = set(case_ids) - set(cases)
    if missing:
        raise ValidationError(
            _("Unknown cases: %(ids)s") % {"ids": ", ".join(str(pk) for pk in sorted(missing))}
        )
    when = occurred_at or timezone.now()
    events: list[CaseEvent] = []
    changed_fields: set[str] = set()

    def event(case: Case, kind: str, diff: dict, reason: str) -> None:
        events.append(
            CaseEvent(
                case=case,
                occurred_at=when,
                kind=kind,
                **_actor_columns(actor),
                reason=reason,
                changes=diff,
                case_version=case.version,
            )
        )

    for change in changes:
        case = cases[change.case_id]
        case.version += 1
        event(
            case,
            CaseEvent.Kind.TRACK,
            {
                "track": [None, change.track],
                **{k: [_json(o), _json(n)] for k, (o, n) in change.changes.items()},
            },
            change.reason,
        )
        diff = {}
        for name, value in change.milestones.items():
            old = getattr(case, name)
            if old != value:
                diff[name] = [_json(old), _json(value)]
                setattr(case, name, value)
                changed_fields.add(name)
        if diff:
            case.version += 1
            event(case, CaseEvent.Kind.MILESTONE, diff, change.reason)
    now = timezone.now()
    for case in cases.values():
        case.updated_at = now  # bulk_update does not run auto_now
    bulk_save_fields(Case, list(cases.values()), sorted({*changed_fields, "version", "updated_at"}))
    CaseEvent.objects.bulk_create(events)
    # Inside the transaction: listeners (e.g. the webhook outbox) write in the same one.
    case_events_recorded.send(sender=CaseEvent, events=events)
    for case_id, case in cases.items():
        if _next_automatic_step(case) is not None:
            cases[case_id] = advance_case(case=case, actor=Actor.system(), occurred_at=occurred_at)
    return cases


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


@transaction.atomic
def link_partner(
    *,
    case: Case | int,
    organisation: Organisation,
    role: str,
    actor: Actor,
    occurred_at: dt.datetime | None = None,
) -> bool:
    """Link an institution or employment service to a case; True when newly linked."""
    case = _lock_case(case)
    _, created = CasePartner.objects.get_or_create(case=case, organisation=organisation, role=role)
    if created:
        _save_case(case, set())
        _record_event(
            case,
            actor=actor,
            kind=CaseEvent.Kind.CHANGE,
            changes={"partner_added": [None, organisation.code], "partner_role": [None, role]},
            occurred_at=occurred_at,
        )
    return created


@transaction.atomic
def record_placement(
    *,
    case: Case | int,
    actor: Actor,
    expected_version: int | None,
    county_unit: str,
    start_date: dt.date,
    contract: str = Placement.Contract.PERMANENT,
    contract_end: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
) -> Placement:
    """Record (or correct) where and when the candidate starts, with retention checks due."""
    case = _lock_case(case)
    _require_change(actor, case)
    _require_version(actor, expected_version)
    _check_version(case, expected_version)
    if case.state not in (CaseState.READY_FOR_PLACEMENT, CaseState.PLACED):
        raise TransitionNotAllowed(
            _("A placement can be recorded when the case is ready for placement."),
            transition="place",
        )
    placement = Placement.objects.filter(case=case).first() or Placement(case=case)
    placement.county_unit = county_unit
    placement.start_date = start_date
    placement.contract = contract
    placement.contract_end = contract_end
    placement.full_clean(exclude=["case"])
    placement.save()
    for months in RETENTION_MONTHS:
        RetentionCheck.objects.update_or_create(
            placement=placement,
            months=months,
            defaults={"due_on": start_date + relativedelta(months=months)},
        )
    _save_case(case, set())
    _record_event(
        case,
        actor=actor,
        kind=CaseEvent.Kind.PLACEMENT,
        changes={
            "county_unit": [None, county_unit],
            "start_date": [None, start_date.isoformat()],
            "contract": [None, contract],
        },
        occurred_at=occurred_at,
    )
    return placement


@transaction.atomic
def record_retention_check(
    *,
    case: Case | int,
    actor: Actor,
    expected_version: int | None,
    months: int,
    passed: bool,
    checked_on: dt.date | None = None,
    note: str = "",
    occurred_at: dt.datetime | None = None,
) -> Case:
    """Record a 6- or 12-month retention check. A failed check ends the case as left_early;
    both passed completes it."""
    case = _lock_case(case)
    _require_change(actor, case)
    _require_version(actor, expected_version)
    _check_version(case, expected_version)
    if case.state != CaseState.PLACED:
        raise TransitionNotAllowed(
            _("Retention checks are recorded for placed cases."), transition="complete"
        )
    note = (note or "").strip()
    if not passed and not note:
        raise ValidationError({"note": _("Say why the person left (a reason is required).")})
    try:
        check = RetentionCheck.objects.get(placement__case=case, months=months)
    except RetentionCheck.DoesNotExist as exc:
        raise ValidationError(
            {"months": _("No %(m)s-month check is due.") % {"m": months}}
        ) from exc
    checked_on = checked_on or timezone.localdate()
    if checked_on < check.placement.start_date:
        raise ValidationError({"checked_on": _("A check cannot be before the placement starts.")})
    check.checked_on = checked_on
    check.outcome = RetentionCheck.Outcome.PASSED if passed else RetentionCheck.Outcome.FAILED
    check.note = note
    check.save()
    _save_case(case, set())
    _record_event(
        case,
        actor=actor,
        kind=CaseEvent.Kind.RETENTION,
        changes={"months": [None, months], "outcome": [None, check.outcome]},
        reason=note,
        occurred_at=occurred_at,
    )
    if not passed:
        return transition_case(
            case=case,
            name="leave_early",
            actor=actor,
            expected_version=case.version,
            reason=note,
            occurred_at=occurred_at,
        )
    if can_proceed(case.complete):
        return transition_case(
            case=case,
            name="complete",
            actor=actor,
            expected_version=case.version,
            reason=SystemText("retention_checks_passed"),
            occurred_at=occurred_at,
        )
    return case


# --- Memberships (organisation admins) -------------------------------------------------------


@transaction.atomic
def add_membership(*, actor: Actor, organisation: Organisation, user, role: str) -> Membership:
    """Give a user a role in an organisation (organisation admins and platform admins)."""
    if actor.user is None or not authz.can_manage_memberships(actor.user, organisation):
        raise NotPermitted(_("You may only manage the members of your own organisation."))
    if Membership.objects.filter(user=user, organisation=organisation, role=role).exists():
        raise ValidationError({"role": _("This user already has that role here.")})
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save()
    authz.forget_roles(user)
    return membership


@transaction.atomic
def remove_membership(*, actor: Actor, membership: Membership) -> None:
    """Take a role away. An admin cannot remove their own admin role (no lock-out)."""
    membership = (
        Membership.objects.select_for_update().select_related("organisation").get(pk=membership.pk)
    )
    if actor.user is None or not authz.can_manage_memberships(actor.user, membership.organisation):
        raise NotPermitted(_("You may only manage the members of your own organisation."))
    if (
        membership.user_id == actor.user.pk
        and membership.role == Role.ORG_ADMIN
        and not authz.is_platform_admin(actor.user)
    ):
        raise ValidationError(_("You cannot remove your own organisation admin role."))
    membership.delete()
    authz.forget_roles(membership.user)


def record_candidate_access(*, candidate: Candidate, user, purpose: str) -> None:
    """Log that a user read a candidate's personal data (GDPR access log)."""
    CandidateAccess.objects.create(
        candidate=candidate, user=user, actor_label=user.get_username()[:200], purpose=purpose
    )
