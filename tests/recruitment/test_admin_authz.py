"""Authorisation matrix through the Django admin: each role × each model × each action, on
the role's own organisation's objects ("home", Pirkanmaa) and another's ("away", Helsinki).

Outcomes: "ok" (the page, with the object), "denied" (403) and "missing" (the admin says the
object does not exist and redirects). Whatever the outcome, an object a role may not see never
appears in the response.
"""

import pytest

from recruitment.models import (
    Candidate,
    CaseEvent,
    CaseState,
    Membership,
    OrganisationKind,
    Role,
)
from tests import factories

pytestmark = pytest.mark.django_db

S = CaseState
ROLES = [
    "platform_admin",
    "recruiter_own",
    "recruiter_other",
    "educator",
    "employment_officer",
    "ministry_analyst",
    "org_admin",
]
NOBODY = {"list": "denied", "obj": ("denied", "denied"), "add": "denied", "delete": "denied"}


def _case_like(add: bool) -> dict:
    """Cases and what hangs on them: recruiters of the county and platform admins only."""
    add_ok = "ok" if add else "denied"
    return {
        "platform_admin": {
            "list": "both",
            "obj": ("ok", "ok"),
            "add": add_ok,
            "delete": "denied",
        },
        "recruiter_own": {
            "list": "home",
            "obj": ("ok", "missing"),
            "add": add_ok,
            "delete": "denied",
        },
        "recruiter_other": {
            "list": "away",
            "obj": ("missing", "ok"),
            "add": add_ok,
            "delete": "denied",
        },
    }


EXPECT = {
    "case": _case_like(add=True),
    "candidate": _case_like(add=True),
    "caseevent": _case_like(add=False),
    "placement": _case_like(add=True),
    "membership": {
        "platform_admin": {"list": "both", "obj": ("ok", "ok"), "add": "ok", "delete": "ok"},
        "org_admin": {"list": "home", "obj": ("ok", "missing"), "add": "ok", "delete": "ok"},
    },
    "organisation": {
        "platform_admin": {"list": "both", "obj": ("ok", "ok"), "add": "ok", "delete": "ok"},
        "org_admin": {
            "list": "home",
            "obj": ("ok", "missing"),
            "add": "denied",
            "delete": "denied",
        },
    },
}
# Transitions (Case only): who moves which case.
TRANSITION = {
    "platform_admin": ("ok", "ok"),
    "recruiter_own": ("ok", "missing"),
    "recruiter_other": ("missing", "ok"),
}


@pytest.fixture
def users(pirkanmaa, helsinki):
    school = factories.OrganisationFactory(kind=OrganisationKind.EDUCATIONAL_INSTITUTION)
    employment = factories.OrganisationFactory(kind=OrganisationKind.EMPLOYMENT_SERVICE)
    return {
        "platform_admin": factories.UserFactory(username="root", is_superuser=True),
        "recruiter_own": factories.user_with_role(Role.RECRUITER, pirkanmaa, username="rec.own"),
        "recruiter_other": factories.user_with_role(Role.RECRUITER, helsinki, username="rec.other"),
        "educator": factories.user_with_role(Role.EDUCATOR, school, username="educator"),
        "employment_officer": factories.user_with_role(
            Role.EMPLOYMENT_OFFICER, employment, username="officer"
        ),
        "ministry_analyst": factories.user_with_role(
            Role.MINISTRY_ANALYST, factories.county("stm"), username="analyst"
        ),
        "org_admin": factories.user_with_role(Role.ORG_ADMIN, pirkanmaa, username="orgadmin"),
    }


def _side(county_code, surname):
    county = factories.county(county_code)
    candidate = factories.CandidateFactory(first_name="Test", last_name=surname, created_by=county)
    placed = factories.case_in_state(S.PLACED, county_code=county_code, candidate=candidate)
    movable = factories.case_in_state(
        S.SCREENING,
        county_code=county_code,
        candidate=factories.CandidateFactory(last_name=f"{surname}-Two", created_by=county),
    )
    return {
        "county": county,
        "case": placed,
        "movable": movable,
        "candidate": candidate,
        "caseevent": CaseEvent.objects.filter(case=placed).first(),
        "placement": placed.placement,
        "organisation": county,
        "marker": {  # what identifies the object on a page
            "case": placed.number,
            "candidate": surname,
            "caseevent": placed.number,
            "placement": placed.number,
            "organisation": county.name,
        },
    }


@pytest.fixture
def world(users):
    home = _side("pirkanmaa", "Homesurname")
    away = _side("helsinki", "Awaysurname")
    # Someone else's memberships (the viewer's own username is on every page's header).
    for side, name in ((home, "member.home"), (away, "member.away")):
        member = factories.user_with_role(Role.RECRUITER, side["county"], username=name)
        side["membership"] = Membership.objects.get(user=member)
        side["marker"]["membership"] = name
    return {"home": home, "away": away}


def _check(response, outcome, *, shows, hides, what):
    if outcome == "ok":
        assert response.status_code == 200, what
        for marker in shows:
            assert marker in response.text, f"{what}: {marker} missing"
    elif outcome == "denied":
        assert response.status_code == 403, what
    elif outcome == "missing":
        assert response.status_code == 302, what
        assert response.url == "/admin/", what
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(outcome)
    for marker in hides:
        assert marker not in response.text, f"{what}: leaked {marker}"


MATRIX = [(role, model) for role in ROLES for model in EXPECT]


@pytest.mark.parametrize(("role", "model"), MATRIX, ids=[f"{r}-{m}" for r, m in MATRIX])
def test_admin_matrix(role, model, users, world, login):
    rules = EXPECT[model].get(role, NOBODY)
    client = login(users[role])
    base = f"/admin/recruitment/{model}/"
    home, away = world["home"], world["away"]
    markers = {"home": home["marker"][model], "away": away["marker"][model]}

    # Changelist
    response = client.get(base)
    listed = {"both": ("home", "away"), "home": ("home",), "away": ("away",)}.get(rules["list"], ())
    _check(
        response,
        "denied" if rules["list"] == "denied" else "ok",
        shows=[markers[s] for s in listed],
        hides=[markers[s] for s in ("home", "away") if s not in listed],
        what=f"{role} lists {model}",
    )

    # Change view and delete view of each side's object
    for side, outcome in zip(("home", "away"), rules["obj"], strict=True):
        obj = world[side][model]
        others = [markers[s] for s in ("home", "away") if s != side]
        shown = [markers[side]] if outcome == "ok" else []
        hidden = others if outcome == "ok" else list(markers.values())
        if model == "organisation" and outcome == "ok":
            hidden = []  # an organisation page may well name another organisation
        _check(
            client.get(f"{base}{obj.pk}/change/"),
            outcome,
            shows=shown,
            hides=hidden,
            what=f"{role} opens {side} {model}",
        )
        delete_outcome = (
            rules["delete"] if outcome == "ok" or rules["delete"] == "denied" else outcome
        )
        _check(
            client.get(f"{base}{obj.pk}/delete/"),
            delete_outcome,
            shows=[],
            hides=hidden if delete_outcome != "ok" else [],
            what=f"{role} deletes {side} {model}",
        )

    # Add view
    _check(
        client.get(f"{base}add/"),
        rules["add"],
        shows=[],
        hides=list(markers.values()),
        what=f"{role} adds {model}",
    )


@pytest.mark.parametrize("role", ROLES)
def test_admin_transition_matrix(role, users, world, login):
    client = login(users[role])
    for side, outcome in zip(
        ("home", "away"), TRANSITION.get(role, ("missing", "missing")), strict=True
    ):
        case = world[side]["movable"]
        events = CaseEvent.objects.filter(case=case).count()
        response = client.post(
            f"/admin/recruitment/case/{case.pk}/transition/hold/", {"reason": "Matrix test."}
        )
        assert response.status_code == 302
        case.refresh_from_db()
        if outcome == "ok":
            assert response.url == f"/admin/recruitment/case/{case.pk}/change/"
            assert case.state == S.ON_HOLD
            assert CaseEvent.objects.filter(case=case).count() == events + 1
        else:
            assert response.url == "/admin/"
            assert case.state == S.SCREENING, f"{role} moved the {side} case"
            assert CaseEvent.objects.filter(case=case).count() == events
        # The same through the change form's transition button.
        response = client.post(
            f"/admin/recruitment/case/{case.pk}/change/", {"_fsm_transition_to": "withdraw"}
        )
        case.refresh_from_db()
        assert case.state != S.WITHDRAWN


def test_ministry_analyst_sees_no_personal_data_anywhere_in_the_admin(users, world, login):
    from django.contrib import admin

    client = login(users["ministry_analyst"])
    personal = [
        world["home"]["candidate"].last_name,
        world["away"]["candidate"].last_name,
        world["home"]["candidate"].email,
        world["home"]["case"].number,
    ]
    index = client.get("/admin/")
    assert index.status_code == 200
    pages = ["/admin/"]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(f"/admin/{meta.app_label}/{meta.model_name}/")
    for candidate in Candidate.objects.all():
        pages.append(f"/admin/recruitment/candidate/{candidate.pk}/change/")
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302, 403), url
        for value in personal:
            assert value not in response.text, f"{url} shows {value}"


def test_org_admin_adds_members_to_own_organisation_only(users, world, login, pirkanmaa, helsinki):
    client = login(users["org_admin"])
    newcomer = factories.UserFactory(username="newcomer")
    response = client.post(
        "/admin/recruitment/membership/add/",
        {"user": newcomer.pk, "organisation": helsinki.pk, "role": Role.RECRUITER},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert not Membership.objects.filter(user=newcomer).exists()
    response = client.post(
        "/admin/recruitment/membership/add/",
        {"user": newcomer.pk, "organisation": pirkanmaa.pk, "role": Role.RECRUITER},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(
        user=newcomer, organisation=pirkanmaa, role=Role.RECRUITER
    ).exists()
    # Moving another organisation's membership, or deleting it, does not work.
    away = world["away"]["membership"]
    response = client.post(
        f"/admin/recruitment/membership/{away.pk}/change/",
        {"user": away.user_id, "organisation": pirkanmaa.pk, "role": Role.RECRUITER},
    )
    assert response.status_code in (302, 403)
    response = client.post(f"/admin/recruitment/membership/{away.pk}/delete/", {"post": "yes"})
    assert response.status_code in (302, 403)
    away.refresh_from_db()
    assert away.organisation == helsinki


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


def test_reading_a_candidate_in_the_admin_is_logged(users, world, login):
    candidate = world["home"]["candidate"]
    client = login(users["recruiter_own"])
    assert client.get(f"/admin/recruitment/candidate/{candidate.pk}/change/").status_code == 200
    access = candidate.accesses.get()
    assert (access.user, access.purpose) == (users["recruiter_own"], "admin")
    # Trying to read another county's candidate logs nothing and shows nothing.
    other = world["away"]["candidate"]
    client.get(f"/admin/recruitment/candidate/{other.pk}/change/")
    assert not other.accesses.exists()
