"""manage.py seed_demo: idempotent demo data driven through the real services, and one demo
login per role. A small --count keeps this fast; the shape of the data is what is tested."""

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from credentials import demo
from recruitment.models import (
    Candidate,
    Case,
    CaseEvent,
    CaseState,
    Membership,
    Organisation,
    RecruitmentBasis,
    Role,
)

pytestmark = pytest.mark.django_db

COUNT = 40


def _counts():
    return {
        "candidates": Candidate.objects.count(),
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "organisations": Organisation.objects.count(),
    }


def _seed(count):
    out = io.StringIO()
    call_command("seed_demo", count=count, stdout=out)
    assert f"Demo data ready: {count} demo candidates" in out.getvalue()
    return _counts()


def _log_in(username):
    """Log in through the login page, as a person would (django-axes watches it)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/accounts/login/", {"username": username, "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302, f"{username} could not log in"
    return client


def test_seed_demo_twice_gives_the_same_counts_and_real_looking_cases():
    seeded = _seed(COUNT)
    assert seeded["candidates"] == COUNT
    assert seeded["cases"] == COUNT
    assert seeded["users"] == len(demo.DEMO_USERS)
    assert _seed(COUNT) == seeded

    cases = Case.objects.select_related("candidate__nationality", "county")
    states = {c.state for c in cases}
    assert len(states) >= 6, states
    assert len({c.county_id for c in cases}) >= 15  # the first cases visit every county
    now = timezone.now()
    two_years_ago = now - dt.timedelta(days=2 * 366)
    for case in cases:
        events = list(case.events.all())
        # One event per version, the first one opening the case, all within two years.
        assert [e.case_version for e in events] == list(range(1, case.version + 1)), case
        assert events[0].kind == CaseEvent.Kind.OPENED
        assert all(two_years_ago <= e.occurred_at <= now for e in events), case
        assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events), case
        transitions = [e for e in events if e.kind == CaseEvent.Kind.TRANSITION]
        if transitions:
            assert transitions[-1].to_state == case.state
        # The ethics gate holds for safeguards-list countries.
        if case.candidate.nationality.who_safeguards_list and case.state not in (
            CaseState.SOURCED,
            CaseState.SCREENING,
        ):
            assert case.recruitment_basis != RecruitmentBasis.ACTIVE_RECRUITMENT
            assert case.ethics_justification


def test_demo_users_one_per_role_log_in_and_see_their_share():
    _seed(24)  # one case per county and then some
    roles = {role for _, _, _, role, _ in demo.DEMO_USERS if role}
    assert roles == set(Role.values)
    for username, _description, org_code, role, superuser in demo.DEMO_USERS:
        user = get_user_model().objects.get(username=username)
        assert user.is_superuser is superuser
        if role:
            assert Membership.objects.filter(
                user=user, organisation__code=org_code, role=role
            ).exists()
        # The Django admin is the platform admin's alone; every other role works in the web UI.
        assert user.is_staff is superuser, username
        client = _log_in(username)
        assert client.get("/admin/").status_code == (200 if superuser else 302), username

    page = _log_in("recruiter.pirkanmaa").get("/cases/?per_page=100").text
    own = Case.objects.filter(county__code="pirkanmaa")
    others = Case.objects.exclude(county__code="pirkanmaa")
    assert own.exists() and others.exists()
    for case in own:
        assert case.number in page
    for case in others:
        assert case.number not in page
    assert demo.DEMO_USERS[0][0] == "admin"
    admin_page = _log_in("admin").get("/admin/recruitment/case/").text
    assert f"{Case.objects.count()} cases" in admin_page


def test_demo_logins_prints_the_url_and_one_login_per_role():
    out = io.StringIO()
    call_command("demo_logins", url="http://127.0.0.1:8123/", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text
    assert demo.DEMO_PASSWORD in text
    for username, *_ in demo.DEMO_USERS:
        assert username in text
