"""Daily snapshots: correct, idempotent and back-fillable."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from monitoring import services
from monitoring.models import (
    FlowSnapshot,
    PermitExpirySnapshot,
    SnapshotRun,
    StockSnapshot,
    TransitionSnapshot,
)
from recruitment.models import Case

pytestmark = pytest.mark.django_db


def _rows(model, *fields):
    return sorted(model.objects.values_list(*fields))


STOCK = ("date", "county_id", "profession_id", "country_id", "recruitment_basis", "state", "cases")
FLOW = ("date", "county_id", "entered", "placed", "dropped_out")
TRANS = ("date", "county_id", "from_state", "to_state", "days_in_state", "transitions")


def test_stock_and_flow_match_the_cases(scenario, lone_case):
    today, day = scenario["today"], scenario["day"]
    services.take_snapshots(since=scenario["d0"] - dt.timedelta(days=1))
    now = dict(
        StockSnapshot.objects.filter(date=today).values_list("state").annotate(n=Sum("cases"))
    )
    assert now == dict(Case.objects.values_list("state").annotate(n=Count("id")))
    on_day_15 = dict(
        StockSnapshot.objects.filter(date=day(15), county__code="pirkanmaa")
        .values_list("state")
        .annotate(n=Sum("cases"))
    )
    assert on_day_15 == {"screening": 10}
    flow = {
        d: (e, p, o)
        for d, e, p, o in FlowSnapshot.objects.values_list("date").annotate(
            e=Sum("entered"), p=Sum("placed"), o=Sum("dropped_out")
        )
    }
    assert flow[day(0)] == (10, 0, 0)
    assert flow[day(20)] == (0, 0, 5)
    assert flow[day(90)] == (0, 5, 0)
    assert (
        TransitionSnapshot.objects.get(
            date=day(20), from_state="screening", to_state="withdrawn"
        ).transitions
        == 5
    )
    assert TransitionSnapshot.objects.get(date=day(20)).days_in_state == 10
    # Nothing before the first case, one run per date.
    assert not StockSnapshot.objects.filter(date__lt=day(0)).exists()
    assert SnapshotRun.objects.count() == (today - scenario["d0"]).days + 2


def test_rerun_replaces_rows_and_backfill_gives_the_same_rows(scenario):
    since = scenario["d0"] - dt.timedelta(days=1)
    services.take_snapshots(since=since)
    first = (
        _rows(StockSnapshot, *STOCK),
        _rows(FlowSnapshot, *FLOW),
        _rows(TransitionSnapshot, *TRANS),
    )
    services.take_snapshots(since=since)  # the same dates again: replaced, not duplicated
    assert (
        _rows(StockSnapshot, *STOCK),
        _rows(FlowSnapshot, *FLOW),
        _rows(TransitionSnapshot, *TRANS),
    ) == first
    # Back-filling only a middle stretch (stock carried in from the events before it).
    middle = scenario["day"](15)
    StockSnapshot.objects.filter(date__gte=middle).delete()
    TransitionSnapshot.objects.filter(date__gte=middle).delete()
    FlowSnapshot.objects.filter(date__gte=middle).delete()
    call_command("backfill_snapshots", "--since", middle.isoformat())
    assert (
        _rows(StockSnapshot, *STOCK),
        _rows(FlowSnapshot, *FLOW),
        _rows(TransitionSnapshot, *TRANS),
    ) == first


def test_daily_task_takes_yesterday_and_today(scenario):
    services.take_daily_snapshots()
    today = scenario["today"]
    assert set(SnapshotRun.objects.values_list("date", flat=True)) == {
        today - dt.timedelta(days=1),
        today,
    }
    assert StockSnapshot.objects.filter(date=today).aggregate(n=Sum("cases"))["n"] == 20


def test_permits_expiring(scenario, lone_case):
    today = scenario["today"]
    services.take_snapshots(since=today - dt.timedelta(days=80))
    now = PermitExpirySnapshot.objects.get(date=today)
    assert (now.within_30_days, now.within_90_days) == (1, 1)
    # 80 days ago the permit had 100 days left: in neither window; 60 days ago, 80 left.
    assert not PermitExpirySnapshot.objects.filter(date=today - dt.timedelta(days=80)).exists()
    sixty = PermitExpirySnapshot.objects.get(date=today - dt.timedelta(days=60))
    assert (sixty.within_30_days, sixty.within_90_days) == (0, 1)


def test_bad_ranges_are_refused(scenario):
    today = scenario["today"]
    with pytest.raises(ValidationError, match="future"):
        services.take_snapshots(since=today, until=today + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="after the last date"):
        services.take_snapshots(since=today, until=today - dt.timedelta(days=3))
    with pytest.raises(CommandError):
        call_command("backfill_snapshots", "--since", (today + dt.timedelta(days=2)).isoformat())
    assert not SnapshotRun.objects.exists()
