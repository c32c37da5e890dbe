"""Integration steps of the employment services (registration, integration plan, …)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recruitment.actors import Actor
from recruitment.models import Case, CasePartner, Organisation

from .. import authz
from ..models import IntegrationStep, IntegrationStepStatus
from ._write import (
    _audit,
    _case_for_write,
    _create_with_partner,
    _diff,
    _parse_choice,
    _record_for_write,
    _save,
    _snapshot,
)


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
    case = _case_for_write(case, actor=actor, track=authz.INTEGRATION, organisation=organisation)
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
    case, step = _record_for_write(step, actor=actor, expected_version=expected_version)
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
