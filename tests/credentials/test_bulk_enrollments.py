"""Batch progress updates (credentials.services.update_enrollments_bulk): every item checked
on its own like update_enrollment, failures isolated, one audit event per change, and a
number of queries that does not grow with the number of items."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from credentials import services
from credentials.models import TrainingEnrollment, TrainingState
from recruitment.actors import Actor
from recruitment.errors import NotPermitted, StaleVersion, TransitionNotAllowed
from recruitment.models import Case, CaseEvent

from .conftest import SYSTEM, accepted_case, days_ago, open_case

pytestmark = pytest.mark.django_db


def enroll(case, institution, programme="language"):
    return services.enroll(
        case=case,
        institution=institution,
        programme=programme,
        actor=SYSTEM,
        starts_on=days_ago(30),
    )


def update(enrollment_id, version, **fields):
    return services.EnrollmentUpdate(
        enrollment_id=enrollment_id, expected_version=version, **fields
    )


def track_events(case):
    return list(CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRACK).order_by("id"))


def test_each_item_is_checked_alone_and_only_good_items_are_written(
    institution, other_institution, educator
):
    first, second = accepted_case(), accepted_case()
    mine = enroll(first, institution)
    other = enroll(second, institution)
    theirs = enroll(first, other_institution, "orientation")
    done = enroll(second, institution, "bridging")
    services.complete_enrollment(
        enrollment=done, actor=SYSTEM, expected_version=1, completed_on=days_ago(1)
    )
    first.refresh_from_db()
    second.refresh_from_db()
    events_before = {c.pk: len(track_events(c)) for c in (first, second)}

    results = services.update_enrollments_bulk(
        actor=Actor.for_user(educator),
        items=[
            update(mine.pk, 1, progress_percent=40),
            update(other.pk, 5, progress_percent=10),  # stale
            update(theirs.pk, 1, progress_percent=10),  # another institution's
            update(done.pk, 2, progress_percent=10),  # completed
            update(other.pk, 1, progress_percent=150),
            # Starts the enrollment, then fails validation: nothing of it may stay.
            update(other.pk, 1, progress_percent=20, ends_on=days_ago(60)),
            update(mine.pk, 2, progress_percent=60),  # the same enrollment again
            update(987654, 1, progress_percent=10),
        ],
    )

    assert [type(r) for r in results] == [
        TrainingEnrollment,
        StaleVersion,
        NotPermitted,
        TransitionNotAllowed,
        ValidationError,
        ValidationError,
        TrainingEnrollment,
        ValidationError,
    ]
    assert (results[0].version, results[0].progress_percent) == (2, 40)
    assert (results[6].version, results[6].progress_percent) == (3, 60)
    assert "progress_percent" in results[4].message_dict
    assert "ends_on" in results[5].message_dict
    rows = {e.pk: e for e in TrainingEnrollment.objects.all()}
    assert (rows[mine.pk].state, rows[mine.pk].progress_percent, rows[mine.pk].version) == (
        TrainingState.IN_PROGRESS,
        60,
        3,
    )
    assert (rows[other.pk].state, rows[other.pk].progress_percent, rows[other.pk].version) == (
        TrainingState.ENROLLED,
        0,
        1,
    )
    assert rows[other.pk].ends_on is None
    assert (rows[theirs.pk].progress_percent, rows[theirs.pk].version) == (0, 1)

    # One audit event per applied item, by the educator, naming the record and the change.
    new_events = track_events(first)[events_before[first.pk] :]
    assert [e.changes["record_id"] for e in new_events] == [[None, mine.pk]] * 2
    assert new_events[0].changes["state"] == ["enrolled", "in_progress"]
    assert new_events[0].changes["progress_percent"] == [0, 40]
    assert new_events[1].changes["progress_percent"] == [40, 60]
    assert {e.actor_label for e in new_events} == {educator.get_username()}
    assert len(track_events(second)) == events_before[second.pk]
    # The case's version moves with each recorded event; the untouched case does not move.
    assert Case.objects.get(pk=first.pk).version == first.version + 2
    assert [e.case_version for e in new_events] == [first.version + 1, first.version + 2]
    assert Case.objects.get(pk=second.pk).version == second.version


def test_authorisation_is_decided_per_case(institution, recruiter):
    own = enroll(accepted_case(), institution)
    elsewhere = enroll(accepted_case(county="helsinki"), institution)

    results = services.update_enrollments_bulk(
        actor=Actor.for_user(recruiter),
        items=[
            update(own.pk, 1, ends_on=days_ago(-90)),
            update(elsewhere.pk, 1, ends_on=days_ago(-90)),
        ],
    )

    assert isinstance(results[0], TrainingEnrollment)
    assert isinstance(results[1], NotPermitted)
    assert "only change training" in str(results[1])
    own.refresh_from_db()
    elsewhere.refresh_from_db()
    assert own.ends_on == days_ago(-90) and own.state == TrainingState.ENROLLED
    assert elsewhere.ends_on is None


def test_an_update_that_changes_nothing_writes_nothing(institution, educator):
    enrollment = enroll(accepted_case(), institution)
    events = CaseEvent.objects.count()

    (result,) = services.update_enrollments_bulk(
        actor=Actor.for_user(educator), items=[update(enrollment.pk, 1, progress_percent=0)]
    )

    assert result.version == 1
    assert CaseEvent.objects.count() == events


@pytest.mark.parametrize("size", [10, 100])
def test_the_number_of_queries_does_not_grow_with_the_batch(
    size, institution, educator, django_assert_max_num_queries
):
    enrollments = [enroll(open_case(), institution) for _ in range(size)]
    items = [
        update(e.pk, 1, progress_percent=30, ends_on=dt.date(2030, 1, 31)) for e in enrollments
    ]
    actor = Actor.for_user(educator)

    with django_assert_max_num_queries(15):
        results = services.update_enrollments_bulk(actor=actor, items=items)

    assert all(r.version == 2 for r in results)
    assert TrainingEnrollment.objects.filter(progress_percent=30, version=2).count() == size
    assert (
        CaseEvent.objects.filter(
            kind=CaseEvent.Kind.TRACK, actor_label=educator.get_username()
        ).count()
        == size
    )
