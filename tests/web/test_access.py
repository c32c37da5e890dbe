"""Who may open which page: the authorisation matrix of the web UI, through HTTP."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from .conftest import login

pytestmark = pytest.mark.django_db


def test_pages_need_login(client, case):
    for url in [
        reverse("credentials:my_work"),
        reverse("recruitment:case_list"),
        reverse("credentials:case_detail", args=[case.number]),
        reverse("credentials:enrollments"),
        reverse("recruitment:members"),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("recruiter", "/my-work/"),
        ("educator", "/education/enrollments/"),
        ("org_admin", "/organisation/members/"),
        ("superuser", "/my-work/"),
    ],
)
def test_root_sends_each_role_home(client, request, who, home):
    login(client, request.getfixturevalue(who))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == home


def test_analyst_goes_to_aggregates(client, analyst):
    login(client, analyst)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert b"aggregate" in response.content.lower() or b"statist" in response.content.lower()
    assert b"PK-" not in response.content


@pytest.mark.parametrize(
    "page",
    ["case_detail", "case_transition", "case_details", "case_placement", "case_retention"],
)
def test_other_countys_case_is_404(client, recruiter, helsinki_case, page):
    login(client, recruiter)
    if page == "case_detail":
        url = reverse("credentials:case_detail", args=[helsinki_case.number])
    elif page == "case_transition":
        url = reverse("recruitment:case_transition", args=[helsinki_case.number, "hold"])
    else:
        url = reverse(f"recruitment:{page}", args=[helsinki_case.number])
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": helsinki_case.version, "reason": "x"}).status_code == 404


def test_case_list_shows_only_own_county(client, recruiter, case, helsinki_case):
    login(client, recruiter)
    response = client.get(reverse("recruitment:case_list"))
    assert case.number in response.content.decode()
    assert helsinki_case.number not in response.content.decode()


@pytest.mark.parametrize("who", ["educator", "org_admin", "analyst"])
def test_roles_without_cases_cannot_use_recruiter_pages(client, request, who, case):
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("credentials:my_work")).status_code == 403
    assert client.get(reverse("recruitment:case_create")).status_code == 403
    assert client.get(reverse("credentials:case_detail", args=[case.number])).status_code == 404


def test_partner_educator_sees_case_read_only_without_contact_details(client, educator, enrollment):
    login(client, educator)
    case = enrollment.case
    response = client.get(reverse("credentials:case_detail", args=[case.number]))
    assert response.status_code == 200
    body = response.content.decode()
    assert case.candidate.email not in body
    assert "Only the county's recruiters change this case." in body
    url = reverse("recruitment:case_transition", args=[case.number, "hold"])
    assert client.get(url).status_code == 403


def test_educator_cannot_open_other_institutions_enrollment(
    client, educator, enrollment, other_enrollment
):
    login(client, educator)
    own = reverse("credentials:enrollment_detail", args=[enrollment.pk])
    other = reverse("credentials:enrollment_detail", args=[other_enrollment.pk])
    assert client.get(own).status_code == 200
    assert client.get(other).status_code == 404
    assert client.post(other, {"action": "progress"}).status_code == 404
    listing = client.get(reverse("credentials:enrollments")).content.decode()
    assert enrollment.case.number in listing
    assert other_enrollment.case.number not in listing


@pytest.mark.parametrize("who", ["recruiter", "analyst"])
def test_only_educators_see_education_pages(client, request, who):
    login(client, request.getfixturevalue(who))
    for name in ["enrollments", "language_results", "certificate_create"]:
        assert client.get(reverse(f"credentials:{name}")).status_code == 403


def test_members_page_only_for_org_admins(client, recruiter, org_admin, helsinki):
    login(client, recruiter)
    assert client.get(reverse("recruitment:members")).status_code == 403
    login(client, org_admin)
    assert client.get(reverse("recruitment:members")).status_code == 200
    url = reverse("recruitment:members") + "?organisation=helsinki"
    assert client.get(url).status_code == 404


def test_org_admin_cannot_reach_other_organisations_clients_or_imports(
    client, org_admin, educator, helsinki
):
    from integration import services as integration_services
    from integration.models import ApiClient
    from recruitment.actors import Actor

    other, _token = integration_services.create_api_client(
        organisation=helsinki,
        name="Helsinki HR",
        scopes=["cases:read"],
        expires_at=timezone.now() + dt.timedelta(days=30),
        actor=Actor.system(),
    )
    login(client, org_admin)
    assert (
        client.get(reverse("integration:api_clients") + "?organisation=helsinki").status_code == 404
    )
    assert "Helsinki HR" not in client.get(reverse("integration:api_clients")).content.decode()
    assert client.post(reverse("integration:api_client_revoke", args=[other.pk])).status_code == 404
    assert ApiClient.objects.get(pk=other.pk).revoked_at is None
    login(client, educator)
    assert client.get(reverse("integration:api_clients")).status_code == 403
    assert client.get(reverse("integration:csv_import_detail", args=[999999])).status_code == 404
