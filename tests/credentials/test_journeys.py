"""Whole journeys through the credential services, asserting the final state and the audit
trail (issue 4, journeys a-e)."""

import datetime as dt

import pytest
from django.utils import timezone

from credentials import services
from credentials.models import LanguageTest, Notification, PermitKind, PermitType, Programme
from credentials.selectors import next_steps
from recruitment import services as case_services
from recruitment.errors import TransitionNotAllowed
from recruitment.models import CaseEvent, CaseState, RecognitionOutcome, RecruitmentBasis

from .conftest import accepted_case, days_ago, open_case

pytestmark = pytest.mark.django_db


def transitions(case):
    return list(
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION)
        .order_by("occurred_at", "id")
        .values_list("transition", "actor_kind")
    )


def test_a_spanish_eu_nurse_is_recognised_automatically_needs_no_permit_and_is_placed(
    recruiter_actor, authority
):
    case = accepted_case(nationality="ES")
    application = services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(300), actor=recruiter_actor
    )
    case.refresh_from_db()
    assert case.state == CaseState.IN_RECOGNITION
    services.decide_recognition(
        application=application,
        actor=recruiter_actor,
        expected_version=application.version,
        outcome=RecognitionOutcome.GRANTED,
        decided_on=days_ago(260),
        reference="LVV/2025/123",
    )
    case.refresh_from_db()
    assert case.state == CaseState.IN_RECOGNITION  # language proof still missing
    services.record_language_certificate(
        case=case,
        actor=recruiter_actor,
        language="fi",
        test=LanguageTest.YKI,
        taken_on=days_ago(200),
        speaking=3,
        listening=4,
        reading=3,
        writing=3,
    )
    case.refresh_from_db()
    assert case.state == CaseState.READY_FOR_PLACEMENT
    assert case.permit_valid_until is None
    ready = CaseEvent.objects.get(case=case, transition="mark_ready")
    assert ready.actor_kind == "system"
    assert "no residence permit needed" in ready.reason
    case_services.record_placement(
        case=case,
        actor=recruiter_actor,
        expected_version=case.version,
        county_unit="Acute ward",
        start_date=days_ago(150),
    )
    case.refresh_from_db()
    case = case_services.transition_case(
        case=case, name="place", actor=recruiter_actor, expected_version=case.version
    )
    assert case.state == CaseState.PLACED
    assert transitions(case) == [
        ("screen", "system"),
        ("accept_offer", "system"),
        ("start_recognition", "system"),
        ("mark_ready", "system"),
        ("place", "user"),
    ]
    tracks = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRACK)
    assert [e.changes["action"][1] for e in tracks] == [
        "submitted",
        "decided",
        "certificate_recorded",
    ]
    assert all(e.actor_label == recruiter_actor.label for e in tracks)


def test_b_philippine_nurse_conditional_decision_studies_language_permit_placed_retained(
    recruiter, recruiter_actor, authority, institution
):
    case = accepted_case(nationality="PH", recruiter=recruiter)
    application = services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(760), actor=recruiter_actor
    )
    application = services.start_recognition_review(
        application=application, actor=recruiter_actor, expected_version=application.version
    )
    application = services.decide_recognition(
        application=application,
        actor=recruiter_actor,
        expected_version=application.version,
        outcome=RecognitionOutcome.CONDITIONAL,
        decided_on=days_ago(640),
        reference="LVV/2024/777",
        conditions=["supplementary_studies"],
    )
    case.refresh_from_db()
    assert (case.state, case.recognition_outcome) == (CaseState.IN_RECOGNITION, "conditional")

    # The ordered studies are not done yet: recognition cannot be completed.
    with pytest.raises(TransitionNotAllowed, match="supplementary studies are not completed"):
        services.complete_recognition(
            application=application,
            actor=recruiter_actor,
            expected_version=application.version,
            completed_on=days_ago(600),
        )

    enrollment = services.enroll(
        case=case,
        institution=institution,
        programme=Programme.SUPPLEMENTARY_STUDIES,
        actor=recruiter_actor,
        starts_on=days_ago(620),
        ends_on=days_ago(400),
    )
    case.refresh_from_db()
    assert case.state == CaseState.IN_TRAINING
    assert case.partner_links.filter(organisation=institution).exists()
    enrollment = services.update_enrollment(
        enrollment=enrollment,
        actor=recruiter_actor,
        expected_version=enrollment.version,
        progress_percent=60,
    )
    assert enrollment.state == "in_progress"
    services.record_language_certificate(
        case=case,
        actor=recruiter_actor,
        language="fi",
        test=LanguageTest.YKI,
        taken_on=days_ago(450),
        speaking=3,
        listening=3,
        reading=3,
        writing=3,
    )
    services.complete_enrollment(
        enrollment=enrollment,
        actor=recruiter_actor,
        expected_version=enrollment.version,
        completed_on=days_ago(420),
    )
    case.refresh_from_db()
    assert case.state == CaseState.IN_RECOGNITION  # back to waiting for the authority
    application.refresh_from_db()
    services.complete_recognition(
        application=application,
        actor=recruiter_actor,
        expected_version=application.version,
        completed_on=days_ago(410),
    )
    case.refresh_from_db()
    assert case.recognition_outcome == RecognitionOutcome.GRANTED
    assert case.recognition_decided_on == days_ago(410)
    assert case.state == CaseState.IN_RECOGNITION  # a permit is still needed

    permit = services.apply_permit(
        case=case,
        actor=recruiter_actor,
        permit_type=PermitType.EMPLOYED_PERSON,
        permit_kind=PermitKind.TEMPORARY,
        applied_on=days_ago(405),
    )
    services.decide_permit(
        permit=permit,
        actor=recruiter_actor,
        expected_version=permit.version,
        granted=True,
        decided_on=days_ago(395),
        valid_until=days_ago(395) + dt.timedelta(days=4 * 365),
        reference="MIGRI-123",
    )
    case.refresh_from_db()
    assert case.state == CaseState.READY_FOR_PLACEMENT
    assert case.permit_valid_until == days_ago(395) + dt.timedelta(days=4 * 365)
    ready = CaseEvent.objects.get(case=case, transition="mark_ready")
    assert ready.actor_kind == "system"
    assert "recognition granted" in ready.reason and "residence permit valid" in ready.reason

    case_services.record_placement(
        case=case,
        actor=recruiter_actor,
        expected_version=case.version,
        county_unit="Home care",
        start_date=days_ago(385),
    )
    case.refresh_from_db()
    case = case_services.transition_case(
        case=case, name="place", actor=recruiter_actor, expected_version=case.version
    )
    for months, checked in ((6, days_ago(200)), (12, days_ago(15))):
        case = case_services.record_retention_check(
            case=case,
            actor=recruiter_actor,
            expected_version=case.version,
            months=months,
            passed=True,
            checked_on=checked,
        )
    assert case.state == CaseState.COMPLETED
    assert transitions(case) == [
        ("screen", "system"),
        ("accept_offer", "system"),
        ("start_recognition", "system"),
        ("start_training", "system"),
        ("start_recognition", "system"),
        ("mark_ready", "system"),
        ("place", "user"),
        ("complete", "user"),
    ]
    actions = [
        (e.changes["track"][1], e.changes["action"][1])
        for e in CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRACK)
    ]
    assert actions == [
        ("recognition", "submitted"),
        ("recognition", "review_started"),
        ("recognition", "decided"),
        ("training", "enrolled"),
        ("training", "updated"),
        ("language", "certificate_recorded"),
        ("training", "completed"),
        ("recognition", "completed"),
        ("permit", "applied"),
        ("permit", "granted"),
    ]
    assert all(step.done for step in next_steps(case))


def test_c_nepalese_nurse_needs_own_initiative_justification_before_accepting_offer(
    recruiter_actor, authority
):
    case = open_case(nationality="NP", no_fee_declared_on=days_ago(30))
    case = case_services.transition_case(
        case=case, name="screen", actor=recruiter_actor, expected_version=case.version
    )
    with pytest.raises(TransitionNotAllowed) as refused:
        case_services.transition_case(
            case=case, name="accept_offer", actor=recruiter_actor, expected_version=case.version
        )
    assert "WHO health workforce support and safeguards list" in refused.value.message
    offer = next(s for s in next_steps(case) if s.key == "accept_offer")
    assert offer.owner == "recruiter" and not offer.done
    assert "safeguards list" in offer.blocked_by[0]

    case = case_services.update_case(
        case=case,
        actor=recruiter_actor,
        expected_version=case.version,
        recruitment_basis=RecruitmentBasis.OWN_INITIATIVE,
        ethics_justification="Applied on her own initiative to the county's open vacancy.",
    )
    case = case_services.transition_case(
        case=case, name="accept_offer", actor=recruiter_actor, expected_version=case.version
    )
    assert case.state == CaseState.OFFER_ACCEPTED
    services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(10), actor=recruiter_actor
    )
    case.refresh_from_db()
    assert case.state == CaseState.IN_RECOGNITION
    change = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CHANGE)
    assert change.changes["recruitment_basis"] == ["active_recruitment", "own_initiative"]
    assert [t for t, _ in transitions(case)] == [
        "screen",
        "accept_offer",
        "start_recognition",
    ]


def test_d_practical_nurse_short_in_one_sub_skill_stays_blocked_and_passes_on_retake(
    recruiter_actor, authority, migri
):
    case = accepted_case(nationality="VN", profession="practical_nurse")
    application = services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(300), actor=recruiter_actor
    )
    services.decide_recognition(
        application=application,
        actor=recruiter_actor,
        expected_version=application.version,
        outcome=RecognitionOutcome.GRANTED,
        decided_on=days_ago(200),
    )
    permit = services.apply_permit(
        case=case,
        actor=recruiter_actor,
        permit_type=PermitType.EMPLOYED_PERSON,
        permit_kind=PermitKind.TEMPORARY,
        applied_on=days_ago(190),
    )
    services.decide_permit(
        permit=permit,
        actor=recruiter_actor,
        expected_version=permit.version,
        granted=True,
        decided_on=days_ago(120),
        valid_until=days_ago(120) + dt.timedelta(days=365),
    )
    services.record_language_certificate(
        case=case,
        actor=recruiter_actor,
        language="fi",
        test=LanguageTest.YKI,
        taken_on=days_ago(100),
        speaking="B1",
        listening="B1",
        reading="B2",
        writing=2,  # YKI 2 = A2: short of B1
    )
    case.refresh_from_db()
    assert case.state == CaseState.IN_RECOGNITION
    assert case.language_requirement_met_on is None
    language = next(s for s in next_steps(case) if s.key == "language")
    assert language.blocked_by == ["Writing A2 is below B1."]
    assert language.owner == "educational_institution"
    with pytest.raises(TransitionNotAllowed, match="Language requirement"):
        case_services.transition_case(
            case=case, name="mark_ready", actor=recruiter_actor, expected_version=case.version
        )

    services.record_language_certificate(
        case=case,
        actor=recruiter_actor,
        language="fi",
        test=LanguageTest.YKI,
        taken_on=days_ago(20),
        speaking=3,
        listening=3,
        reading=4,
        writing=3,
    )
    case.refresh_from_db()
    assert case.language_requirement_met_on == days_ago(20)
    assert case.state == CaseState.READY_FOR_PLACEMENT
    first, retake = CaseEvent.objects.filter(
        case=case, kind=CaseEvent.Kind.TRACK, changes__track=[None, "language"]
    )
    assert first.reason == "Writing A2 is below B1."
    assert retake.reason == ""


def test_e_permit_expiring_before_placement_blocks_it_and_notifies_recruiters(
    recruiter, recruiter_actor, authority, monkeypatch
):
    case = accepted_case(nationality="IN", recruiter=recruiter)
    application = services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(400), actor=recruiter_actor
    )
    services.decide_recognition(
        application=application,
        actor=recruiter_actor,
        expected_version=application.version,
        outcome=RecognitionOutcome.GRANTED,
        decided_on=days_ago(300),
    )
    services.record_language_certificate(
        case=case,
        actor=recruiter_actor,
        language="sv",
        test=LanguageTest.CIVIL_SERVICE,
        taken_on=days_ago(250),
        speaking="satisfactory",
        listening="good",
        reading="good",
        writing="satisfactory",
    )
    permit = services.apply_permit(
        case=case,
        actor=recruiter_actor,
        permit_type=PermitType.STUDIES,
        permit_kind=PermitKind.TEMPORARY,
        applied_on=days_ago(380),
    )
    today = timezone.localdate()
    services.decide_permit(
        permit=permit,
        actor=recruiter_actor,
        expected_version=permit.version,
        granted=True,
        decided_on=days_ago(350),
        valid_until=today + dt.timedelta(days=20),
    )
    case.refresh_from_db()
    assert case.state == CaseState.READY_FOR_PLACEMENT
    assert services.watch_permit_expiry(today=today) == 1
    warning = Notification.objects.get(case=case)
    assert (warning.recipient, warning.kind) == (recruiter, "permit_expiring_30")

    # A month later, nobody has placed the candidate and the permit has expired.
    later = today + dt.timedelta(days=30)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: later)
    case_services.record_placement(
        case=case,
        actor=recruiter_actor,
        expected_version=case.version,
        county_unit="Elderly care unit",
        start_date=later,
    )
    case.refresh_from_db()
    with pytest.raises(TransitionNotAllowed, match="residence permit expired on"):
        case_services.transition_case(
            case=case, name="place", actor=recruiter_actor, expected_version=case.version
        )
    assert services.watch_permit_expiry(today=later) == 1
    expired = Notification.objects.get(case=case, kind="permit_expired")
    assert expired.recipient == recruiter
    assert "expired" in expired.message
    case.refresh_from_db()
    assert case.state == CaseState.READY_FOR_PLACEMENT
    permit_step = next(s for s in next_steps(case) if s.key == "permit_apply")
    assert not permit_step.done and "expired" in permit_step.blocked_by[0]
