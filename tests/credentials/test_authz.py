"""Who may write which track: educators their institution's training, employment officers
permits and integration steps of cases linked to them, partners' API clients likewise."""

import pytest

from credentials import services
from credentials.models import IntegrationStepKind, PermitKind, PermitType, Programme
from recruitment.actors import Actor
from recruitment.errors import NotPermitted
from recruitment.models import RecognitionOutcome

from .conftest import accepted_case, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return accepted_case()


@pytest.fixture
def enrollment(case, institution, recruiter_actor):
    return services.enroll(
        case=case,
        institution=institution,
        programme=Programme.LANGUAGE,
        actor=recruiter_actor,
        starts_on=days_ago(60),
    )


def api_client(organisation, client_id=7):
    return Actor.for_api_client(
        client_id=client_id, label=f"{organisation.code} API", organisation=organisation
    )


def test_educator_updates_own_institutions_enrollment_and_records_language(
    case, enrollment, educator
):
    actor = Actor.for_user(educator)
    updated = services.update_enrollment(
        enrollment=enrollment, actor=actor, expected_version=enrollment.version, progress_percent=40
    )
    assert updated.progress_percent == 40
    services.record_language_certificate(
        case=case,
        actor=actor,
        language="fi",
        test="institution",
        issuer=enrollment.institution,
        taken_on=days_ago(2),
        speaking="A2",
        listening="B1",
        reading="B1",
        writing="A2",
    )


def test_educator_of_another_institution_is_refused(case, enrollment, other_educator):
    actor = Actor.for_user(other_educator)
    with pytest.raises(NotPermitted, match="training of your own institution"):
        services.update_enrollment(
            enrollment=enrollment,
            actor=actor,
            expected_version=enrollment.version,
            progress_percent=90,
        )
    with pytest.raises(NotPermitted):
        services.record_language_certificate(
            case=case,
            actor=actor,
            language="fi",
            test="yki",
            taken_on=days_ago(2),
            speaking=3,
            listening=3,
            reading=3,
            writing=3,
        )
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 0


def test_educator_cannot_enroll_an_unlinked_case_nor_touch_other_tracks(
    case, educator, institution, authority, enrollment
):
    actor = Actor.for_user(educator)
    other_case = accepted_case()
    with pytest.raises(NotPermitted):
        services.enroll(
            case=other_case,
            institution=institution,
            programme=Programme.BRIDGING,
            actor=actor,
            starts_on=days_ago(5),
        )
    with pytest.raises(NotPermitted):
        services.apply_permit(
            case=case,
            actor=actor,
            permit_type=PermitType.STUDIES,
            permit_kind=PermitKind.TEMPORARY,
            applied_on=days_ago(5),
        )
    with pytest.raises(NotPermitted):
        services.submit_recognition(
            case=case, authority=authority, submitted_on=days_ago(5), actor=actor
        )


def test_employment_officer_writes_permits_and_steps_only_on_linked_cases(
    case, officer, employment_service, recruiter_actor, enrollment
):
    actor = Actor.for_user(officer)
    with pytest.raises(NotPermitted, match="linked to your employment service"):
        services.apply_permit(
            case=case,
            actor=actor,
            permit_type=PermitType.EMPLOYED_PERSON,
            permit_kind=PermitKind.TEMPORARY,
            applied_on=days_ago(5),
        )
    # The recruiter refers the candidate: the employment service becomes a partner.
    services.record_integration_step(
        case=case,
        organisation=employment_service,
        kind=IntegrationStepKind.INITIAL_ASSESSMENT,
        actor=recruiter_actor,
        due_on=days_ago(-14),
    )
    permit = services.apply_permit(
        case=case,
        actor=actor,
        permit_type=PermitType.EMPLOYED_PERSON,
        permit_kind=PermitKind.TEMPORARY,
        applied_on=days_ago(5),
    )
    assert permit.state == "applied"
    step = case.integration_steps.get()
    done = services.update_integration_step(
        step=step, actor=actor, expected_version=step.version, status="done"
    )
    assert done.done_on is not None
    with pytest.raises(NotPermitted):
        services.update_enrollment(
            enrollment=enrollment, actor=actor, expected_version=1, progress_percent=10
        )


def test_partner_api_clients_follow_the_same_rules(
    case, enrollment, institution, other_institution, authority, recruiter_actor
):
    updated = services.update_enrollment(
        enrollment=enrollment,
        actor=api_client(institution),
        expected_version=enrollment.version,
        progress_percent=55,
    )
    assert updated.state == "in_progress"
    with pytest.raises(NotPermitted):
        services.update_enrollment(
            enrollment=updated,
            actor=api_client(other_institution, client_id=8),
            expected_version=updated.version,
            progress_percent=60,
        )
    application = services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(40), actor=recruiter_actor
    )
    # The authority's own client decides the applications addressed to it...
    decided = services.decide_recognition(
        application=application,
        actor=api_client(authority, client_id=9),
        expected_version=application.version,
        outcome=RecognitionOutcome.GRANTED,
        decided_on=days_ago(3),
    )
    assert decided.outcome == "granted"
    # ...but an institution's client cannot.
    with pytest.raises(NotPermitted):
        services.appeal_recognition(
            application=decided,
            actor=api_client(institution),
            expected_version=decided.version,
            appealed_on=days_ago(1),
        )


def test_county_api_client_writes_every_track(case, authority):
    client = api_client(case.county)
    application = services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(20), actor=client
    )
    assert application.pk
