"""Operating the API: throttling per client, request logs without personal data, and the
admin (tokens shown once, revocation, webhook redelivery, CSV upload)."""

import datetime as dt
import logging

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from integration.models import ApiClient, CsvImport, OutboxEvent, WebhookDelivery
from integration.services import create_subscription

from .conftest import EDUCATOR_SCOPES, http, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rate(settings):
    from django.core.cache import cache

    cache.clear()
    settings.POLKU_API_THROTTLE_RATES = {"client": "3/min", "bulk": "1/min"}
    yield
    cache.clear()


def test_each_client_has_its_own_rate_limit(low_rate, institution, other_institution):
    _a, token_a = make_token(institution, EDUCATOR_SCOPES, name="A")
    _b, token_b = make_token(other_institution, EDUCATOR_SCOPES, name="B")
    statuses = [http(token_a).get("/api/v1/enrollments/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = http(token_a).get("/api/v1/enrollments/")
    assert limited.json()["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    assert http(token_b).get("/api/v1/enrollments/").status_code == 200


def test_bulk_requests_have_a_lower_limit(low_rate, institution):
    _a, token = make_token(institution, EDUCATOR_SCOPES)
    api = http(token)
    first = api.post(
        "/api/v1/enrollments/bulk/",
        {"items": [{"id": 1, "version": 1, "progress_percent": 1}]},
        format="json",
    )
    assert first.status_code == 207
    second = api.post("/api/v1/enrollments/bulk/", {"items": []}, format="json")
    assert second.status_code == 429


def test_requests_are_logged_with_the_client_and_no_personal_data(case_at, county_token, caplog):
    with caplog.at_level(logging.INFO, logger="polku.api"):
        http(county_token).get(f"/api/v1/cases/{case_at.pk}/?number={case_at.number}")
    client = ApiClient.objects.get(name="Pirkanmaa HR")
    line = next(r.getMessage() for r in caplog.records if r.name == "polku.api")
    assert f"principal=client:{client.pk}" in line
    assert f"/api/v1/cases/{case_at.pk}/ 200" in line
    candidate = case_at.candidate
    for secret in (candidate.last_name, candidate.email, case_at.number, "Bearer"):
        assert secret not in line


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_admin_shows_a_new_token_once_and_revokes(admin_client, institution):
    response = admin_client.post(
        "/admin/integration/apiclient/add/",
        {
            "organisation": institution.pk,
            "name": "SIS",
            "scopes": ["training:read", "training:write"],
            "expires_at_0": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "expires_at_1": "12:00:00",
        },
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    token = next(m for m in messages if "polku_" in m).split(": ")[-1]
    client = ApiClient.objects.get(name="SIS")
    assert client.token_prefix == token[:12]
    assert http(token).get("/api/v1/enrollments/").status_code == 200
    page = admin_client.get(f"/admin/integration/apiclient/{client.pk}/change/").content.decode()
    assert token not in page

    admin_client.post(
        "/admin/integration/apiclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
    )
    assert http(token).get("/api/v1/enrollments/").status_code == 401


def test_the_admin_refuses_scopes_the_organisation_may_not_hold(admin_client, institution):
    response = admin_client.post(
        "/admin/integration/apiclient/add/",
        {
            "organisation": institution.pk,
            "name": "SIS",
            "scopes": ["permits:read"],
            "expires_at_0": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "expires_at_1": "12:00:00",
        },
    )
    assert response.status_code == 200
    assert "permits:read" in response.content.decode()
    assert not ApiClient.objects.exists()


def test_the_admin_redelivers_dead_letters(admin_client, case_at, pirkanmaa):
    client, _token = make_token(pirkanmaa, ["cases:read", "webhooks:manage"])
    subscription = create_subscription(client=client, url="https://a.example/h", event_types=[])
    event = OutboxEvent.objects.create(event_type="case.changed", case_id=case_at.pk)
    delivery = WebhookDelivery.objects.create(
        event=event,
        subscription=subscription,
        status="dead",
        attempts=8,
        dead_lettered_at=timezone.now(),
    )
    admin_client.post(
        "/admin/integration/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.dead_lettered_at) == ("pending", 0, None)


def test_the_admin_uploads_a_csv_and_refuses_a_bad_one(
    admin_client, django_capture_on_commit_callbacks
):
    bad = admin_client.post(
        "/admin/integration/csvimport/add/",
        {"file": SimpleUploadedFile("x.csv", b"foo,bar\n1,2\n"), "kind": "enrollments"},
    )
    assert bad.status_code == 200
    assert "unknown columns: foo, bar" in bad.content.decode(), bad.context["errors"]
    assert not CsvImport.objects.exists()
    good = admin_client.post(
        "/admin/integration/csvimport/add/",
        {
            "file": SimpleUploadedFile("x.csv", b"enrollment_id,version,progress_percent\n1,1,5\n"),
            "kind": "enrollments",
        },
    )
    assert good.status_code == 302
    assert CsvImport.objects.get().total_rows == 1


def test_seed_api_demo_prints_working_tokens_and_revokes_the_previous_ones():
    import io
    import re

    from django.core.management import call_command

    from recruitment.models import OrganisationKind
    from tests import factories

    factories.OrganisationFactory(code="demo-tamk", kind=OrganisationKind.EDUCATIONAL_INSTITUTION)
    factories.OrganisationFactory(
        code="demo-tampere-employment", kind=OrganisationKind.EMPLOYMENT_SERVICE
    )

    def seed():
        out = io.StringIO()
        call_command("seed_api_demo", stdout=out)
        return dict(re.findall(r"(POLKU_TOKEN_\w+)=(\S+)", out.getvalue()))

    first = seed()
    assert set(first) == {
        "POLKU_TOKEN_TAMK",
        "POLKU_TOKEN_TAMPERE_EMPLOYMENT",
        "POLKU_TOKEN_PIRKANMAA",
    }
    assert http(first["POLKU_TOKEN_TAMK"]).get("/api/v1/enrollments/").status_code == 200
    assert http(first["POLKU_TOKEN_PIRKANMAA"]).get("/api/v1/cases/").status_code == 200
    second = seed()
    assert http(first["POLKU_TOKEN_TAMK"]).get("/api/v1/enrollments/").status_code == 401
    assert http(second["POLKU_TOKEN_TAMK"]).get("/api/v1/enrollments/").status_code == 200
