"""Computing daily snapshots from the audit trail (reads only; ``services`` writes them).

Stock at the end of a date is derived from state events alone: every ``opened`` event puts a
case into ``sourced`` and every ``transition`` event moves it from ``from_state`` to
``to_state``. So ``stock(state, D) = events into state up to D − transitions out of it up to
D``, one GROUP BY, and then a forward sweep over the events of the dates being computed.
Dates are local dates (Europe/Helsinki).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max
from django.utils import timezone

from recruitment.models import Case, CaseEvent, CaseState

DROPPED_OUT_STATES = (CaseState.WITHDRAWN, CaseState.REJECTED, CaseState.LEFT_EARLY)
STATE_EVENT_KINDS = (CaseEvent.Kind.OPENED, CaseEvent.Kind.TRANSITION)
_DIMS = (
    "case__county_id",
    "case__profession_id",
    "case__candidate__nationality_id",
    "case__recruitment_basis",
)
_CHUNK = 900  # below SQLite's bound-parameter limit


def local_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class DaySnapshot:
    date: dt.date
    stock: dict[tuple, int] = field(default_factory=dict)  # (county, prof, country, basis, state)
    flow: dict[tuple, list[int]] = field(default_factory=dict)  # (c, p, ctry, basis) → [e, p, d]
    transitions: dict[tuple, int] = field(default_factory=dict)  # (c, p, ctry, from, to, days)
    permits: dict[tuple, list[int]] = field(default_factory=dict)  # (c, p, ctry) → [30, 90]


def _state_events():
    return CaseEvent.objects.filter(kind__in=STATE_EVENT_KINDS).exclude(to_state="")


def _stock_before(start: dt.datetime) -> Counter:
    stock: Counter = Counter()
    events = _state_events().filter(occurred_at__lt=start)
    for *dims, state, n in (
        events.values_list(*_DIMS, "to_state").annotate(n=Count("id")).order_by()
    ):
        stock[(*dims, state)] += n
    for *dims, state, n in (
        events.filter(kind=CaseEvent.Kind.TRANSITION)
        .values_list(*_DIMS, "from_state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        stock[(*dims, state)] -= n
    return stock


def _last_state_event_before(case_ids: set[int], start: dt.datetime) -> dict[int, dt.datetime]:
    found: dict[int, dt.datetime] = {}
    ids = sorted(case_ids)
    for i in range(0, len(ids), _CHUNK):
        found.update(
            _state_events()
            .filter(case_id__in=ids[i : i + _CHUNK], occurred_at__lt=start)
            .values("case_id")
            .annotate(last=Max("occurred_at"))
            .values_list("case_id", "last")
            .order_by()
        )
    return found


def _permit_counts(since: dt.date, until: dt.date) -> dict[dt.date, dict[tuple, list[int]]]:
    """Cases not closed at the end of each date whose permit ends within 30 / 90 days.

    Uses each case's current ``permit_valid_until`` (a renewed permit replaces the old date).
    """
    per_day: dict[dt.date, dict[tuple, list[int]]] = defaultdict(dict)
    cases = Case.objects.filter(
        permit_valid_until__gt=since,
        permit_valid_until__lte=until + dt.timedelta(days=90),
        opened_on__lte=until,
    ).values_list(
        "county_id",
        "profession_id",
        "candidate__nationality_id",
        "opened_on",
        "closed_at",
        "permit_valid_until",
    )
    for county, profession, country, opened_on, closed_at, valid_until in cases:
        last_open_day = (
            timezone.localtime(closed_at).date() - dt.timedelta(days=1) if closed_at else until
        )
        for slot, window in ((0, 30), (1, 90)):
            first = max(valid_until - dt.timedelta(days=window), opened_on, since)
            last = min(valid_until - dt.timedelta(days=1), last_open_day, until)
            day = first
            while day <= last:
                counts = per_day[day].setdefault((county, profession, country), [0, 0])
                counts[slot] += 1
                day += dt.timedelta(days=1)
    return per_day


def compute_snapshots(since: dt.date, until: dt.date):
    """Yield a ``DaySnapshot`` for every date from ``since`` to ``until`` (inclusive)."""
    start = local_start(since)
    end = local_start(until + dt.timedelta(days=1))
    stock = _stock_before(start)
    events = list(
        _state_events()
        .filter(occurred_at__gte=start, occurred_at__lt=end)
        .order_by("occurred_at", "id")
        .values_list("case_id", "occurred_at", "kind", "from_state", "to_state", *_DIMS)
    )
    last_seen = _last_state_event_before({e[0] for e in events}, start)
    by_day: dict[dt.date, list] = defaultdict(list)
    for event in events:
        by_day[timezone.localtime(event[1]).date()].append(event)
    permits = _permit_counts(since, until)

    day = since
    while day <= until:
        flow: dict[tuple, list[int]] = {}
        transitions: Counter = Counter()
        for case_id, at, kind, from_state, to_state, *dims in by_day.get(day, ()):
            dims = tuple(dims)
            cell = flow.setdefault(dims, [0, 0, 0])
            if kind == CaseEvent.Kind.OPENED:
                cell[0] += 1
            else:
                stock[(*dims, from_state)] -= 1
                previous = last_seen.get(case_id)
                days = (
                    (day - timezone.localtime(previous).date()).days if previous is not None else 0
                )
                transitions[(*dims[:3], from_state, to_state, max(days, 0))] += 1
                if to_state == CaseState.PLACED:
                    cell[1] += 1
                elif to_state in DROPPED_OUT_STATES:
                    cell[2] += 1
            stock[(*dims, to_state)] += 1
            last_seen[case_id] = at
        yield DaySnapshot(
            date=day,
            stock={key: n for key, n in stock.items() if n > 0},
            flow={key: v for key, v in flow.items() if any(v)},
            transitions=dict(transitions),
            permits=permits.get(day, {}),
        )
        day += dt.timedelta(days=1)
