"""Who sees and changes what: scope × endpoint × own/other organisation, no IDOR, and the
minimal case view per scope."""

import pytest

from credentials import services as credential_services
from recruitment.models import CandidateAccess, Organisation

from .conftest import (
    EDUCATOR_SCOPES,
    SYSTEM,
    accepted_case,
    days_ago,
    enroll,
    http,
    make_token,
    refer,
)

pytestmark = pytest.mark.django_db

EMPLOYMENT_B_SCOPES = ["cases:read", "permits:read", "permits:write"]


@pytest.fixture
def world(case_at, institution, other_institution, employment_service, other_employment_service):
    """case_at (Pirkanmaa) is linked to institution A and employment A. Institution B has its
    own enrollment on another case *and* one on case_at; employment B has its own case."""
    enrollment_a = case_at.enrollments.get(institution=institution)
    enrollment_b_same_case = enroll(case_at, other_institution, programme="orientation")
    other_case = accepted_case()
    enrollment_b = enroll(other_case, other_institution)
    refer(other_case, other_employment_service)
    certificate = credential_services.record_language_certificate(
        case=case_at,
        actor=SYSTEM,
        language="fi",
        test="yki",
        taken_on=days_ago(10),
        speaking="B1",
        listening="B1",
        reading="B1",
        writing="A2",
    )
    permit = credential_services.apply_permit(
        case=case_at,
        actor=SYSTEM,
        permit_type="employed_person",
        permit_kind="temporary",
        applied_on=days_ago(5),
    )
    return {
        "case": case_at,
        "enrollment_a": enrollment_a,
        "enrollment_b_same_case": enrollment_b_same_case,
        "enrollment_b": enrollment_b,
        "certificate": certificate,
        "permit": permit,
        "step": case_at.integration_steps.get(),
        "other_step": other_case.integration_steps.get(),
    }


@pytest.fixture
def tokens(county_token, helsinki_token, educator_token, other_institution, employment_token):
    return {
        "county": county_token,
        "other_county": helsinki_token,
        "educator": educator_token,
        "other_educator": make_token(other_institution, EDUCATOR_SCOPES, name="B")[1],
        "employment": employment_token,
        "other_employment": make_token(
            Organisation.objects.get(code="employment-b"), EMPLOYMENT_B_SCOPES, name="EB"
        )[1],
    }


READ_MATRIX = [
    # (path template, {principal: expected status})
    (
        "/api/v1/cases/{case.pk}/",
        {
            "county": 200,
            "other_county": 404,
            "educator": 200,
            "other_educator": 200,
            "employment": 200,
            "other_employment": 404,
        },
    ),
    (
        "/api/v1/enrollments/{enrollment_a.pk}/",
        {
            "county": 200,
            "other_county": 404,
            "educator": 200,
            "other_educator": 404,
            "employment": 403,
            "other_employment": 403,
        },
    ),
    (
        "/api/v1/enrollments/{enrollment_b_same_case.pk}/",
        {"county": 200, "educator": 404, "other_educator": 200},
    ),
    (
        "/api/v1/language-certificates/{certificate.pk}/",
        {"county": 200, "other_county": 404, "educator": 200, "employment": 403},
    ),
    (
        "/api/v1/permits/{permit.pk}/",
        {
            "county": 200,
            "other_county": 404,
            "educator": 403,
            "employment": 200,
            "other_employment": 404,
        },
    ),
    (
        "/api/v1/integration-steps/{step.pk}/",
        {
            "county": 200,
            "other_county": 404,
            "educator": 403,
            "employment": 200,
            "other_employment": 404,
        },
    ),
    (
        "/api/v1/integration-steps/{other_step.pk}/",
        {"county": 200, "employment": 404, "other_employment": 200},
    ),
    (
        "/api/v1/cases/{case.pk}/next-steps/",
        {"county": 200, "other_county": 404, "educator": 200, "employment": 200},
    ),
]


@pytest.mark.parametrize(("template", "expected"), READ_MATRIX)
def test_reads_follow_scope_and_organisation(world, tokens, template, expected):
    path = template.format(**world)
    got = {who: http(tokens[who]).get(path).status_code for who in expected}
    assert got == expected


def test_lists_contain_only_own_objects(world, tokens):
    def ids(who, path):
        return {row["id"] for row in http(tokens[who]).get(path).json()["results"]}

    assert ids("educator", "/api/v1/enrollments/") == {world["enrollment_a"].pk}
    assert ids("other_educator", "/api/v1/enrollments/") == {
        world["enrollment_b"].pk,
        world["enrollment_b_same_case"].pk,
    }
    assert ids("other_county", "/api/v1/enrollments/") == set()
    assert ids("employment", "/api/v1/integration-steps/") == {world["step"].pk}
    assert ids("employment", "/api/v1/permits/") == {world["permit"].pk}
    assert ids("other_employment", "/api/v1/permits/") == set()
    assert world["case"].pk not in ids("other_county", "/api/v1/cases/")


WRITE_MATRIX = [
    # (method, path template, body, If-Match needed, {principal: status})
    (
        "patch",
        "/api/v1/enrollments/{enrollment_a.pk}/",
        {"progress_percent": 10},
        True,
        {"other_educator": 404, "employment": 403, "other_county": 404, "educator": 200},
    ),
    (
        "post",
        "/api/v1/cases/{case.pk}/transitions/hold/",
        {"reason": "Paused."},
        True,
        {"educator": 403, "employment": 403, "other_county": 404, "county": 200},
    ),
    (
        "post",
        "/api/v1/permits/{permit.pk}/decision/",
        {"granted": False, "decided_on": "{today}"},
        True,
        {"educator": 403, "other_employment": 404, "employment": 200},
    ),
    (
        "post",
        "/api/v1/language-certificates/",
        {
            "case": "{case.pk}",
            "language": "fi",
            "test": "yki",
            "taken_on": "{today}",
            "speaking": "B1",
            "listening": "B1",
            "reading": "B1",
            "writing": "B1",
        },
        False,
        # Institution B is linked to the case too (its own enrollment), so it may record.
        {"employment": 403, "other_county": 400, "other_educator": 201},
    ),
]


def _fill(value, world):
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, str) and "{" in value:
        text = value.format(**world, today=days_ago(0).isoformat())
        return int(text) if text.isdigit() else text
    return value


@pytest.mark.parametrize(("method", "template", "body", "if_match", "expected"), WRITE_MATRIX)
def test_writes_follow_scope_and_organisation(
    world, tokens, method, template, body, if_match, expected
):
    path = template.format(**world)
    got = {}
    for who in expected:  # the allowed principal goes last: the others change nothing
        api = http(tokens[who])
        headers = {}
        if if_match:
            etag = (
                http(tokens["county"])
                .get(path.split("transitions")[0].replace("decision/", ""))
                .headers["ETag"]
            )
            headers["HTTP_IF_MATCH"] = etag
        response = getattr(api, method)(path, _fill(body, world), format="json", **headers)
        got[who] = response.status_code
    assert got == expected


def test_other_organisation_writes_leave_no_trace(world, tokens):
    enrollment = world["enrollment_a"]
    response = http(tokens["other_educator"]).patch(
        f"/api/v1/enrollments/{enrollment.pk}/",
        {"progress_percent": 99},
        format="json",
        HTTP_IF_MATCH=f'"{enrollment.version}"',
    )
    assert response.status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 0


def test_the_case_view_is_minimal_per_scope(world, tokens, recruiter):
    path = f"/api/v1/cases/{world['case'].pk}/"
    county = http(tokens["county"]).get(path).json()
    educator = http(tokens["educator"]).get(path).json()
    employment = http(tokens["employment"]).get(path).json()

    assert county["contact"]["email"].endswith("@example.invalid")
    assert county["permit"]["applied_on"] == days_ago(5).isoformat()
    # An educator: no contact details, no permit data.
    assert educator["contact"] is None and educator["permit"] is None
    assert "email" not in str(educator)
    # An employment service: permit data, but no contact details.
    assert employment["permit"]["applied_on"] == days_ago(5).isoformat()
    assert employment["contact"] is None
    # Everyone sees the name and the state.
    assert educator["candidate"] == county["candidate"]
    assert educator["state"] == county["state"] == "in_training"


def test_educators_get_no_permit_steps(world, tokens):
    path = f"/api/v1/cases/{world['case'].pk}/next-steps/"
    educator = {s["key"] for s in http(tokens["educator"]).get(path).json()}
    county = {s["key"] for s in http(tokens["county"]).get(path).json()}
    assert any(k.startswith("permit") for k in county)
    assert not any(k.startswith(("permit", "integration")) for k in educator)
    assert "language" in educator


def test_reading_contact_details_is_logged_without_them_for_partners(world, tokens):
    before = CandidateAccess.objects.count()
    http(tokens["educator"]).get("/api/v1/cases/")
    assert CandidateAccess.objects.count() == before
    http(tokens["county"]).get(f"/api/v1/cases/{world['case'].pk}/")
    access = CandidateAccess.objects.latest("accessed_at")
    assert access.candidate_id == world["case"].candidate_id
    assert access.actor_label.startswith("API client Pirkanmaa HR")


def test_a_signed_in_recruiter_reads_and_transitions_own_cases(world, recruiter, other_recruiter):
    from rest_framework.test import APIClient

    api = APIClient(enforce_csrf_checks=False)
    api.force_login(recruiter)
    path = f"/api/v1/cases/{world['case'].pk}/"
    response = api.get(path)
    assert response.status_code == 200
    assert response.json()["contact"] is not None
    response = api.post(
        path + "transitions/hold/",
        {"reason": "Waiting."},
        format="json",
        HTTP_IF_MATCH=response["ETag"],
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "on_hold"

    other = APIClient()
    other.force_login(other_recruiter)
    assert other.get(path).status_code == 404
