"""One case with every kind of case data, and people and API clients in every role around it:
the arrangement of the visibility matrix (tests/test_visibility.py).

The case (Pirkanmaa, a Philippine registered nurse) went the whole way through the real
services: ethics record, a hold with a typed reason, recognition granted, enrollments at two
institutions (one interrupted with a reason), a language certificate, integration steps of
two employment services, a residence permit granted, a placement and a passed retention
check. Every text a viewer may or may not see carries a marker to look for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from credentials import services as track_services
from integration import services as integration_services
from integration.models import WebhookSubscription
from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.models import Case, Organisation, OrganisationKind, RecruitmentBasis, Role

from . import factories

SYSTEM = Actor.system("Test setup")

PERMIT_REFERENCE = "MIGRI-DEMO-00042"
RECOGNITION_REFERENCE = "RECOGNITION-REF-MARKER"
ETHICS_JUSTIFICATION = "ETHICS-JUSTIFICATION-MARKER"
G2G_REFERENCE = "G2G-REF-MARKER"
HOLD_REASON = "HOLD-REASON-MARKER"
INTERRUPTION_REASON = "INTERRUPT-BETA-MARKER"
COUNTY_UNIT = "PLACEMENT-UNIT-MARKER"
RETENTION_NOTE = "RETENTION-NOTE-MARKER"
CONTACT_EMAIL = "contact-marker@example.invalid"

ALPHA_INSTITUTE = "Alpha Institute of Care"
BETA_INSTITUTE = "Beta College of Nursing"
ALPHA_EMPLOYMENT = "Alpha Employment Office"
BETA_EMPLOYMENT = "Beta Employment Office"

EDUCATOR_SCOPES = ["cases:read", "training:read", "training:write", "webhooks:manage"]
EMPLOYMENT_SCOPES = ["cases:read", "permits:read", "permits:write", "webhooks:manage"]
COUNTY_SCOPES = [
    "cases:read",
    "cases:write",
    "training:read",
    "training:write",
    "permits:read",
    "permits:write",
    "webhooks:manage",
]

# Who looks at the case: people (web page and API session) and API clients (API, webhooks).
USERS = (
    "admin",
    "recruiter",
    "other_recruiter",
    "educator_alpha",
    "educator_beta",
    "officer_alpha",
    "analyst",
)
CLIENTS = (
    "client_county",
    "client_other_county",
    "client_alpha_institute",
    "client_beta_institute",
    "client_alpha_employment",
)


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


@dataclass
class World:
    case: Case
    orgs: dict[str, Organisation]
    users: dict[str, object] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    clients: dict[str, object] = field(default_factory=dict)
    records: dict[str, object] = field(default_factory=dict)


def _organisation(code: str, kind: str, name: str) -> Organisation:
    return factories.OrganisationFactory(code=code, kind=kind, name=name, name_en=name)


def build_world() -> World:
    """People, clients (subscribed to every webhook event), then the case's whole history."""
    orgs = {
        "pirkanmaa": factories.county("pirkanmaa"),
        "helsinki": factories.county("helsinki"),
        "alpha_institute": _organisation(
            "alpha-inst", OrganisationKind.EDUCATIONAL_INSTITUTION, ALPHA_INSTITUTE
        ),
        "beta_institute": _organisation(
            "beta-inst", OrganisationKind.EDUCATIONAL_INSTITUTION, BETA_INSTITUTE
        ),
        "alpha_employment": _organisation(
            "emp-alpha", OrganisationKind.EMPLOYMENT_SERVICE, ALPHA_EMPLOYMENT
        ),
        "beta_employment": _organisation(
            "emp-beta", OrganisationKind.EMPLOYMENT_SERVICE, BETA_EMPLOYMENT
        ),
        "ministry": Organisation.objects.filter(kind=OrganisationKind.MINISTRY).first(),
    }
    users = {
        "admin": factories.UserFactory(username="vis.admin", is_superuser=True),
        "recruiter": factories.user_with_role(
            Role.RECRUITER, orgs["pirkanmaa"], username="vis.recruiter"
        ),
        "other_recruiter": factories.user_with_role(
            Role.RECRUITER, orgs["helsinki"], username="vis.recruiter.helsinki"
        ),
        "educator_alpha": factories.user_with_role(
            Role.EDUCATOR, orgs["alpha_institute"], username="vis.educator.alpha"
        ),
        "educator_beta": factories.user_with_role(
            Role.EDUCATOR, orgs["beta_institute"], username="vis.educator.beta"
        ),
        "officer_alpha": factories.user_with_role(
            Role.EMPLOYMENT_OFFICER, orgs["alpha_employment"], username="vis.officer.alpha"
        ),
        "analyst": factories.user_with_role(
            Role.MINISTRY_ANALYST, orgs["ministry"], username="vis.analyst"
        ),
    }
    client_specs = {
        "client_county": (orgs["pirkanmaa"], COUNTY_SCOPES),
        "client_other_county": (orgs["helsinki"], COUNTY_SCOPES),
        "client_alpha_institute": (orgs["alpha_institute"], EDUCATOR_SCOPES),
        "client_beta_institute": (orgs["beta_institute"], EDUCATOR_SCOPES),
        "client_alpha_employment": (orgs["alpha_employment"], EMPLOYMENT_SCOPES),
    }
    tokens, clients = {}, {}
    for name, (organisation, scopes) in client_specs.items():
        client, token = integration_services.create_api_client(
            organisation=organisation,
            name=name,
            scopes=scopes,
            expires_at=timezone.now() + dt.timedelta(days=30),
            actor=SYSTEM,
        )
        tokens[name], clients[name] = token, client
        # Arrange directly: the subscription's URL checks are not what this matrix tests.
        WebhookSubscription.objects.create(
            client=client, url=f"https://{name.replace('_', '-')}.example/hook", secret="s"
        )

    candidate = factories.CandidateFactory(
        nationality=factories.country("PH"), created_by=orgs["pirkanmaa"], email=CONTACT_EMAIL
    )
    case = case_services.open_case(
        candidate=candidate,
        county=orgs["pirkanmaa"],
        profession=factories.profession("registered_nurse"),
        actor=SYSTEM,
    )
    case = case_services.update_case(
        case=case,
        actor=SYSTEM,
        expected_version=None,
        recruitment_basis=RecruitmentBasis.G2G_AGREEMENT,
        g2g_agreement_ref=G2G_REFERENCE,
        ethics_justification=ETHICS_JUSTIFICATION,
        no_fee_declared_on=days_ago(500),
    )

    def run(name: str, reason: str = "") -> None:
        case_services.transition_case(
            case=case.pk, name=name, actor=SYSTEM, expected_version=None, reason=reason
        )

    for name in ("screen", "accept_offer"):
        run(name)
    run("hold", HOLD_REASON)
    run("resume")

    application = track_services.submit_recognition(
        case=case.pk,
        authority=Organisation.objects.get(code="licensing-authority"),
        submitted_on=days_ago(400),
        actor=SYSTEM,
    )
    track_services.decide_recognition(
        application=application,
        actor=SYSTEM,
        expected_version=None,
        outcome="granted",
        decided_on=days_ago(380),
        reference=RECOGNITION_REFERENCE,
    )
    alpha = track_services.enroll(
        case=case.pk,
        institution=orgs["alpha_institute"],
        programme="language",
        actor=SYSTEM,
        starts_on=days_ago(370),
    )
    track_services.update_enrollment(
        enrollment=alpha, actor=SYSTEM, expected_version=None, progress_percent=50
    )
    beta = track_services.enroll(
        case=case.pk,
        institution=orgs["beta_institute"],
        programme="orientation",
        actor=SYSTEM,
        starts_on=days_ago(360),
    )
    track_services.interrupt_enrollment(
        enrollment=beta, actor=SYSTEM, expected_version=None, reason=INTERRUPTION_REASON
    )
    certificate = track_services.record_language_certificate(
        case=case.pk,
        actor=SYSTEM,
        language="fi",
        test="yki",
        taken_on=days_ago(340),
        speaking="B2",
        listening="B2",
        reading="B2",
        writing="B2",
    )
    step_alpha = track_services.record_integration_step(
        case=case.pk,
        organisation=orgs["alpha_employment"],
        kind="initial_assessment",
        actor=SYSTEM,
    )
    step_beta = track_services.record_integration_step(
        case=case.pk, organisation=orgs["beta_employment"], kind="registration", actor=SYSTEM
    )
    permit = track_services.apply_permit(
        case=case.pk,
        actor=SYSTEM,
        permit_type="employed_person",
        permit_kind="temporary",
        applied_on=days_ago(330),
    )
    track_services.decide_permit(
        permit=permit,
        actor=SYSTEM,
        expected_version=None,
        granted=True,
        decided_on=days_ago(300),
        valid_until=timezone.localdate() + dt.timedelta(days=700),
        reference=PERMIT_REFERENCE,
    )
    case_services.record_placement(
        case=case.pk,
        actor=SYSTEM,
        expected_version=None,
        county_unit=COUNTY_UNIT,
        start_date=days_ago(250),
    )
    run("place")
    case_services.record_retention_check(
        case=case.pk,
        actor=SYSTEM,
        expected_version=None,
        months=6,
        passed=True,
        checked_on=days_ago(60),
        note=RETENTION_NOTE,
    )
    case.refresh_from_db()
    assert case.state == "placed", case.state
    return World(
        case=case,
        orgs=orgs,
        users=users,
        tokens=tokens,
        clients=clients,
        records={
            "application": application,
            "alpha_enrollment": alpha,
            "beta_enrollment": beta,
            "certificate": certificate,
            "alpha_step": step_alpha,
            "beta_step": step_beta,
            "permit": permit,
        },
    )
