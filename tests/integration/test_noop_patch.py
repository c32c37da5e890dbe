"""A PATCH that changes nothing writes nothing: the version (ETag) stays, and no audit event,
outbox row or webhook is written. An empty PATCH is a 400 on every endpoint."""

import pytest

from credentials.models import IntegrationStep
from integration.models import OutboxEvent, WebhookSubscription
from recruitment.models import CaseEvent

from .conftest import http

pytestmark = pytest.mark.django_db


@pytest.fixture
def patches(
    case_at, institution, employment_service, county_token, educator_token, employment_token
):
    """(token, path, the record's current values) for each PATCH endpoint of the API."""
    subscription = (
        http(county_token)
        .post(
            "/api/v1/webhooks/",
            {"url": "https://hooks.partner.example/", "event_types": ["case.transitioned"]},
            format="json",
        )
        .json()
    )
    enrollment = case_at.enrollments.get(institution=institution)
    step = IntegrationStep.objects.get(case=case_at, organisation=employment_service)
    return {
        "webhook": (
            county_token,
            f"/api/v1/webhooks/{subscription['id']}/",
            {"url": subscription["url"], "event_types": ["case.transitioned"], "active": True},
        ),
        "enrollment": (
            educator_token,
            f"/api/v1/enrollments/{enrollment.pk}/",
            {"progress_percent": enrollment.progress_percent},
        ),
        "integration step": (
            employment_token,
            f"/api/v1/integration-steps/{step.pk}/",
            {"status": step.status, "notes": step.notes},
        ),
    }


def _written():
    return CaseEvent.objects.count(), OutboxEvent.objects.count()


@pytest.mark.parametrize("endpoint", ["webhook", "enrollment", "integration step"])
def test_a_patch_with_the_current_values_keeps_the_version(patches, endpoint):
    token, path, current = patches[endpoint]
    api = http(token)
    etag = api.get(path)["ETag"]
    before = _written()
    for body in [current, *({name: value} for name, value in current.items())]:
        response = api.patch(path, body, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200, response.json()
        assert response["ETag"] == etag
        assert response.json()["version"] == int(etag.strip('"'))
    assert _written() == before
    assert api.get(path)["ETag"] == etag


@pytest.mark.parametrize("endpoint", ["webhook", "enrollment", "integration step"])
def test_an_empty_patch_is_refused_and_writes_nothing(patches, endpoint):
    token, path, _current = patches[endpoint]
    api = http(token)
    etag = api.get(path)["ETag"]
    before = _written()
    response = api.patch(path, {}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert _written() == before
    assert api.get(path)["ETag"] == etag


def test_a_real_change_to_a_webhook_bumps_the_version_once(patches):
    token, path, _current = patches["webhook"]
    api = http(token)
    response = api.patch(path, {"active": False}, format="json", HTTP_IF_MATCH='"1"')
    assert (response.status_code, response["ETag"]) == (200, '"2"')
    again = api.patch(path, {"active": False}, format="json", HTTP_IF_MATCH='"2"')
    assert (again.status_code, again["ETag"]) == (200, '"2"')
    assert WebhookSubscription.objects.get().version == 2
