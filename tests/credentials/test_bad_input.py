"""Bad input on the credential tracks: clear errors, nothing half-written."""

import pytest
from django.core.exceptions import ValidationError

from credentials import services
from credentials.models import (
    LanguageCertificate,
    PermitKind,
    PermitType,
    Programme,
    RecognitionApplication,
    ResidencePermit,
    TrainingEnrollment,
)
from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.errors import NotPermitted, StaleVersion, TransitionNotAllowed
from recruitment.models import CaseEvent, CasePartner, RecognitionOutcome

from .conftest import accepted_case, days_ago

pytestmark = pytest.mark.django_db


def snapshot(case):
    """What a half-write would change: the case's version and its audit trail."""
    case.refresh_from_db()
    return case.version, CaseEvent.objects.filter(case=case).count()


@pytest.fixture
def case():
    return accepted_case()


@pytest.fixture
def application(case, authority, recruiter_actor):
    return services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(100), actor=recruiter_actor
    )


def test_training_that_ends_before_it_starts_is_refused_and_nothing_is_written(
    case, institution, recruiter_actor
):
    before = snapshot(case)
    with pytest.raises(ValidationError) as error:
        services.enroll(
            case=case,
            institution=institution,
            programme=Programme.LANGUAGE,
            actor=recruiter_actor,
            starts_on=days_ago(10),
            ends_on=days_ago(20),
        )
    assert "cannot be before the start" in error.value.message_dict["ends_on"][0]
    assert snapshot(case) == before
    assert not TrainingEnrollment.objects.exists()
    assert not CasePartner.objects.filter(case=case).exists()


def test_a_decision_dated_before_the_submission_is_refused(application, recruiter_actor):
    with pytest.raises(ValidationError) as error:
        services.decide_recognition(
            application=application,
            actor=recruiter_actor,
            expected_version=application.version,
            outcome=RecognitionOutcome.GRANTED,
            decided_on=days_ago(120),
        )
    assert "cannot be before the application was submitted" in str(error.value)
    stored = RecognitionApplication.objects.get(pk=application.pk)
    assert (stored.state, stored.outcome, stored.version) == ("submitted", "", 1)


def test_an_application_cannot_be_decided_twice_nor_completed_before_a_decision(
    application, recruiter_actor
):
    with pytest.raises(TransitionNotAllowed, match="granted or conditional"):
        services.complete_recognition(
            application=application,
            actor=recruiter_actor,
            expected_version=application.version,
            completed_on=days_ago(5),
        )
    decided = services.decide_recognition(
        application=application,
        actor=recruiter_actor,
        expected_version=application.version,
        outcome=RecognitionOutcome.REFUSED,
        decided_on=days_ago(50),
    )
    with pytest.raises(TransitionNotAllowed, match="cannot be decided now"):
        services.decide_recognition(
            application=decided,
            actor=recruiter_actor,
            expected_version=decided.version,
            outcome=RecognitionOutcome.GRANTED,
            decided_on=days_ago(40),
        )
    appealed = services.appeal_recognition(
        application=decided,
        actor=recruiter_actor,
        expected_version=decided.version,
        appealed_on=days_ago(45),
        reason="The degree includes the missing clinical training.",
    )
    assert appealed.state == "appealed"
    appealed.case.refresh_from_db()
    assert appealed.case.recognition_outcome == ""  # pending again


def test_a_stale_version_is_refused(application, recruiter_actor):
    services.start_recognition_review(
        application=application, actor=recruiter_actor, expected_version=1
    )
    with pytest.raises(StaleVersion) as error:
        services.decide_recognition(
            application=application,
            actor=recruiter_actor,
            expected_version=1,
            outcome=RecognitionOutcome.GRANTED,
            decided_on=days_ago(10),
        )
    assert error.value.details == {"expected_version": 1, "current_version": 2}


def test_eu_nurses_cannot_get_a_conditional_decision(authority, recruiter_actor):
    case = accepted_case(nationality="ES")
    application = services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(30), actor=recruiter_actor
    )
    with pytest.raises(ValidationError, match="recognised automatically"):
        services.decide_recognition(
            application=application,
            actor=recruiter_actor,
            expected_version=application.version,
            outcome=RecognitionOutcome.CONDITIONAL,
            decided_on=days_ago(5),
            conditions=["aptitude_test"],
        )


def test_a_conditional_decision_names_its_measures(application, recruiter_actor):
    with pytest.raises(ValidationError, match="at least one measure"):
        services.decide_recognition(
            application=application,
            actor=recruiter_actor,
            expected_version=application.version,
            outcome=RecognitionOutcome.CONDITIONAL,
            decided_on=days_ago(5),
        )
    with pytest.raises(ValidationError, match="not a valid measure"):
        services.decide_recognition(
            application=application,
            actor=recruiter_actor,
            expected_version=application.version,
            outcome=RecognitionOutcome.CONDITIONAL,
            decided_on=days_ago(5),
            conditions=["exam_of_everything"],
        )


@pytest.mark.parametrize(
    ("test", "levels", "bad"),
    [
        ("yki", {"speaking": "D1"}, "speaking"),
        ("yki", {"writing": 7}, "writing"),
        ("yki", {"reading": 0}, "reading"),
        ("civil_service", {"listening": "excellent"}, "listening"),
        ("institution", {"speaking": 3}, "speaking"),  # YKI numbers only for YKI
        ("yki", {"speaking": "\u00b3"}, "speaking"),  # "³".isdigit(), but int("³") fails
        ("yki", {"listening": "\u0663"}, "listening"),  # Arabic-Indic 3
        ("yki", {"reading": "+3"}, "reading"),
    ],
)
def test_language_levels_out_of_range_are_refused(case, recruiter_actor, test, levels, bad):
    before = snapshot(case)
    given = {"speaking": "B1", "listening": "B1", "reading": "B1", "writing": "B1", **levels}
    with pytest.raises(ValidationError) as error:
        services.record_language_certificate(
            case=case,
            actor=recruiter_actor,
            language="fi",
            test=test,
            taken_on=days_ago(3),
            **given,
        )
    assert list(error.value.message_dict) == [bad]
    assert "is not a language level" in error.value.message_dict[bad][0]
    assert snapshot(case) == before
    assert not LanguageCertificate.objects.exists()


def test_a_certificate_from_the_future_is_refused(case, recruiter_actor):
    with pytest.raises(ValidationError, match="cannot be in the future"):
        services.record_language_certificate(
            case=case,
            actor=recruiter_actor,
            language="fi",
            test="yki",
            taken_on=days_ago(-3),
            speaking=3,
            listening=3,
            reading=3,
            writing=3,
        )


def test_a_second_active_permit_is_refused(case, recruiter_actor):
    first = services.apply_permit(
        case=case,
        actor=recruiter_actor,
        permit_type=PermitType.EMPLOYED_PERSON,
        permit_kind=PermitKind.TEMPORARY,
        applied_on=days_ago(60),
    )
    before = snapshot(case)
    with pytest.raises(ValidationError, match="already has an active residence permit"):
        services.apply_permit(
            case=case,
            actor=recruiter_actor,
            permit_type=PermitType.SPECIALIST,
            permit_kind=PermitKind.TEMPORARY,
            applied_on=days_ago(10),
        )
    services.decide_permit(
        permit=first,
        actor=recruiter_actor,
        expected_version=first.version,
        granted=True,
        decided_on=days_ago(30),
        valid_until=days_ago(-300),
    )
    with pytest.raises(ValidationError, match="a permit is valid until"):
        services.apply_permit(
            case=case,
            actor=recruiter_actor,
            permit_type=PermitType.SPECIALIST,
            permit_kind=PermitKind.TEMPORARY,
            applied_on=days_ago(5),
        )
    assert ResidencePermit.objects.filter(case=case).count() == 1
    assert snapshot(case)[1] > before[1]  # only the decision was written


def test_permit_dates_in_the_wrong_order_are_refused(case, recruiter_actor):
    permit = services.apply_permit(
        case=case,
        actor=recruiter_actor,
        permit_type=PermitType.EMPLOYED_PERSON,
        permit_kind=PermitKind.CONTINUOUS,
        applied_on=days_ago(60),
    )
    for decided_on, valid_from, valid_until, field in [
        (days_ago(70), None, days_ago(-300), "decided_on"),
        (days_ago(30), days_ago(30), days_ago(40), "valid_until"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.decide_permit(
                permit=permit,
                actor=recruiter_actor,
                expected_version=permit.version,
                granted=True,
                decided_on=decided_on,
                valid_from=valid_from,
                valid_until=valid_until,
            )
        assert field in error.value.message_dict
    stored = ResidencePermit.objects.get(pk=permit.pk)
    assert (stored.state, stored.version) == ("applied", 1)


def test_eu_citizens_need_no_permit(recruiter_actor):
    case = accepted_case(nationality="SE")
    with pytest.raises(ValidationError, match="need no residence permit"):
        services.apply_permit(
            case=case,
            actor=recruiter_actor,
            permit_type=PermitType.EMPLOYED_PERSON,
            permit_kind=PermitKind.TEMPORARY,
            applied_on=days_ago(5),
        )


def test_progress_out_of_range_and_interruption_without_reason_are_refused(
    case, institution, recruiter_actor
):
    enrollment = services.enroll(
        case=case,
        institution=institution,
        programme=Programme.LANGUAGE,
        actor=recruiter_actor,
        starts_on=days_ago(30),
    )
    for value in (101, -1, "lots"):
        with pytest.raises(ValidationError, match="0 to 100"):
            services.update_enrollment(
                enrollment=enrollment,
                actor=recruiter_actor,
                expected_version=enrollment.version,
                progress_percent=value,
            )
    with pytest.raises(ValidationError, match="Say why"):
        services.interrupt_enrollment(
            enrollment=enrollment,
            actor=recruiter_actor,
            expected_version=enrollment.version,
            reason="  ",
        )
    with pytest.raises(ValidationError, match="completed before it starts"):
        services.complete_enrollment(
            enrollment=enrollment,
            actor=recruiter_actor,
            expected_version=enrollment.version,
            completed_on=days_ago(40),
        )
    stored = TrainingEnrollment.objects.get(pk=enrollment.pk)
    assert (stored.state, stored.progress_percent, stored.version) == ("enrolled", 0, 1)


def test_tracks_of_a_closed_case_cannot_change(case, authority, recruiter_actor):
    case = case_services.transition_case(
        case=case,
        name="withdraw",
        actor=recruiter_actor,
        expected_version=case.version,
        reason="Took a job elsewhere.",
    )
    with pytest.raises(TransitionNotAllowed, match="is closed"):
        services.submit_recognition(
            case=case, authority=authority, submitted_on=days_ago(3), actor=recruiter_actor
        )


def test_a_recruiter_of_another_county_cannot_write_tracks(case, authority, other_recruiter):
    with pytest.raises(NotPermitted):
        services.submit_recognition(
            case=case,
            authority=authority,
            submitted_on=days_ago(3),
            actor=Actor.for_user(other_recruiter),
        )
    assert not RecognitionApplication.objects.exists()
