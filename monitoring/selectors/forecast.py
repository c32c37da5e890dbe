"""Forecast tables: expected placements per county and profession (raw, before suppression).

The model itself is ``monitoring.forecast``; these tables show its rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from recruitment.models import Organisation, Profession

from .. import tables as t
from ..forecast import forecast_rows
from .caching import cached
from .common import counties, data_date, organisation_name, profession_name
from .filters import Filters


def _forecast_rows(f: Filters, day: dt.date) -> list[dict]:
    """Forecast rows, computed once per filters and generation (two tables read them)."""
    return cached(f"forecast-rows:{day.isoformat()}", f, lambda: forecast_rows(f, day))


def _columns() -> list[t.Column]:
    """The figures both forecast tables show (after their label columns)."""
    return [
        t.Column("open_cases", _("Cases in the pipeline")),
        t.Column("next_6_months", _("Next 6 months"), t.VALUE, base=("open_cases",)),
        t.Column("next_12_months", _("Next 12 months"), t.VALUE, base=("open_cases",)),
    ]


def _total(rows: list[dict], **labels) -> dict:
    """The total row of either forecast table: ``labels`` and the sums of ``rows``."""
    return {
        t.ROW_KEY: t.TOTAL,
        **labels,
        "open_cases": sum(r["open_cases"] for r in rows),
        "next_6_months": round(sum(r["next_6_months"] for r in rows), 1),
        "next_12_months": round(sum(r["next_12_months"] for r in rows), 1),
    }


def _detail_key(county: Organisation | None, county_id: int, profession: Profession | None) -> str:
    """``county:<code>/profession:<code>``; an organisation that is no (longer a) county, or
    a profession no longer there, is named by its id so that no county row counts it."""
    where = {"county": county.code} if county else {"organisation_id": county_id}
    return t.row_key(**where, profession=profession.code if profession else "?")


def raw_forecast(f: Filters) -> t.Table:
    day = data_date(f.end)
    rows = _forecast_rows(f, day) if day else []
    by_pk = {c.pk: c for c in counties()}
    professions = Profession.objects.in_bulk()
    names_c = {pk: organisation_name(c) for pk, c in by_pk.items()}
    names_p = {pk: profession_name(p) for pk, p in professions.items()}
    out = [
        {
            t.ROW_KEY: _detail_key(
                by_pk.get(r["county_id"]), r["county_id"], professions.get(r["profession_id"])
            ),
            "county": names_c.get(r["county_id"], "?"),
            "profession": names_p.get(r["profession_id"], "?"),
            "open_cases": r["open_cases"],
            "next_6_months": round(r["next_6_months"], 1),
            "next_12_months": round(r["next_12_months"], 1),
        }
        for r in rows
    ]
    out.sort(key=lambda r: (r["county"], r["profession"]))
    out.append(_total(out, county=str(_("Total")), profession=""))
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
            *_columns(),
        ],
        rows=out,
        total_row=True,
    )


def raw_forecast_by_county(f: Filters) -> t.Table:
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
                t.ROW_KEY: t.row_key(county=county.code),
                "county": organisation_name(county),
                "open_cases": int(n),
                "next_6_months": round(six, 1),
                "next_12_months": round(twelve, 1),
            }
        )
    rows.append(_total(rows, county=str(_("Total"))))
    return t.Table(
        key="forecast_by_county",
        title=_("Forecast of placements by county"),
        description=_(
            "Expected placements in the next 6 and 12 months after the data date (see the "
            "methodology)."
        ),
        columns=[t.Column("county", _("County"), t.LABEL), *_columns()],
        rows=rows,
        total_row=True,
        chart={
            "type": "hbar",
            "label": "county",
            "series": ["next_6_months", "next_12_months"],
        },
    )
