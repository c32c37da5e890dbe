"""Placements against the counties' half-year targets (raw, before suppression)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from .. import tables as t
from ..models import CountyTarget, half_year_bounds
from .common import counties, data_date, flow_cells, organisation_name, pct
from .filters import Filters, half_year_code, half_years


def _placed_by_county(f: Filters, year: int, half: int, latest: dt.date | None) -> dict:
    """Placements per county in the part of the half-year within the period and data date."""
    first, last = half_year_bounds(year, half)
    first, last = max(first, f.start), min(last, f.end, latest or last)
    placed: dict[int, int] = defaultdict(int)
    if latest and first <= last:
        # Half-years begin and end with months; the period's own bounds are applied in
        # the shared flow query.
        for month, county_id, _country, _basis, _e, p, _d in flow_cells(f):
            if first.replace(day=1) <= month <= last:
                placed[county_id] += p
    return placed


def _rows_and_lines(f: Filters) -> tuple[list[dict], list]:
    latest = data_date(f.end)
    periods = half_years(f.start, f.end)
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
        placed = _placed_by_county(f, year, half, latest)
        period = half_year_code(year, half)
        block = []
        for county in counties():
            if f.county_id and county.pk != f.county_id:
                continue
            block.append(len(rows))
            rows.append(
                {
                    t.ROW_KEY: t.row_key(period=period, county=county.code),
                    "period": f"H{half} {year}",
                    "county": organisation_name(county),
                    "placements": placed[county.pk],
                    "target": targets.get((county.pk, year, half)),
                }
            )
        if len(periods) > 1:
            lines.append(([(i, "placements") for i in block], (len(rows), "placements")))
            subtotal_rows.append(len(rows))
            rows.append(
                {
                    t.ROW_KEY: t.row_key(period=period),
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
            t.ROW_KEY: t.TOTAL,
            "period": str(_("Total")),
            "county": "",
            "placements": sum(rows[i]["placements"] for i in subtotal_rows),
            "target": sum(rows[i]["target"] or 0 for i in subtotal_rows),
        }
    )
    return rows, lines


def raw_placements_vs_target(f: Filters) -> t.Table:
    """Placements per county and half-year (within the period) against the county's target.

    With several half-years, each gets a subtotal row, so that every sum a reader could form
    is a declared line of the table (and protected by the suppression)."""
    rows, lines = _rows_and_lines(f)
    for row in rows:
        row["share_of_target"] = pct(row["placements"], row["target"]) if row["target"] else None
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
