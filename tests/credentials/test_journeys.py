"""Whole journeys through the credential services, asserting the final state and the audit
trail (issue 4, journeys a-e)."""

import pytest

from credentials import services
from credentials.models import LanguageTest
from recruitment import services as case_services
from recruitment.models import CaseEvent, CaseState, RecognitionOutcome

from .conftest import accepted_case, days_ago

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
