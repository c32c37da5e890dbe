"""What every group of tables reads: the stage order, the data date, localised names and the
snapshot queries several tables share (one query per output for the stock, one for the flow)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import translation

from recruitment.models import (
    PIPELINE_STATES,
    CaseState,
    Country,
    Organisation,
    OrganisationKind,
    Profession,
)

from ..models import FlowSnapshot, SnapshotRun, StockSnapshot
from ..snapshots import DROPPED_OUT_STATES
from .caching import remember
from .filters import Filters, filter_snapshots

S = CaseState
STATE_ORDER = [*PIPELINE_STATES, S.PLACED, S.COMPLETED, *DROPPED_OUT_STATES]
STAGES = [*PIPELINE_STATES, S.PLACED]  # states a case can leave (durations, conversion)


# --- Data date -------------------------------------------------------------------------------


def data_date(end: dt.date) -> dt.date | None:
    """The latest snapshot date within the period's end: the figures' "data date"."""
    return remember(
        ("data_date", end),
        lambda: SnapshotRun.objects.filter(date__lte=end).aggregate(d=Max("date"))["d"],
    )


def flow_end(f: Filters) -> dt.date | None:
    latest = data_date(f.end)
    return min(f.end, latest) if latest else None


# --- Names (localised) -----------------------------------------------------------------------


def _lang() -> str:
    return (translation.get_language() or "fi")[:2]


def organisation_name(org: Organisation) -> str:
    lang = _lang()
    return (org.name_sv if lang == "sv" else org.name_en if lang == "en" else org.name) or org.name


def profession_name(profession: Profession) -> str:
    return getattr(profession, f"name_{_lang()}", "") or profession.name_en


def country_name(country: Country) -> str:
    return getattr(country, f"name_{_lang()}", "") or country.name_en


def counties() -> list[Organisation]:
    return remember(
        "counties",
        lambda: list(Organisation.objects.filter(kind=OrganisationKind.COUNTY).order_by("name")),
    )


def state_label(state: str) -> str:
    return str(CaseState(state).label)


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# --- Shared reads: one query per output for the stock and one for the flow ------------------


def stock_cells(f: Filters) -> list[tuple[int, str, int]]:
    """(county, state, cases) at the data date; read by both stock tables."""

    def compute():
        day = data_date(f.end)
        if not day:
            return []
        return list(
            filter_snapshots(StockSnapshot.objects.filter(date=day), f)
            .values_list("county_id", "state")
            .annotate(n=Sum("cases"))
            .order_by()
        )

    return remember(("stock", f), compute)


def flow_cells(f: Filters) -> list[tuple[dt.date, int, int, str, int, int, int]]:
    """(month, county, country, basis, entered, placed, dropped out) within the period, up to
    the data date; read by the flow, target, ethics and country tables."""

    def compute():
        end = flow_end(f)
        if not end or f.start > end:
            return []
        return [
            (month.date() if isinstance(month, dt.datetime) else month, *rest)
            for month, *rest in filter_snapshots(
                FlowSnapshot.objects.filter(date__gte=f.start, date__lte=end), f
            )
            .annotate(month=TruncMonth("date"))
            .values_list("month", "county_id", "country_id", "recruitment_basis")
            .annotate(e=Sum("entered"), p=Sum("placed"), d=Sum("dropped_out"))
            .order_by()
        ]

    return remember(("flow", f), compute)


def who_listed() -> set[int]:
    return remember(
        "who_listed",
        lambda: set(Country.objects.filter(who_safeguards_list=True).values_list("pk", flat=True)),
    )
