"""The filters every monitoring table takes, and the periods (months, half-years) they span."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Q
from django.utils import timezone

from ..models import half_year_bounds

# Each dimension filter and the field it filters, on snapshot rows and on cases.
_SNAPSHOT_FIELDS = {
    "county_id": "county_id",
    "profession_id": "profession_id",
    "sector": "profession__sector",
    "country_id": "country_id",
}
_CASE_FIELDS = {**_SNAPSHOT_FIELDS, "country_id": "candidate__nationality_id"}


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    county_id: int | None = None
    profession_id: int | None = None
    sector: str | None = None
    country_id: int | None = None

    def cache_key(self) -> str:
        return hashlib.sha1(repr(sorted(asdict(self).items())).encode()).hexdigest()[:16]  # noqa: S324

    def with_county(self, county_id: int | None) -> Filters:
        return Filters(**{**asdict(self), "county_id": county_id})

    def _q(self, fields: dict[str, str], prefix: str) -> Q:
        q = Q()
        for name, field in fields.items():
            value = getattr(self, name)
            if value:
                q &= Q(**{f"{prefix}{field}": value})
        return q

    def snapshot_q(self) -> Q:
        """The dimension filters on snapshot rows."""
        return self._q(_SNAPSHOT_FIELDS, "")

    def case_q(self, prefix: str = "") -> Q:
        """The dimension filters on cases (``prefix`` leads from another model to the case:
        ``case__`` from an event)."""
        return self._q(_CASE_FIELDS, prefix)


def default_filters(today: dt.date | None = None) -> Filters:
    today = today or timezone.localdate()
    return Filters(start=(today - relativedelta(months=11)).replace(day=1), end=today)


def half_year_filters(year: int, half: int) -> Filters:
    start, end = half_year_bounds(year, half)
    return Filters(start=start, end=end)


def filter_snapshots(queryset, f: Filters):
    """Apply the dimension filters to a snapshot queryset."""
    return queryset.filter(f.snapshot_q())


def dimension_filter_q(f: Filters) -> Q:
    """The same dimension filters on Case rows."""
    return f.case_q()


def months(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month from ``start``'s month to ``end``."""
    found, month = [], start.replace(day=1)
    while month <= end:
        found.append(month)
        month += relativedelta(months=1)
    return found


def half_year_code(year: int, half: int) -> str:
    """A half-year as a machine code: ``2025-H1`` (the report form's value too)."""
    return f"{year}-H{half}"


def half_year_of(day: dt.date) -> str:
    """The code of the half-year ``day`` falls in."""
    return half_year_code(day.year, 1 if day.month <= 6 else 2)


def half_years(start: dt.date, end: dt.date) -> list[tuple[int, int]]:
    """Every (year, half) that begins on or before ``end``, from ``start``'s half-year on."""
    periods = []
    year, half = start.year, 1 if start.month <= 6 else 2
    while half_year_bounds(year, half)[0] <= end:
        periods.append((year, half))
        year, half = (year, 2) if half == 1 else (year + 1, 1)
    return periods
