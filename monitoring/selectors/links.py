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

from .. import tables as t
from .common import STAGES, S
from .durations import DROPPED_OUT
from .stock import STOCK_GROUPS

_EMPTY = t.Table(key="", title="", columns=[], rows=[])
_NATIONAL = "national/"


@dataclass
class _Output:
    """The raw tables of one output (or one county page), their ids prefixed."""

    prefix: str
    raw: dict[str, t.Table]

    def __getitem__(self, key: str) -> t.Table:
        return self.raw.get(key, _EMPTY)

    def cell(self, key: str, i: int | None, col: str) -> t.Cell:
        return (f"{self.prefix}{key}", i, col)

    def total(self, key: str, col: str) -> t.Cell:
        return self.cell(key, self[key].row_index(t.TOTAL), col)

    def row(self, key: str, col: str, **dims) -> t.Cell:
        """The cell of the row whose key is exactly ``dims``."""
        return self.cell(key, self[key].row_index(t.row_key(**dims)), col)


def _half_year_placements(out: _Output) -> list[t.Line]:
    """Placements per half-year (subtotal rows, when the period spans several) are the sums
    of the months of that half-year."""
    lines = []
    flow = out["monthly_flow"]
    for i, row in enumerate(out["placements_vs_target"].rows):
        dims = t.key_dims(row[t.ROW_KEY])
        if dims.keys() == {"period"}:
            months = flow.row_indices(period=dims["period"])
            lines.append(
                (
                    [out.cell("monthly_flow", j, "placed") for j in months],
                    out.cell("placements_vs_target", i, "placements"),
                )
            )
    return lines


def _stock(out: _Output) -> list[t.Line]:
    """Each stage group of the county table's total row is a sum of stage rows."""
    lines = []
    for group, _label, states in STOCK_GROUPS:
        parts = [out.row("stock_by_stage", "cases", state=s) for s in states]
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
    reasons = out["dropout_reasons"]
    lines = []
    for state in STAGES:
        exits = out.row("conversion_by_stage", "exits", state=state)
        lines.append(([out.row("stage_durations", "exits", state=state)], exits))
        for outcome in DROPPED_OUT:
            rows = reasons.row_indices(state=state, outcome=outcome)
            lines.append(
                (
                    [out.cell("dropout_reasons", i, "cases") for i in rows],
                    out.row("conversion_by_stage", outcome, state=state),
                )
            )
    lines.append(
        (
            [out.total("conversion_by_stage", k) for k in DROPPED_OUT],
            out.total("monthly_flow", "dropped_out"),
        )
    )
    ready = out.row("conversion_by_stage", "progressed", state=S.READY_FOR_PLACEMENT)
    lines.append(([ready], out.total("monthly_flow", "placed")))
    return lines


def _forecast(out: _Output) -> list[t.Line]:
    """Cases in the pipeline per county and profession add up to the county figure, which is
    the county table's "in the pipeline"."""
    detail, county = out["forecast"], out["stock_by_county"]
    lines = []
    for i, row in enumerate(out["forecast_by_county"].rows):
        if row[t.ROW_KEY] == t.TOTAL:
            parts = [out.total("forecast", "open_cases")]
            other = out.total("stock_by_county", "in_pipeline")
        else:
            code = t.key_dims(row[t.ROW_KEY])["county"]
            parts = [out.cell("forecast", j, "open_cases") for j in detail.row_indices(county=code)]
            other = out.cell("stock_by_county", county.row_index(row[t.ROW_KEY]), "in_pipeline")
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


def _page_prefix(county: str) -> str:
    return f"{t.row_key(county=county)}/"


def _page_lines(name: str, national: t.Table, pages: dict[str, dict[str, t.Table]]) -> list:
    """Lines between table ``name`` of a report's national part and its county pages.

    A table by county: each county row equals the same row on that county's page. Any other
    table: each row is the sum of the same rows on the county pages."""
    count_cols = [c.key for c in national.columns if c.kind == t.COUNT]
    by_county = any(c.key == "county" and c.kind == t.LABEL for c in national.columns)
    lines: list[t.Line] = []
    for i, row in enumerate(national.rows):
        key = row[t.ROW_KEY]
        if by_county:
            county = t.key_dims(key).get("county")
            j = pages[county][name].row_index(key) if county in pages else None
            if j is None:
                continue
            for col in count_cols:
                lines.append(
                    ([(f"{_page_prefix(county)}{name}", j, col)], (f"{_NATIONAL}{name}", i, col))
                )
            continue
        for col in count_cols:
            parts = []
            for county, page in pages.items():
                j = page[name].row_index(key)
                if j is not None:
                    parts.append((f"{_page_prefix(county)}{name}", j, col))
            lines.append((parts, (f"{_NATIONAL}{name}", i, col)))
    return lines


def publish(
    tables: dict[str, t.Table], county_pages: dict[str, dict[str, t.Table]] | None = None
) -> tuple[dict[str, t.Table], dict[str, dict[str, t.Table]]]:
    """Suppress the raw tables of one output together and return them published.

    ``tables`` are a dashboard's (or a report's national) tables; ``county_pages`` the
    report's county pages (by county code, each with some of the tables). A hidden cell is
    never recoverable from any table of the output. This is the one entry of disclosure
    control: a different engine replaces this function."""
    if county_pages is None:
        return t.suppress_linked(tables, output_lines("", tables)), {}
    raw = {f"{_NATIONAL}{k}": table for k, table in tables.items()}
    lines = output_lines(_NATIONAL, tables)
    for county, page in county_pages.items():
        prefix = _page_prefix(county)
        raw.update({f"{prefix}{k}": table for k, table in page.items()})
        lines += output_lines(prefix, page)
    for name in next(iter(county_pages.values()), {}):
        lines += _page_lines(name, tables[name], county_pages)
    published = t.suppress_linked(raw, lines)
    return {k: published[f"{_NATIONAL}{k}"] for k in tables}, {
        county: {k: published[f"{_page_prefix(county)}{k}"] for k in page}
        for county, page in county_pages.items()
    }
