"""Writes: ETag / If-Match, transitions with the services' guards, Idempotency-Key, bulk
with per-item results, and bad input that must never half-apply."""

import json

import pytest

from credentials.models import TrainingEnrollment
from integration.models import IdempotencyRecord
from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.models import Case, CaseEvent

from .conftest import days_ago, enroll, http

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def enrollment(case_at, institution):
    return case_at.enrollments.get(institution=institution)


def test_every_resource_carries_an_etag_from_its_version(case_at, county_token, enrollment):
    response = http(county_token).get(f"/api/v1/cases/{case_at.pk}/")
    assert response["ETag"] == f'"{case_at.version}"'
    response = http(county_token).get(f"/api/v1/enrollments/{enrollment.pk}/")
    assert response["ETag"] == f'"{enrollment.version}"'


def test_an_update_without_if_match_gets_428_and_changes_nothing(educator_token, enrollment):
    response = http(educator_token).patch(
        f"/api/v1/enrollments/{enrollment.pk}/", {"progress_percent": 50}, format="json"
    )
    assert response.status_code == 428
    assert response["Content-Type"] == PROBLEM
    assert "If-Match" in response.json()["detail"]
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 0


def test_a_stale_if_match_gets_412_and_a_fresh_one_succeeds(educator_token, enrollment):
    api = http(educator_token)
    path = f"/api/v1/enrollments/{enrollment.pk}/"
    first = api.patch(path, {"progress_percent": 20}, format="json", HTTP_IF_MATCH='"1"')
    assert first.status_code == 200
    assert first["ETag"] == '"2"'
    assert first.json()["state"] == "in_progress"  # progress starts an enrolled programme
    stale = api.patch(path, {"progress_percent": 90}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    assert stale.json()["details"] == {"expected_version": 1, "current_version": 2}
    again = api.patch(path, {"progress_percent": 90}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again.json()["progress_percent"] == 90


def test_a_malformed_if_match_is_a_400(educator_token, enrollment):
    response = http(educator_token).patch(
        f"/api/v1/enrollments/{enrollment.pk}/",
        {"progress_percent": 5},
        format="json",
        HTTP_IF_MATCH="yesterday",
    )
    assert response.status_code == 400
    assert "If-Match" in response.json()["errors"]


def test_transitions_use_the_services_guards_and_reasons(county_token):
    from tests import factories

    case = factories.case_in_state("screening", prepared=False, no_fee_declared_on=None)
    api = http(county_token)
    path = f"/api/v1/cases/{case.pk}/transitions/accept_offer/"
    response = api.post(path, {}, format="json", HTTP_IF_MATCH=f'"{case.version}"')
    assert response.status_code == 409
    body = response.json()
    expected = next(
        o
        for o in case_services.available_transitions(case, actor=Actor.system())
        if o.name == "accept_offer"
    )
    assert body["reasons"] == [str(r) for r in expected.blocked_reasons]
    assert "no recruitment fee" in " ".join(body["reasons"])
    listed = api.get(f"/api/v1/cases/{case.pk}/transitions/").json()
    accept = next(o for o in listed if o["name"] == "accept_offer")
    assert accept["allowed"] is False and accept["blocked_reasons"] == body["reasons"]


def test_a_transition_needs_if_match_and_a_reason_where_required(case_at, county_token):
    api = http(county_token)
    path = f"/api/v1/cases/{case_at.pk}/transitions/hold/"
    assert api.post(path, {"reason": "x"}, format="json").status_code == 428
    stale = api.post(path, {"reason": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    no_reason = api.post(path, {}, format="json", HTTP_IF_MATCH=f'"{case_at.version}"')
    assert no_reason.status_code == 409
    unknown = api.post(
        f"/api/v1/cases/{case_at.pk}/transitions/teleport/",
        {},
        format="json",
        HTTP_IF_MATCH=f'"{case_at.version}"',
    )
    assert unknown.status_code == 409
    assert "teleport" in unknown.json()["detail"]
    ok = api.post(path, {"reason": "Paused."}, format="json", HTTP_IF_MATCH=f'"{case_at.version}"')
    assert ok.status_code == 200
    assert ok.json()["state"] == "on_hold"
    assert ok["ETag"] == f'"{case_at.version + 1}"'
    event = CaseEvent.objects.filter(case=case_at, transition="hold").get()
    assert event.actor_kind == "api_client" and event.actor_api_client_id is not None


def test_an_idempotent_retry_replays_the_first_response(case_at, educator_token):
    api = http(educator_token)
    body = {
        "case": case_at.pk,
        "language": "fi",
        "test": "yki",
        "taken_on": days_ago(3).isoformat(),
        "speaking": "B1",
        "listening": "B2",
        "reading": "B1",
        "writing": "B1",
    }
    first = api.post(
        "/api/v1/language-certificates/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == 201
    again = api.post(
        "/api/v1/language-certificates/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    assert case_at.language_certificates.count() == 1

    changed = api.post(
        "/api/v1/language-certificates/",
        {**body, "writing": "C1"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused"
    assert case_at.language_certificates.count() == 1


def test_idempotency_keys_belong_to_one_client(case_at, educator_token, county_token):
    body = {"reason": "Paused."}
    path = f"/api/v1/cases/{case_at.pk}/transitions/hold/"
    first = http(county_token).post(
        path, body, format="json", HTTP_IF_MATCH=f'"{case_at.version}"', HTTP_IDEMPOTENCY_KEY="same"
    )
    assert first.status_code == 200
    assert IdempotencyRecord.objects.filter(key="same").count() == 1
    # Another client with the same key is a different request (here: refused by scope).
    other = http(educator_token).post(
        path, body, format="json", HTTP_IF_MATCH=f'"{case_at.version}"', HTTP_IDEMPOTENCY_KEY="same"
    )
    assert other.status_code == 403


@pytest.mark.parametrize(
    ("body", "content_type", "status", "fragment"),
    [
        ('{"progress_percent": 5', "application/json", 400, "JSON"),
        ('{"progress_percent": "lots"}', "application/json", 400, "progress_percent"),
        ('{"progress_percent": 101}', "application/json", 400, "progress_percent"),
        ('{"progress_percent": 5, "colour": "red"}', "application/json", 400, "colour"),
        ("[1, 2]", "application/json", 400, "dictionary"),
        ("progress_percent=5", "application/x-www-form-urlencoded", 415, "x-www-form"),
        ("<progress>5</progress>", "text/xml", 415, "text/xml"),
        ("{}", "application/json", 400, "progress_percent"),
    ],
)
def test_bad_input_gets_a_problem_naming_it_and_changes_nothing(
    educator_token, enrollment, body, content_type, status, fragment
):
    response = http(educator_token).generic(
        "PATCH",
        f"/api/v1/enrollments/{enrollment.pk}/",
        body,
        content_type=content_type,
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert fragment in json.dumps(response.json())
    enrollment.refresh_from_db()
    assert enrollment.version == 1


def test_an_oversized_body_gets_413(educator_token, enrollment, settings):
    settings.POLKU_API_MAX_BODY_BYTES = 1000
    response = http(educator_token).generic(
        "PATCH",
        f"/api/v1/enrollments/{enrollment.pk}/",
        json.dumps({"progress_percent": 5, "pad": "x" * 2000}),
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_bulk_reports_each_item_and_applies_the_good_ones(
    case_at, institution, other_institution, educator_token
):
    mine = [case_at.enrollments.get(institution=institution)]
    mine.append(enroll(case_at, institution, programme="supplementary_studies"))
    theirs = enroll(case_at, other_institution, programme="orientation")
    items = [
        {"id": mine[0].pk, "version": 1, "progress_percent": 40},
        {"id": mine[1].pk, "version": 7, "progress_percent": 40},  # stale
        {"id": theirs.pk, "version": 1, "progress_percent": 40},  # another institution's
        {"id": mine[1].pk, "version": 1, "action": "interrupt"},  # reason missing
        {"id": mine[1].pk, "version": 1, "progress_percent": 10, "colour": "red"},
        "not an object",
    ]
    response = http(educator_token).post(
        "/api/v1/enrollments/bulk/", {"items": items}, format="json"
    )
    assert response.status_code == 207
    body = response.json()
    assert (body["succeeded"], body["failed"]) == (1, 5)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == [200, 412, 404, 400, 400, 400]
    assert body["results"][0]["version"] == 2
    assert body["results"][1]["error"]["code"] == "stale_version"
    assert "reason" in body["results"][3]["error"]["errors"]
    assert "colour" in body["results"][4]["error"]["errors"]
    progress = dict(TrainingEnrollment.objects.values_list("pk", "progress_percent"))
    assert progress == {mine[0].pk: 40, mine[1].pk: 0, theirs.pk: 0}


def test_a_bulk_batch_over_1000_items_is_refused_whole(educator_token, enrollment):
    items = [{"id": enrollment.pk, "version": 1, "progress_percent": 1}] * 1001
    response = http(educator_token).post(
        "/api/v1/enrollments/bulk/", {"items": items}, format="json"
    )
    assert response.status_code == 400
    assert "items" in response.json()["errors"]
    enrollment.refresh_from_db()
    assert enrollment.version == 1


def test_enrollment_lifecycle_through_the_api(case_at, educator_token, county_token):
    api = http(educator_token)
    created = api.post(
        "/api/v1/enrollments/",
        {"case": case_at.pk, "programme": "bridging", "starts_on": days_ago(1).isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created["Location"].endswith(f"/api/v1/enrollments/{created.json()['id']}/")
    path = f"/api/v1/enrollments/{created.json()['id']}/"
    started = api.post(path + "start/", format="json", HTTP_IF_MATCH=created["ETag"])
    assert started.json()["state"] == "in_progress"
    done = api.post(
        path + "complete/",
        {"completed_on": days_ago(0).isoformat()},
        format="json",
        HTTP_IF_MATCH=started["ETag"],
    )
    assert done.status_code == 200
    assert done.json()["state"] == "completed" and done.json()["progress_percent"] == 100
    again = api.post(
        path + "interrupt/", {"reason": "x"}, format="json", HTTP_IF_MATCH=done["ETag"]
    )
    assert again.status_code == 409
    # A county client must name the institution.
    county = http(county_token).post(
        "/api/v1/enrollments/",
        {"case": case_at.pk, "programme": "bridging", "starts_on": days_ago(1).isoformat()},
        format="json",
    )
    assert county.status_code == 400 and "institution" in county.json()["errors"]


def test_permit_application_and_decision(case_at, employment_token):
    api = http(employment_token)
    applied = api.post(
        "/api/v1/permits/",
        {
            "case": case_at.pk,
            "permit_type": "employed_person",
            "permit_kind": "temporary",
            "applied_on": days_ago(20).isoformat(),
        },
        format="json",
    )
    assert applied.status_code == 201, applied.json()
    decided = api.post(
        f"/api/v1/permits/{applied.json()['id']}/decision/",
        {"granted": True, "decided_on": days_ago(1).isoformat()},
        format="json",
        HTTP_IF_MATCH=applied["ETag"],
    )
    assert decided.status_code == 400
    assert "valid_until" in decided.json()["errors"]
    decided = api.post(
        f"/api/v1/permits/{applied.json()['id']}/decision/",
        {"granted": True, "decided_on": days_ago(1).isoformat(), "valid_until": "2030-01-31"},
        format="json",
        HTTP_IF_MATCH=applied["ETag"],
    )
    assert decided.status_code == 200
    assert decided.json()["state"] == "granted"
    assert Case.objects.get(pk=case_at.pk).permit_valid_until.isoformat() == "2030-01-31"


def test_a_key_older_than_24_hours_starts_afresh(case_at, county_token):
    import datetime as dt

    from django.utils import timezone

    path = f"/api/v1/cases/{case_at.pk}/transitions/hold/"
    api = http(county_token)
    first = api.post(
        path,
        {"reason": "x"},
        format="json",
        HTTP_IF_MATCH=f'"{case_at.version}"',
        HTTP_IDEMPOTENCY_KEY="old",
    )
    assert first.status_code == 200
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    again = api.post(
        f"/api/v1/cases/{case_at.pk}/transitions/resume/",
        {},
        format="json",
        HTTP_IF_MATCH=first["ETag"],
        HTTP_IDEMPOTENCY_KEY="old",
    )
    assert again.status_code == 200 and "Idempotent-Replayed" not in again
    assert again.json()["state"] != "on_hold"
    assert IdempotencyRecord.objects.get(key="old").path.endswith("/resume/")
