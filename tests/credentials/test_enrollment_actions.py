"""The enrollment actions by name (credentials.services.apply_enrollment_action): the one
dispatch the partner API's bulk endpoint, the CSV import and the educator's page call."""

import pytest
from django.core.exceptions import ValidationError

from credentials import services
from credentials.models import TrainingState
from recruitment.errors import StaleVersion

from .conftest import SYSTEM, accepted_case, days_ago

pytestmark = pytest.mark.django_db


def enrollment(institution):
    return services.enroll(
        case=accepted_case(),
        institution=institution,
        programme="language",
        actor=SYSTEM,
        starts_on=days_ago(30),
    )


def act(record, action, **arguments):
    return services.apply_enrollment_action(
        action=action,
        enrollment=record,
        actor=SYSTEM,
        expected_version=record.version,
        **arguments,
    )


def test_the_actions_are_the_four_services(institution):
    assert services.ENROLLMENT_ACTIONS == ("update", "start", "complete", "interrupt")
    record = act(enrollment(institution), "update", progress_percent=30, completed_on=days_ago(1))
    assert (record.state, record.progress_percent, record.completed_on) == (
        TrainingState.IN_PROGRESS,
        30,
        None,  # an argument another action takes is ignored
    )
    record = act(record, "complete", completed_on=days_ago(1))
    assert (record.state, record.completed_on) == (TrainingState.COMPLETED, days_ago(1))

    started = act(enrollment(institution), "start")
    assert started.state == TrainingState.IN_PROGRESS
    interrupted = act(started, "interrupt", reason="Moved abroad.", interrupted_on=days_ago(2))
    assert (interrupted.state, interrupted.interruption_reason, interrupted.interrupted_on) == (
        TrainingState.INTERRUPTED,
        "Moved abroad.",
        days_ago(2),
    )


def test_each_action_keeps_its_service_rules(institution):
    record = enrollment(institution)
    with pytest.raises(ValidationError) as error:
        act(record, "interrupt", reason="  ")
    assert "interruption_reason" in error.value.message_dict
    with pytest.raises(StaleVersion):
        services.apply_enrollment_action(
            action="start", enrollment=record, actor=SYSTEM, expected_version=record.version + 1
        )
    record.refresh_from_db()
    assert record.state == TrainingState.ENROLLED


def test_an_unknown_action_is_refused_without_a_write(institution):
    record = enrollment(institution)
    with pytest.raises(ValidationError) as error:
        act(record, "pause")
    assert error.value.message_dict == {
        "action": ["Choose update, start, complete or interrupt."]
    }
    record.refresh_from_db()
    assert (record.state, record.version) == (TrainingState.ENROLLED, 1)
