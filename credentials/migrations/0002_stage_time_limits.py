"""Default per-stage time limits for stalled-case detection (editable in the admin).

Durations follow DOMAIN.md's timelines (verify): recognition decisions take months,
supplementary studies 6-18 months, language training 6-12 months, permits 1-4 months.
"""

from django.db import migrations

DEFAULT_LIMITS = {
    "sourced": 30,
    "screening": 60,
    "offer_accepted": 45,
    "in_recognition": 240,
    "in_training": 540,
    "ready_for_placement": 90,
    "on_hold": 120,
}


def seed(apps, schema_editor):
    StageTimeLimit = apps.get_model("credentials", "StageTimeLimit")
    for state, days in DEFAULT_LIMITS.items():
        StageTimeLimit.objects.get_or_create(state=state, defaults={"max_days": days})


def unseed(apps, schema_editor):
    StageTimeLimit = apps.get_model("credentials", "StageTimeLimit")
    StageTimeLimit.objects.filter(state__in=DEFAULT_LIMITS).delete()


class Migration(migrations.Migration):
    dependencies = [("credentials", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
