"""The write path every credential track shares: lock, check, save, diff, audit.

Each track service loads what it changes with ``_case_for_write`` (a new record on a case) or
``_record_for_write`` (an existing record), changes it, stores it with ``_save`` and hands the
change to ``_audit`` (``recruitment.services.record_track_event``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_fsm import FSMField

from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.errors import StaleVersion, TransitionNotAllowed
from recruitment.models import CLOSED_STATES, Case, Organisation

from .. import authz
from ..models import IntegrationStep, RecognitionApplication, ResidencePermit, TrainingEnrollment


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


def _case_for_write(
    case: Case | int, *, actor: Actor, track: str, organisation: Organisation | None = None
) -> Case:
    """The case, locked for adding a record to ``track``: the actor may write it (for
    ``organisation``, the partner the new record belongs to) and the case is open."""
    case = _case(case)
    authz.require_track_write(actor, case, track, organisation=organisation)
    _require_not_closed(case)
    return case


# Each kind of track record: its track, its name in a ``StaleVersion`` error and the field
# naming the partner organisation it belongs to (a partner writes only its own records).
_RECORDS: dict[type, tuple[str, str, str | None]] = {
    RecognitionApplication: (authz.RECOGNITION, "recognition application", "authority"),
    TrainingEnrollment: (authz.TRAINING, "enrollment", "institution"),
    ResidencePermit: (authz.PERMIT, "residence permit", None),
    IntegrationStep: (authz.INTEGRATION, "integration step", "organisation"),
}


def _record_for_write(
    record, *, actor: Actor, expected_version: int | None, partner_may_write: bool = True
):
    """Load a track record for writing: ``(case, record)``, both locked (the case first, the
    order every write locks in), the actor may write the record's track, the case is open
    and the record is still the version the writer saw.

    A partner may write its own records (the institution its enrollments, the authority the
    applications addressed to it); ``partner_may_write=False`` keeps a write to those who
    may write the whole track (an appeal is the county's, not the authority's)."""
    track, label, owner = _RECORDS[type(record)]
    case = _case(record.case_id)
    record = _lock(type(record), record)
    organisation = getattr(record, owner) if owner and partner_may_write else None
    authz.require_track_write(actor, case, track, organisation=organisation)
    _require_not_closed(case)
    _check_version(record, expected_version, actor, label)
    return case, record
