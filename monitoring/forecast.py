"""Forecast of placements: a monthly multi-state (Markov) model over the pipeline stages.

Method (docs/forecast.md):
1. Monthly transition hazards per profession from the last 12 months of snapshots:
   ``h(S→T) = transitions S→T in the window / person-months spent in S``, where person-months
   are the stock in S on 12 monthly sample dates. A profession with fewer than
   ``MIN_EXPOSURE`` person-months in a stage uses the national hazards of that stage.
2. Inflow: the mean monthly number of new cases per county and profession in the window,
   added to "sourced" every month.
3. Starting from each county × profession's stock at the data date, the expected case mass is
   moved month by month; mass entering "placed" is the expected placements.

``backtest`` re-runs the method at past origins and compares with what happened.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.db.models import Max, Sum

from recruitment.models import PIPELINE_STATES, CaseState

from .models import FlowSnapshot, SnapshotRun, StockSnapshot, TransitionSnapshot

S = CaseState
WINDOW_MONTHS = 12
MIN_EXPOSURE = 24.0  # person-months in a stage before a profession gets its own hazards
MAX_MONTHLY_EXIT = 0.95


def _dims(queryset, f):
    """The snapshot rows within the filters ``f`` (``selectors.Filters``; None: all)."""
    return queryset if f is None else queryset.filter(f.snapshot_q())


def _sample_dates(as_of: dt.date) -> list[dt.date]:
    return [as_of - relativedelta(months=k) for k in range(WINDOW_MONTHS)]


def estimate_hazards(as_of: dt.date) -> dict:
    """Monthly hazards ``{profession_id or None: {from: {to: h}}}`` (None = national).

    National by design (the filters choose whose cases are projected, not the rates), so one
    estimate per data date and snapshot generation serves every county and table."""
    generation = SnapshotRun.objects.aggregate(at=Max("computed_at"))["at"]
    key = f"monitoring:hazards:{as_of.isoformat()}:{generation.isoformat() if generation else ''}"
    hazards = cache.get(key)
    if hazards is None:
        hazards = _estimate_hazards(as_of)
        cache.set(key, hazards, 60 * 60)
    return hazards


def _estimate_hazards(as_of: dt.date) -> dict:
    window_start = as_of - relativedelta(months=WINDOW_MONTHS)
    dates = _sample_dates(as_of)
    present = SnapshotRun.objects.filter(date__in=dates).count() or 1
    scale = WINDOW_MONTHS / present
    exposure: dict = defaultdict(lambda: defaultdict(float))
    for profession_id, state, n in (
        StockSnapshot.objects.filter(date__in=dates, state__in=PIPELINE_STATES)
        .values_list("profession_id", "state")
        .annotate(n=Sum("cases"))
        .order_by()
    ):
        exposure[profession_id][state] += n * scale
        exposure[None][state] += n * scale
    exits: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for profession_id, from_state, to_state, n in (
        TransitionSnapshot.objects.filter(
            date__gt=window_start, date__lte=as_of, from_state__in=PIPELINE_STATES
        )
        .values_list("profession_id", "from_state", "to_state")
        .annotate(n=Sum("transitions"))
        .order_by()
    ):
        exits[profession_id][from_state][to_state] += n
        exits[None][from_state][to_state] += n

    def hazards_for(key) -> dict:
        result = {}
        for state in PIPELINE_STATES:
            source = key if exposure[key][state] >= MIN_EXPOSURE else None
            months = exposure[source][state]
            if months <= 0:
                result[state] = {}
                continue
            rates = {to: n / months for to, n in exits[source][state].items()}
            total = sum(rates.values())
            if total > MAX_MONTHLY_EXIT:
                rates = {to: r * MAX_MONTHLY_EXIT / total for to, r in rates.items()}
            result[state] = rates
        return result

    hazards = {key: hazards_for(key) for key in list(exposure) if key is not None}
    hazards[None] = hazards_for(None)
    return hazards


def project(start: dict[str, float], hazards: dict, inflow: float, months: int) -> list[float]:
    """Expected placements in each of the next ``months`` months."""
    mass = defaultdict(float, start)
    placements = []
    for _month in range(months):
        mass[S.SOURCED] += inflow
        moved = defaultdict(float)
        placed = 0.0
        for state, amount in mass.items():
            if amount <= 0:
                continue
            stay = amount
            for to_state, rate in hazards.get(state, {}).items():
                flow = amount * rate
                stay -= flow
                if to_state == S.PLACED:
                    placed += flow
                elif to_state in PIPELINE_STATES:
                    moved[to_state] += flow
            moved[state] += stay
        mass = moved
        placements.append(placed)
    return placements


def _inflow(as_of: dt.date, f) -> dict[tuple[int, int], float]:
    window_start = as_of - relativedelta(months=WINDOW_MONTHS)
    return {
        (c, p): n / WINDOW_MONTHS
        for c, p, n in _dims(FlowSnapshot.objects.filter(date__gt=window_start, date__lte=as_of), f)
        .values_list("county_id", "profession_id")
        .annotate(n=Sum("entered"))
        .order_by()
    }


def forecast_rows(f, as_of: dt.date, months: int = 12) -> list[dict]:
    """Per county × profession: cases in the pipeline and expected placements (6, 12 months)."""
    hazards = estimate_hazards(as_of)
    stock: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for c, p, state, n in (
        _dims(StockSnapshot.objects.filter(date=as_of, state__in=PIPELINE_STATES), f)
        .values_list("county_id", "profession_id", "state")
        .annotate(n=Sum("cases"))
        .order_by()
    ):
        stock[(c, p)][state] = float(n)
    inflow = _inflow(as_of, f)
    rows = []
    for key in sorted(set(stock) | set(inflow)):
        county_id, profession_id = key
        path = project(
            stock.get(key, {}),
            hazards.get(profession_id, hazards[None]),
            inflow.get(key, 0.0),
            months,
        )
        rows.append(
            {
                "county_id": county_id,
                "profession_id": profession_id,
                "open_cases": int(sum(stock.get(key, {}).values())),
                "next_6_months": sum(path[:6]),
                "next_12_months": sum(path[:12]),
            }
        )
    return rows


def _actual_placements(origin: dt.date, horizon: int) -> dict[int, int]:
    return dict(
        FlowSnapshot.objects.filter(
            date__gt=origin, date__lte=origin + relativedelta(months=horizon)
        )
        .values_list("county_id")
        .annotate(n=Sum("placed"))
        .order_by()
    )


def backtest(as_of: dt.date) -> list[dict]:
    """Forecast from past origins (``as_of`` − 6 and − 12 months) and compare with the actual
    placements per county, beside a naive baseline (the same number as in the previous
    ``horizon`` months)."""
    results = []
    for horizon in (6, 12):
        origin = as_of - relativedelta(months=horizon)
        if not StockSnapshot.objects.filter(date=origin).exists():
            continue
        predicted: dict[int, float] = defaultdict(float)
        key = "next_6_months" if horizon == 6 else "next_12_months"
        for row in forecast_rows(None, origin, months=horizon):
            predicted[row["county_id"]] += row[key]
        actual = _actual_placements(origin, horizon)
        naive = _actual_placements(origin - relativedelta(months=horizon), horizon)
        counties = sorted(set(predicted) | set(actual) | set(naive))
        total_actual = sum(actual.values())
        model_abs = sum(abs(predicted.get(c, 0.0) - actual.get(c, 0)) for c in counties)
        naive_abs = sum(abs(naive.get(c, 0) - actual.get(c, 0)) for c in counties)
        results.append(
            {
                "origin": origin.isoformat(),
                "horizon_months": horizon,
                "counties": len(counties),
                "actual_placements": total_actual,
                "forecast_placements": round(sum(predicted.values()), 1),
                "naive_placements": sum(naive.values()),
                "national_error_pct": round(
                    100.0 * (sum(predicted.values()) - total_actual) / total_actual, 1
                )
                if total_actual
                else None,
                "county_mae": round(model_abs / len(counties), 2) if counties else None,
                "county_wape_pct": round(100.0 * model_abs / total_actual, 1)
                if total_actual
                else None,
                "naive_county_mae": round(naive_abs / len(counties), 2) if counties else None,
                "naive_county_wape_pct": round(100.0 * naive_abs / total_actual, 1)
                if total_actual
                else None,
            }
        )
    return results
