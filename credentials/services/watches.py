"""Notifications and the scheduled watches (Celery beat, ``credentials.tasks``): permit
expiry, stalled cases (``StageTimeLimit`` rows), due retention checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recruitment import authz as core_authz
from recruitment.actors import Actor
from recruitment.errors import NotPermitted
from recruitment.models import CLOSED_STATES, Case, CaseState, Membership, RetentionCheck, Role

from .. import authz
from ..models import Notification, NotificationKind, StageTimeLimit

PERMIT_WARNING_DAYS = (90, 30)  # DOMAIN.md: warn 90 and 30 days before a permit expires
RETENTION_NOTICE_DAYS = 14  # remind recruiters this many days before a check is due


def _recipients_by_county(county_ids: set[int]) -> dict[int, set[int]]:
    """County → ids of active users who recruit for it."""
    result: dict[int, set[int]] = {}
    for county_id, user_id in Membership.objects.filter(
        organisation_id__in=county_ids,
        role=Role.RECRUITER,
        user__is_active=True,
        organisation__is_active=True,
    ).values_list("organisation_id", "user_id"):
        result.setdefault(county_id, set()).add(user_id)
    return result


def _notify_cases(items: list[tuple[Case, str, dict[str, Any], str]]) -> int:
    """Create notifications for the recruiters of each case (``(case, kind, params, key)``);
    rows whose dedupe key exists already are skipped. Returns how many were created.

    ``params`` (JSON) let each reader see the message in their own language
    (``Notification.text``); ``message`` keeps it in English as the fallback."""
    if not items:
        return 0
    by_county = _recipients_by_county({case.county_id for case, *_rest in items})
    # The case's own recruiter is told too, but like anyone outside the county's recruiters
    # only about data the rule lets them see (credentials.authz.sees_notification).
    others = {
        case.recruiter_id
        for case, *_rest in items
        if case.recruiter_id and case.recruiter_id not in by_county.get(case.county_id, set())
    }
    users = get_user_model().objects.filter(pk__in=others, is_active=True).in_bulk()
    rows = []
    for case, kind, params, key in items:
        message = Notification(kind=kind, params=params).source_text()
        recipients = set(by_county.get(case.county_id, set()))
        recruiter = users.get(case.recruiter_id)
        if (
            recruiter is not None
            and recruiter.pk not in recipients
            and authz.sees_notification(recruiter, kind, case)
        ):
            recipients.add(recruiter.pk)
        for user_id in sorted(recipients):
            rows.append(
                Notification(
                    recipient_id=user_id,
                    case=case,
                    kind=kind,
                    message=message,
                    params=params,
                    dedupe_key=f"{key}:u{user_id}"[:200],
                )
            )
    existing = set(
        Notification.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows]).values_list(
            "dedupe_key", flat=True
        )
    )
    new = [r for r in rows if r.dedupe_key not in existing]
    # ignore_conflicts: two workers running the same task at once still create each only once.
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


def _watched_cases():
    return Case.objects.exclude(state__in=CLOSED_STATES).select_related("county")


@transaction.atomic
def watch_permit_expiry(*, today: dt.date | None = None) -> int:
    """Warn the case's recruiters 90 and 30 days before a residence permit expires, and when
    it has expired. Idempotent: one notification per case, permit end date, kind and user."""
    today = today or timezone.localdate()
    longest = max(PERMIT_WARNING_DAYS)
    items = []
    cases = _watched_cases().filter(
        permit_valid_until__isnull=False,
        permit_valid_until__lte=today + dt.timedelta(days=longest),
    )
    for case in cases:
        days_left = (case.permit_valid_until - today).days
        params = {"case": case.number, "date": case.permit_valid_until.isoformat()}
        if days_left < 0:
            kind = NotificationKind.PERMIT_EXPIRED
        else:
            window = min(d for d in PERMIT_WARNING_DAYS if days_left <= d)
            kind = f"permit_expiring_{window}"
            params["days"] = days_left
        key = f"{kind}:c{case.pk}:{case.permit_valid_until.isoformat()}"
        items.append((case, kind, params, key))
    return _notify_cases(items)


@transaction.atomic
def detect_stalled_cases(*, now: dt.datetime | None = None) -> int:
    """Notify recruiters of cases that stayed in a state longer than its ``StageTimeLimit``.
    Idempotent: one notification per case, stay in the state (its start) and user."""
    now = now or timezone.now()
    items = []
    for limit in StageTimeLimit.objects.all():
        cutoff = now - dt.timedelta(days=limit.max_days)
        for case in _watched_cases().filter(state=limit.state, state_changed_at__lt=cutoff):
            params = {
                "case": case.number,
                "state": case.state,
                "days": (now - case.state_changed_at).days,
                "limit": limit.max_days,
            }
            key = f"stalled:c{case.pk}:{case.state}:{case.state_changed_at.date().isoformat()}"
            items.append((case, NotificationKind.STALLED, params, key))
    return _notify_cases(items)


@transaction.atomic
def notify_due_retention_checks(*, today: dt.date | None = None) -> int:
    """Remind recruiters of 6- and 12-month retention checks that are due (or due within
    ``RETENTION_NOTICE_DAYS``). Idempotent: one notification per check and user."""
    today = today or timezone.localdate()
    checks = RetentionCheck.objects.filter(
        outcome=RetentionCheck.Outcome.PENDING,
        due_on__lte=today + dt.timedelta(days=RETENTION_NOTICE_DAYS),
        placement__case__state=CaseState.PLACED,
    ).select_related("placement__case__county")
    items = []
    for check in checks:
        case = check.placement.case
        params = {"case": case.number, "months": check.months, "date": check.due_on.isoformat()}
        items.append((case, NotificationKind.RETENTION_DUE, params, f"retention:{check.pk}"))
    return _notify_cases(items)


@transaction.atomic
def mark_notification_read(*, notification: Notification, user) -> Notification:
    """A user marks one of their own notifications read."""
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.recipient_id != user.pk:
        raise NotPermitted(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def set_stage_time_limit(*, actor: Actor, state: str, max_days: int) -> StageTimeLimit:
    """Set how long a case may stay in a state before it counts as stalled (platform admins)."""
    if not actor.is_system and not core_authz.is_platform_admin(actor.user):
        raise NotPermitted(_("Only platform admins configure stage time limits."))
    limit = StageTimeLimit.objects.select_for_update().filter(state=state).first()
    limit = limit or StageTimeLimit(state=state)
    limit.max_days = max_days
    limit.full_clean()
    limit.save()
    return limit
