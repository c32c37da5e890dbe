"""Fixtures for the web UI tests: people in each role and cases to look at."""

import datetime as dt

import pytest
from django.utils import timezone

from credentials import services as track_services
from recruitment.actors import Actor
from recruitment.models import CaseState, OrganisationKind, Role
from tests import factories

SYSTEM = Actor.system("Test setup")


@pytest.fixture(autouse=True)
def _english(settings):
    """Pages render in English unless a test switches language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def institution():
    return factories.OrganisationFactory(
        code="test-uas", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="Test UAS"
    )


@pytest.fixture
def other_institution():
    return factories.OrganisationFactory(
        code="other-uas", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="Other UAS"
    )


@pytest.fixture
def educator(institution):
    return factories.user_with_role(Role.EDUCATOR, institution, username="edu.test")


@pytest.fixture
def other_educator(other_institution):
    return factories.user_with_role(Role.EDUCATOR, other_institution, username="edu.other")


@pytest.fixture
def org_admin(pirkanmaa):
    return factories.user_with_role(Role.ORG_ADMIN, pirkanmaa, username="admin.pirkanmaa")


@pytest.fixture
def analyst():
    from recruitment.models import Organisation

    ministry = Organisation.objects.filter(kind=OrganisationKind.MINISTRY).first()
    return factories.user_with_role(Role.MINISTRY_ANALYST, ministry, username="analyst")


@pytest.fixture
def case(pirkanmaa):
    """A Pirkanmaa case in screening."""
    return factories.case_in_state(CaseState.SCREENING, prepared=False)


@pytest.fixture
def helsinki_case(helsinki):
    return factories.case_in_state(CaseState.SCREENING, prepared=False, county_code="helsinki")


def enroll(case, institution, *, programme="language"):
    return track_services.enroll(
        case=case.pk,
        institution=institution,
        programme=programme,
        actor=SYSTEM,
        starts_on=timezone.localdate() - dt.timedelta(days=30),
    )


@pytest.fixture
def enrollment(institution):
    case = factories.case_in_state(CaseState.OFFER_ACCEPTED, prepared=False)
    return enroll(case, institution)


@pytest.fixture
def other_enrollment(other_institution):
    case = factories.case_in_state(CaseState.OFFER_ACCEPTED, prepared=False)
    return enroll(case, other_institution)


@pytest.fixture
def eager_celery():
    """Run Celery tasks in-process (the CSV import) and restore the app's setting after."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client
