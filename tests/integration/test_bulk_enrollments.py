"""POST /api/v1/enrollments/bulk/ through the batch service: outbox rows in the same
transaction, request order kept across actions, and a query count that does not grow with
the number of items."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from credentials.models import TrainingEnrollment, TrainingState
from integration.models import OutboxEvent
from recruitment.models import CaseEvent

from .conftest import accepted_case, days_ago, enroll, http

pytestmark = pytest.mark.django_db

BULK = "/api/v1/enrollments/bulk/"


def subscribe(token, url):
    response = http(token).post("/api/v1/webhooks/", {"url": url}, format="json")
    assert response.status_code == 201, response.json()


def test_each_applied_item_writes_its_audit_event_and_outbox_row(
    case_at, institution, county_token, educator_token
):
    subscribe(county_token, "https://partner.example/hook")
    first = case_at.enrollments.get(institution=institution)
    second = enroll(case_at, institution, programme="bridging")
    case_at.refresh_from_db()
    outbox, events = OutboxEvent.objects.count(), CaseEvent.objects.count()

    response = http(educator_token).post(
        BULK,
        {
            "items": [
                {"id": first.pk, "version": 1, "progress_percent": 30},
                {"id": second.pk, "version": 1, "progress_percent": 30},
                {"id": first.pk, "version": 1, "progress_percent": 50},  # stale by now
            ]
        },
        format="json",
    )

    assert response.status_code == 207
    body = response.json()
    assert [r["status"] for r in body["results"]] == [200, 200, 412]
    assert [r["version"] for r in body["results"]] == [2, 2, None]
    assert CaseEvent.objects.count() == events + 2
    rows = list(OutboxEvent.objects.order_by("id")[outbox:])
    assert [r.event_type for r in rows] == ["training.changed", "training.changed"]
    assert [r.payload["case"]["version"] for r in rows] == [
        case_at.version + 1,
        case_at.version + 2,
    ]
    assert all(r.payload["data"]["track"] == "training" for r in rows)


def test_items_are_applied_in_request_order_across_actions(case_at, institution, educator_token):
    enrollment = case_at.enrollments.get(institution=institution)

    response = http(educator_token).post(
        BULK,
        {
            "items": [
                {"id": enrollment.pk, "version": 1, "progress_percent": 50},
                {
                    "id": enrollment.pk,
                    "version": 2,
                    "action": "complete",
                    "completed_on": days_ago(1).isoformat(),
                },
                {"id": enrollment.pk, "version": 3, "progress_percent": 60},  # completed
            ]
        },
        format="json",
    )

    assert response.status_code == 207
    results = response.json()["results"]
    assert [r["status"] for r in results] == [200, 200, 409]
    assert results[2]["error"]["code"] == "transition_not_allowed"
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.progress_percent, enrollment.version) == (
        TrainingState.COMPLETED,
        100,  # completing sets full progress
        3,
    )
    progress = [
        e.changes.get("progress_percent")
        for e in CaseEvent.objects.filter(case=case_at, kind=CaseEvent.Kind.TRACK).order_by("id")
    ][-2:]
    assert progress == [[0, 50], [50, 100]]  # the update landed before the completion


def test_the_query_count_does_not_grow_with_the_batch(institution, educator_token):
    enrollments = []
    for _ in range(12):
        case = accepted_case()
        enrollments.append(enroll(case, institution))
    api = http(educator_token)
    api.get("/api/v1/enrollments/")  # the token's first use is recorded once, not per request

    def post(batch, progress):
        items = [{"id": e.pk, "version": 1, "progress_percent": progress} for e in batch]
        with CaptureQueriesContext(connection) as captured:
            response = api.post(BULK, {"items": items}, format="json")
        assert response.status_code == 200, response.json()
        return len(captured.captured_queries)

    assert post(enrollments[:2], 10) == post(enrollments[2:], 20)
    assert TrainingEnrollment.objects.filter(version=2).count() == 12
