"""seed_demo: every credential track present, the personas there, and idempotent."""

import pytest

from credentials import demo
from credentials.models import Notification
from credentials.selectors import next_steps
from recruitment.models import Case, CaseEvent, CaseState

pytestmark = pytest.mark.django_db


def persona(slug):
    return Case.objects.select_related("candidate").get(
        candidate__email=f"persona.{slug}@{demo.DEMO_EMAIL_DOMAIN}"
    )


def test_seed_demo_has_every_track_and_the_personas_and_runs_twice_the_same():
    first = demo.seed(12)
    for track in (
        "recognition_applications",
        "enrollments",
        "language_certificates",
        "residence_permits",
        "integration_steps",
        "notifications",
    ):
        assert first[track] > 0, track
    assert first["candidates"] == 12

    eu = persona("eu-nurse")
    assert eu.state == CaseState.PLACED
    assert eu.permit_valid_until is None and eu.recognition_outcome == "granted"

    conditional = persona("conditional-nurse")
    assert (conditional.state, conditional.recognition_outcome) == ("in_training", "conditional")
    assert conditional.enrollments.get().programme == "supplementary_studies"

    nepal = persona("own-initiative-nurse")
    assert (nepal.state, nepal.recruitment_basis) == ("in_recognition", "own_initiative")
    accepted = CaseEvent.objects.get(case=nepal, transition="accept_offer")
    basis = CaseEvent.objects.get(case=nepal, kind="change", changes__has_key="recruitment_basis")
    assert basis.occurred_at <= accepted.occurred_at  # the gate opened only after the record

    retake = persona("practical-nurse-retake")
    assert retake.state == CaseState.READY_FOR_PLACEMENT
    failed, passed = retake.language_certificates.order_by("taken_on")
    assert (failed.writing, passed.writing) == ("A2", "B1")
    assert retake.language_requirement_met_on == passed.taken_on

    expired = persona("expired-permit")
    assert expired.state == CaseState.IN_RECOGNITION
    assert Notification.objects.filter(case=expired, kind="permit_expired").exists()
    permit_step = next(s for s in next_steps(expired) if s.key == "permit_apply")
    assert "expired" in permit_step.blocked_by[0]

    events = CaseEvent.objects.count()
    assert demo.seed(12) == first
    assert CaseEvent.objects.count() == events
