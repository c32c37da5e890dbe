"""A case's own data: opening it, its editable details and the partners linked to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import authz
from ..actors import Actor
from ..errors import NotPermitted
from ..models import (
    Candidate,
    Case,
    CaseEvent,
    CasePartner,
    Organisation,
    OrganisationKind,
    Profession,
)
from ._write import _case_for_write, _json, _lock_case, _record_event, _save_case

# Case fields a recruiter may edit directly (everything else moves through transitions or
# is maintained by credentials services as milestones).
EDITABLE_FIELDS = {
    "recruiter",
    "recruitment_basis",
    "ethics_justification",
    "g2g_agreement_ref",
    "no_fee_declared_on",
}


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
    case = _case_for_write(case, actor=actor, expected_version=expected_version)
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
