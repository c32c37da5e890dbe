"""Reads for the ministry: aggregate tables over the daily snapshots, already suppressed.

Every public selector takes ``Filters`` (period, county, profession, sector, source country)
and returns a ``tables.Table`` that went through ``tables.suppress``; the dashboard, CSV, JSON
and PDF all render these same objects, so suppression is applied identically everywhere.
Results are cached per snapshot generation (they change only when snapshots are retaken).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import hashlib
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from recruitment.models import (
    CaseEvent,
    CaseState,
    Country,
    Organisation,
    OrganisationKind,
    Profession,
    RecruitmentBasis,
)

from . import tables as t
from .forecast import PIPELINE, forecast_rows
from .models import (
    CountyTarget,
    FlowSnapshot,
    PermitExpirySnapshot,
    SnapshotRun,
    StockSnapshot,
    TransitionSnapshot,
    half_year_bounds,
)
from .snapshots import DROPPED_OUT_STATES, local_start

S = CaseState
PIPELINE_STATES = PIPELINE  # open states, on hold included
STATE_ORDER = [*PIPELINE_STATES, S.PLACED, S.COMPLETED, S.WITHDRAWN, S.REJECTED, S.LEFT_EARLY]
STAGES = [*PIPELINE_STATES, S.PLACED]  # states a case can leave (durations, conversion)
CACHE_SECONDS = 60 * 60


# --- Filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    county_id: int | None = None
    profession_id: int | None = None
    sector: str | None = None
    country_id: int | None = None

    def cache_key(self) -> str:
        return hashlib.sha1(repr(sorted(asdict(self).items())).encode()).hexdigest()[:16]  # noqa: S324

    def with_county(self, county_id: int | None) -> Filters:
        return Filters(**{**asdict(self), "county_id": county_id})


def default_filters(today: dt.date | None = None) -> Filters:
    today = today or timezone.localdate()
    return Filters(start=(today - relativedelta(months=11)).replace(day=1), end=today)


def half_year_filters(year: int, half: int) -> Filters:
    start, end = half_year_bounds(year, half)
    return Filters(start=start, end=end)


def _cells(queryset, f: Filters):
    """Apply the dimension filters to a snapshot queryset."""
    if f.county_id:
        queryset = queryset.filter(county_id=f.county_id)
    if f.profession_id:
        queryset = queryset.filter(profession_id=f.profession_id)
    if f.sector:
        queryset = queryset.filter(profession__sector=f.sector)
    if f.country_id:
        queryset = queryset.filter(country_id=f.country_id)
    return queryset


# --- Generation, data date and caching -----------------------------------------------------


_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("monitoring_memo", default=None)


@contextlib.contextmanager
def _one_output():
    """While one output (a dashboard, a report) is built, small lookups that every table
    repeats (data date, generation, counties, the period's transition counts) run once."""
    token = _memo.set({}) if _memo.get() is None else None
    try:
        yield
    finally:
        if token is not None:
            _memo.reset(token)


def _remember(key, compute):
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def generation() -> str:
    def compute():
        latest = SnapshotRun.objects.aggregate(at=Max("computed_at"))["at"]
        return latest.isoformat() if latest else "none"

    return _remember("generation", compute)


def warm_dashboard_cache() -> None:
    """Compute the default dashboard (last 12 months, no filters) in every language, so that
    the page analysts open first reads a ready result after each snapshot run. Cache keys
    carry the snapshot generation: older results are simply never read again."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            dashboard_tables(default_filters())


def data_date(end: dt.date) -> dt.date | None:
    """The latest snapshot date within the period's end: the figures' "data date"."""
    return _remember(
        ("data_date", end),
        lambda: SnapshotRun.objects.filter(date__lte=end).aggregate(d=Max("date"))["d"],
    )


def _flow_end(f: Filters) -> dt.date | None:
    latest = data_date(f.end)
    return min(f.end, latest) if latest else None


# --- Names (localised) -----------------------------------------------------------------------


def _lang() -> str:
    return (translation.get_language() or "fi")[:2]


def organisation_name(org: Organisation) -> str:
    lang = _lang()
    return (org.name_sv if lang == "sv" else org.name_en if lang == "en" else org.name) or org.name


def profession_name(profession: Profession) -> str:
    return getattr(profession, f"name_{_lang()}", "") or profession.name_en


def country_name(country: Country) -> str:
    return getattr(country, f"name_{_lang()}", "") or country.name_en


def counties() -> list[Organisation]:
    return _remember(
        "counties",
        lambda: list(Organisation.objects.filter(kind=OrganisationKind.COUNTY).order_by("name")),
    )


def state_label(state: str) -> str:
    return str(CaseState(state).label)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# --- Shared reads: one query per output for the stock and one for the flow ------------------


def _stock_cells(f: Filters) -> list[tuple[int, str, int]]:
    """(county, state, cases) at the data date; read by both stock tables."""

    def compute():
        day = data_date(f.end)
        if not day:
            return []
        return list(
            _cells(StockSnapshot.objects.filter(date=day), f)
            .values_list("county_id", "state")
            .annotate(n=Sum("cases"))
            .order_by()
        )

    return _remember(("stock", f), compute)


def _flow_cells(f: Filters) -> list[tuple[dt.date, int, int, str, int, int, int]]:
    """(month, county, country, basis, entered, placed, dropped out) within the period, up to
    the data date; read by the flow, target, ethics and country tables."""

    def compute():
        end = _flow_end(f)
        if not end or f.start > end:
            return []
        return [
            (month.date() if isinstance(month, dt.datetime) else month, *rest)
            for month, *rest in _cells(
                FlowSnapshot.objects.filter(date__gte=f.start, date__lte=end), f
            )
            .annotate(month=TruncMonth("date"))
            .values_list("month", "county_id", "country_id", "recruitment_basis")
            .annotate(e=Sum("entered"), p=Sum("placed"), d=Sum("dropped_out"))
            .order_by()
        ]

    return _remember(("flow", f), compute)


def _who_listed() -> set[int]:
    return _remember(
        "who_listed",
        lambda: set(Country.objects.filter(who_safeguards_list=True).values_list("pk", flat=True)),
    )


# --- Stock -----------------------------------------------------------------------------------


def _raw_stock_by_stage(f: Filters) -> t.Table:
    counts = defaultdict(int)
    for _county_id, state, n in _stock_cells(f):
        counts[state] += n
    rows = [{"stage": state_label(s), "cases": counts[s]} for s in STATE_ORDER]
    rows.append({"stage": str(_("Total")), "cases": sum(counts.values())})
    return t.Table(
        key="stock_by_stage",
        title=_("Cases by stage"),
        description=_("Cases in each stage at the end of the data date."),
        columns=[t.Column("stage", _("Stage"), t.LABEL), t.Column("cases", _("Cases"))],
        rows=rows,
        total_row=True,
        chart={"type": "bar", "label": "stage", "series": ["cases"]},
    )


STOCK_GROUPS = [
    ("in_pipeline", _("In the pipeline"), PIPELINE_STATES),
    ("placed", _("Placed"), [S.PLACED]),
    ("completed", _("Completed"), [S.COMPLETED]),
    ("dropped_out", _("Dropped out"), list(DROPPED_OUT_STATES)),
]


def _raw_stock_by_county(f: Filters) -> t.Table:
    group_of = {s: key for key, _label, states in STOCK_GROUPS for s in states}
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for county_id, state, n in _stock_cells(f):
        counts[county_id][group_of[state]] += n
    parts = tuple(key for key, _label, _states in STOCK_GROUPS)
    rows = []
    for county in counties():
        if f.county_id and county.pk != f.county_id:
            continue
        row = {"county": organisation_name(county)}
        row.update({key: counts[county.pk][key] for key in parts})
        row["total"] = sum(row[k] for k in parts)
        rows.append(row)
    total = {"county": str(_("Total"))}
    total.update({key: sum(r[key] for r in rows) for key in (*parts, "total")})
    rows.append(total)
    return t.Table(
        key="stock_by_county",
        title=_("Cases by county"),
        description=_("Cases by county and stage group at the end of the data date."),
        columns=[
            t.Column("county", _("County"), t.LABEL),
            *[t.Column(key, label) for key, label, _states in STOCK_GROUPS],
            t.Column("total", _("Total")),
        ],
        rows=rows,
        total_row=True,
        row_total=("total", parts),
        chart={"type": "hbar", "label": "county", "series": ["in_pipeline", "placed"]},
    )


# --- Flow ------------------------------------------------------------------------------------


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month += relativedelta(months=1)
    return months


def _raw_monthly_flow(f: Filters) -> t.Table:
    end = _flow_end(f)
    per_month: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for month, _county, _country, _basis, e, p, d in _flow_cells(f):
        cell = per_month[month.strftime("%Y-%m")]
        cell[0] += e
        cell[1] += p
        cell[2] += d
    rows = []
    for month in _months(f.start, min(f.end, end or f.end)):
        e, p, d = per_month[month.strftime("%Y-%m")]
        rows.append({"month": month.strftime("%Y-%m"), "entered": e, "placed": p, "dropped_out": d})
    rows.append(
        {
            "month": str(_("Total")),
            **{k: sum(r[k] for r in rows) for k in ("entered", "placed", "dropped_out")},
        }
    )
    return t.Table(
        key="monthly_flow",
        title=_("Monthly flow"),
        description=_(
            "Cases opened, placed and dropped out (withdrawn, rejected or left early) per month."
        ),
        columns=[
            t.Column("month", _("Month"), t.LABEL),
            t.Column("entered", _("Entered")),
            t.Column("placed", _("Placed")),
            t.Column("dropped_out", _("Dropped out")),
        ],
        rows=rows,
        total_row=True,
        chart={
            "type": "line",
            "label": "month",
            "series": ["entered", "placed", "dropped_out"],
        },
    )


def _half_years(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    periods = []
    year, half = start.year, 1 if start.month <= 6 else 2
    while half_year_bounds(year, half)[0] <= end:
        periods.append((year, half))
        year, half = (year, 2) if half == 1 else (year + 1, 1)
    return periods


def _raw_placements_vs_target(f: Filters) -> t.Table:
    """Placements per county and half-year (within the period) against the county's target.

    With several half-years, each gets a subtotal row, so that every sum a reader could form
    is a declared line of the table (and protected by the suppression)."""
    latest = data_date(f.end)
    periods = _half_years(f.start, f.end)
    targets = {
        (x.county_id, x.year, x.half): x.target_placements
        for x in CountyTarget.objects.filter(
            year__gte=periods[0][0] if periods else 0, year__lte=f.end.year
        )
    }
    rows: list[dict] = []
    lines: list = []
    subtotal_rows: list[int] = []
    for year, half in periods:
        first, last = half_year_bounds(year, half)
        first, last = max(first, f.start), min(last, f.end, latest or last)
        placed: dict[int, int] = defaultdict(int)
        if latest and first <= last:
            # Half-years begin and end with months; the period's own bounds are applied in
            # the shared flow query.
            for month, county_id, _country, _basis, _e, p, _d in _flow_cells(f):
                if first.replace(day=1) <= month <= last:
                    placed[county_id] += p
        block = []
        for county in counties():
            if f.county_id and county.pk != f.county_id:
                continue
            target = targets.get((county.pk, year, half))
            block.append(len(rows))
            rows.append(
                {
                    "period": f"H{half} {year}",
                    "county": organisation_name(county),
                    "placements": placed[county.pk],
                    "target": target,
                }
            )
        if len(periods) > 1:
            lines.append(([(i, "placements") for i in block], (len(rows), "placements")))
            subtotal_rows.append(len(rows))
            rows.append(
                {
                    "period": f"H{half} {year}",
                    "county": str(_("All counties")),
                    "placements": sum(rows[i]["placements"] for i in block),
                    "target": sum(rows[i]["target"] or 0 for i in block),
                }
            )
        else:
            subtotal_rows = block
    lines.append(([(i, "placements") for i in subtotal_rows], (len(rows), "placements")))
    rows.append(
        {
            "period": str(_("Total")),
            "county": "",
            "placements": sum(rows[i]["placements"] for i in subtotal_rows),
            "target": sum(rows[i]["target"] or 0 for i in subtotal_rows),
        }
    )
    for row in rows:
        row["share_of_target"] = _pct(row["placements"], row["target"]) if row["target"] else None
    return t.Table(
        key="placements_vs_target",
        title=_("Placements against county targets"),
        description=_(
            "Placements in each half-year (within the chosen period) against the target the "
            "county set for that half-year."
        ),
        columns=[
            t.Column("period", _("Half-year"), t.LABEL),
            t.Column("county", _("County"), t.LABEL),
            t.Column("placements", _("Placements")),
            t.Column("target", _("Target"), t.NUMBER),
            t.Column(
                "share_of_target", _("Share of target"), t.VALUE, base=("placements",), unit="%"
            ),
        ],
        rows=rows,
        total_row=True,
        lines=lines,
        chart={"type": "hbar", "label": "county", "series": ["placements", "target"]},
    )


# --- Durations and conversion ---------------------------------------------------------------


def weighted_percentile(pairs: list[tuple[int, int]], p: float) -> float | None:
    """Percentile with linear interpolation (as ``statistics.quantiles(method='inclusive')``
    and PostgreSQL's ``percentile_cont``) over (value, count) pairs."""
    pairs = sorted((v, n) for v, n in pairs if n > 0)
    total = sum(n for _v, n in pairs)
    if not total:
        return None
    position = (total - 1) * p
    lower, upper = math.floor(position), math.ceil(position)

    def value_at(index: int) -> int:
        seen = 0
        for value, n in pairs:
            seen += n
            if index < seen:
                return value
        return pairs[-1][0]

    low, high = value_at(lower), value_at(upper)
    return round(low + (high - low) * (position - lower), 1)


def _transitions(f: Filters) -> list[tuple[str, str, int, int]]:
    """(from state, to state, days in state, transitions) in the period: one query shared by
    the durations and the conversion tables."""

    def compute():
        end = _flow_end(f)
        if not end or f.start > end:
            return []
        return list(
            _cells(TransitionSnapshot.objects.filter(date__gte=f.start, date__lte=end), f)
            .values_list("from_state", "to_state", "days_in_state")
            .annotate(n=Sum("transitions"))
            .order_by()
        )

    return _remember(("transitions", f), compute)


def _raw_stage_durations(f: Filters) -> t.Table:
    by_stage: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for state, _to_state, days, n in _transitions(f):
        by_stage[state].append((days, n))
    rows = []
    for state in STAGES:
        pairs = by_stage.get(state, [])
        rows.append(
            {
                "stage": state_label(state),
                "exits": sum(n for _d, n in pairs),
                "median_days": weighted_percentile(pairs, 0.5),
                "p90_days": weighted_percentile(pairs, 0.9),
            }
        )
    return t.Table(
        key="stage_durations",
        title=_("Time spent in each stage"),
        description=_(
            "Days from entering a stage to leaving it, for cases that left the stage in the "
            "period (from the transition events)."
        ),
        columns=[
            t.Column("stage", _("Stage"), t.LABEL),
            t.Column("exits", _("Cases leaving the stage")),
            t.Column("median_days", _("Median (days)"), t.VALUE, base=("exits",)),
            t.Column("p90_days", _("90th percentile (days)"), t.VALUE, base=("exits",)),
        ],
        rows=rows,
        chart={"type": "hbar", "label": "stage", "series": ["median_days", "p90_days"]},
    )


CONVERSION_PARTS = ("progressed", "on_hold", "withdrawn", "rejected", "left_early")


def _raw_conversion_by_stage(f: Filters) -> t.Table:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for from_state, to_state, _days, n in _transitions(f):
        if to_state in (S.WITHDRAWN, S.REJECTED, S.LEFT_EARLY, S.ON_HOLD):
            counts[from_state][to_state] += n
        else:
            counts[from_state]["progressed"] += n
    rows = []
    for state in STAGES:
        row = {"stage": state_label(state)}
        row.update({k: counts[state][k] for k in CONVERSION_PARTS})
        row["exits"] = sum(row[k] for k in CONVERSION_PARTS)
        rows.append(row)
    total = {"stage": str(_("Total"))}
    total.update({k: sum(r[k] for r in rows) for k in (*CONVERSION_PARTS, "exits")})
    rows.append(total)
    for row in rows:
        dropped = sum(
            row[k] for k in ("withdrawn", "rejected", "left_early") if isinstance(row[k], int)
        )
        row["conversion"] = _pct(row["progressed"], row["progressed"] + dropped)
        row["dropout_rate"] = _pct(dropped, row["exits"])
    return t.Table(
        key="conversion_by_stage",
        title=_("Conversion and drop-out by stage"),
        description=_(
            "Where cases went when they left each stage in the period. Conversion = moved "
            "on / (moved on + dropped out); returning from hold counts as moving on."
        ),
        columns=[
            t.Column("stage", _("Stage"), t.LABEL),
            t.Column("progressed", _("Moved on")),
            t.Column("on_hold", _("Put on hold")),
            t.Column("withdrawn", _("Withdrawn")),
            t.Column("rejected", _("Rejected")),
            t.Column("left_early", _("Left early")),
            t.Column("exits", _("Total")),
            t.Column(
                "conversion",
                _("Conversion"),
                t.VALUE,
                base=("progressed", "withdrawn", "rejected", "left_early"),
                unit="%",
            ),
            t.Column(
                "dropout_rate",
                _("Drop-out rate"),
                t.VALUE,
                base=("exits", "withdrawn", "rejected", "left_early"),
                unit="%",
            ),
        ],
        rows=rows,
        total_row=True,
        row_total=("exits", CONVERSION_PARTS),
        chart={"type": "hbar", "label": "stage", "series": ["conversion"]},
    )


def _raw_dropout_reasons(f: Filters) -> t.Table:
    """Drop-outs by stage, outcome and reason. A reason text written for fewer than 5 cases is
    folded into "Other reasons" so that no free text about a small group is shown."""

    end = _flow_end(f)
    grouped: dict[tuple[str, str, str], int] = defaultdict(int)
    if end and f.start <= end:
        events = CaseEvent.objects.filter(
            kind=CaseEvent.Kind.TRANSITION,
            to_state__in=DROPPED_OUT_STATES,
            occurred_at__gte=local_start(f.start),
            occurred_at__lt=local_start(end + dt.timedelta(days=1)),
        )
        if f.county_id:
            events = events.filter(case__county_id=f.county_id)
        if f.profession_id:
            events = events.filter(case__profession_id=f.profession_id)
        if f.sector:
            events = events.filter(case__profession__sector=f.sector)
        if f.country_id:
            events = events.filter(case__candidate__nationality_id=f.country_id)
        raw = (
            events.values_list("from_state", "to_state", "reason")
            .annotate(n=Count("id"))
            .order_by()
        )
        other = str(_("Other reasons"))
        for from_state, to_state, reason, n in raw:
            text = " ".join((reason or "").split())[:200]
            if n < t.THRESHOLD or not text:
                text = other
            grouped[(from_state, to_state, text)] += n
    order = {s: i for i, s in enumerate(STATE_ORDER)}
    rows = [
        {
            "stage": state_label(fs),
            "outcome": state_label(ts),
            "reason": reason,
            "cases": n,
        }
        for (fs, ts, reason), n in sorted(
            grouped.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]], -kv[1])
        )
    ]
    rows.append(
        {"stage": str(_("Total")), "outcome": "", "reason": "", "cases": sum(grouped.values())}
    )
    return t.Table(
        key="dropout_reasons",
        title=_("Drop-outs by stage and reason"),
        description=_("Reasons recorded when cases were withdrawn, rejected or left early."),
        columns=[
            t.Column("stage", _("Stage left"), t.LABEL),
            t.Column("outcome", _("Outcome"), t.LABEL),
            t.Column("reason", _("Reason"), t.LABEL),
            t.Column("cases", _("Cases")),
        ],
        rows=rows,
        total_row=True,
    )


# --- Permits and ethics ---------------------------------------------------------------------


def _raw_permits_expiring(f: Filters) -> t.Table:
    day = data_date(f.end)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    if day:
        qs = _cells(PermitExpirySnapshot.objects.filter(date=day), f)
        for county_id, w30, w90 in (
            qs.values_list("county_id")
            .annotate(w30=Sum("within_30_days"), w90=Sum("within_90_days"))
            .order_by()
        ):
            counts[county_id] = [w30, w90]
    rows = []
    for county in counties():
        if f.county_id and county.pk != f.county_id:
            continue
        w30, w90 = counts[county.pk]
        rows.append({"county": organisation_name(county), "within_30": w30, "within_90": w90})
    rows.append(
        {
            "county": str(_("Total")),
            "within_30": sum(r["within_30"] for r in rows),
            "within_90": sum(r["within_90"] for r in rows),
        }
    )
    return t.Table(
        key="permits_expiring",
        title=_("Residence permits expiring"),
        description=_(
            "Open and placed cases whose residence permit ends within 30 or 90 days of the "
            "data date (the 90-day figure includes the 30-day one)."
        ),
        columns=[
            t.Column("county", _("County"), t.LABEL),
            t.Column("within_30", _("Within 30 days")),
            t.Column("within_90", _("Within 90 days")),
        ],
        rows=rows,
        total_row=True,
    )


def _raw_ethics_basis(f: Filters) -> t.Table:
    """Cases opened in the period by recruitment basis, from WHO safeguards-list countries or
    not (WHO Global Code of Practice: no active recruitment from listed countries)."""

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    listed = _who_listed()
    for _month, _county, country_id, basis, e, _p, _d in _flow_cells(f):
        counts[basis][0 if country_id in listed else 1] += e
    rows = []
    for basis in RecruitmentBasis:
        listed, other = counts[basis.value]
        rows.append(
            {
                "basis": str(basis.label),
                "who_listed": listed,
                "other": other,
                "total": listed + other,
            }
        )
    rows.append(
        {
            "basis": str(_("Total")),
            **{k: sum(r[k] for r in rows) for k in ("who_listed", "other", "total")},
        }
    )
    for row in rows:
        row["who_share"] = (
            _pct(row["who_listed"], row["total"]) if isinstance(row["who_listed"], int) else None
        )
    return t.Table(
        key="ethics_basis",
        title=_("Recruitment basis and WHO safeguards list"),
        description=_(
            "Cases opened in the period, by recruitment basis and whether the candidate's "
            "country is on the WHO health workforce support and safeguards list."
        ),
        columns=[
            t.Column("basis", _("Recruitment basis"), t.LABEL),
            t.Column("who_listed", _("From WHO safeguards-list countries")),
            t.Column("other", _("From other countries")),
            t.Column("total", _("Total")),
            t.Column(
                "who_share",
                _("Share from listed countries"),
                t.VALUE,
                base=("who_listed", "total"),
                unit="%",
            ),
        ],
        rows=rows,
        total_row=True,
        row_total=("total", ("who_listed", "other")),
        chart={"type": "hbar", "label": "basis", "series": ["who_listed", "other"]},
    )


def _raw_flow_by_country(f: Filters) -> t.Table:
    per_country: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _month, _county, country_id, _basis, e, p, d in _flow_cells(f):
        cell = per_country[country_id]
        cell[0] += e
        cell[1] += p
        cell[2] += d
    countries = Country.objects.in_bulk(list(per_country))
    rows = []
    for country_id, (e, p, d) in sorted(
        per_country.items(), key=lambda kv: (-kv[1][0], countries[kv[0]].name_en)
    ):
        country = countries[country_id]
        rows.append(
            {
                "country": country_name(country),
                "who_listed": str(_("yes")) if country.who_safeguards_list else "",
                "entered": e,
                "placed": p,
                "dropped_out": d,
            }
        )
    rows.append(
        {
            "country": str(_("Total")),
            "who_listed": "",
            **{k: sum(r[k] for r in rows) for k in ("entered", "placed", "dropped_out")},
        }
    )
    return t.Table(
        key="flow_by_country",
        title=_("Source countries"),
        description=_("Cases opened, placed and dropped out in the period by nationality."),
        columns=[
            t.Column("country", _("Country"), t.LABEL),
            t.Column("who_listed", _("WHO safeguards list"), t.LABEL),
            t.Column("entered", _("Entered")),
            t.Column("placed", _("Placed")),
            t.Column("dropped_out", _("Dropped out")),
        ],
        rows=rows,
        total_row=True,
    )


# --- Forecast --------------------------------------------------------------------------------


def _forecast_rows(f: Filters, day: dt.date) -> list[dict]:
    """Forecast rows, computed once per filters and generation (two tables read them)."""
    key = _cache_key(f"forecast-rows:{day.isoformat()}", f)
    rows = cache.get(key)
    if rows is None:
        rows = forecast_rows(f, day)
        cache.set(key, rows, CACHE_SECONDS)
    return rows


def _raw_forecast(f: Filters) -> t.Table:
    day = data_date(f.end)
    rows = _forecast_rows(f, day) if day else []
    names_c = {c.pk: organisation_name(c) for c in counties()}
    names_p = {p.pk: profession_name(p) for p in Profession.objects.all()}
    out = [
        {
            "county": names_c.get(r["county_id"], "?"),
            "profession": names_p.get(r["profession_id"], "?"),
            "open_cases": r["open_cases"],
            "next_6_months": round(r["next_6_months"], 1),
            "next_12_months": round(r["next_12_months"], 1),
        }
        for r in rows
    ]
    out.sort(key=lambda r: (r["county"], r["profession"]))
    out.append(
        {
            "county": str(_("Total")),
            "profession": "",
            "open_cases": sum(r["open_cases"] for r in out),
            "next_6_months": round(sum(r["next_6_months"] for r in out), 1),
            "next_12_months": round(sum(r["next_12_months"] for r in out), 1),
        }
    )
    return t.Table(
        key="forecast",
        title=_("Forecast of placements"),
        description=_(
            "Expected placements in the next 6 and 12 months after the data date, from the "
            "cases now in the pipeline and the stage-transition rates of the last 12 months "
            "(see the methodology)."
        ),
        columns=[
            t.Column("county", _("County"), t.LABEL),
            t.Column("profession", _("Profession"), t.LABEL),
            t.Column("open_cases", _("Cases in the pipeline")),
            t.Column("next_6_months", _("Next 6 months"), t.VALUE, base=("open_cases",)),
            t.Column("next_12_months", _("Next 12 months"), t.VALUE, base=("open_cases",)),
        ],
        rows=out,
        total_row=True,
    )


def _raw_forecast_by_county(f: Filters) -> t.Table:
    day = data_date(f.end)
    per_county: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for r in _forecast_rows(f, day) if day else []:
        cell = per_county[r["county_id"]]
        cell[0] += r["open_cases"]
        cell[1] += r["next_6_months"]
        cell[2] += r["next_12_months"]
    rows = []
    for county in counties():
        if f.county_id and county.pk != f.county_id:
            continue
        n, six, twelve = per_county[county.pk]
        rows.append(
            {
                "county": organisation_name(county),
                "open_cases": int(n),
                "next_6_months": round(six, 1),
                "next_12_months": round(twelve, 1),
            }
        )
    rows.append(
        {
            "county": str(_("Total")),
            "open_cases": sum(r["open_cases"] for r in rows),
            "next_6_months": round(sum(r["next_6_months"] for r in rows), 1),
            "next_12_months": round(sum(r["next_12_months"] for r in rows), 1),
        }
    )
    return t.Table(
        key="forecast_by_county",
        title=_("Forecast of placements by county"),
        description=_(
            "Expected placements in the next 6 and 12 months after the data date (see the "
            "methodology)."
        ),
        columns=[
            t.Column("county", _("County"), t.LABEL),
            t.Column("open_cases", _("Cases in the pipeline")),
            t.Column("next_6_months", _("Next 6 months"), t.VALUE, base=("open_cases",)),
            t.Column("next_12_months", _("Next 12 months"), t.VALUE, base=("open_cases",)),
        ],
        rows=rows,
        total_row=True,
        chart={
            "type": "hbar",
            "label": "county",
            "series": ["next_6_months", "next_12_months"],
        },
    )


# --- Everything at once ---------------------------------------------------------------------

RAW_TABLES: dict[str, Callable[[Filters], t.Table]] = {
    "stock_by_stage": _raw_stock_by_stage,
    "stock_by_county": _raw_stock_by_county,
    "monthly_flow": _raw_monthly_flow,
    "placements_vs_target": _raw_placements_vs_target,
    "stage_durations": _raw_stage_durations,
    "conversion_by_stage": _raw_conversion_by_stage,
    "dropout_reasons": _raw_dropout_reasons,
    "permits_expiring": _raw_permits_expiring,
    "ethics_basis": _raw_ethics_basis,
    "flow_by_country": _raw_flow_by_country,
    "forecast_by_county": _raw_forecast_by_county,
    "forecast": _raw_forecast,
}
# Tables on each county page of the PDF (and those its summary reads).
COUNTY_PAGE_TABLES = (
    "stock_by_stage",
    "stock_by_county",
    "monthly_flow",
    "placements_vs_target",
    "permits_expiring",
    "ethics_basis",
    "forecast",
)


def _find(table: t.Table, **labels) -> int | None:
    for i, row in enumerate(table.rows):
        if all(row.get(k) == v for k, v in labels.items()):
            return i
    return None


def _links(prefix: str, raw: dict[str, t.Table]) -> list:
    """Lines between the tables of one output: the same people counted in two tables.

    ``raw`` may hold only some of the tables (a county page); lines that need a missing
    table are left out."""
    present = {f"{prefix}{key}" for key in raw}
    empty = t.Table(key="", title="", columns=[], rows=[])
    raw = {key: raw.get(key, empty) for key in RAW_TABLES}
    links: list = []

    def cell(key, i, col):
        return (f"{prefix}{key}", i, col)

    def last(key):
        return len(raw[key].rows) - 1

    stage, county, flow = raw["stock_by_stage"], raw["stock_by_county"], raw["monthly_flow"]
    targets = raw["placements_vs_target"]
    # Placements per half-year (subtotal rows, when the period spans several) are the sums of
    # the months of that half-year.
    for i, row in enumerate(targets.body_rows):
        if row["county"] == str(_("All counties")):
            year, half = int(row["period"].split()[1]), int(row["period"][1])
            first, last_day = half_year_bounds(year, half)
            months = [
                j
                for j, r in enumerate(flow.body_rows)
                if first.strftime("%Y-%m") <= r["month"] <= last_day.strftime("%Y-%m")
            ]
            links.append(
                (
                    [cell("monthly_flow", j, "placed") for j in months],
                    cell("placements_vs_target", i, "placements"),
                )
            )
    # Stock: each stage group of the county table's total row is a sum of stage rows.
    for group, _label, states in STOCK_GROUPS:
        parts = [
            cell("stock_by_stage", _find(stage, stage=state_label(s)), "cases") for s in states
        ]
        links.append((parts, cell("stock_by_county", last("stock_by_county"), group)))
    links.append(
        (
            [cell("stock_by_stage", last("stock_by_stage"), "cases")],
            cell("stock_by_county", last("stock_by_county"), "total"),
        )
    )
    # Flow totals appear in the source-country and ethics tables too.
    for col in ("entered", "placed", "dropped_out"):
        links.append(
            (
                [cell("flow_by_country", last("flow_by_country"), col)],
                cell("monthly_flow", last("monthly_flow"), col),
            )
        )
    links.append(
        (
            [cell("ethics_basis", last("ethics_basis"), "total")],
            cell("monthly_flow", last("monthly_flow"), "entered"),
        )
    )
    # Placements against targets: the same placements as the monthly flow.
    links.append(
        (
            [cell("placements_vs_target", last("placements_vs_target"), "placements")],
            cell("monthly_flow", last("monthly_flow"), "placed"),
        )
    )
    # Conversion, durations, drop-out reasons and flow count the same transitions.
    conversion, durations = raw["conversion_by_stage"], raw["stage_durations"]
    reasons = raw["dropout_reasons"]
    for state in STAGES:
        label = state_label(state)
        ci, di = _find(conversion, stage=label), _find(durations, stage=label)
        links.append(
            ([cell("stage_durations", di, "exits")], cell("conversion_by_stage", ci, "exits"))
        )
        for outcome in ("withdrawn", "rejected", "left_early"):
            rows = [
                i
                for i, r in enumerate(reasons.body_rows)
                if r["stage"] == label and r["outcome"] == state_label(outcome)
            ]
            links.append(
                (
                    [cell("dropout_reasons", i, "cases") for i in rows],
                    cell("conversion_by_stage", ci, outcome),
                )
            )
    links.append(
        (
            [
                cell("conversion_by_stage", last("conversion_by_stage"), k)
                for k in ("withdrawn", "rejected", "left_early")
            ],
            cell("monthly_flow", last("monthly_flow"), "dropped_out"),
        )
    )
    ready = _find(conversion, stage=state_label(S.READY_FOR_PLACEMENT))
    links.append(
        (
            [cell("conversion_by_stage", ready, "progressed")],
            cell("monthly_flow", last("monthly_flow"), "placed"),
        )
    )
    # Forecast: cases in the pipeline per county and profession add up to the county figure,
    # which is the county table's "in the pipeline".
    by_county, detail = raw["forecast_by_county"], raw["forecast"]
    for i, row in enumerate(by_county.rows):
        if i == last("forecast_by_county"):
            parts = [cell("forecast", last("forecast"), "open_cases")]
            other = cell("stock_by_county", last("stock_by_county"), "in_pipeline")
        else:
            parts = [
                cell("forecast", j, "open_cases")
                for j, r in enumerate(detail.body_rows)
                if r["county"] == row["county"]
            ]
            other = cell("stock_by_county", _find(county, county=row["county"]), "in_pipeline")
        links.append((parts, cell("forecast_by_county", i, "open_cases")))
        links.append(([cell("forecast_by_county", i, "open_cases")], other))

    def usable(cell) -> bool:
        return cell[0] in present and cell[1] is not None and cell[1] >= 0

    return [line for line in links if usable(line[1]) and all(usable(c) for c in line[0])]


def _cache_key(name: str, f: Filters) -> str:
    return f"monitoring:{name}:{generation()}:{f.cache_key()}:{translation.get_language()}"


def dashboard_tables(f: Filters) -> dict[str, t.Table]:
    """Every table of the dashboard for ``f``, suppressed together (cached per generation).

    The UI, each CSV download and each JSON response take their table from this one set,
    so a cell hidden in one is hidden in all, and no table gives back another's hidden cell.
    """
    with _one_output():
        return _dashboard_tables(f)


def _dashboard_tables(f: Filters) -> dict[str, t.Table]:
    key = _cache_key("dashboard", f)
    published = cache.get(key)
    if published is None:
        raw = {name: build(f) for name, build in RAW_TABLES.items()}
        published = {
            name: t.resolved(table)
            for name, table in t.suppress_linked(raw, _links("", raw)).items()
        }
        cache.set(key, published, CACHE_SECONDS)
    return published


def report_tables(year: int, half: int) -> tuple[dict[str, t.Table], dict[int, dict[str, t.Table]]]:
    """The national tables and every county page's tables of a half-year report, suppressed
    together: a county's cells equal the national table's county row, and national cells
    that are sums over counties are lines over the county pages."""
    with _one_output():
        return _report_tables(year, half)


def _report_tables(
    year: int, half: int
) -> tuple[dict[str, t.Table], dict[int, dict[str, t.Table]]]:
    national_f = half_year_filters(year, half)
    all_counties = counties()
    raw = {f"national/{k}": build(national_f) for k, build in RAW_TABLES.items()}
    links = _links("national/", {k: raw[f"national/{k}"] for k in RAW_TABLES})
    for county in all_counties:
        f = national_f.with_county(county.pk)
        for k in COUNTY_PAGE_TABLES:
            raw[f"{county.pk}/{k}"] = RAW_TABLES[k](f)
        links += _links(f"{county.pk}/", {k: raw[f"{county.pk}/{k}"] for k in COUNTY_PAGE_TABLES})
    for k in COUNTY_PAGE_TABLES:
        national = raw[f"national/{k}"]
        count_cols = [c.key for c in national.columns if c.kind == t.COUNT]
        labels = [c.key for c in national.columns if c.kind == t.LABEL]
        county_indexed = "county" in labels and k != "forecast"
        for i, row in enumerate(national.rows):
            if k == "forecast" or (county_indexed and i < len(national.rows) - 1):
                # County rows: the county page shows the same row.
                owner = next(
                    (c for c in all_counties if organisation_name(c) == row["county"]), None
                )
                if owner is None:
                    continue
                local = raw[f"{owner.pk}/{k}"]
                j = _find(local, **{name: row[name] for name in labels})
                if j is None:
                    continue
                for col in count_cols:
                    links.append(([(f"{owner.pk}/{k}", j, col)], (f"national/{k}", i, col)))
            elif not county_indexed:
                # National rows are sums of the same rows on the county pages.
                for col in count_cols:
                    parts = []
                    for c in all_counties:
                        local = raw[f"{c.pk}/{k}"]
                        j = _find(local, **{name: row[name] for name in labels})
                        if j is not None:
                            parts.append((f"{c.pk}/{k}", j, col))
                    links.append((parts, (f"national/{k}", i, col)))
    published = t.suppress_linked(raw, links)
    national = {k: published[f"national/{k}"] for k in RAW_TABLES}
    per_county = {
        c.pk: {k: published[f"{c.pk}/{k}"] for k in COUNTY_PAGE_TABLES} for c in all_counties
    }
    return national, per_county


def _public(name: str) -> Callable[[Filters], t.Table]:
    def selector(f: Filters) -> t.Table:
        return dashboard_tables(f)[name]

    selector.__name__ = name
    selector.__doc__ = RAW_TABLES[name].__doc__
    return selector


stock_by_stage = _public("stock_by_stage")
stock_by_county = _public("stock_by_county")
monthly_flow = _public("monthly_flow")
placements_vs_target = _public("placements_vs_target")
stage_durations = _public("stage_durations")
conversion_by_stage = _public("conversion_by_stage")
dropout_reasons = _public("dropout_reasons")
permits_expiring = _public("permits_expiring")
ethics_basis = _public("ethics_basis")
flow_by_country = _public("flow_by_country")
forecast_by_county = _public("forecast_by_county")
forecast = _public("forecast")
TABLES: dict[str, Callable[[Filters], t.Table]] = {name: _public(name) for name in RAW_TABLES}


def summary(f: Filters, published: dict[str, t.Table] | None = None) -> list[tuple[str, str]]:
    """Headline figures, read from the (suppressed) tables so they match them exactly."""
    published = published or dashboard_tables(f)
    stock = published["stock_by_county"]
    flow = published["monthly_flow"]
    ethics = published["ethics_basis"]
    in_pipeline = (stock.totals or {}).get("in_pipeline")
    totals = flow.totals or {}
    return [
        (str(_("Cases in the pipeline")), t.display(in_pipeline)),
        (str(_("Entered in the period")), t.display(totals.get("entered"))),
        (str(_("Placed in the period")), t.display(totals.get("placed"))),
        (str(_("Dropped out in the period")), t.display(totals.get("dropped_out"))),
        (
            str(_("Share from WHO safeguards-list countries")),
            t.display((ethics.totals or {}).get("who_share"), ethics.column("who_share")),
        ),
    ]


def dimension_filter_q(f: Filters) -> Q:
    """The same dimension filters on Case rows (used by tests and the benchmark's raw check)."""
    q = Q()
    if f.county_id:
        q &= Q(county_id=f.county_id)
    if f.profession_id:
        q &= Q(profession_id=f.profession_id)
    if f.sector:
        q &= Q(profession__sector=f.sector)
    if f.country_id:
        q &= Q(candidate__nationality_id=f.country_id)
    return q
