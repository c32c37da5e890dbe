"""The write path every service of the core shares (private to the package).

Load and lock the case for a write (``_case_for_write``: ``_lock_case``, then who writes,
``_require_change``, and the version they saw, ``_require_version`` and ``_check_version``),
store the case with its version bumped (``_save_case``) and write its immutable audit event
(``_record_event``, which also tells the upper layers' listeners, inside the transaction).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import authz
from ..actors import Actor
from ..errors import NotPermitted, StaleVersion
from ..models import Case, CaseEvent
from ..signals import case_event_recorded


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _lock_case(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return _cases_for_update().get(pk=pk)


def _cases_for_update() -> QuerySet[Case]:
    """Cases locked for a write, with what the guards read (nationality, profession, county)."""
    return Case.objects.select_for_update(of=("self",)).select_related(
        "candidate__nationality", "profession", "county"
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


def _require_change(actor: Actor, case: Case) -> None:
    if not authz.actor_can_change_case(actor, case):
        raise NotPermitted(_("You may not change case %(number)s.") % {"number": case.number})


def _case_for_write(case: Case | int, *, actor: Actor, expected_version: int | None) -> Case:
    """The case locked for a change by ``actor``: they may change it, they said which version
    they saw (the system need not) and it is still the stored one."""
    case = _lock_case(case)
    _require_change(actor, case)
    _require_version(actor, expected_version)
    _check_version(case, expected_version)
    return case
