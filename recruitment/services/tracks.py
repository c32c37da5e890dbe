"""What the credential tracks tell the core: milestones (``record_milestones``), a change on
a track with the milestones it implies (``record_track_event``) and the same for many
changes at once (``record_track_events_bulk``). Each then lets the case advance by itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import authz
from ..actors import Actor
from ..models import Case, CaseEvent
from ..reasons import SystemText
from ..signals import case_events_recorded
from ._write import _actor_columns, _cases_for_update, _json, _lock_case, _record_event, _save_case
from .bulk import bulk_save_fields
from .transitions import _next_automatic_step, advance_case

MILESTONE_FIELDS = authz.MILESTONE_FIELDS  # set by the credential tracks, never edited


def _refuse_unknown_milestones(milestones: dict[str, Any]) -> None:
    unknown = set(milestones) - set(MILESTONE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown milestones: %(f)s") % {"f": ", ".join(sorted(unknown))})


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
    cases = {case.pk: case for case in _cases_for_update().filter(pk__in=case_ids).order_by("pk")}
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
