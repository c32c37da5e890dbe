"""Authorisation matrix of the Django admin (issue 10).

DESIGN.md: "Platform admins are Django superusers; the Django admin is theirs alone." Every
role × every admin URL — the index and, for every registered model, its change list, add page
and an object's change page, read (GET) and written (POST) — gives the platform admin the
page and sends everyone else (each role, a staff user without a role, an anonymous visitor)
to the admin's login page: 302, nothing shown, nothing written.

Then what even a platform admin may not do in the admin (the object rules behind the site),
on Pirkanmaa's ("home") and Helsinki's ("away") objects.
"""

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.utils import timezone

from credentials import services as track_services
from credentials.models import Notification
from integration import services as integration_services
from integration.models import CsvImport, OutboxEvent, WebhookDelivery, WebhookSubscription
from monitoring.models import CountyTarget, HalfYearReport, SnapshotRun
from recruitment.actors import Actor
from recruitment.models import (
    Candidate,
    CandidateAccess,
    Case,
    CaseEvent,
    CaseState,
    Membership,
    OrganisationKind,
    Role,
)
from tests import factories

pytestmark = pytest.mark.django_db

S = CaseState
SYSTEM = Actor.system("Admin matrix")
ROLES = [
    "platform_admin",
    "recruiter",
    "educator",
    "employment_officer",
    "ministry_analyst",
    "org_admin",
    "staff_without_role",  # is_staff but no role and no superuser
    "anonymous",
]
# Models whose add page even a platform admin does not get: audit trails, logs and records
# that only their services create.
NO_ADD = {
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "recruitment.caseevent",
    "recruitment.retentioncheck",
    "credentials.notification",
    "integration.webhooksubscription",  # partners subscribe (API, organisation page)
    "integration.outboxevent",
    "integration.webhookdelivery",
    "monitoring.halfyearreport",
    "monitoring.snapshotrun",
}


@pytest.fixture
def users(pirkanmaa):
    """One user per role, each with the staff flag the demo users used to get: the site, not
    the flag, is what keeps them out."""
    staff = {"is_staff": True}
    school = factories.OrganisationFactory(kind=OrganisationKind.EDUCATIONAL_INSTITUTION)
    employment = factories.OrganisationFactory(kind=OrganisationKind.EMPLOYMENT_SERVICE)
    return {
        "platform_admin": factories.UserFactory(username="root", is_superuser=True),
        "recruiter": factories.user_with_role(
            Role.RECRUITER, pirkanmaa, username="rec.own", **staff
        ),
        "educator": factories.user_with_role(Role.EDUCATOR, school, username="educator", **staff),
        "employment_officer": factories.user_with_role(
            Role.EMPLOYMENT_OFFICER, employment, username="officer", **staff
        ),
        "ministry_analyst": factories.user_with_role(
            Role.MINISTRY_ANALYST, factories.county("stm"), username="analyst", **staff
        ),
        "org_admin": factories.user_with_role(
            Role.ORG_ADMIN, pirkanmaa, username="orgadmin", **staff
        ),
        "staff_without_role": factories.UserFactory(username="staff", **staff),
        "anonymous": None,
    }


def _client(login, user):
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en") if user is None else login(user)


@pytest.fixture
def one_of_each(users, pirkanmaa):
    """At least one object of every model registered in the admin (so every change page of the
    matrix is a real object's), written through the services where there is one."""
    today = timezone.localdate()
    case = factories.case_in_state(S.PLACED)
    tracked = factories.case_in_state(S.OFFER_ACCEPTED, prepared=False)
    institution = factories.OrganisationFactory(kind=OrganisationKind.EDUCATIONAL_INSTITUTION)
    employment = factories.OrganisationFactory(kind=OrganisationKind.EMPLOYMENT_SERVICE)
    track_services.submit_recognition(
        case=tracked,
        authority=tracked.profession.recognition_authority,
        submitted_on=today,
        actor=SYSTEM,
    )
    track_services.enroll(
        case=tracked, institution=institution, programme="language", actor=SYSTEM, starts_on=today
    )
    track_services.record_language_certificate(
        case=tracked,
        actor=SYSTEM,
        language="fi",
        test="yki",
        taken_on=today,
        speaking="B1",
        listening="B1",
        reading="B1",
        writing="B1",
    )
    track_services.apply_permit(
        case=tracked,
        actor=SYSTEM,
        permit_type="employed_person",
        permit_kind="temporary",
        applied_on=today,
    )
    track_services.record_integration_step(
        case=tracked, organisation=employment, kind="initial_assessment", actor=SYSTEM
    )
    track_services.set_stage_time_limit(actor=SYSTEM, state=S.SCREENING, max_days=30)
    Notification.objects.create(
        recipient=users["recruiter"],
        case=case,
        kind=Notification._meta.get_field("kind").choices[0][0],
        message="Check the case.",
        dedupe_key="matrix",
    )
    client, _token = integration_services.create_api_client(
        organisation=pirkanmaa,
        name="County system",
        scopes=["cases:read"],
        expires_at=today + dt.timedelta(days=30),
        actor=SYSTEM,
    )
    subscription = WebhookSubscription.objects.create(
        client=client, url="https://hr.example.fi/hook", secret="whsec_matrix"
    )
    event = OutboxEvent.objects.create(event_type="case.opened", case_id=case.pk)
    WebhookDelivery.objects.create(event=event, subscription=subscription)
    CsvImport.objects.create(organisation=pirkanmaa, client=client, kind="enrollments")
    CountyTarget.objects.create(county=pirkanmaa, year=today.year, half=1, target_placements=5)
    HalfYearReport.objects.create(year=today.year, half=1)
    SnapshotRun.objects.create(date=today, computed_at=timezone.now())
    Group.objects.create(name="Matrix")
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    axes_row = {"user_agent": "test", "ip_address": "127.0.0.1", "username": "x"}
    AccessAttempt.objects.create(**axes_row, failures_since_start=1, get_data="", post_data="")
    AccessLog.objects.create(**axes_row)
    AccessFailureLog.objects.create(**axes_row)
    return case


def _admin_urls() -> list[tuple[str, str]]:
    """(label, url) for the index and every registered model's change list, add and change."""
    urls = [("index", "/admin/")]
    for model in admin.site._registry:
        meta = model._meta
        base = f"/admin/{meta.app_label}/{meta.model_name}/"
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"one_of_each makes no {meta.label}: add one"
        urls += [
            (f"{meta.label_lower} list", base),
            (f"{meta.label_lower} add", f"{base}add/"),
            (f"{meta.label_lower} change", f"{base}{obj.pk}/change/"),
        ]
    return urls


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in admin.site._registry}


def test_the_admin_site_is_polkus_superuser_only_site():
    from recruitment.admin_site import PolkuAdminSite

    assert isinstance(admin.site, PolkuAdminSite)  # installed by recruitment.apps


@pytest.mark.parametrize("role", ROLES)
def test_admin_matrix_every_role_every_url(role, users, one_of_each, login):
    client = _client(login, users[role])
    urls = _admin_urls()
    assert len(urls) == 1 + 3 * len(admin.site._registry)
    before = _counts()
    for label, url in urls:
        response = client.get(url)
        if role == "platform_admin":
            model = label.split(" ")[0]
            expected = 403 if label.endswith(" add") and model in NO_ADD else 200
            assert response.status_code == expected, f"{role} GET {label}"
            continue
        assert response.status_code == 302, f"{role} GET {label}: {response.status_code}"
        assert response.url == f"/admin/login/?next={url}", f"{role} GET {label}"
        assert response.content == b"", f"{role} GET {label} shows something"
        if label != "index":
            response = client.post(url, {"name": "x", "post": "yes"})
            assert response.status_code == 302, f"{role} POST {label}"
            assert response.url.startswith("/admin/login/"), f"{role} POST {label}"
    if role != "platform_admin":
        assert _counts() == before, f"{role} wrote through the admin"


@pytest.mark.parametrize("role", [r for r in ROLES if r != "platform_admin"])
def test_no_role_moves_or_opens_a_case_through_the_admin(role, users, login, pirkanmaa):
    client = _client(login, users[role])
    case = factories.case_in_state(S.SCREENING)
    events = CaseEvent.objects.filter(case=case).count()
    response = client.post(
        f"/admin/recruitment/case/{case.pk}/transition/hold/", {"reason": "Matrix test."}
    )
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    response = client.post(
        "/admin/recruitment/case/add/",
        {
            "candidate": factories.CandidateFactory().pk,
            "county": pirkanmaa.pk,
            "profession": factories.profession().pk,
        },
    )
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    case.refresh_from_db()
    assert case.state == S.SCREENING
    assert CaseEvent.objects.filter(case=case).count() == events
    assert Case.objects.count() == 1


def test_the_admin_login_page_admits_superusers_only(users, client):
    from tests.factories import DEFAULT_PASSWORD

    for role in ("recruiter", "org_admin", "staff_without_role"):
        response = client.post(
            "/admin/login/?next=/admin/",
            {"username": users[role].username, "password": DEFAULT_PASSWORD},
        )
        assert response.status_code == 200, role  # the form again, with its error
        assert "_auth_user_id" not in client.session, role
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- The platform admin's object rules (behind the site) ----------------------------------


def _side(county_code, surname):
    county = factories.county(county_code)
    candidate = factories.CandidateFactory(first_name="Test", last_name=surname, created_by=county)
    placed = factories.case_in_state(S.PLACED, county_code=county_code, candidate=candidate)
    member = factories.user_with_role(Role.RECRUITER, county, username=f"member.{county_code}")
    return {
        "case": placed,
        "candidate": candidate,
        "caseevent": CaseEvent.objects.filter(case=placed).first(),
        "placement": placed.placement,
        "organisation": county,
        "membership": Membership.objects.get(user=member),
        "marker": {
            "case": placed.number,
            "candidate": surname,
            "caseevent": placed.number,
            "placement": placed.number,
            "organisation": county.name,
            "membership": member.username,
        },
    }


# model -> (add page, delete page) for the platform admin; every object is listed and opens.
PLATFORM_ADMIN = {
    "case": (200, 403),  # cases close through transitions; the audit trail stays
    "candidate": (200, 403),  # erasure is a service with its own audit
    "caseevent": (403, 403),  # immutable
    "placement": (200, 403),
    "membership": (200, 200),
    "organisation": (200, 200),
}


@pytest.mark.parametrize("model", PLATFORM_ADMIN)
def test_platform_admin_sees_every_county_and_deletes_only_what_may_go(model, users, login):
    home, away = _side("pirkanmaa", "Homesurname"), _side("helsinki", "Awaysurname")
    client = login(users["platform_admin"])
    base = f"/admin/recruitment/{model}/"
    listing = client.get(base)
    assert listing.status_code == 200
    for side in (home, away):
        assert side["marker"][model] in listing.text
        page = client.get(f"{base}{side[model].pk}/change/")
        assert page.status_code == 200
        assert side["marker"][model] in page.text
    add, delete = PLATFORM_ADMIN[model]
    assert client.get(f"{base}add/").status_code == add
    assert client.get(f"{base}{home[model].pk}/delete/").status_code == delete


def test_platform_admin_moves_cases_of_any_county(users, login):
    client = login(users["platform_admin"])
    for county in ("pirkanmaa", "helsinki"):
        case = factories.case_in_state(S.SCREENING, county_code=county)
        response = client.post(
            f"/admin/recruitment/case/{case.pk}/transition/hold/", {"reason": "Matrix test."}
        )
        assert response.url == f"/admin/recruitment/case/{case.pk}/change/"
        case.refresh_from_db()
        assert case.state == S.ON_HOLD
        # The change form's transition button does not bypass the reason.
        client.post(
            f"/admin/recruitment/case/{case.pk}/change/", {"_fsm_transition_to": "withdraw"}
        )
        case.refresh_from_db()
        assert case.state != S.WITHDRAWN


def test_a_role_must_fit_the_organisation_kind(users, login, pirkanmaa):
    client = login(users["platform_admin"])
    newcomer = factories.UserFactory(username="newcomer")
    response = client.post(
        "/admin/recruitment/membership/add/",
        {"user": newcomer.pk, "organisation": pirkanmaa.pk, "role": Role.EDUCATOR},
    )
    assert response.status_code == 200
    assert "A Educator cannot belong to a Wellbeing services county." in response.text
    assert not Membership.objects.filter(user=newcomer).exists()


def test_reading_a_candidate_in_the_admin_is_logged(users, login):
    candidate = factories.CandidateFactory(created_by=factories.county())
    client = login(users["recruiter"])
    assert client.get(f"/admin/recruitment/candidate/{candidate.pk}/change/").status_code == 302
    assert not CandidateAccess.objects.exists()  # refused at the site: nothing read
    client = login(users["platform_admin"])
    assert client.get(f"/admin/recruitment/candidate/{candidate.pk}/change/").status_code == 200
    access = candidate.accesses.get()
    assert (access.user, access.purpose) == (users["platform_admin"], "admin")
    assert Candidate.objects.count() == 1
