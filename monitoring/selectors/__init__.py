"""Reads for the ministry: aggregate tables over the daily snapshots, already suppressed.

Every public selector takes ``Filters`` (period, county, profession, sector, source country)
and returns a ``tables.Table`` that went through the suppression; the dashboard, CSV, JSON
and PDF all render these same objects, so suppression is applied identically everywhere.
Results are cached per snapshot generation (they change only when snapshots are retaken).

This package is a small cached façade over its modules:

* ``filters``: the filters and the periods they span; ``caching``: generation, cache, memo;
* ``common``: data date, localised names, the snapshot reads several tables share;
* one module per group of tables, each building *raw* (unsuppressed) tables: ``stock``,
  ``flow``, ``targets``, ``durations`` (and conversion), ``dropouts``, ``permits``,
  ``ethics`` (and source countries), ``forecast``;
* ``links``: the lines between the tables of an output and the one call that suppresses them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .. import tables as t
from . import links
from .caching import CACHE_SECONDS, cached, generation, one_output
from .common import (
    PIPELINE_STATES,
    STAGES,
    STATE_ORDER,
    counties,
    country_name,
    data_date,
    organisation_name,
    profession_name,
    state_label,
)
from .dropouts import raw_dropout_reasons
from .durations import (
    CONVERSION_PARTS,
    raw_conversion_by_stage,
    raw_stage_durations,
    weighted_percentile,
)
from .ethics import raw_ethics_basis, raw_flow_by_country
from .filters import Filters, default_filters, dimension_filter_q, half_year_filters
from .flow import raw_monthly_flow
from .forecast import raw_forecast, raw_forecast_by_county
from .permits import raw_permits_expiring
from .stock import STOCK_GROUPS, raw_stock_by_county, raw_stock_by_stage
from .targets import raw_placements_vs_target

__all__ = [
    "CACHE_SECONDS",
    "CONVERSION_PARTS",
    "COUNTY_PAGE_TABLES",
    "PIPELINE_STATES",
    "RAW_TABLES",
    "STAGES",
    "STATE_ORDER",
    "STOCK_GROUPS",
    "TABLES",
    "Filters",
    "conversion_by_stage",
    "counties",
    "country_name",
    "dashboard_tables",
    "data_date",
    "default_filters",
    "dimension_filter_q",
    "dropout_reasons",
    "ethics_basis",
    "flow_by_country",
    "forecast",
    "forecast_by_county",
    "generation",
    "half_year_filters",
    "monthly_flow",
    "organisation_name",
    "permits_expiring",
    "placements_vs_target",
    "profession_name",
    "report_tables",
    "stage_durations",
    "state_label",
    "stock_by_county",
    "stock_by_stage",
    "summary",
    "warm_dashboard_cache",
    "weighted_percentile",
]

RAW_TABLES: dict[str, Callable[[Filters], t.Table]] = {
    "stock_by_stage": raw_stock_by_stage,
    "stock_by_county": raw_stock_by_county,
    "monthly_flow": raw_monthly_flow,
    "placements_vs_target": raw_placements_vs_target,
    "stage_durations": raw_stage_durations,
    "conversion_by_stage": raw_conversion_by_stage,
    "dropout_reasons": raw_dropout_reasons,
    "permits_expiring": raw_permits_expiring,
    "ethics_basis": raw_ethics_basis,
    "flow_by_country": raw_flow_by_country,
    "forecast_by_county": raw_forecast_by_county,
    "forecast": raw_forecast,
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


def dashboard_tables(f: Filters) -> dict[str, t.Table]:
    """Every table of the dashboard for ``f``, suppressed together (cached per generation).

    The UI, each CSV download and each JSON response take their table from this one set,
    so a cell hidden in one is hidden in all, and no table gives back another's hidden cell.
    """
    with one_output():
        return cached("dashboard", f, lambda: _dashboard_tables(f))


def _dashboard_tables(f: Filters) -> dict[str, t.Table]:
    published, _pages = links.publish({name: build(f) for name, build in RAW_TABLES.items()})
    return {name: t.resolved(table) for name, table in published.items()}


def report_tables(year: int, half: int) -> tuple[dict[str, t.Table], dict[int, dict[str, t.Table]]]:
    """The national tables and every county page's tables of a half-year report, suppressed
    together: a county's cells equal the national table's county row, and national cells
    that are sums over counties are lines over the county pages."""
    with one_output():
        national_f = half_year_filters(year, half)
        all_counties = counties()
        national = {k: build(national_f) for k, build in RAW_TABLES.items()}
        pages = {}
        for county in all_counties:
            f = national_f.with_county(county.pk)
            pages[county.code] = {k: RAW_TABLES[k](f) for k in COUNTY_PAGE_TABLES}
        national, pages = links.publish(national, pages)
        return national, {county.pk: pages[county.code] for county in all_counties}


def warm_dashboard_cache() -> None:
    """Compute the default dashboard (last 12 months, no filters) in every language, so that
    the page analysts open first reads a ready result after each snapshot run. Cache keys
    carry the snapshot generation: older results are simply never read again."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            dashboard_tables(default_filters())


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
