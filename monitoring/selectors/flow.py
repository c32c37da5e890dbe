"""Flow tables: cases entering, placed and dropping out per month (raw, before suppression)."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from .. import tables as t
from .common import flow_cells, flow_end
from .filters import Filters, half_year_of, months


def raw_monthly_flow(f: Filters) -> t.Table:
    end = flow_end(f)
    per_month: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for month, _county, _country, _basis, e, p, d in flow_cells(f):
        cell = per_month[month.strftime("%Y-%m")]
        cell[0] += e
        cell[1] += p
        cell[2] += d
    rows = []
    for month in months(f.start, min(f.end, end or f.end)):
        e, p, d = per_month[month.strftime("%Y-%m")]
        rows.append(
            {
                t.ROW_KEY: t.row_key(period=half_year_of(month), month=month.strftime("%Y-%m")),
                "month": month.strftime("%Y-%m"),
                "entered": e,
                "placed": p,
                "dropped_out": d,
            }
        )
    rows.append(
        {
            t.ROW_KEY: t.TOTAL,
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
