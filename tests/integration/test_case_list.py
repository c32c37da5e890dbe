"""The case list is read as plain rows (no model instances) and its GDPR access log is one
insert per page: the list must still show each case exactly as the detail does, and log every
candidate whose contact details it showed."""

import pytest
from rest_framework.test import APIClient

from recruitment.models import CandidateAccess

from .conftest import accepted_case, enroll, http

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("token_fixture", ["county_token", "educator_token", "employment_token"])
def test_each_listed_case_reads_as_its_detail(request, case_at, token_fixture):
    api = http(request.getfixturevalue(token_fixture))
    listed = {c["id"]: c for c in api.get("/api/v1/cases/").json()["results"]}
    detail = api.get(f"/api/v1/cases/{case_at.pk}/").json()
    assert listed[case_at.pk] == detail
    assert (detail["contact"] is not None) == (token_fixture == "county_token")


def test_a_page_logs_every_candidate_whose_contact_details_it_showed(
    case_at, institution, county_token, recruiter
):
    other = accepted_case()
    enroll(other, institution)
    elsewhere = accepted_case(county="helsinki")  # not Pirkanmaa's: not listed, not logged
    before = CandidateAccess.objects.count()

    http(county_token).get("/api/v1/cases/?page_size=10")

    logged = list(CandidateAccess.objects.order_by("id")[before:])
    assert sorted(a.candidate_id for a in logged) == sorted(
        [case_at.candidate_id, other.candidate_id]
    )
    assert {(a.purpose, a.user_id) for a in logged} == {("api:list", None)}
    assert all(a.actor_label.startswith("API client Pirkanmaa HR") for a in logged)
    assert elsewhere.candidate_id not in {a.candidate_id for a in logged}

    session = APIClient()
    session.force_login(recruiter)
    before = CandidateAccess.objects.count()
    assert session.get("/api/v1/cases/").status_code == 200
    logged = list(CandidateAccess.objects.order_by("id")[before:])
    assert len(logged) == 2
    assert {(a.user_id, a.actor_label) for a in logged} == {
        (recruiter.pk, recruiter.get_username())
    }
