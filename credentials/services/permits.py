"""Residence permits: applications to Migri and its decisions. Whether a case needs one is
data (``Country.needs_residence_permit``: EU/EEA and Nordic citizens need none)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from recruitment.actors import Actor
from recruitment.errors import TransitionNotAllowed
from recruitment.models import Case

from .. import authz
from ..models import PermitState, ResidencePermit
from ..selectors import active_permit
from ._write import _audit, _case_for_write, _diff, _record_for_write, _save, _snapshot


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
    case = _case_for_write(case, actor=actor, track=authz.PERMIT)
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
    case, permit = _record_for_write(permit, actor=actor, expected_version=expected_version)
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
