"""Aggregates against hand-built histories (figures worked out in conftest.scenario)."""

import datetime as dt
import statistics

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from monitoring import selectors, services
from monitoring import tables as t
from monitoring.forecast import backtest, project
from monitoring.models import CountyTarget
from recruitment.models import OPEN_STATES, CaseState, Organisation
from tests import factories

from .conftest import build_case, county_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(scenario, lone_case):
    services.take_snapshots(since=scenario["d0"] - dt.timedelta(days=1))
    f = selectors.Filters(start=scenario["d0"] - dt.timedelta(days=1), end=scenario["today"])
    return f, selectors.dashboard_tables(f)


def _row(table, **labels):
    return next(r for r in table.rows if all(r[k] == v for k, v in labels.items()))


def test_stock_by_stage_and_county(published):
    _f, tables = published
    stage = tables["stock_by_stage"]
    assert _row(stage, stage="Screening")["cases"] == 5
    assert _row(stage, stage="Sourced")["cases"] == 6  # 5 Kainuu + 1 Lapland
    assert _row(stage, stage="Placed")["cases"] == 5
    assert stage.totals["cases"] == 21
    county = tables["stock_by_county"]
    assert _row(county, county=county_name("pirkanmaa"))["in_pipeline"] == 5
    assert _row(county, county=county_name("pirkanmaa"))["dropped_out"] == 5
    # Lapland's single case is never shown, and its complement is hidden too.
    lapland = _row(county, county=county_name("lappi"))
    assert lapland["in_pipeline"] is t.SUPPRESSED and lapland["total"] is t.SUPPRESSED
    # 5 screening + 5 Kainuu + 1 Lapland; the hidden cells of the column add up to 5 or more.
    assert county.totals["in_pipeline"] == 11
    hidden = [r for r in county.body_rows if r["in_pipeline"] is t.SUPPRESSED]
    assert len(hidden) >= 2


def test_monthly_flow_and_reasons(published):
    _f, tables = published
    flow = tables["monthly_flow"]
    assert (flow.totals["entered"], flow.totals["placed"], flow.totals["dropped_out"]) == (21, 5, 5)
    reasons = tables["dropout_reasons"]
    row = _row(reasons, reason="Chose another employer.")
    assert (row["stage"], row["outcome"], row["cases"]) == ("Screening", "Withdrawn", 5)


def test_stage_durations_median_and_p90(published):
    _f, tables = published
    screening = _row(tables["stage_durations"], stage="Screening")
    days = [10] * 5 + [15, 20, 25, 30, 35]
    assert screening["exits"] == 10
    assert screening["median_days"] == statistics.median(days) == 12.5
    assert screening["p90_days"] == 30.5  # (n − 1) · 0.9 = 8.1 → 30 + 0.1 · (35 − 30)
    # Every placed nurse spent 10 days ready for placement.
    ready = _row(tables["stage_durations"], stage="Ready for placement")
    assert (ready["exits"], ready["median_days"], ready["p90_days"]) == (5, 10.0, 10.0)


def test_conversion_and_dropout_by_stage(published):
    _f, tables = published
    screening = _row(tables["conversion_by_stage"], stage="Screening")
    assert (screening["progressed"], screening["withdrawn"], screening["exits"]) == (5, 5, 10)
    assert screening["conversion"] == 50.0
    assert screening["dropout_rate"] == 50.0


def test_ethics_share_and_countries(published):
    _f, tables = published
    ethics = tables["ethics_basis"]
    own = _row(ethics, basis="Candidate's own initiative")
    assert (own["who_listed"], own["other"]) == (5, 0)
    assert ethics.totals["total"] == 21
    assert ethics.totals["who_share"] == pytest.approx(100 * 5 / 21, abs=0.05)
    countries = tables["flow_by_country"]
    nepal = selectors.country_name(factories.country("NP"))
    india = selectors.country_name(factories.country("IN"))
    assert _row(countries, country=nepal)["who_listed"] == str(_("yes"))
    assert _row(countries, country=india)["entered"] is t.SUPPRESSED


def test_placements_against_target(scenario, lone_case):
    services.take_snapshots(since=scenario["d0"] - dt.timedelta(days=1))
    placed_on = scenario["day"](90)
    half = 1 if placed_on.month <= 6 else 2
    CountyTarget.objects.create(
        county=Organisation.objects.get(code="helsinki"),
        year=placed_on.year,
        half=half,
        target_placements=10,
    )
    f = selectors.Filters(start=placed_on.replace(day=1), end=placed_on)
    table = selectors.dashboard_tables(f)["placements_vs_target"]
    helsinki = _row(table, county=county_name("helsinki"), period=f"H{half} {placed_on.year}")
    assert (helsinki["placements"], helsinki["target"], helsinki["share_of_target"]) == (
        5,
        10,
        50.0,
    )


def test_filters_by_county_profession_sector_country(published):
    f, _tables = published
    for extra, expected in (
        ({"county_id": factories.county("helsinki").pk}, 5),
        ({"profession_id": factories.profession("care_assistant").pk}, 5),
        ({"sector": "social"}, 5),
        ({"country_id": factories.country("PH").pk}, 10),
        ({"sector": "rescue"}, 0),
    ):
        filtered = selectors.Filters(start=f.start, end=f.end, **extra)
        assert selectors.monthly_flow(filtered).totals["entered"] == expected, extra


def test_projection_of_a_simple_pipeline():
    # Ten cases ready; half of those still waiting are placed each month.
    months = project({"ready_for_placement": 10.0}, {"ready_for_placement": {"placed": 0.5}}, 0, 6)
    assert months[:3] == [5.0, 2.5, 1.25]
    assert sum(months) == pytest.approx(10 * (1 - 0.5**6))


def test_forecast_and_backtest_run_on_snapshots(published):
    _f, tables = published
    forecast = tables["forecast_by_county"]
    pirkanmaa = _row(forecast, county=county_name("pirkanmaa"))
    assert pirkanmaa["open_cases"] == 5
    assert pirkanmaa["next_12_months"] >= pirkanmaa["next_6_months"] >= 0
    # 100 days of history: no origin 6 or 12 months back to test from.
    assert backtest(selectors.data_date(dt.date.today())) == []


def _hidden(tables: dict, names) -> dict[str, set]:
    """The hidden cells (row, column) of the tables ``names`` (tables whose rows are in the
    same order in every language)."""
    return {
        name: {
            (i, k) for i, row in enumerate(table.rows) for k, v in row.items() if v is t.SUPPRESSED
        }
        for name, table in tables.items()
        if name in names
    }


def test_suppression_does_not_depend_on_display_names(scenario, lone_case):
    # Two counties that share their English name (names are not unique) but not their Finnish
    # one: the cells hidden must be the same in both languages, on the dashboard and in the
    # report, because tables are linked by what a row is, not by what it is called.
    Organisation.objects.filter(code__in=["pirkanmaa", "lappi"]).update(name_en="Northern")
    services.take_snapshots(since=scenario["d0"] - dt.timedelta(days=1))
    today = scenario["today"]
    f = selectors.Filters(start=scenario["d0"] - dt.timedelta(days=1), end=today)
    half = 1 if today.month <= 6 else 2
    by_county = ("stock_by_county", "forecast_by_county", "permits_expiring")
    on_pages = (*by_county, "stock_by_stage", "monthly_flow", "ethics_basis")
    hidden = {}
    for lang in ("fi", "en"):
        with translation.override(lang):
            dashboard = selectors.dashboard_tables(f)
            national, pages = selectors.report_tables(today.year, half)
        hidden[lang] = (
            _hidden(dashboard, by_county),
            _hidden(national, by_county),
            {pk: _hidden(page, on_pages) for pk, page in pages.items()},
        )
    # Lapland's lone case stays hidden; Pirkanmaa's five in the pipeline stay shown.
    lapland, pirkanmaa = (
        next(i for i, c in enumerate(selectors.counties()) if c.code == code)
        for code in ("lappi", "pirkanmaa")
    )
    assert (lapland, "in_pipeline") in hidden["fi"][0]["stock_by_county"]
    assert (pirkanmaa, "open_cases") not in hidden["fi"][0]["forecast_by_county"]
    assert hidden["en"] == hidden["fi"]


def test_a_reason_reading_like_the_other_reasons_group_stays_its_own_row(scenario):
    # Five drop-outs give "Other reasons" as their own text, one gives a rare text: the rare
    # one is grouped as other reasons, apart from the five, in every language.
    day = scenario["day"]
    for _i in range(5):
        build_case(path=[("sourced", day(0)), ("withdrawn", day(3))], reason="Other reasons")
    build_case(path=[("sourced", day(0)), ("withdrawn", day(3))], reason="Moved abroad.")
    services.take_snapshots(since=scenario["d0"] - dt.timedelta(days=1))
    f = selectors.Filters(start=scenario["d0"] - dt.timedelta(days=1), end=scenario["today"])
    published = {}
    for lang in ("fi", "en"):
        with translation.override(lang):
            table = selectors.dashboard_tables(f)["dropout_reasons"]
        published[lang] = [(row[t.ROW_KEY], row["cases"]) for row in table.rows]
    assert published["en"] == published["fi"]
    assert [n for key, n in published["en"] if key.startswith("state:sourced/")] == [
        t.SUPPRESSED,
        t.SUPPRESSED,
    ]


def test_every_case_state_is_one_stage_and_in_one_stock_group():
    # The stage table lists every state once and the county table's groups split them all:
    # a state added to the case model has to be placed in the pipeline, or beside it.
    assert sorted(selectors.STATE_ORDER) == sorted(CaseState.values)
    grouped = [state for _key, _label, states in selectors.STOCK_GROUPS for state in states]
    assert sorted(grouped) == sorted(CaseState.values)
    assert [*OPEN_STATES, CaseState.ON_HOLD] == selectors.PIPELINE_STATES
