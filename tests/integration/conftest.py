"""Fixtures for the partner API: partner organisations, API clients with tokens, cases linked
to partners through the real services, and an HTTP client per token."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from credentials import services as credential_services
from integration import services as integration_services
from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.models import CaseState, OrganisationKind
from tests import factories

SYSTEM = Actor.system("Test setup")
ALL_SCOPES = [
    "cases:read",
    "cases:write",
    "training:read",
    "training:write",
    "permits:read",
    "permits:write",
    "webhooks:manage",
]
EDUCATOR_SCOPES = ["cases:read", "training:read", "training:write", "webhooks:manage"]
EMPLOYMENT_SCOPES = ["cases:read", "permits:read", "permits:write", "webhooks:manage"]


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def accepted_case(*, county="pirkanmaa", nationality="PH", profession="registered_nurse"):
    case = factories.open_case(
        county_code=county,
        nationality=nationality,
        profession_code=profession,
        no_fee_declared_on=days_ago(200),
    )
    for name in ("screen", "accept_offer"):
        case = case_services.transition_case(
            case=case, name=name, actor=SYSTEM, expected_version=case.version
        )
    return case


def make_token(organisation, scopes, *, name="Partner system", days=30):
    client, token = integration_services.create_api_client(
        organisation=organisation,
        name=name,
        scopes=scopes,
        expires_at=timezone.now() + dt.timedelta(days=days),
        actor=SYSTEM,
    )
    return client, token


def http(token=None) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if token:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def enroll(case, institution, *, programme="language"):
    return credential_services.enroll(
        case=case,
        institution=institution,
        programme=programme,
        actor=SYSTEM,
        starts_on=days_ago(30),
    )


def refer(case, employment_service):
    """Refer a case to an employment service (an integration step links it)."""
    return credential_services.record_integration_step(
        case=case, organisation=employment_service, kind="initial_assessment", actor=SYSTEM
    )


@pytest.fixture
def institution():
    return factories.OrganisationFactory(
        code="inst-a", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="Institution A"
    )


@pytest.fixture
def other_institution():
    return factories.OrganisationFactory(
        code="inst-b", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="Institution B"
    )


@pytest.fixture
def employment_service():
    return factories.OrganisationFactory(
        code="employment-a", kind=OrganisationKind.EMPLOYMENT_SERVICE, name="Employment A"
    )


@pytest.fixture
def other_employment_service():
    return factories.OrganisationFactory(
        code="employment-b", kind=OrganisationKind.EMPLOYMENT_SERVICE, name="Employment B"
    )


@pytest.fixture
def county_token(pirkanmaa):
    return make_token(pirkanmaa, ALL_SCOPES, name="Pirkanmaa HR")[1]


@pytest.fixture
def helsinki_token(helsinki):
    return make_token(helsinki, ALL_SCOPES, name="Helsinki HR")[1]


@pytest.fixture
def educator_token(institution):
    return make_token(institution, EDUCATOR_SCOPES, name="Institution A SIS")[1]


@pytest.fixture
def other_educator_token(other_institution):
    return make_token(other_institution, EDUCATOR_SCOPES, name="Institution B SIS")[1]


@pytest.fixture
def employment_token(employment_service):
    return make_token(employment_service, EMPLOYMENT_SCOPES, name="Employment A CRM")[1]


@pytest.fixture
def case_at(institution, employment_service):
    """An accepted Pirkanmaa case linked to institution A (enrolled) and employment A."""
    case = accepted_case()
    enroll(case, institution)
    refer(case, employment_service)
    case.refresh_from_db()
    assert case.state == CaseState.IN_TRAINING
    return case


@pytest.fixture
def loopback_receivers(settings):
    """Webhooks to receivers on this machine (pytest-httpserver on 127.0.0.1): allowed only
    with the development setting, which the tests that deliver locally ask for explicitly."""
    settings.POLKU_WEBHOOK_ALLOW_LOOPBACK = True
