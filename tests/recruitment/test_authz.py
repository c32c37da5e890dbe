"""recruitment.authz decides who may see and do what; tested directly, role by role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from recruitment import authz, services
from recruitment.actors import Actor
from recruitment.models import Case, CasePartner, CaseState, OrganisationKind, Role
from tests import factories

pytestmark = pytest.mark.django_db

S = CaseState


@pytest.fixture
def cases():
    return {
        "pirkanmaa": factories.case_in_state(S.SCREENING),
        "helsinki": factories.case_in_state(S.SCREENING, county_code="helsinki"),
    }


@pytest.fixture
def school():
    return factories.OrganisationFactory(
        code="school", kind=OrganisationKind.EDUCATIONAL_INSTITUTION
    )


def _ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_platform_admin_sees_and_changes_everything(superuser, cases):
    assert _ids(authz.visible_cases(superuser)) == {c.pk for c in cases.values()}
    assert all(authz.can_change_case(superuser, c) for c in cases.values())
    assert authz.sees_personal_data(superuser)
    assert authz.can_manage_organisations(superuser)


def test_recruiter_sees_and_changes_only_own_county(recruiter, cases, pirkanmaa, helsinki):
    own, other = cases["pirkanmaa"], cases["helsinki"]
    assert _ids(authz.visible_cases(recruiter)) == {own.pk}
    assert _ids(authz.admin_cases(recruiter)) == {own.pk}
    assert authz.can_view_case(recruiter, own) and authz.can_change_case(recruiter, own)
    assert not authz.can_view_case(recruiter, other)
    assert not authz.can_change_case(recruiter, other)
    assert authz.can_open_case(recruiter, pirkanmaa)
    assert not authz.can_open_case(recruiter, helsinki)
    assert _ids(authz.visible_candidates(recruiter)) == {own.candidate_id}
    assert not authz.can_change_candidate(recruiter, other.candidate)
    assert not authz.can_manage_memberships(recruiter, pirkanmaa)
    assert not authz.can_manage_organisations(recruiter)


def test_partner_sees_linked_cases_only_and_changes_none(cases, school):
    educator = factories.user_with_role(Role.EDUCATOR, school)
    own = cases["pirkanmaa"]
    assert _ids(authz.visible_cases(educator)) == set()
    assert not authz.can_view_case(educator, own)
    services.link_partner(
        case=own, organisation=school, role=CasePartner.PartnerRole.EDUCATION, actor=Actor.system()
    )
    assert _ids(authz.visible_cases(educator)) == {own.pk}
    assert authz.can_view_case(educator, own)
    assert not authz.can_change_case(educator, own)
    assert not authz.can_view_case(educator, cases["helsinki"])
    # The admin shows whole records (contact and permit data): partners are not shown there.
    assert _ids(authz.admin_cases(educator)) == set()
    # Partners read cases, not the candidate register.
    assert _ids(authz.visible_candidates(educator)) == set()
    assert _ids(authz.cases_for_organisation(school)) == {own.pk}


def test_ministry_analyst_sees_no_personal_data(cases):
    analyst = factories.user_with_role(Role.MINISTRY_ANALYST, factories.county("stm"))
    assert not authz.sees_personal_data(analyst)
    assert _ids(authz.visible_cases(analyst)) == set()
    assert _ids(authz.visible_candidates(analyst)) == set()
    assert not any(authz.can_view_case(analyst, c) for c in cases.values())


def test_org_admin_manages_own_organisations_memberships_only(pirkanmaa, helsinki, recruiter):
    org_admin = factories.user_with_role(Role.ORG_ADMIN, pirkanmaa)
    other = factories.user_with_role(Role.RECRUITER, helsinki)
    assert authz.can_manage_memberships(org_admin, pirkanmaa)
    assert not authz.can_manage_memberships(org_admin, helsinki)
    visible = {m.user.username for m in authz.visible_memberships(org_admin)}
    assert recruiter.username in visible
    assert org_admin.username in visible
    assert other.username not in visible
    assert not authz.sees_personal_data(org_admin)
    assert _ids(authz.visible_cases(org_admin)) == set()


def test_inactive_users_and_organisations_grant_nothing(recruiter, cases, pirkanmaa):
    own = cases["pirkanmaa"]
    pirkanmaa.is_active = False
    pirkanmaa.save()
    authz.forget_roles(recruiter)
    assert not authz.can_view_case(recruiter, own)
    pirkanmaa.is_active = True
    pirkanmaa.save()
    authz.forget_roles(recruiter)
    assert authz.can_view_case(recruiter, own)
    recruiter.is_active = False
    authz.forget_roles(recruiter)
    assert not authz.can_view_case(recruiter, own)
    assert _ids(authz.visible_cases(recruiter)) == set()


def test_actors(cases, pirkanmaa, helsinki, recruiter):
    own = cases["pirkanmaa"]
    assert authz.actor_can_change_case(Actor.system(), own)
    own_client = Actor.for_api_client(client_id=1, label="HR", organisation=pirkanmaa)
    other_client = Actor.for_api_client(client_id=2, label="HR", organisation=helsinki)
    assert authz.actor_can_change_case(own_client, own)
    assert authz.actor_can_view_case(own_client, own)
    assert not authz.actor_can_change_case(other_client, own)
    assert not authz.actor_can_view_case(other_client, own)
    assert authz.actor_can_change_case(Actor.for_user(recruiter), own)
    assert not authz.actor_can_change_case(Actor.for_user(recruiter), cases["helsinki"])


def test_anonymous_users_get_nothing(cases):
    anonymous = AnonymousUser()
    assert _ids(authz.visible_cases(anonymous)) == set()
    assert not authz.can_view_case(anonymous, cases["pirkanmaa"])
    assert not authz.is_platform_admin(anonymous)


def test_the_milestone_fields_are_listed_once_with_the_track_that_shows_them():
    """The services accept as milestones exactly the fields the visibility rule shows by
    track: one list (authz.MILESTONE_TRACKS), no second copy to fall out of step."""
    assert services.MILESTONE_FIELDS is authz.MILESTONE_FIELDS
    assert tuple(authz.MILESTONE_TRACKS) == authz.MILESTONE_FIELDS
    assert set(authz.MILESTONE_TRACKS.values()) <= set(authz.TRACKS)
    for name in authz.MILESTONE_FIELDS:
        assert Case._meta.get_field(name).concrete
