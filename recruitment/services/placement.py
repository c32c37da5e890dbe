"""Where and when the candidate starts (``record_placement``) and the retention checks after
it (``record_retention_check``), which complete the case or end it as left early."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from ..actors import Actor
from ..errors import TransitionNotAllowed
from ..models import RETENTION_MONTHS, Case, CaseEvent, CaseState, Placement, RetentionCheck
from ..reasons import SystemText
from ._write import _case_for_write, _record_event, _save_case
from .transitions import transition_case


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
    case = _case_for_write(case, actor=actor, expected_version=expected_version)
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
    case = _case_for_write(case, actor=actor, expected_version=expected_version)
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
