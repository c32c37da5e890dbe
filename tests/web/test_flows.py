"""What users do through the pages: forms keep input on errors, writes go through services,
concurrent edits are caught, list pages run a constant number of queries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from credentials.models import LanguageCertificate, TrainingState
from integration.models import ApiClient, CsvImport, WebhookSubscription
from recruitment import services
from recruitment.actors import Actor
from recruitment.models import Case, CaseState, Membership, Role
from tests import factories

from .conftest import login

pytestmark = pytest.mark.django_db


def test_new_case_with_errors_keeps_input_then_opens_case(client, recruiter):
    login(client, recruiter)
    url = reverse("recruitment:case_create")
    data = {
        "first_name": "Maria",
        "last_name": "Santos",
        "birth_date": "2020-01-01",  # too young
        "nationality": factories.country("PH").pk,
        "languages": "en, tl",
        "county": factories.county("pirkanmaa").pk,
        "profession": factories.profession("registered_nurse").pk,
        "recruitment_basis": "active_recruitment",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please correct the following" in body
    assert "at least 16 years old" in body
    assert 'value="Santos"' in body and 'value="en, tl"' in body
    assert not Case.objects.exists()

    data["birth_date"] = "1990-05-01"
    response = client.post(url, data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("credentials:case_detail", args=[case.number])
    assert case.candidate.languages == ["en", "tl"]
    assert case.recruiter == recruiter
    page = client.get(response["Location"]).content.decode()
    assert "Maria Santos" in page and "Case opened" in page


def test_safeguards_country_needs_justification(client, recruiter):
    login(client, recruiter)
    response = client.post(
        reverse("recruitment:case_create"),
        {
            "first_name": "Sita",
            "last_name": "Rai",
            "nationality": factories.country("NP").pk,
            "county": factories.county("pirkanmaa").pk,
            "profession": factories.profession("registered_nurse").pk,
            "recruitment_basis": "own_initiative",
        },
    )
    assert "Explain why recruiting from a WHO safeguards-list country is ethical." in (
        response.content.decode()
    )


def test_transition_from_case_page_and_reason_required(client, recruiter, case):
    login(client, recruiter)
    page = client.get(reverse("credentials:case_detail", args=[case.number])).content.decode()
    assert "Accept offer" in page
    assert reverse("recruitment:case_transition", args=[case.number, "accept_offer"]) in page
    url = reverse("recruitment:case_transition", args=[case.number, "hold"])
    response = client.post(url, {"version": case.version, "reason": "  "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"version": case.version, "reason": "Waiting for papers"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.ON_HOLD
    timeline = client.get(response["Location"]).content.decode()
    assert "Waiting for papers" in timeline
    assert "State changed from “Screening” to “On hold”." in timeline


def test_stale_version_gives_friendly_message_and_keeps_reason(client, recruiter, case):
    login(client, recruiter)
    seen = case.version
    services.update_case(
        case=case,
        actor=Actor.for_user(recruiter),
        expected_version=seen,
        ethics_justification="Changed by a colleague",
    )
    url = reverse("recruitment:case_transition", args=[case.number, "withdraw"])
    response = client.post(url, {"version": seen, "reason": "Took another job"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Someone changed this case after you opened it." in body
    assert "Took another job" in body
    case.refresh_from_db()
    assert case.state == CaseState.SCREENING
    # The form now carries the current version: submitting again applies the change.
    response = client.post(url, {"version": case.version, "reason": "Took another job"})
    assert response.status_code == 302


def test_recruiter_places_and_completes_case(client, recruiter):
    case = factories.case_in_state(CaseState.READY_FOR_PLACEMENT, prepared=False)
    login(client, recruiter)
    url = reverse("recruitment:case_placement", args=[case.number])
    start = timezone.localdate() - dt.timedelta(days=400)
    response = client.post(
        url,
        {
            "version": case.version,
            "county_unit": "Ward 3",
            "start_date": start.isoformat(),
            "contract": "fixed_term",
        },
    )
    assert "A fixed-term contract needs an end date." in response.content.decode()
    response = client.post(
        url,
        {
            "version": case.version,
            "county_unit": "Ward 3",
            "start_date": start.isoformat(),
            "contract": "permanent",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    response = client.post(
        reverse("recruitment:case_transition", args=[case.number, "place"]),
        {"version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.PLACED
    retention = reverse("recruitment:case_retention", args=[case.number])
    for months in (6, 12):
        case.refresh_from_db()
        response = client.post(
            retention,
            {
                "version": case.version,
                "months": months,
                "passed": "yes",
                "checked_on": timezone.localdate().isoformat(),
            },
        )
        assert response.status_code == 302, response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.COMPLETED


def test_failed_retention_check_needs_a_note(client, recruiter):
    case = factories.case_in_state(CaseState.PLACED, prepared=False)
    login(client, recruiter)
    response = client.post(
        reverse("recruitment:case_retention", args=[case.number]),
        {
            "version": case.version,
            "months": 6,
            "passed": "no",
            "checked_on": timezone.localdate().isoformat(),
        },
    )
    assert "Say why the person left" in response.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.PLACED


def test_case_list_search_filter_and_constant_queries(
    client, recruiter, django_assert_max_num_queries
):
    for _ in range(30):
        factories.open_case()
    special = factories.open_case(
        candidate=factories.CandidateFactory(first_name="Zelda", last_name="Quokka")
    )
    login(client, recruiter)
    url = reverse("recruitment:case_list")
    body = client.get(url, {"q": "quokka"}).content.decode()
    assert special.number in body and "1 case found." in body
    body = client.get(url, {"q": special.number}).content.decode()
    assert "1 case found." in body
    body = client.get(url, {"state": "screening"}).content.decode()
    assert "0 cases found." in body
    with django_assert_max_num_queries(12) as small:
        client.get(url, {"per_page": 25})
    with django_assert_max_num_queries(12) as large:
        client.get(url, {"per_page": 100, "sort": "name"})
    assert len(small.captured_queries) == len(large.captured_queries)


def test_my_work_constant_queries(client, recruiter, django_assert_max_num_queries):
    login(client, recruiter)
    for _ in range(3):
        factories.open_case()
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("credentials:my_work"))
    for _ in range(10):
        factories.open_case()
    with django_assert_max_num_queries(14) as many:
        client.get(reverse("credentials:my_work"))
    assert len(few.captured_queries) == len(many.captured_queries)


def test_educator_updates_progress_with_validation(client, educator, enrollment):
    login(client, educator)
    url = reverse("credentials:enrollment_detail", args=[enrollment.pk])
    response = client.post(
        url,
        {
            "action": "progress",
            "progress-version": enrollment.version,
            "progress-progress_percent": "150",
        },
    )
    body = response.content.decode()
    assert "Ensure this value is less than or equal to 100." in body
    assert 'value="150"' in body
    response = client.post(
        url,
        {
            "action": "progress",
            "progress-version": enrollment.version,
            "progress-progress_percent": "40",
        },
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 40
    assert enrollment.state == TrainingState.IN_PROGRESS
    response = client.post(
        url,
        {
            "action": "complete",
            "complete-version": enrollment.version,
            "complete-completed_on": timezone.localdate().isoformat(),
        },
    )
    enrollment.refresh_from_db()
    assert enrollment.state == TrainingState.COMPLETED


def test_educator_enrollment_list_constant_queries(
    client, educator, institution, django_assert_max_num_queries
):
    from .conftest import enroll

    login(client, educator)
    for _ in range(3):
        enroll(factories.case_in_state(CaseState.OFFER_ACCEPTED, prepared=False), institution)
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("credentials:enrollments"))
    for _ in range(5):
        enroll(factories.case_in_state(CaseState.OFFER_ACCEPTED, prepared=False), institution)
    with django_assert_max_num_queries(10) as many:
        client.get(reverse("credentials:enrollments"))
    assert len(few.captured_queries) == len(many.captured_queries)


def test_educator_records_certificate(client, educator, enrollment):
    login(client, educator)
    url = reverse("credentials:certificate_create")
    data = {
        "case_number": enrollment.case.number,
        "language": "fi",
        "test": "yki",
        "taken_on": timezone.localdate().isoformat(),
        "speaking": "B1",
        "listening": "B1",
        "reading": "B2",
        "writing": "",
    }
    response = client.post(url, data)
    assert "This field is required." in response.content.decode()
    data["writing"] = "B1"
    response = client.post(url, data)
    assert response.status_code == 302
    assert LanguageCertificate.objects.filter(case=enrollment.case).count() == 1
    listing = client.get(reverse("credentials:language_results")).content.decode()
    assert enrollment.case.number in listing


def test_org_admin_manages_members(client, org_admin, pirkanmaa):
    newcomer = factories.UserFactory(username="new.recruiter")
    login(client, org_admin)
    url = reverse("recruitment:members")
    response = client.post(url, {"username": "nobody", "role": Role.RECRUITER})
    assert "No active user is called “nobody”." in response.content.decode()
    response = client.post(url, {"username": "new.recruiter", "role": Role.EDUCATOR})
    assert "cannot belong to" in response.content.decode()
    response = client.post(url, {"username": "new.recruiter", "role": Role.RECRUITER})
    assert response.status_code == 302
    membership = Membership.objects.get(user=newcomer)
    assert membership.organisation == pirkanmaa
    response = client.post(reverse("recruitment:member_remove", args=[membership.pk]))
    assert not Membership.objects.filter(user=newcomer).exists()


def test_org_admin_creates_api_client_token_shown_once(client, org_admin):
    login(client, org_admin)
    url = reverse("integration:api_clients")
    expires = (timezone.localdate() + dt.timedelta(days=90)).isoformat()
    response = client.post(url, {"name": "HR system", "expires_on": expires})
    assert "Scopes: This field is required." in response.content.decode()
    response = client.post(
        url, {"name": "HR system", "scopes": ["cases:read"], "expires_on": expires}, follow=True
    )
    body = response.content.decode()
    client_obj = ApiClient.objects.get(name="HR system")
    token = body.split('id="new-token">')[1].split("<")[0]
    assert token.startswith(client_obj.token_prefix)
    again = client.get(url).content.decode()
    assert token not in again and client_obj.token_prefix in again

    webhooks = reverse("integration:webhooks")
    response = client.post(
        webhooks,
        {
            "client": client_obj.pk,
            "url": "https://hr.pirkanmaa.example/hook",
            "event_types": ["case.transitioned"],
        },
        follow=True,
    )
    assert WebhookSubscription.objects.filter(client=client_obj).count() == 1
    assert "whsec_" in response.content.decode()

    client.post(reverse("integration:api_client_revoke", args=[client_obj.pk]))
    client_obj.refresh_from_db()
    assert client_obj.is_revoked


def test_csv_upload_reports_rows(
    client, educator, enrollment, eager_celery, django_capture_on_commit_callbacks
):
    login(client, educator)
    content = (
        "enrollment_id,version,progress_percent\n"
        f"{enrollment.pk},{enrollment.version},55\n"
        "999999,1,10\n"
    ).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("integration:csv_imports"),
            {
                "kind": "enrollments",
                "apply_valid_rows": "on",
                "file": SimpleUploadedFile("progress.csv", content, content_type="text/csv"),
            },
        )
    assert response.status_code == 302
    imp = CsvImport.objects.get()
    status = client.get(reverse("integration:csv_import_status", args=[imp.pk])).json()
    assert status["finished"] and status["percent"] == 100
    page = client.get(response["Location"]).content.decode()
    assert "2 rows: 1 applied, 1 with errors." in page
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 55


def test_csv_upload_wrong_columns_is_a_form_error(client, educator):
    login(client, educator)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("integration:csv_imports"),
        {
            "kind": "enrollments",
            "file": SimpleUploadedFile("x.csv", b"name,age\nA,1\n", content_type="text/csv"),
        },
    )
    assert response.status_code == 200
    assert "missing columns" in response.content.decode()
    assert not CsvImport.objects.exists()


def test_login_lockout_after_repeated_failures(client, recruiter):
    url = reverse("login")
    for _ in range(5):
        response = client.post(url, {"username": recruiter.username, "password": "wrong"})
    assert response.status_code in (403, 429)
    assert "Too many failed login attempts" in response.content.decode()


def test_login_and_logout(client, recruiter):
    response = client.post(
        reverse("login"),
        {"username": recruiter.username, "password": factories.DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("credentials:my_work")).status_code == 302


def test_language_switch_to_swedish(client, recruiter, settings):
    login(client, recruiter)
    client.post(reverse("set_language"), {"language": "sv", "next": "/cases/"})
    body = client.get(reverse("recruitment:case_list")).content.decode()
    assert '<html lang="sv">' in body
    assert "Ärenden" in body


def test_security_headers(client, recruiter):
    login(client, recruiter)
    response = client.get(reverse("recruitment:case_list"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_case_page_tells_track_history_in_words(client, recruiter, educator, enrollment):
    login(client, educator)
    client.post(
        reverse("credentials:enrollment_detail", args=[enrollment.pk]),
        {
            "action": "progress",
            "progress-version": enrollment.version,
            "progress-progress_percent": "35",
        },
    )
    login(client, recruiter)
    body = client.get(reverse("credentials:case_detail", args=[enrollment.case.number]))
    text = body.content.decode()
    assert "Training: progress updated (" in text
    assert "progress %: 35" in text
    assert "record id" not in text


def test_stalled_follows_the_stage_time_limits(client, recruiter):
    from credentials.models import StageTimeLimit

    case = factories.open_case(occurred_at=timezone.now() - dt.timedelta(days=40))
    StageTimeLimit.objects.update_or_create(state=CaseState.SOURCED, defaults={"max_days": 50})
    login(client, recruiter)
    url = reverse("recruitment:case_list")
    assert case.number not in client.get(url, {"stalled": "on"}).content.decode()
    StageTimeLimit.objects.filter(state=CaseState.SOURCED).update(max_days=30)
    body = client.get(url, {"stalled": "on"}).content.decode()
    assert case.number in body and "stalled" in body
    assert case.number in client.get(reverse("credentials:my_work")).content.decode()


def test_recruiter_records_recognition_and_permit_on_the_case_page(
    client, recruiter, educator, helsinki_case
):
    case = factories.case_in_state(CaseState.OFFER_ACCEPTED, prepared=False)
    login(client, recruiter)
    page = client.get(reverse("credentials:case_detail", args=[case.number])).content.decode()
    url = reverse("credentials:case_track", args=[case.number, "recognition"])
    assert url in page
    today = timezone.localdate()
    response = client.post(url, {"authority": "", "submitted_on": today.isoformat()})
    assert "Authority: This field is required." in response.content.decode()
    response = client.post(
        url,
        {
            "authority": case.profession.recognition_authority_id,
            "submitted_on": (today - dt.timedelta(days=60)).isoformat(),
        },
    )
    assert response.status_code == 302
    decision = reverse("credentials:case_track", args=[case.number, "recognition-decision"])
    application = case.recognition_applications.get()
    response = client.post(
        decision,
        {
            "version": application.version,
            "outcome": "granted",
            "decided_on": (today - dt.timedelta(days=5)).isoformat(),
            "reference": "LVV-1",
        },
    )
    assert response.status_code == 302, response.content.decode()
    permit = reverse("credentials:case_track", args=[case.number, "permit"])
    client.post(
        permit,
        {
            "permit_type": "employed_person",
            "permit_kind": "temporary",
            "applied_on": (today - dt.timedelta(days=30)).isoformat(),
        },
    )
    permit_decision = reverse("credentials:case_track", args=[case.number, "permit-decision"])
    record = case.residence_permits.get()
    response = client.post(
        permit_decision,
        {
            "version": record.version,
            "decision": "granted",
            "decided_on": today.isoformat(),
            "valid_until": (today + dt.timedelta(days=365)).isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    case.refresh_from_db()
    assert case.recognition_outcome == "granted"
    assert case.permit_valid_until == today + dt.timedelta(days=365)
    assert case.state == CaseState.IN_RECOGNITION  # language still missing
    body = client.get(reverse("credentials:case_detail", args=[case.number])).content.decode()
    assert "Recognition: decision recorded" in body
    authority = case.profession.recognition_authority
    assert f"Recognition: application submitted (authority: {authority.name_en}" in body
    other = reverse("credentials:case_track", args=[helsinki_case.number, "recognition"])
    assert client.get(other).status_code == 404
    login(client, educator)
    assert client.get(url).status_code == 404  # not linked to the educator's institution


def test_track_forms_offered_only_when_they_apply(client, recruiter):
    case = factories.case_in_state(CaseState.READY_FOR_PLACEMENT, prepared=False)
    login(client, recruiter)
    page = client.get(reverse("credentials:case_detail", args=[case.number])).content.decode()
    assert reverse("credentials:case_track", args=[case.number, "recognition"]) not in page
    assert reverse("credentials:case_track", args=[case.number, "recognition-decision"]) not in (
        page
    )
