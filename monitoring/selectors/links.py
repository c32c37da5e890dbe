"""Disclosure control of one output: the lines between its tables, and the ONE call that
suppresses them together (``publish``).

A *line* says that some cells add up to another (or that two cells hold the same figure):
the county table's total row is the sum of the stage table, flow totals reappear in the
country and ethics tables, conversion counts equal the duration counts and add up to the
drop-out reasons, forecast pipeline counts add up to the county figures; in the report each
county page's cells equal the national county row and national cells are sums over the
county pages. ``tables.suppress_linked`` then hides cells until no line gives a hidden cell
back. A different engine (an optimiser, say) replaces ``publish`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .. import tables as t
from ..models import half_year_bounds
from .common import STAGES, S, organisation_name, state_label
from .stock import STOCK_GROUPS

_EMPTY = t.Table(key="", title="", columns=[], rows=[])
_DROPPED_OUT = ("withdrawn", "rejected", "left_early")


def _find(table: t.Table, **labels) -> int | None:
    for i, row in enumerate(table.rows):
        if all(row.get(k) == v for k, v in labels.items()):
            return i
    return None


@dataclass
class _Output:
    """The raw tables of one output (or one county page), their ids prefixed."""

    prefix: str
    raw: dict[str, t.Table]

    def __getitem__(self, key: str) -> t.Table:
        return self.raw.get(key, _EMPTY)

    def cell(self, key: str, i: int | None, col: str) -> t.Cell:
        return (f"{self.prefix}{key}", i, col)

    def last(self, key: str) -> int:
        return len(self[key].rows) - 1

    def total(self, key: str, col: str) -> t.Cell:
        return self.cell(key, self.last(key), col)


def _half_year_placements(out: _Output) -> list[t.Line]:
    """Placements per half-year (subtotal rows, when the period spans several) are the sums
    of the months of that half-year."""
    lines = []
    flow = out["monthly_flow"]
    for i, row in enumerate(out["placements_vs_target"].body_rows):
        if row["county"] == str(_("All counties")):
            year, half = int(row["period"].split()[1]), int(row["period"][1])
            first, last_day = half_year_bounds(year, half)
            months = [
                j
                for j, r in enumerate(flow.body_rows)
                if first.strftime("%Y-%m") <= r["month"] <= last_day.strftime("%Y-%m")
            ]
            lines.append(
                (
                    [out.cell("monthly_flow", j, "placed") for j in months],
                    out.cell("placements_vs_target", i, "placements"),
                )
            )
    return lines


def _stock(out: _Output) -> list[t.Line]:
    """Each stage group of the county table's total row is a sum of stage rows."""
    stage = out["stock_by_stage"]
    lines = []
    for group, _label, states in STOCK_GROUPS:
        parts = [
            out.cell("stock_by_stage", _find(stage, stage=state_label(s)), "cases") for s in states
        ]
        lines.append((parts, out.total("stock_by_county", group)))
    lines.append(([out.total("stock_by_stage", "cases")], out.total("stock_by_county", "total")))
    return lines


def _flow_totals(out: _Output) -> list[t.Line]:
    """Flow totals appear in the source-country, ethics and target tables too."""
    lines = [
        ([out.total("flow_by_country", col)], out.total("monthly_flow", col))
        for col in ("entered", "placed", "dropped_out")
    ]
    lines.append(([out.total("ethics_basis", "total")], out.total("monthly_flow", "entered")))
    # Placements against targets: the same placements as the monthly flow.
    lines.append(
        (
            [out.total("placements_vs_target", "placements")],
            out.total("monthly_flow", "placed"),
        )
    )
    return lines


def _transitions(out: _Output) -> list[t.Line]:
    """Conversion, durations, drop-out reasons and flow count the same transitions."""
    conversion, durations = out["conversion_by_stage"], out["stage_durations"]
    reasons = out["dropout_reasons"]
    lines = []
    for state in STAGES:
        label = state_label(state)
        ci, di = _find(conversion, stage=label), _find(durations, stage=label)
        exits = out.cell("conversion_by_stage", ci, "exits")
        lines.append(([out.cell("stage_durations", di, "exits")], exits))
        for outcome in _DROPPED_OUT:
            rows = [
                i
                for i, r in enumerate(reasons.body_rows)
                if r["stage"] == label and r["outcome"] == state_label(outcome)
            ]
            lines.append(
                (
                    [out.cell("dropout_reasons", i, "cases") for i in rows],
                    out.cell("conversion_by_stage", ci, outcome),
                )
            )
    lines.append(
        (
            [out.total("conversion_by_stage", k) for k in _DROPPED_OUT],
            out.total("monthly_flow", "dropped_out"),
        )
    )
    ready = _find(conversion, stage=state_label(S.READY_FOR_PLACEMENT))
    lines.append(
        (
            [out.cell("conversion_by_stage", ready, "progressed")],
            out.total("monthly_flow", "placed"),
        )
    )
    return lines


def _forecast(out: _Output) -> list[t.Line]:
    """Cases in the pipeline per county and profession add up to the county figure, which is
    the county table's "in the pipeline"."""
    by_county, detail, county = out["forecast_by_county"], out["forecast"], out["stock_by_county"]
    lines = []
    for i, row in enumerate(by_county.rows):
        if i == out.last("forecast_by_county"):
            parts = [out.total("forecast", "open_cases")]
            other = out.total("stock_by_county", "in_pipeline")
        else:
            parts = [
                out.cell("forecast", j, "open_cases")
                for j, r in enumerate(detail.body_rows)
                if r["county"] == row["county"]
            ]
            other = out.cell("stock_by_county", _find(county, county=row["county"]), "in_pipeline")
        lines.append((parts, out.cell("forecast_by_county", i, "open_cases")))
        lines.append(([out.cell("forecast_by_county", i, "open_cases")], other))
    return lines


def output_lines(prefix: str, raw: dict[str, t.Table]) -> list[t.Line]:
    """Lines between the tables of one output: the same people counted in two tables.

    ``raw`` may hold only some of the tables (a county page); lines that need a missing
    table are left out."""
    present = {f"{prefix}{key}" for key in raw}
    out = _Output(prefix, raw)
    lines = [
        *_half_year_placements(out),
        *_stock(out),
        *_flow_totals(out),
        *_transitions(out),
        *_forecast(out),
    ]

    def usable(cell) -> bool:
        return cell[0] in present and cell[1] is not None and cell[1] >= 0

    return [line for line in lines if usable(line[1]) and all(usable(c) for c in line[0])]


def _matching_row(local: t.Table, row: dict, labels: list[str]) -> int | None:
    return _find(local, **{name: row[name] for name in labels})


def _page_lines(raw: dict[str, t.Table], key: str, all_counties: list) -> list[t.Line]:
    """Lines between table ``key`` of the national part and the same table on county pages."""
    national = raw[f"national/{key}"]
    count_cols = [c.key for c in national.columns if c.kind == t.COUNT]
    labels = [c.key for c in national.columns if c.kind == t.LABEL]
    county_indexed = "county" in labels and key != "forecast"
    lines: list[t.Line] = []
    for i, row in enumerate(national.rows):
        if key == "forecast" or (county_indexed and i < len(national.rows) - 1):
            # County rows: the county page shows the same row.
            owner = next((c for c in all_counties if organisation_name(c) == row["county"]), None)
            if owner is None:
                continue
            j = _matching_row(raw[f"{owner.pk}/{key}"], row, labels)
            if j is None:
                continue
            for col in count_cols:
                lines.append(([(f"{owner.pk}/{key}", j, col)], (f"national/{key}", i, col)))
        elif not county_indexed:
            # National rows are sums of the same rows on the county pages.
            for col in count_cols:
                parts = []
                for c in all_counties:
                    j = _matching_row(raw[f"{c.pk}/{key}"], row, labels)
                    if j is not None:
                        parts.append((f"{c.pk}/{key}", j, col))
                lines.append((parts, (f"national/{key}", i, col)))
    return lines


def publish(
    tables: dict[str, t.Table],
    county_pages: dict[int, dict[str, t.Table]] | None = None,
    counties: list | None = None,
) -> tuple[dict[str, t.Table], dict[int, dict[str, t.Table]]]:
    """Suppress the raw tables of one output together and return them published.

    ``tables`` are a dashboard's (or a report's national) tables; ``county_pages`` the
    report's county pages (by county id, each with some of the tables) for ``counties``. A
    hidden cell is never recoverable from any table of the output."""
    if county_pages is None:
        return t.suppress_linked(tables, output_lines("", tables)), {}
    raw = {f"national/{k}": table for k, table in tables.items()}
    lines = output_lines("national/", tables)
    for pk, page in county_pages.items():
        raw.update({f"{pk}/{k}": table for k, table in page.items()})
        lines += output_lines(f"{pk}/", page)
    page_tables = next(iter(county_pages.values()), {})
    for key in page_tables:
        lines += _page_lines(raw, key, counties or [])
    published = t.suppress_linked(raw, lines)
    national = {k: published[f"national/{k}"] for k in tables}
    return national, {
        pk: {k: published[f"{pk}/{k}"] for k in page} for pk, page in county_pages.items()
    }
