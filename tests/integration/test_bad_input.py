"""Bad input never makes a 500 (issue 10, item 4): the reproductions of the outside test, each
for its whole class of input and for every endpoint it reaches.

- ids: one parser (ASCII digits, 1 to the bigint maximum) for path ids (404), ids in query
  filters and bodies (400), If-Match, page_size and cursors;
- times: ``updated_since`` needs an offset within ±14:00 (400 otherwise, also when naive);
- JSON nested deeper than 32 levels (400), NaN / Infinity (400);
- wrong JSON types (400 naming the field, nothing written);
- anything on /api/ that DRF never saw (unknown URL, refused host, a real bug) is still
  problem+json.
"""

import datetime as dt

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from recruitment.models import CaseEvent, Role
from tests import factories

from .conftest import http

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
# Unicode digits ("²".isdigit() is True; int("²") fails), other scripts' digits, signs,
# spaces, decimals, zero and numbers beyond PostgreSQL's bigint.
BAD_IDS = [
    "%C2%B2",
    "%D9%A3",
    "%EF%BC%91",  # fullwidth 1
    "-1",
    "+1",
    "%201",
    "1%20",
    "1.0",
    "1_0",
    "0",
    "9223372036854775808",
    "99999999999999999999999",
]
DOCUMENT = SchemaGenerator(urlconf="integration.api.schema_urls").get_schema(public=True)
OPERATIONS = [(path, method) for path, item in DOCUMENT["paths"].items() for method in item]
LISTS = sorted({path for path, method in OPERATIONS if "{" not in path and method == "get"})
TRACKS = {"enrollments", "language-certificates", "permits", "integration-steps"}
TRACK_LISTS = [path for path in LISTS if path.split("/")[3] in TRACKS]
DETAIL_OPERATIONS = [(path, method) for path, method in OPERATIONS if "{id}" in path]
JSON_WRITES = [
    (path, method)
    for path, method in OPERATIONS
    if "application/json"
    in DOCUMENT["paths"][path][method].get("requestBody", {}).get("content", {})
]


def problem(response, status):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["code"], body
    return body


def call(api, method, path, **kwargs):
    return getattr(api, method)(path, **kwargs)


# --- ids -------------------------------------------------------------------------------------


def test_the_operation_lists_cover_the_api():
    assert len(DETAIL_OPERATIONS) >= 15 and len(LISTS) >= 7 and len(JSON_WRITES) >= 10


@pytest.mark.parametrize(("path", "method"), DETAIL_OPERATIONS)
def test_a_bad_id_in_any_path_is_a_404_problem(county_token, case_at, path, method):
    api = http(county_token)
    for bad in BAD_IDS:
        url = path.replace("{id}", bad).replace("{name}", "hold")
        response = call(api, method, url, data={}, format="json", HTTP_IF_MATCH='"1"')
        assert problem(response, 404)["code"] == "not_found", (url, method)


@pytest.mark.parametrize("path", TRACK_LISTS)
def test_a_bad_id_in_a_query_filter_is_a_400_naming_it(county_token, case_at, path):
    api = http(county_token)
    for bad in [*BAD_IDS, "1e3", "abc"]:
        body = problem(api.get(f"{path}?case={bad}"), 400)
        assert list(body["errors"]) == ["case"], (path, bad)
    assert api.get(f"{path}?case={case_at.pk}").status_code == 200


def test_web_pages_take_only_ids_that_can_exist(client, pirkanmaa):
    educator = factories.user_with_role(Role.RECRUITER, pirkanmaa, username="ids.web")
    client.force_login(educator)
    for prefix in ("/education/enrollments/", "/imports/", "/monitoring/reports/"):
        for bad in BAD_IDS:
            suffix = "" if prefix == "/education/enrollments/" else "status/"
            response = client.get(f"{prefix}{bad}/{suffix}")
            assert response.status_code == 404, (prefix, bad)


def test_if_match_page_size_and_cursor_take_ascii_digits_only(county_token, case_at):
    api = http(county_token)
    for bad in ('"\u00b2"', '"\u0663"', '"-1"', '" 1"', '"99999999999"'):
        body = problem(
            api.post(
                f"/api/v1/cases/{case_at.pk}/transitions/hold/",
                {"reason": "Pause."},
                format="json",
                HTTP_IF_MATCH=bad,
            ),
            400,
        )
        assert "If-Match" in body["errors"]
    for bad in ("%C2%B2", "%D9%A3", "+5", "0", "1001"):
        assert "page_size" in problem(api.get(f"/api/v1/cases/?page_size={bad}"), 400)["errors"]
    forged = "MjAyNi0wMS0wMVQwMDowMDowMCsxNjowMHwx"  # "2026-01-01T00:00:00+16:00|1"
    for cursor in (forged, "wrzCsg", "%C2%B2"):
        assert "cursor" in problem(api.get(f"/api/v1/cases/?cursor={cursor}"), 400)["errors"]


# --- updated_since ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", LISTS)
def test_updated_since_needs_an_offset_within_fourteen_hours(county_token, case_at, path):
    api = http(county_token)
    for bad in (
        "2026-01-01T00:00:00%2B16:00",
        "2026-01-01T00:00:00-15:00",
        "2026-01-01T00:00:00%2B05:99",
        "2026-01-01T00:00:00",  # naive: was read as Helsinki time
        "2026-01-01T00:00:00+02:00",  # an unencoded + is a space
        "2026-01-01",
        "0001-01-01T00:00:00Z",
        "%D9%A2026-01-01T00:00:00Z",
        "yesterday",
    ):
        response = api.get(f"{path}?updated_since={bad}")
        if path in ("/api/v1/webhooks/", "/api/v1/imports/"):
            assert response.status_code == 200  # no updated_since there
            continue
        body = problem(response, 400)
        assert list(body["errors"]) == ["updated_since"], (path, bad)
        assert "offset" in body["detail"]
    for good in ("2020-01-01T00:00:00Z", "2020-01-01T00:00:00%2B14:00", "2020-01-01T00:00-1400"):
        assert api.get(f"{path}?updated_since={good}").status_code == 200, (path, good)


@pytest.mark.parametrize("path", sorted(set(LISTS) - {"/api/v1/webhooks/", "/api/v1/imports/"}))
def test_a_filter_sent_empty_is_a_400_naming_it(county_token, path):
    """``?programme=`` was silently no filter (found by the schemathesis run)."""
    api = http(county_token)
    names = [p["name"] for p in DOCUMENT["paths"][path]["get"].get("parameters", [])]
    names = [n for n in names if n not in ("cursor", "page_size")]
    assert "updated_since" in names
    for name in names:
        body = problem(api.get(f"{path}?{name}="), 400)
        assert list(body["errors"]) == [name], (path, name)


def test_updated_since_compares_the_moment_whatever_its_offset(county_token, case_at):
    api = http(county_token)
    stamp = case_at.updated_at

    def ids(moment):
        text = moment.isoformat(timespec="microseconds").replace("+", "%2B")
        return {
            row["id"] for row in api.get(f"/api/v1/cases/?updated_since={text}").json()["results"]
        }

    east, west = dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-14))
    assert case_at.pk in ids(stamp.astimezone(east))
    assert case_at.pk in ids(stamp.astimezone(west))
    assert case_at.pk not in ids((stamp + dt.timedelta(microseconds=1)).astimezone(east))
    assert case_at.pk not in ids((stamp + dt.timedelta(microseconds=1)).astimezone(west))


# --- JSON ------------------------------------------------------------------------------------


@pytest.fixture
def object_ids(case_at, county_token):
    """An existing id per kind of resource, so detail writes get as far as their body."""
    from credentials import services as credential_services
    from integration.models import ApiClient, WebhookSubscription

    from .conftest import SYSTEM, days_ago

    permit = credential_services.apply_permit(
        case=case_at,
        actor=SYSTEM,
        permit_type="employed_person",
        permit_kind="temporary",
        applied_on=days_ago(5),
    )
    return {
        "cases": case_at.pk,
        "enrollments": case_at.enrollments.get().pk,
        "permits": permit.pk,
        "integration-steps": case_at.integration_steps.get().pk,
        "webhooks": WebhookSubscription.objects.create(
            client=ApiClient.objects.get(name="Pirkanmaa HR"),
            url="https://partner.example/hook",
            secret="whsec_test",
        ).pk,
    }


@pytest.mark.parametrize(("path", "method"), JSON_WRITES)
def test_deeply_nested_json_is_a_400_on_every_json_endpoint(county_token, object_ids, path, method):
    api = http(county_token)
    url = path.replace("{id}", str(object_ids.get(path.split("/")[3]))).replace("{name}", "hold")
    for body in ("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 34 + "]" * 34):
        response = call(
            api, method, url, data=body, content_type="application/json", HTTP_IF_MATCH='"1"'
        )
        assert problem(response, 400)["code"] == "malformed_request", (path, method)
    # Not JSON numbers; and NUL, which no text column stores (PostgreSQL raised a DataError).
    for body in ('{"x": NaN}', "[Infinity]", '{"x": -Infinity}', '{"institution": "a\\u0000"}'):
        response = call(
            api, method, url, data=body, content_type="application/json", HTTP_IF_MATCH='"1"'
        )
        assert problem(response, 400)["code"] == "malformed_request", (path, method, body)


def test_json_nested_within_the_limit_is_parsed(county_token, case_at):
    api = http(county_token)
    deep = {"items": [[[[["x"]]]]]}
    response = api.post("/api/v1/enrollments/bulk/", deep, format="json")
    assert response.status_code == 207  # parsed; the item itself is refused on its own


# --- types -----------------------------------------------------------------------------------


def test_a_number_for_a_text_field_is_refused_and_nothing_changes(county_token, case_at):
    api = http(county_token)
    events = CaseEvent.objects.filter(case=case_at).count()
    body = problem(
        api.post(
            f"/api/v1/cases/{case_at.pk}/transitions/hold/",
            {"reason": 42},
            format="json",
            HTTP_IF_MATCH=f'"{case_at.version}"',
        ),
        400,
    )
    assert body["errors"] == {"reason": ["Must be a string."]}
    case_at.refresh_from_db()
    assert case_at.state == "in_training"
    assert CaseEvent.objects.filter(case=case_at).count() == events


@pytest.mark.parametrize(
    ("path", "payload", "field", "message"),
    [
        ("/api/v1/enrollments/", {"case": "1"}, "case", "Must be a whole number."),
        ("/api/v1/enrollments/", {"case": 1.0}, "case", "Must be a whole number."),
        ("/api/v1/enrollments/", {"case": True}, "case", "Must be a whole number."),
        ("/api/v1/enrollments/", {"programme": 1}, "programme", "Must be a string."),
        ("/api/v1/enrollments/", {"starts_on": 20260101}, "starts_on", "Must be a string."),
        ("/api/v1/enrollments/", {"institution": 7}, "institution", "Must be a string."),
        ("/api/v1/webhooks/", {"url": 42}, "url", "Must be a string."),
        ("/api/v1/webhooks/", {"active": "true"}, "active", "Must be true or false."),
        ("/api/v1/webhooks/", {"active": 1}, "active", "Must be true or false."),
        ("/api/v1/webhooks/", {"event_types": "case.opened"}, "event_types", "Must be a list."),
        ("/api/v1/webhooks/", {"event_types": [1]}, "event_types", "Must be a string."),
        ("/api/v1/integration-steps/", {"notes": ["a"]}, "notes", "Must be a string."),
    ],
)
def test_wrong_json_types_are_refused_naming_the_field(
    county_token, case_at, path, payload, field, message
):
    body = problem(http(county_token).post(path, payload, format="json"), 400)
    assert body["errors"][field] == [message]


def test_ids_in_bodies_use_the_one_id_parser(county_token, case_at):
    api = http(county_token)
    for bad in (0, -1, 2**63, 10**30):
        payload = {"case": bad, "programme": "language", "starts_on": "2026-01-12"}
        assert (
            "case"
            in problem(api.post("/api/v1/enrollments/", payload, format="json"), 400)["errors"]
        )
    items = [{"id": 10**30, "version": 1, "progress_percent": 5}, {"id": 1, "version": "1"}]
    response = api.post("/api/v1/enrollments/bulk/", {"items": items}, format="json")
    assert response.status_code == 207
    results = response.json()["results"]
    assert [r["status"] for r in results] == [400, 400]
    assert results[1]["error"]["errors"] == {"version": ["Must be a whole number."]}


def test_multipart_fields_keep_their_text_form(county_token):
    """A CSV upload is a form: ``apply_valid_rows=true`` is text there, and stays accepted."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.csv", b"enrollment_id;version;progress_percent\n", "text/csv")
    response = http(county_token).post(
        "/api/v1/imports/",
        {"kind": "enrollments", "apply_valid_rows": "true", "file": upload},
        format="multipart",
    )
    assert response.status_code in (202, 400)
    if response.status_code == 400:
        assert "apply_valid_rows" not in response.json().get("errors", {})


# --- problem+json outside DRF ----------------------------------------------------------------


def test_unknown_api_urls_are_404_problems(county_token):
    for path in ("/api/v1/nothing/", "/api/v2/cases/", "/api/", "/api/v1/cases/1/nothing/"):
        problem(http(county_token).get(path), 404)


def test_api_404s_do_not_render_the_sites_html_error_page(county_token, settings):
    """Production without collected static files: the HTML 404 page cannot render, and an
    unknown /api/ URL answered 500. API paths answer problem+json without the template."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = "/nonexistent-polku-static"
    problem(http(county_token).get("/api/v1/nothing/"), 404)


def test_a_refused_host_on_an_api_path_is_a_400_problem():
    response = Client().get("/api/v1/cases/", HTTP_HOST="evil.example")
    assert problem(response, 400)["code"] == "bad_request"
    page = Client().get("/accounts/login/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and not page["Content-Type"].startswith(PROBLEM)


def test_a_plain_django_api_view_answers_405_as_a_problem(client, superuser):
    client.force_login(superuser)
    response = client.post("/api/v1/monitoring/")
    problem(response, 405)
    assert response["Allow"] == "GET"


def test_too_many_form_fields_is_a_400_problem(county_token, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"f{i}": "x" for i in range(10)}
    response = http(county_token).post("/api/v1/imports/", fields, format="multipart")
    assert problem(response, 400)["code"] == "malformed_request"
    query = "&".join(f"f{i}=x" for i in range(10))
    assert problem(http(county_token).get(f"/api/v1/cases/?{query}"), 400)["code"] == (
        "malformed_request"
    )


def test_an_uncaught_error_on_an_api_path_is_a_500_problem(county_token, monkeypatch, caplog):
    from integration import selectors

    def broken(principal):
        raise RuntimeError("a real bug")

    monkeypatch.setattr(selectors, "case_list_for_api", broken)
    api = http(county_token)
    api.raise_request_exception = False
    response = api.get("/api/v1/cases/")
    body = problem(response, 500)
    assert body["code"] == "server_error"
    assert "a real bug" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "django.request" and r.exc_info]
    assert len(logged) == 1 and "a real bug" in str(logged[0].exc_info[1])
