"""Webhooks: the outbox is written with the change, deliveries are signed (HMAC-SHA256 over
"<timestamp>.<body>"), retried with exponential backoff, dead-lettered and redelivered."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.db import transaction
from django.utils import timezone
from werkzeug import Response

from credentials import services as credential_services
from integration import services
from integration.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from recruitment import services as case_services

from .conftest import SYSTEM, http

pytestmark = pytest.mark.django_db


def subscribe(token, url, event_types=()):
    response = http(token).post(
        "/api/v1/webhooks/", {"url": url, "event_types": list(event_types)}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def verify(secret: str, request) -> dict:
    """What a partner does (docs/api.md): recompute the signature, compare in constant time."""
    timestamp = request.headers["X-Polku-Timestamp"]
    body = request.get_data()
    expected = (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    assert hmac.compare_digest(expected, request.headers["X-Polku-Signature"])
    assert abs(int(timestamp) - timezone.now().timestamp()) < 300
    return json.loads(body)


def test_the_outbox_is_written_with_the_change_and_rolled_back_with_it(case_at, county_token):
    subscribe(county_token, "https://partner.example/hook")
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        case_services.transition_case(
            case=case_at,
            name="hold",
            actor=SYSTEM,
            expected_version=case_at.version,
            reason="x",
        )
        assert OutboxEvent.objects.count() == before + 1
        raise RuntimeError("the change fails after the event was written")
    assert OutboxEvent.objects.count() == before
    case_services.transition_case(
        case=case_at, name="hold", actor=SYSTEM, expected_version=case_at.version, reason="x"
    )
    event = OutboxEvent.objects.latest("id")
    assert event.event_type == "case.transitioned"
    assert event.payload["case"] == {
        "id": case_at.pk,
        "number": case_at.number,
        "state": "on_hold",
        "version": case_at.version + 1,
    }
    assert "email" not in json.dumps(event.payload)


def test_nothing_is_written_while_nobody_subscribes(case_at):
    before = OutboxEvent.objects.count()
    case_services.transition_case(
        case=case_at, name="hold", actor=SYSTEM, expected_version=case_at.version, reason="x"
    )
    assert OutboxEvent.objects.count() == before


def test_subscriptions_hear_only_about_their_cases_and_scopes(
    case_at, institution, educator_token, employment_token, other_educator_token
):
    mine = subscribe(educator_token, "https://a.example/hook")
    theirs = subscribe(other_educator_token, "https://b.example/hook")
    employment = subscribe(employment_token, "https://e.example/hook")
    enrollment = case_at.enrollments.get(institution=institution)
    credential_services.update_enrollment(
        enrollment=enrollment, actor=SYSTEM, expected_version=1, progress_percent=30
    )
    credential_services.apply_permit(
        case=case_at,
        actor=SYSTEM,
        permit_type="specialist",
        permit_kind="temporary",
        applied_on=timezone.localdate(),
    )
    services.fan_out_outbox()

    def heard(sub):
        return sorted(
            WebhookDelivery.objects.filter(subscription_id=sub["id"]).values_list(
                "event__event_type", flat=True
            )
        )

    assert heard(mine) == ["training.changed"]  # no permit events for an institution
    assert heard(theirs) == []  # institution B is not linked to this case
    # The permit track event and the permit milestones; no training events without the scope.
    assert heard(employment) == ["permit.changed", "permit.changed"]


def test_an_educator_cannot_subscribe_to_permit_events(educator_token):
    response = http(educator_token).post(
        "/api/v1/webhooks/",
        {"url": "https://a.example/hook", "event_types": ["permit.changed"]},
        format="json",
    )
    assert response.status_code == 400
    assert "event_types" in response.json()["errors"]


def test_a_delivery_is_signed_and_verifiable(httpserver, loopback_receivers, case_at, county_token):
    sub = subscribe(county_token, httpserver.url_for("/hook"))
    httpserver.expect_oneshot_request("/hook", method="POST").respond_with_data("ok")
    case_services.transition_case(
        case=case_at, name="hold", actor=SYSTEM, expected_version=case_at.version, reason="x"
    )
    assert services.deliver_due_webhooks() == 1
    request, _response = httpserver.log[0]
    payload = verify(sub["secret"], request)
    assert request.headers["X-Polku-Event"] == "case.transitioned"
    assert payload["type"] == "case.transitioned"
    assert payload["case"]["id"] == case_at.pk and payload["case"]["state"] == "on_hold"
    assert payload["data"]["transition"] == "hold"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered" and delivery.attempts == 1


def test_a_tampered_body_fails_verification(httpserver, loopback_receivers, case_at, county_token):
    sub = subscribe(county_token, httpserver.url_for("/hook"))
    httpserver.expect_oneshot_request("/hook").respond_with_data("ok")
    case_services.transition_case(
        case=case_at, name="hold", actor=SYSTEM, expected_version=case_at.version, reason="x"
    )
    services.deliver_due_webhooks()
    request, _response = httpserver.log[0]
    timestamp = request.headers["X-Polku-Timestamp"]
    forged = request.get_data().replace(b"on_hold", b"withdrawn")
    expected = (
        "sha256="
        + hmac.new(
            sub["secret"].encode(), timestamp.encode() + b"." + forged, hashlib.sha256
        ).hexdigest()
    )
    assert not hmac.compare_digest(expected, request.headers["X-Polku-Signature"])


def test_failures_back_off_exponentially_then_dead_letter_and_redeliver(
    httpserver, loopback_receivers, settings, case_at, county_token
):
    settings.POLKU_WEBHOOK_MAX_ATTEMPTS = 3
    settings.POLKU_WEBHOOK_RETRY_BASE_SECONDS = 60
    subscribe(county_token, httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_response(Response("down", status=503))
    case_services.transition_case(
        case=case_at, name="hold", actor=SYSTEM, expected_version=case_at.version, reason="x"
    )
    services.deliver_due_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    gaps = [delivery.next_attempt_at - delivery.last_attempt_at]
    assert services.deliver_due_webhooks() == 0  # not due yet

    for _ in range(2):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        services.deliver_due_webhooks()
        delivery.refresh_from_db()
        if delivery.status == "pending":
            gaps.append(delivery.next_attempt_at - delivery.last_attempt_at)
    assert [round(g.total_seconds()) for g in gaps] == [60, 120]
    assert (delivery.status, delivery.attempts) == ("dead", 3)
    assert delivery.dead_lettered_at is not None and "503" in delivery.last_error
    assert len(httpserver.log) == 3

    httpserver.clear()
    httpserver.expect_request("/hook").respond_with_data("ok")
    services.redeliver(deliveries=[delivery], actor=SYSTEM)
    services.deliver_due_webhooks()
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_an_unreachable_receiver_is_retried_not_crashed(loopback_receivers, case_at, county_token):
    subscribe(county_token, "http://127.0.0.1:9/nothing-listens-here")
    case_services.transition_case(
        case=case_at, name="hold", actor=SYSTEM, expected_version=case_at.version, reason="x"
    )
    services.deliver_due_webhooks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error


def test_revoked_clients_get_no_more_events(case_at, county_token, pirkanmaa):
    sub = subscribe(county_token, "https://a.example/hook")
    client = WebhookSubscription.objects.get(pk=sub["id"]).client
    services.revoke_api_client(client=client, actor=SYSTEM)
    case_services.transition_case(
        case=case_at, name="hold", actor=SYSTEM, expected_version=case_at.version, reason="x"
    )
    services.fan_out_outbox()
    assert not WebhookDelivery.objects.exists()


def test_subscription_crud_with_etags(county_token):
    api = http(county_token)
    created = subscribe(county_token, "https://a.example/hook", ["case.transitioned"])
    path = f"/api/v1/webhooks/{created['id']}/"
    listed = api.get("/api/v1/webhooks/").json()
    assert [s["id"] for s in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert api.patch(path, {"active": False}, format="json").status_code == 428
    changed = api.patch(path, {"active": False}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.json()["active"] is False
    rotated = api.post(path + "rotate-secret/", HTTP_IF_MATCH=changed["ETag"])
    assert rotated.json()["secret"] != created["secret"]
    assert api.delete(path, HTTP_IF_MATCH='"1"').status_code == 412
    assert api.delete(path, HTTP_IF_MATCH=rotated["ETag"]).status_code == 204
    assert api.get(path).status_code == 404


def test_webhook_urls_must_be_http(county_token, settings):
    api = http(county_token)
    response = api.post("/api/v1/webhooks/", {"url": "ftp://a.example/x"}, format="json")
    assert response.status_code == 400
    settings.POLKU_WEBHOOK_ALLOW_HTTP = False
    response = api.post("/api/v1/webhooks/", {"url": "http://a.example/x"}, format="json")
    assert response.status_code == 400 and "https" in response.json()["errors"]["url"][0]
