"""The half-yearly PDF: generated through the page and Celery, every total recomputed from
the database, no small cell shown, bad input refused without duplicate work."""

import datetime as dt
import io
import random
from collections import Counter

import pytest
from django.utils import timezone
from pypdf import PdfReader

from config.celery import app as celery_app
from monitoring import selectors, services
from monitoring.models import CountyTarget, HalfYearReport
from recruitment.models import Case, CaseEvent, Organisation, OrganisationKind

from .conftest import build_case

pytestmark = pytest.mark.django_db

PIPELINE = {
    "sourced",
    "screening",
    "offer_accepted",
    "in_recognition",
    "in_training",
    "ready_for_placement",
    "on_hold",
}
DROPPED = {"withdrawn", "rejected", "left_early"}


@pytest.fixture
def eager_celery():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def last_complete_half(today: dt.date) -> tuple[int, int]:
    return (today.year, 1) if today.month > 6 else (today.year - 1, 2)


FORWARD = [
    "screening",
    "offer_accepted",
    "in_recognition",
    "in_training",
    "ready_for_placement",
    "placed",
    "completed",
]


@pytest.fixture
def demo_data():
    """150 random but reproducible case histories over two years in six counties."""
    rng = random.Random(2026)
    today = timezone.localdate()
    for _ in range(150):
        day = today - dt.timedelta(days=rng.randint(5, 720))
        path = [("sourced", day)]
        for state in FORWARD[: rng.randint(0, len(FORWARD))]:
            day += dt.timedelta(days=rng.randint(3, 60))
            if day >= today:
                break
            if rng.random() < 0.06 and state != "completed":
                path.append(("on_hold", day))
                day += dt.timedelta(days=rng.randint(1, 20))
                if day >= today:
                    break
            path.append((state, day))
        last = path[-1][0]
        day += dt.timedelta(days=rng.randint(1, 40))
        if day < today and rng.random() < 0.25 and last != "completed":
            path.append(
                ("left_early" if last == "placed" else rng.choice(["withdrawn", "rejected"]), day)
            )
        build_case(
            county=rng.choice(["pirkanmaa", "helsinki", "hus", "kainuu", "lappi", "pohjanmaa"]),
            profession=rng.choice(
                ["registered_nurse", "practical_nurse", "doctor", "care_assistant"]
            ),
            country=rng.choice(["PH", "IN", "VN", "NP", "ES", "EE"]),
            path=path,
            reason=rng.choice(["Moved to another employer.", "Family reasons.", "Other offer."]),
            permit_valid_until=today + dt.timedelta(days=rng.randint(-200, 400)),
        )
    first = CaseEvent.objects.order_by("occurred_at").first().occurred_at
    services.take_snapshots(since=timezone.localtime(first).date())
    year, half = last_complete_half(today)
    for i, county in enumerate(Organisation.objects.filter(kind=OrganisationKind.COUNTY)):
        CountyTarget.objects.create(county=county, year=year, half=half, target_placements=3 + i)
    return year, half


def _generate(client, django_capture_on_commit_callbacks, year, half):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/monitoring/reports/", {"year": year, "half": half}, headers={"accept-language": "en"}
        )
    assert response.status_code == 302
    return HalfYearReport.objects.get(year=year, half=half)


def _is_cell(text: str) -> bool:
    return text == "x" or text.replace(".", "", 1).replace(" %", "").isdigit()


def _after(lines: list[str], label: str, count: int, start: int = 0) -> list[str]:
    """The ``count`` cells after the first line ``label`` (at or after line ``start``) that is
    followed by a figure (so a column header of the same name is skipped)."""
    i = lines.index(label, start)
    while label != "Stage" and label != "Month" and not _is_cell(lines[i + 1]):
        i = lines.index(label, i + 1)
    return lines[i + 1 : i + 1 + count]


def _number(cell: str):
    return None if cell == "x" else int(cell)


def _assert_same(shown: list[str], expected: list[int], what: str) -> None:
    for cell, value in zip(shown, expected, strict=True):
        if cell == "x":
            continue  # suppressed: checked separately
        assert int(cell) == value, (what, shown, expected)


def _expected(start: dt.date, end: dt.date, county_id=None):
    cutoff = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    events = CaseEvent.objects.filter(kind__in=["opened", "transition"], occurred_at__lt=cutoff)
    if county_id:
        events = events.filter(case__county_id=county_id)
    state = {}
    entered = placed = dropped = exits = 0
    for case_id, kind, to_state, occurred in events.order_by("occurred_at", "id").values_list(
        "case_id", "kind", "to_state", "occurred_at"
    ):
        state[case_id] = to_state
        if occurred >= begin:
            if kind == "opened":
                entered += 1
            else:
                exits += 1
                placed += to_state == "placed"
                dropped += to_state in DROPPED
    stages = Counter(state.values())
    return {
        "total": len(state),
        "stages": stages,
        "in_pipeline": sum(stages[s] for s in PIPELINE),
        "placed_stock": stages["placed"],
        "completed": stages["completed"],
        "dropped_stock": sum(stages[s] for s in DROPPED),
        "entered": entered,
        "placed": placed,
        "dropped": dropped,
        "exits": exits,
    }


def test_report_totals_match_the_database(
    client, analyst, demo_data, eager_celery, django_capture_on_commit_callbacks
):
    year, half = demo_data
    client.force_login(analyst)
    report = _generate(client, django_capture_on_commit_callbacks, year, half)
    assert report.status == "done" and report.progress == 100
    assert report.generated_by == analyst and report.generated_at is not None
    status = client.get(f"/monitoring/reports/{report.pk}/status/").json()
    assert status["status"] == "done" and status["download_url"]
    listing = client.get("/monitoring/reports/").content.decode()
    assert f"H{half} {year}" in listing and status["download_url"] in listing
    pdf = client.get(status["download_url"])
    assert pdf["Content-Type"] == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages]

    # No personal data anywhere in the report.
    everything = "\n".join(pages)
    for first, last, email, number in Case.objects.values_list(
        "candidate__first_name", "candidate__last_name", "candidate__email", "number"
    ):
        assert f"{first} {last}" not in everything and email not in everything
        assert number not in everything

    start, end = (
        (dt.date(year, 1, 1), dt.date(year, 6, 30))
        if half == 1
        else (
            dt.date(year, 7, 1),
            dt.date(year, 12, 31),
        )
    )
    counties = selectors.counties()
    with_names = {c.pk: c.name_en for c in counties}
    first_county = next(
        i for i, text in enumerate(pages) if with_names[counties[0].pk] in text.splitlines()[:4]
    )
    national = [line.strip() for page in pages[1:first_county] for line in page.splitlines()]
    assert f"Half-yearly monitoring report H{half} {year}" in pages[0]
    assert f"Data date: {end.isoformat()}" in pages[0]
    e = _expected(start, end)
    assert e["entered"] >= 5 and e["total"] >= 5  # enough data for the totals to be shown

    # Summary figures
    summary = _after(national, "Cases in the pipeline", 1)
    _assert_same(summary, [e["in_pipeline"]], "summary pipeline")
    assert _after(national, "Entered in the period", 1) == [str(e["entered"])]
    _assert_same(_after(national, "Placed in the period", 1), [e["placed"]], "summary placed")
    _assert_same(_after(national, "Dropped out in the period", 1), [e["dropped"]], "dropped")
    # Cases by stage: every stage and the total
    stock_start = national.index("Cases by stage")
    for label, state in (("Sourced", "sourced"), ("Placed", "placed"), ("Completed", "completed")):
        cell = _after(national, label, 1, national.index("Stage", stock_start))
        _assert_same(cell, [e["stages"][state]], label)
    assert _after(national, "Total", 1, stock_start) == [str(e["total"])]
    # Cases by county: the total row
    county_start = national.index("Cases by county")
    _assert_same(
        _after(national, "Total", 5, county_start),
        [e["in_pipeline"], e["placed_stock"], e["completed"], e["dropped_stock"], e["total"]],
        "county total row",
    )
    # Monthly flow, drop-outs, conversion, ethics, source countries, forecast: total rows
    flow_start = national.index("Monthly flow")
    flow_total = _after(national, "Total", 3, flow_start)
    _assert_same(flow_total, [e["entered"], e["placed"], e["dropped"]], "flow")
    assert flow_total[0] == str(e["entered"]) and flow_total[2] == str(e["dropped"])
    assert (flow_total[1] == "x") == (0 < e["placed"] < 5)
    targets = sum(
        CountyTarget.objects.filter(year=year, half=half).values_list(
            "target_placements", flat=True
        )
    )
    target_start = national.index("Placements against county targets")
    _assert_same(_after(national, "Total", 2, target_start)[:1], [e["placed"]], "placements")
    assert _after(national, "Total", 2, target_start)[1] == str(targets)
    conversion = _after(national, "Total", 6, national.index("Conversion and drop-out by stage"))
    _assert_same(conversion[5:6], [e["exits"]], "conversion exits")
    reasons = _after(national, "Total", 1, national.index("Drop-outs by stage and reason"))
    _assert_same(reasons, [e["dropped"]], "drop-out reasons")
    forecast = _after(national, "Total", 1, national.index("Forecast of placements by county"))
    _assert_same(forecast, [e["in_pipeline"]], "forecast pipeline")
    ethics_page = next(i for i, text in enumerate(pages) if "Ethical recruitment" in text)
    ethics = [line.strip() for line in pages[ethics_page].splitlines()]
    opened = Case.objects.filter(opened_on__gte=start, opened_on__lte=end)
    listed = opened.filter(candidate__nationality__who_safeguards_list=True).count()
    _assert_same(
        _after(ethics, "Total", 3, ethics.index("Recruitment basis and WHO safeguards list")),
        [listed, e["entered"] - listed, e["entered"]],
        "ethics",
    )
    _assert_same(
        _after(ethics, "Total", 3, ethics.index("Source countries")),
        [e["entered"], e["placed"], e["dropped"]],
        "source countries",
    )
    # Permits expiring (the data date is the end of the half-year)
    permits = _after(national, "Total", 2, national.index("Residence permits expiring"))
    open_then = Case.objects.filter(opened_on__lte=end).exclude(
        closed_at__lt=timezone.make_aware(
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)
        )
    )
    within = [
        open_then.filter(
            permit_valid_until__gt=end, permit_valid_until__lte=end + dt.timedelta(days=days)
        ).count()
        for days in (30, 90)
    ]
    _assert_same(permits, within, "permits")

    # One page per county, each total checked against the county's own cases.
    county_pages = pages[first_county : first_county + len(counties)]
    shown = 0
    for county, text in zip(counties, county_pages, strict=True):
        lines = [line.strip() for line in text.splitlines()]
        assert county.name_en in lines[:4]
        c = _expected(start, end, county.pk)
        _assert_same(_after(lines, "Cases in the pipeline", 1), [c["in_pipeline"]], county.code)
        stage_total = _after(lines, "Total", 1, lines.index("Stage"))
        _assert_same(stage_total, [c["total"]], county.code)
        shown += stage_total != ["x"]
        # Suppression: no stage or month count of 1–4 on any county page.
        for label in ("Sourced", "Screening", "In recognition", "Placed", "Withdrawn"):
            value = _number(_after(lines, label, 1, lines.index("Stage"))[0])
            assert value is None or not 0 < value < 5, (county.code, label, value)
        month = _after(lines, "Month", 3 + 6 * 4, lines.index("Monthly flow"))
        for cell in month[3:]:
            if cell.isdigit():
                assert not 0 < int(cell) < 5, (county.code, month)
    assert shown > 0  # some county totals are big enough to be shown and checked

    # Suppression in the national count tables too.
    header = national.index("Stage", stock_start)
    for label in ("Sourced", "Screening", "Offer accepted", "On hold", "Rejected", "Left early"):
        value = _number(_after(national, label, 1, header)[0])
        assert value is None or not 0 < value < 5, (label, value)
    assert any(cell == "x" for page in county_pages for cell in page.splitlines())


def test_report_bad_input_and_no_duplicate_work(client, analyst, recruiter):
    client.force_login(analyst)
    today = timezone.localdate()
    future = client.post("/monitoring/reports/", {"year": today.year + 1, "half": 1})
    assert future.status_code == 400
    assert "has not started yet" in future.content.decode()
    bad = client.post("/monitoring/reports/", {"year": today.year, "half": 3})
    assert bad.status_code == 400
    assert not HalfYearReport.objects.exists()
    # A report for the same period is already queued: refused, nothing new is queued.
    year, half = last_complete_half(today)
    running = services.request_report(user=analyst, year=year, half=half)
    again = client.post("/monitoring/reports/", {"year": year, "half": half})
    assert again.status_code == 409
    assert "already being generated" in again.content.decode()
    assert HalfYearReport.objects.count() == 1
    # A redelivered task does not redo a report that is no longer queued.
    HalfYearReport.objects.filter(pk=running.pk).update(status="running", progress=40)
    assert services.generate_report(report_id=running.pk).progress == 40
    # Recruiters cannot ask for one at all.
    client.force_login(recruiter)
    assert client.post("/monitoring/reports/", {"year": year, "half": half}).status_code == 403


def test_failed_report_is_marked_and_the_period_can_be_retried(analyst, monkeypatch):
    year, half = last_complete_half(timezone.localdate())
    report = services.request_report(user=analyst, year=year, half=half)
    HalfYearReport.objects.filter(pk=report.pk).update(year=year, half=half)
    monkeypatch.setattr("reportlab.platypus.SimpleDocTemplate.build", _broken_build)
    with pytest.raises(RuntimeError):
        services.generate_report(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "failed" and "disk full" in report.error
    assert services.request_report(user=analyst, year=year, half=half).status == "queued"


def _broken_build(*args, **kwargs):
    raise RuntimeError("disk full")
