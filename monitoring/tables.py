"""Aggregate tables and small-cell suppression — the ONE place where cells are hidden.

Every figure an analyst sees (dashboard, CSV, JSON, PDF) is a cell of a ``Table`` that went
through ``suppress``. The rule (DOMAIN.md: ministry figures are aggregates with cells under 5
suppressed):

1. *Primary*: a count of 1–4 people is suppressed. Zero is shown: it reveals no one.
2. *Complementary*: a table declares its margins (a total row, and/or a total column that sums
   some part columns). For every such line (parts + total) the suppressed cells must not be
   recoverable: if the total is shown, the suppressed parts must add up to at least 5 (so the
   difference "total − shown parts" never reveals fewer than 5 people) and a lone hidden total
   is hidden together with at least one part. Cells are added smallest first until every line
   holds, repeating until nothing changes (a cell hidden in a row may break its column).
3. *Derived values* (medians, rates, forecasts) are hidden when any count they are computed
   from is hidden or under 5 (a rate would otherwise give a hidden count back).

Suppressed cells are ``SUPPRESSED``; renderers show ``SUPPRESSED_MARK`` (UI, CSV, PDF) or
``null`` (JSON).

Every row carries a machine key (``ROW_KEY``, never rendered) beside its display labels:
``county:hus``, ``state:screening``, ``period:2025-H1/month:2025-03``, ``total``. Lines
between tables and lookups use the keys, never a translated label.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote

from django.utils.translation import gettext_lazy as _

from recruitment import csv_export

THRESHOLD = 5
SUPPRESSED_MARK = "x"


class _Suppressed:
    """Marker for a hidden cell (a singleton, falsy, never equal to a number)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SUPPRESSED"

    def __bool__(self) -> bool:
        return False


SUPPRESSED = _Suppressed()

LABEL = "label"  # text: stage, county, month ...
COUNT = "count"  # people: subject to primary and complementary suppression
NUMBER = "number"  # a number that is not a count of people (a target): never suppressed
VALUE = "value"  # derived from a count (median, rate, forecast): hidden with its base

ROW_KEY = "key"  # the row field holding its machine key (not a column: never rendered)
TOTAL = "total"  # the key of a table's total row


def row_key(**dims: object) -> str:
    """A row's machine key: ``dimension:value`` segments, the outermost first, such as
    ``county:hus`` or ``period:2025-H1/county:hus``. Values are codes (states, organisation
    and profession codes, ISO months), never display labels; each is escaped so that any
    text stays one segment."""
    return "/".join(f"{dim}:{quote(str(value), safe='')}" for dim, value in dims.items())


def key_dims(key: str) -> dict[str, str]:
    """The dimensions of a row key (``{}`` for ``TOTAL``)."""
    segments = (segment.partition(":") for segment in key.split("/"))
    return {dim: unquote(value) for dim, colon, value in segments if colon}


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    kind: str = COUNT
    base: tuple[str, ...] = ()  # for VALUE columns: the COUNT columns it is computed from
    unit: str = ""  # "%", "days" ... for display


@dataclass
class Table:
    key: str
    title: Any
    columns: list[Column]
    rows: list[dict]
    total_row: bool = False  # the last row holds the column totals of the rows above it
    row_total: tuple[str, tuple[str, ...]] | None = None  # (total column, part columns)
    # Explicit (parts, total) lines of (row, column) cells; replace the total row's own lines.
    lines: list | None = None
    description: Any = ""
    chart: dict = field(default_factory=dict)  # how the web/PDF chart reads this table
    suppressed_cells: int = 0

    def __post_init__(self) -> None:
        if any(c.key == ROW_KEY for c in self.columns):
            raise ValueError(f"{self.key}: {ROW_KEY!r} is the row key, not a column")
        keys = [row[ROW_KEY] for row in self.rows if ROW_KEY in row]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.key}: two rows with the same key")

    def row_index(self, key: str) -> int | None:
        """The position of the row with machine key ``key``."""
        return next((i for i, row in enumerate(self.rows) if row.get(ROW_KEY) == key), None)

    def row_indices(self, **dims: object) -> list[int]:
        """The positions of the rows whose key has all of ``dims`` (``county="hus"``)."""
        wanted = {dim: str(value) for dim, value in dims.items()}
        return [
            i
            for i, row in enumerate(self.rows)
            if wanted.items() <= key_dims(row.get(ROW_KEY, "")).items()
        ]

    @property
    def body_rows(self) -> list[dict]:
        return self.rows[:-1] if self.total_row and self.rows else self.rows

    @property
    def totals(self) -> dict | None:
        return self.rows[-1] if self.total_row and self.rows else None

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


Cell = tuple[str, int, str]  # (table id, row index, column key)
Line = tuple[list[Cell], Cell]  # parts add up to total (one part: the two cells are equal)


def _lines(tid: str, table: Table) -> list[Line]:
    """Every (parts, total) line of a table's own margins."""
    lines: list[Line] = []
    count_keys = [c.key for c in table.columns if c.kind == COUNT]
    if table.lines is not None:
        for parts, (ti, tk) in table.lines:
            lines.append(([(tid, i, k) for i, k in parts], (tid, ti, tk)))
    elif table.total_row and len(table.rows) > 1:
        last = len(table.rows) - 1
        for key in count_keys:
            lines.append(([(tid, i, key) for i in range(last)], (tid, last, key)))
    if table.row_total:
        total_key, parts = table.row_total
        for i in range(len(table.rows)):
            lines.append(([(tid, i, p) for p in parts], (tid, i, total_key)))
    return lines


def suppress(table: Table) -> Table:
    """Return a copy of ``table`` with small cells (and their complements) suppressed."""
    return suppress_linked({"table": table}, [])["table"]


def suppress_linked(tables: dict[str, Table], links: list[Line]) -> dict[str, Table]:
    """Suppress tables published together, consistently.

    ``links`` are lines between tables (a national cell is the sum of county cells, the same
    figure appears in two tables ...): a hidden cell is never recoverable from any table of
    the same output.
    """
    rows = {tid: [dict(r) for r in table.rows] for tid, table in tables.items()}
    hidden: set[Cell] = set()
    for tid, table in tables.items():
        for i, row in enumerate(rows[tid]):
            for column in table.columns:
                value = row.get(column.key)
                if column.kind == COUNT and isinstance(value, int) and 0 < value < THRESHOLD:
                    hidden.add((tid, i, column.key))

    def value_of(cell: Cell) -> int:
        tid, i, key = cell
        value = rows[tid][i].get(key)
        return value if isinstance(value, int) else 0

    lines = [line for tid, table in tables.items() for line in _lines(tid, table)] + links
    lines_of: dict[Cell, list[Line]] = {}
    for line in lines:
        for cell in (*line[0], line[1]):
            lines_of.setdefault(cell, []).append(line)

    def cost(cell: Cell) -> tuple[int, int]:
        """Prefer hiding a cell whose other lines already hide something (fewer cascades),
        then the smallest."""
        untouched = sum(
            1
            for parts, total in lines_of.get(cell, ())
            if total not in hidden and not any(c in hidden for c in parts)
        )
        return untouched, value_of(cell)

    changed = True
    while changed:
        changed = False
        for parts, total in lines:
            hidden_parts = [c for c in parts if c in hidden]
            if not hidden_parts and total not in hidden:
                continue
            candidates = sorted((c for c in parts if c not in hidden and value_of(c) > 0), key=cost)
            if total in hidden:
                # The total is unknown; but a hidden total with every part shown could be
                # summed back, so at least one part is hidden with it.
                if not hidden_parts:
                    pick = candidates[:1] or [c for c in parts if c not in hidden][:1]
                    if pick:
                        hidden.add(pick[0])
                        changed = True
                continue
            hidden_sum = sum(value_of(c) for c in hidden_parts)
            count = len(hidden_parts)
            # total − shown parts = the hidden parts' sum: it must not reveal < 5 people, and
            # a single hidden part would be given back exactly.
            while (hidden_sum < THRESHOLD or count < 2) and candidates:
                cell = candidates.pop(0)
                hidden.add(cell)
                hidden_sum += value_of(cell)
                count += 1
                changed = True
            if hidden_sum < THRESHOLD or count < 2:
                hidden.add(total)
                changed = True

    result = {}
    for tid, table in tables.items():
        table_rows = rows[tid]
        own = 0
        for cell in hidden:
            if cell[0] == tid:
                table_rows[cell[1]][cell[2]] = SUPPRESSED
                own += 1
        for column in table.columns:
            if column.kind != VALUE or not column.base:
                continue
            for row in table_rows:
                bases = [row.get(key) for key in column.base]
                if any(
                    b is SUPPRESSED or (isinstance(b, int) and 0 < b < THRESHOLD) for b in bases
                ):
                    row[column.key] = SUPPRESSED
        result[tid] = replace(table, rows=table_rows, suppressed_cells=own)
    return result


def resolved(table: Table) -> Table:
    """The table with its texts translated now (plain strings cache and unpickle fast)."""
    return replace(
        table,
        title=str(table.title),
        description=str(table.description),
        columns=[replace(c, label=str(c.label)) for c in table.columns],
    )


# --- Rendering helpers shared by the UI, CSV, JSON and PDF --------------------------------

_COUNTY_SUFFIXES = (" Wellbeing Services County", " hyvinvointialue", " välfärdsområde")


def short_label(label: str, limit: int = 26) -> str:
    """A chart axis label: county names without their common suffix, at most ``limit``."""
    for suffix in _COUNTY_SUFFIXES:
        label = label.removesuffix(suffix)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def display(value: Any, column: Column | None = None) -> str:
    """A cell as text: the suppression mark, a rounded value or the label itself."""
    if value is SUPPRESSED:
        return SUPPRESSED_MARK
    if value is None:
        return "–"
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    if column is not None and column.unit == "%" and value is not None:
        text += " %"
    return text


def to_csv(table: Table) -> str:
    """The table as CSV; cells made safe for spreadsheets by ``recruitment.csv_export``."""
    header = [str(c.label) for c in table.columns]
    body = (
        [SUPPRESSED_MARK if row.get(c.key) is SUPPRESSED else row.get(c.key) for c in table.columns]
        for row in table.rows
    )
    return csv_export.to_csv([header, *body])


def to_json(table: Table) -> dict:
    def cell(value):
        if value is SUPPRESSED:
            return None
        return value

    return {
        "key": table.key,
        "title": str(table.title),
        "columns": [
            {"key": c.key, "label": str(c.label), "kind": c.kind, "unit": c.unit}
            for c in table.columns
        ],
        "rows": [{c.key: cell(row.get(c.key)) for c in table.columns} for row in table.rows],
        "has_total_row": table.total_row,
        "suppressed": [
            {"row": i, "column": c.key}
            for i, row in enumerate(table.rows)
            for c in table.columns
            if row.get(c.key) is SUPPRESSED
        ],
        "suppression_rule": str(
            _("Cells under %(n)d people, and cells that would reveal them, are suppressed.")
            % {"n": THRESHOLD}
        ),
    }
