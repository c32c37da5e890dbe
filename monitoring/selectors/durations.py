"""Time spent in each stage and where cases went when they left it (raw, before suppression).

Both tables count the same transitions (one query per output)."""

from __future__ import annotations

import math
from collections import defaultdict

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from .. import tables as t
from ..models import TransitionSnapshot
from ..snapshots import DROPPED_OUT_STATES
from .caching import remember
from .common import STAGES, S, flow_end, pct, state_label
from .filters import Filters, filter_snapshots

# Where a case goes when it leaves a stage: on, on hold, or out (a column per drop-out state,
# named by the state).
DROPPED_OUT = tuple(state.value for state in DROPPED_OUT_STATES)
CONVERSION_PARTS = ("progressed", S.ON_HOLD.value, *DROPPED_OUT)


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


def transitions(f: Filters) -> list[tuple[str, str, int, int]]:
    """(from state, to state, days in state, transitions) in the period: one query shared by
    the durations and the conversion tables."""

    def compute():
        end = flow_end(f)
        if not end or f.start > end:
            return []
        return list(
            filter_snapshots(TransitionSnapshot.objects.filter(date__gte=f.start, date__lte=end), f)
            .values_list("from_state", "to_state", "days_in_state")
            .annotate(n=Sum("transitions"))
            .order_by()
        )

    return remember(("transitions", f), compute)


def raw_stage_durations(f: Filters) -> t.Table:
    by_stage: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for state, _to_state, days, n in transitions(f):
        by_stage[state].append((days, n))
    rows = []
    for state in STAGES:
        pairs = by_stage.get(state, [])
        rows.append(
            {
                t.ROW_KEY: t.row_key(state=state),
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


def _conversion_rows(f: Filters) -> list[dict]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for from_state, to_state, _days, n in transitions(f):
        if to_state in (*DROPPED_OUT, S.ON_HOLD):
            counts[from_state][to_state] += n
        else:
            counts[from_state]["progressed"] += n
    rows = []
    for state in STAGES:
        row = {t.ROW_KEY: t.row_key(state=state), "stage": state_label(state)}
        row.update({k: counts[state][k] for k in CONVERSION_PARTS})
        row["exits"] = sum(row[k] for k in CONVERSION_PARTS)
        rows.append(row)
    total = {t.ROW_KEY: t.TOTAL, "stage": str(_("Total"))}
    total.update({k: sum(r[k] for r in rows) for k in (*CONVERSION_PARTS, "exits")})
    rows.append(total)
    for row in rows:
        dropped = sum(row[k] for k in DROPPED_OUT if isinstance(row[k], int))
        row["conversion"] = pct(row["progressed"], row["progressed"] + dropped)
        row["dropout_rate"] = pct(dropped, row["exits"])
    return rows


def raw_conversion_by_stage(f: Filters) -> t.Table:
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
                base=("progressed", *DROPPED_OUT),
                unit="%",
            ),
            t.Column(
                "dropout_rate",
                _("Drop-out rate"),
                t.VALUE,
                base=("exits", *DROPPED_OUT),
                unit="%",
            ),
        ],
        rows=_conversion_rows(f),
        total_row=True,
        row_total=("exits", CONVERSION_PARTS),
        chart={"type": "hbar", "label": "stage", "series": ["conversion"]},
    )
