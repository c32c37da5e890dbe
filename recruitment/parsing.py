"""Numbers and moments from user input: URL paths, query strings, headers, form, JSON and CSV
fields. Every place that turns a caller's text into an id, a count or a time asks this module,
so one rule holds everywhere:

- whole numbers are ASCII digits only (``str.isdigit`` and ``int`` also take "²" or "٣"),
  without sign, spaces or underscores, and within the range the database column holds;
- moments carry an explicit UTC offset within ±14:00 (the offsets in use on Earth) and a year
  from 1900 to 2999, so PostgreSQL and Python's date arithmetic can hold them.

Anything else is refused (``None``); the caller answers 400 or 404.
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_ID = 2**63 - 1  # PostgreSQL bigint, the type of every primary key (BigAutoField)
MAX_INT = 2**31 - 1  # PostgreSQL integer, e.g. versions
_DIGITS = re.compile(r"[0-9]+")

MAX_OFFSET = dt.timedelta(hours=14)
MIN_YEAR, MAX_YEAR = 1900, 2999
_MOMENT = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[T ]"
    r"(?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)"
    r"(?P<offset>Z|z|[+-][0-9]{2}:?[0-5][0-9])?",
    re.ASCII,
)


def parse_int(value, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """A whole number from ``low`` to ``high``: a string of ASCII digits or a real ``int``
    (not a bool); ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _DIGITS.fullmatch(value) or len(value) > len(str(high)):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if low <= value <= high else None


def parse_whole_number(text) -> int | None:
    """A whole number with an optional sign ("-3", "+7"), ASCII digits only, at most 18 digits
    (it fits a 64-bit column and ``int`` never parses a huge string); ``None`` otherwise. For
    fields where a negative number is out of range rather than no number (CSV import)."""
    if not isinstance(text, str) or not text:
        return None
    sign, digits = (-1, text[1:]) if text[0] == "-" else (1, text.removeprefix("+"))
    number = parse_int(digits, high=10**18 - 1) if len(digits) <= 18 else None
    return None if number is None else sign * number


def parse_id(value) -> int | None:
    """A primary key: a whole number from 1 to the bigint maximum, else ``None``."""
    return parse_int(value, low=1, high=MAX_ID)


def parse_moment(value) -> dt.datetime | None:
    """An aware datetime from ISO 8601 / RFC 3339 text with a required offset ("Z" or ±hh:mm
    within ±14:00) and a year from 1900 to 2999; ``None`` for anything else (also for a
    naive time, which would otherwise be read silently in the server's time zone)."""
    if not isinstance(value, str):
        return None
    match = _MOMENT.fullmatch(value)
    if not match or match["offset"] is None:
        return None
    offset = match["offset"].upper().replace(":", "")
    offset = "+00:00" if offset == "Z" else f"{offset[:3]}:{offset[3:]}"
    text = f"{match['date']}T{match['time']}{offset}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if abs(moment.utcoffset()) > MAX_OFFSET or not MIN_YEAR <= moment.year <= MAX_YEAR:
        return None
    return moment


class IdConverter:
    """``<id:pk>`` in URL patterns: like ``<int:pk>``, but only ids that can exist (1 to the
    bigint maximum); anything else does not match the pattern, so the answer is 404."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value) -> str:
        return str(value)


class _StrictText(forms.CharField):
    """Text taken as sent: no silent stripping of spaces (" 1" is not an id)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)


class IdFormField(_StrictText):
    """A form field (e.g. a query-string filter) holding one id."""

    default_error_messages = {"invalid": _("Give an id: a whole number from 1 up (digits only).")}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        number = parse_id(value)
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class MomentFormField(_StrictText):
    """A form field holding an aware moment (see ``parse_moment``)."""

    default_error_messages = {
        "invalid": _(
            "Give a time in ISO 8601 with its UTC offset, e.g. 2026-01-01T00:00:00Z or "
            "2026-01-01T08:00:00+02:00 (URL-encode the +); offsets up to ±14:00, "
            "years 1900–2999."
        )
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        moment = parse_moment(value)
        if moment is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return moment
