"""Give notifications written before ``params`` existed their parameters, read back from the
deduplication key, the case and the retention check, so that they too are shown in each
reader's language. Rows whose key does not fit keep showing their stored message."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

PERMIT_KINDS = ("permit_expiring_90", "permit_expiring_30", "permit_expired")


def _params(notification, limits, checks):
    parts = notification.dedupe_key.split(":")
    case = notification.case
    if case is None:
        return None
    created_on = timezone.localdate(notification.created_at)
    if notification.kind in PERMIT_KINDS and len(parts) >= 3:
        date = dt.date.fromisoformat(parts[2])
        params = {"case": case.number, "date": date.isoformat()}
        if notification.kind != "permit_expired":
            params["days"] = (date - created_on).days
        return params
    if notification.kind == "stalled" and len(parts) >= 4 and parts[2] in limits:
        since = dt.date.fromisoformat(parts[3])
        return {
            "case": case.number,
            "state": parts[2],
            "days": (created_on - since).days,
            "limit": limits[parts[2]],
        }
    if notification.kind == "retention_due" and len(parts) >= 2 and parts[1].isdigit():
        check = checks.get(int(parts[1]))
        if check is not None:
            return {"case": case.number, "months": check[0], "date": check[1].isoformat()}
    return None


def backfill(apps, schema_editor):
    Notification = apps.get_model("credentials", "Notification")
    StageTimeLimit = apps.get_model("credentials", "StageTimeLimit")
    RetentionCheck = apps.get_model("recruitment", "RetentionCheck")
    limits = dict(StageTimeLimit.objects.values_list("state", "max_days"))
    checks = {
        pk: (months, due_on)
        for pk, months, due_on in RetentionCheck.objects.values_list("pk", "months", "due_on")
    }
    batch = []
    for notification in Notification.objects.filter(params={}).select_related("case").iterator():
        try:
            params = _params(notification, limits, checks)
        except ValueError:
            params = None
        if params:
            notification.params = params
            batch.append(notification)
        if len(batch) >= 500:
            Notification.objects.bulk_update(batch, ["params"])
            batch = []
    if batch:
        Notification.objects.bulk_update(batch, ["params"])


class Migration(migrations.Migration):
    dependencies = [
        ("credentials", "0003_notification_params"),
        ("recruitment", "0003_caseevent_immutable_trigger"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
