"""Fixtures for the credential tracks: cases reached through the real services, partners and
their users."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone, translation

from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.models import Organisation, OrganisationKind, Role
from tests import factories

SYSTEM = Actor.system("Test setup")


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (the product's default language is Finnish)."""
    with translation.override("en"):
        yield


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def open_case(*, nationality="PH", profession="registered_nurse", county="pirkanmaa", **details):
    county_org = factories.county(county)
    candidate = factories.CandidateFactory(
        nationality=factories.country(nationality), created_by=county_org
    )
    return case_services.open_case(
        candidate=candidate,
        county=county_org,
        profession=factories.profession(profession),
        actor=SYSTEM,
        **details,
    )


def accepted_case(**kwargs):
    """A case whose offer is accepted (no-fee statement signed), ready for the tracks."""
    kwargs.setdefault("no_fee_declared_on", days_ago(800))
    case = open_case(**kwargs)
    for name in ("screen", "accept_offer"):
        case = case_services.transition_case(
            case=case, name=name, actor=SYSTEM, expected_version=case.version
        )
    return case


@pytest.fixture
def client():
    """A browser that asks for English pages."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def authority():
    return Organisation.objects.get(code="licensing-authority")


@pytest.fixture
def migri():
    return Organisation.objects.get(code="migri")


@pytest.fixture
def institution():
    return factories.OrganisationFactory(
        code="tamk-test", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="TAMK (test)"
    )


@pytest.fixture
def other_institution():
    return factories.OrganisationFactory(
        code="metropolia-test",
        kind=OrganisationKind.EDUCATIONAL_INSTITUTION,
        name="Metropolia (test)",
    )


@pytest.fixture
def employment_service():
    return factories.OrganisationFactory(
        code="tampere-employment-test",
        kind=OrganisationKind.EMPLOYMENT_SERVICE,
        name="Tampere employment area (test)",
    )


@pytest.fixture
def educator(institution):
    return factories.user_with_role(Role.EDUCATOR, institution, username="edu.tamk")


@pytest.fixture
def other_educator(other_institution):
    return factories.user_with_role(Role.EDUCATOR, other_institution, username="edu.metropolia")


@pytest.fixture
def officer(employment_service):
    return factories.user_with_role(
        Role.EMPLOYMENT_OFFICER, employment_service, username="officer.tampere"
    )
