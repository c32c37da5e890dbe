"""Stock tables: cases in each stage at the end of the data date (raw, before suppression)."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from .. import tables as t
from ..snapshots import DROPPED_OUT_STATES
from .common import (
    PIPELINE_STATES,
    STATE_ORDER,
    S,
    counties,
    organisation_name,
    state_label,
    stock_cells,
)
from .filters import Filters

STOCK_GROUPS = [
    ("in_pipeline", _("In the pipeline"), PIPELINE_STATES),
    ("placed", _("Placed"), [S.PLACED]),
    ("completed", _("Completed"), [S.COMPLETED]),
    ("dropped_out", _("Dropped out"), list(DROPPED_OUT_STATES)),
]


def raw_stock_by_stage(f: Filters) -> t.Table:
    counts = defaultdict(int)
    for _county_id, state, n in stock_cells(f):
        counts[state] += n
    rows = [
        {t.ROW_KEY: t.row_key(state=s), "stage": state_label(s), "cases": counts[s]}
        for s in STATE_ORDER
    ]
    rows.append({t.ROW_KEY: t.TOTAL, "stage": str(_("Total")), "cases": sum(counts.values())})
    return t.Table(
        key="stock_by_stage",
        title=_("Cases by stage"),
        description=_("Cases in each stage at the end of the data date."),
        columns=[t.Column("stage", _("Stage"), t.LABEL), t.Column("cases", _("Cases"))],
        rows=rows,
        total_row=True,
        chart={"type": "bar", "label": "stage", "series": ["cases"]},
    )


def raw_stock_by_county(f: Filters) -> t.Table:
    group_of = {s: key for key, _label, states in STOCK_GROUPS for s in states}
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for county_id, state, n in stock_cells(f):
        counts[county_id][group_of[state]] += n
    parts = tuple(key for key, _label, _states in STOCK_GROUPS)
    rows = []
    for county in counties():
        if f.county_id and county.pk != f.county_id:
            continue
        row = {t.ROW_KEY: t.row_key(county=county.code), "county": organisation_name(county)}
        row.update({key: counts[county.pk][key] for key in parts})
        row["total"] = sum(row[k] for k in parts)
        rows.append(row)
    total = {t.ROW_KEY: t.TOTAL, "county": str(_("Total"))}
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
