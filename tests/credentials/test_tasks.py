"""Scheduled work: notifications for permit expiry, stalled cases and due retention checks.

Tasks are idempotent (a second run creates nothing). One test runs a task through a real
Celery worker when Redis answers on 127.0.0.1:6379, and says so when it falls back to eager.
"""

import datetime as dt
import socket
import uuid
import warnings

import pytest
from celery import Celery
from celery import _state as celery_state
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone

from credentials import services, tasks
from credentials.models import Notification, StageTimeLimit
from recruitment import services as case_services
from recruitment.models import CaseState, Role
from tests import factories

from .conftest import SYSTEM, days_ago, open_case

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def with_permit(valid_until, **kwargs):
    case = open_case(**kwargs)
    return case_services.record_milestones(
        case=case,
        actor=SYSTEM,
        permit_applied_on=days_ago(400),
        permit_granted_on=days_ago(380),
        permit_valid_until=valid_until,
    )


@pytest.fixture
def second_recruiter(pirkanmaa):
    return factories.user_with_role(Role.RECRUITER, pirkanmaa, username="rec2.pirkanmaa")


@pytest.mark.django_db
def test_permit_watch_warns_every_recruiter_of_the_county_once(
    recruiter, second_recruiter, other_recruiter
):
    today = timezone.localdate()
    in_60 = with_permit(today + dt.timedelta(days=60))
    in_10 = with_permit(today + dt.timedelta(days=10))
    with_permit(today + dt.timedelta(days=200))  # far away: nothing yet
    with_permit(today + dt.timedelta(days=10), county="helsinki")

    assert services.watch_permit_expiry(today=today) == 2 * 2 + 1
    assert services.watch_permit_expiry(today=today) == 0  # idempotent
    mine = Notification.objects.filter(recipient=recruiter).order_by("kind")
    assert [(n.case, n.kind) for n in mine] == [
        (in_10, "permit_expiring_30"),
        (in_60, "permit_expiring_90"),
    ]
    assert Notification.objects.filter(recipient=other_recruiter).count() == 1

    # 40 days later the first permit enters its 30-day window, the 10-day ones expired.
    later = today + dt.timedelta(days=40)
    assert services.watch_permit_expiry(today=later) == 2 * 2 + 1
    assert set(
        Notification.objects.filter(recipient=recruiter, read_at=None).values_list("kind", "case")
    ) >= {("permit_expiring_30", in_60.pk), ("permit_expired", in_10.pk)}


@pytest.mark.django_db
def test_closed_cases_are_not_watched(recruiter):
    case = with_permit(timezone.localdate() + dt.timedelta(days=5))
    case_services.transition_case(
        case=case, name="withdraw", actor=SYSTEM, expected_version=case.version, reason="Gone."
    )
    assert services.watch_permit_expiry() == 0


@pytest.mark.django_db
def test_stalled_cases_follow_the_limits_configured_in_admin(recruiter):
    now = timezone.now()
    stalled = open_case(occurred_at=now - dt.timedelta(days=45), recruiter=recruiter)
    fresh = open_case(occurred_at=now - dt.timedelta(days=10))
    assert StageTimeLimit.objects.get(state=CaseState.SOURCED).max_days == 30

    assert services.detect_stalled_cases(now=now) == 1
    assert services.detect_stalled_cases(now=now) == 0
    notification = Notification.objects.get()
    assert (notification.case, notification.kind) == (stalled, "stalled")
    assert "for 45 days (limit 30 days)" in notification.message

    StageTimeLimit.objects.filter(state=CaseState.SOURCED).update(max_days=7)
    assert services.detect_stalled_cases(now=now) == 1
    assert Notification.objects.filter(case=fresh).count() == 1


@pytest.mark.django_db
def test_due_retention_checks_are_notified_once(recruiter):
    case = open_case(no_fee_declared_on=days_ago(500))
    case = case_services.record_milestones(
        case=case,
        actor=SYSTEM,
        recognition_submitted_on=days_ago(400),
        recognition_outcome="granted",
        recognition_decided_on=days_ago(300),
        language_requirement_met_on=days_ago(300),
        permit_applied_on=days_ago(300),
        permit_granted_on=days_ago(290),
        permit_valid_until=days_ago(-600),
    )
    for name in ("screen", "accept_offer"):
        case = case_services.transition_case(
            case=case, name=name, actor=SYSTEM, expected_version=case.version
        )
    case = case_services.advance_case(case=case)
    assert case.state == CaseState.READY_FOR_PLACEMENT
    case_services.record_placement(
        case=case,
        actor=SYSTEM,
        expected_version=case.version,
        county_unit="Acute ward",
        start_date=days_ago(190),
    )
    case.refresh_from_db()
    case_services.transition_case(
        case=case, name="place", actor=SYSTEM, expected_version=case.version
    )
    assert services.notify_due_retention_checks() == 1  # the 6-month check only
    assert services.notify_due_retention_checks() == 0
    assert "6-month retention check" in Notification.objects.get().message


def redis_answers() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_permit_watch_runs_through_a_real_celery_worker(recruiter):
    case = with_permit(timezone.localdate() + dt.timedelta(days=25))
    if not redis_answers() or connection.vendor != "postgresql":
        why = "Redis not reachable on 127.0.0.1:6379" if not redis_answers() else "SQLite"
        message = f"credentials: {why}: running the Celery task in EAGER mode instead"
        print(message)
        warnings.warn(message, stacklevel=1)
        assert tasks.watch_permit_expiry.apply().get() == 1
        assert tasks.watch_permit_expiry.apply().get() == 0
    else:
        broker = f"redis://{REDIS_HOST}:{REDIS_PORT}/14"
        # A separate app for the test, so the project's app (and its eager setting in other
        # tests) stays untouched: start_worker makes its app current, restored below.
        app = Celery("polku-credentials-test", set_as_current=False)
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.conf.update(
            broker_url=broker,
            result_backend=broker,
            task_always_eager=False,
            broker_transport_options={},
            worker_hijack_root_logger=False,
        )
        queue = f"credentials-test-{uuid.uuid4().hex}"
        print(f"credentials: running the Celery task on a real worker via {broker}")
        previous_current, previous_default = (
            celery_state.get_current_app(),
            celery_state.default_app,
        )
        try:
            with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]):
                first = app.send_task("credentials.watch_permit_expiry", queue=queue)
                assert first.get(timeout=30) == 1
                second = app.send_task("credentials.watch_permit_expiry", queue=queue)
                assert second.get(timeout=30) == 0
        finally:
            previous_current.set_current()
            celery_state.set_default_app(previous_default)
    notification = Notification.objects.get()
    assert (notification.recipient, notification.case, notification.kind) == (
        recruiter,
        case,
        "permit_expiring_30",
    )


def test_beat_runs_the_three_watches_daily_and_the_worker_knows_them():
    from django.conf import settings

    from config.celery import app

    scheduled = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    names = {
        "credentials.watch_permit_expiry",
        "credentials.detect_stalled_cases",
        "credentials.notify_due_retention_checks",
    }
    assert names <= set(scheduled)
    for name in names:
        assert scheduled[name].hour == {6}  # once a day, early morning
    app.loader.import_default_modules()
    assert names <= set(app.tasks)
