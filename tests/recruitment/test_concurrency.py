"""Optimistic concurrency: of two writers who saw the same version, exactly one wins.

The PostgreSQL tests use real threads, each with its own database connection, released
together by a barrier so that both writes really race for the row lock.
"""

import threading

import pytest
from django.db import connection

from recruitment import services
from recruitment.actors import Actor
from recruitment.errors import StaleVersion
from recruitment.models import Case, CaseEvent, CaseState
from tests import factories
from tests.recruitment.admin_forms import form_data

S = CaseState


def _race(*writers):
    """Run each writer in its own thread and connection, all released at once.

    Returns each writer's outcome: the returned value or the exception it raised.
    """
    barrier = threading.Barrier(len(writers))
    outcomes: list = [None] * len(writers)

    def run(index, writer):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = writer()
        except Exception as exc:  # the outcome under test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    return outcomes


def _split(outcomes):
    wins = [o for o in outcomes if isinstance(o, Case)]
    conflicts = [o for o in outcomes if isinstance(o, StaleVersion)]
    assert len(wins) + len(conflicts) == len(outcomes), outcomes
    return wins, conflicts


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_transitions_on_the_same_version_one_wins(on_postgresql, recruiter, other_recruiter):
    case = factories.case_in_state(S.SCREENING)
    seen = case.version
    events = CaseEvent.objects.filter(case=case).count()
    actor = Actor.for_user(recruiter)

    def writer(name, reason):
        return lambda: services.transition_case(
            case=case.pk, name=name, actor=actor, expected_version=seen, reason=reason
        )

    outcomes = _race(writer("hold", "Waiting for papers."), writer("withdraw", "Changed mind."))
    wins, conflicts = _split(outcomes)
    assert (len(wins), len(conflicts)) == (1, 1)
    conflict = conflicts[0]
    assert conflict.message == (
        f"Someone else changed this case after you opened it (you saw version {seen}, "
        f"it is now version {seen + 1}). Reload it to see their changes, then try again."
    )
    assert (conflict.code, conflict.status) == ("stale_version", 412)
    case.refresh_from_db()
    assert case.version == seen + 1
    assert case.state == wins[0].state
    assert CaseEvent.objects.filter(case=case).count() == events + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_updates_on_the_same_version_one_wins(on_postgresql, recruiter):
    case = factories.case_in_state(S.SCREENING)
    seen = case.version
    events = CaseEvent.objects.filter(case=case).count()
    actor = Actor.for_user(recruiter)

    def writer(text):
        return lambda: services.update_case(
            case=case.pk, actor=actor, expected_version=seen, ethics_justification=text
        )

    outcomes = _race(writer("Written by the first."), writer("Written by the second."))
    wins, conflicts = _split(outcomes)
    assert (len(wins), len(conflicts)) == (1, 1)
    case.refresh_from_db()
    assert case.ethics_justification == wins[0].ethics_justification
    assert case.version == seen + 1
    assert CaseEvent.objects.filter(case=case).count() == events + 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transition_racing_an_update_one_wins(on_postgresql, recruiter):
    case = factories.case_in_state(S.SCREENING)
    seen = case.version
    actor = Actor.for_user(recruiter)
    outcomes = _race(
        lambda: services.transition_case(
            case=case.pk, name="accept_offer", actor=actor, expected_version=seen
        ),
        lambda: services.update_case(
            case=case.pk, actor=actor, expected_version=seen, no_fee_declared_on=None
        ),
    )
    wins, conflicts = _split(outcomes)
    assert (len(wins), len(conflicts)) == (1, 1)
    case.refresh_from_db()
    assert case.version == seen + 1
    # Never both: an accepted offer without a no-fee statement would break the guard.
    assert not (case.state == S.OFFER_ACCEPTED and case.no_fee_declared_on is None)


# --- Stale versions without threads (any database) -----------------------------------------


@pytest.mark.django_db
def test_a_stale_write_changes_nothing(recruiter):
    case = factories.case_in_state(S.SCREENING)
    actor = Actor.for_user(recruiter)
    seen = case.version
    services.update_case(
        case=case, actor=actor, expected_version=seen, ethics_justification="First."
    )
    events = CaseEvent.objects.filter(case=case).count()
    for write in (
        lambda: services.transition_case(
            case=case, name="hold", actor=actor, expected_version=seen, reason="x"
        ),
        lambda: services.update_case(
            case=case, actor=actor, expected_version=seen, ethics_justification="Second."
        ),
        lambda: services.record_retention_check(
            case=case, actor=actor, expected_version=seen, months=6, passed=True
        ),
    ):
        with pytest.raises(StaleVersion, match=r"you saw version \d+, it is now version \d+"):
            write()
    case.refresh_from_db()
    assert (case.state, case.ethics_justification, case.version) == (
        S.SCREENING,
        "First.",
        seen + 1,
    )
    assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.django_db
def test_stale_write_through_the_admin_change_form(superuser, login):
    case = factories.case_in_state(S.SCREENING)
    client = login(superuser)
    url = f"/admin/recruitment/case/{case.pk}/change/"
    form = client.get(url)
    assert form.status_code == 200
    data = form_data(form)
    assert data["seen_version"] == str(case.version)
    # Someone else saves first.
    services.update_case(
        case=case,
        actor=Actor.system(),
        expected_version=case.version,
        ethics_justification="Their change.",
    )
    data["ethics_justification"] = "My change."
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "Someone else changed this case after you opened it." in response.text
    case.refresh_from_db()
    assert case.ethics_justification == "Their change."
    assert CaseEvent.objects.filter(case=case, kind="change").count() == 1
