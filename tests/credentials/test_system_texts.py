"""Texts the system writes (notifications, automatic audit reasons) are stored in English and
shown in each reader's language, whatever language was active when they were written."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from credentials import services, tasks
from credentials.models import LanguageTest, Notification
from recruitment import services as case_services
from recruitment.models import CaseEvent

from .conftest import SYSTEM, accepted_case, days_ago, open_case

pytestmark = pytest.mark.django_db


def date_in(language: str, date: dt.date) -> str:
    with translation.override(language):
        return formats.date_format(date, "DATE_FORMAT")


def browser(user, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_a_notification_written_in_finnish_reads_in_english_and_swedish(recruiter):
    valid_until = timezone.localdate() + dt.timedelta(days=20)
    case = case_services.record_milestones(
        case=open_case(),
        actor=SYSTEM,
        permit_applied_on=days_ago(400),
        permit_granted_on=days_ago(380),
        permit_valid_until=valid_until,
    )
    with translation.override("fi"):  # what a Celery worker runs under (LANGUAGE_CODE)
        assert tasks.watch_permit_expiry() == 1
    note = Notification.objects.get(recipient=recruiter)

    english = (
        f"Case {case.number}: the residence permit expires on {date_in('en', valid_until)} "
        "(in 20 days)."
    )
    assert note.message == english  # the stored fallback is English, not Finnish
    with translation.override("en"):
        assert note.text == english
    with translation.override("sv"):
        assert note.text == (
            f"Ärende {case.number}: uppehållstillståndet upphör {date_in('sv', valid_until)} "
            "(om 20 dagar)."
        )
    with translation.override("fi"):
        assert note.text == (
            f"Asia {case.number}: oleskelulupa päättyy {date_in('fi', valid_until)} "
            "(20 päivän kuluttua)."
        )
    assert valid_until.isoformat() not in note.message

    page = browser(recruiter, "sv").get(reverse("credentials:my_work"))
    assert page.status_code == 200
    assert f"uppehållstillståndet upphör {date_in('sv', valid_until)}" in page.content.decode()


def test_stalled_and_retention_notifications_name_states_and_dates_in_the_readers_language(
    recruiter,
):
    note = Notification(
        kind="stalled", params={"case": "PK-1", "state": "screening", "days": 40, "limit": 30}
    )
    with translation.override("en"):
        assert note.text == "Case PK-1 has been Screening for 40 days (limit 30 days)."
    with translation.override("sv"):
        assert note.text.startswith("Ärende PK-1 har haft status ")
        assert "Screening" not in note.text
    due = dt.date(2026, 12, 8)
    note = Notification(
        kind="retention_due", params={"case": "PK-2", "months": 6, "date": due.isoformat()}
    )
    with translation.override("fi"):
        assert (
            note.text == f"Asia PK-2: 6 kuukauden pysyvyystarkistus erääntyy {date_in('fi', due)}."
        )
    # Rows without parameters (written before they existed) show the stored message.
    old = Notification(kind="retention_due", message="Stored text.", params={})
    assert old.text == "Stored text."


def test_notifications_written_before_params_existed_get_them_back(recruiter):
    """The data migration reads the parameters back from the deduplication key."""
    today = timezone.localdate()
    expiring = case_services.record_milestones(
        case=open_case(),
        actor=SYSTEM,
        permit_applied_on=days_ago(400),
        permit_granted_on=days_ago(380),
        permit_valid_until=today + dt.timedelta(days=20),
    )
    expired = case_services.record_milestones(
        case=open_case(),
        actor=SYSTEM,
        permit_applied_on=days_ago(400),
        permit_granted_on=days_ago(380),
        permit_valid_until=days_ago(3),
    )
    assert services.watch_permit_expiry(today=today) == 2
    expected = {n.pk: n.params for n in Notification.objects.all()}
    Notification.objects.update(params={}, message="Vanha suomenkielinen viesti.")

    migration = importlib.import_module("credentials.migrations.0004_backfill_notification_params")
    migration.backfill(apps, None)

    assert {n.pk: n.params for n in Notification.objects.all()} == expected
    note = Notification.objects.get(case=expired)
    with translation.override("sv"):
        assert note.text.startswith(f"Ärende {expired.number}: uppehållstillståndet upphörde ")
    assert Notification.objects.get(case=expiring).params["days"] == 20


def test_the_case_history_shows_automatic_reasons_in_the_viewers_language(
    recruiter, recruiter_actor, authority
):
    case = accepted_case()
    submitted_on = days_ago(30)
    with translation.override("fi"):  # written while Finnish was active
        services.submit_recognition(
            case=case, authority=authority, submitted_on=submitted_on, actor=recruiter_actor
        )
        services.record_language_certificate(
            case=case,
            actor=recruiter_actor,
            language="fi",
            test=LanguageTest.YKI,
            taken_on=days_ago(10),
            speaking="B1",
            listening="B1",
            reading="B2",
            writing=2,  # YKI 2 = A2: short of B1
        )

    step = CaseEvent.objects.get(case=case, transition="start_recognition")
    assert step.reason == f"Recognition application submitted on {date_in('en', submitted_on)}."
    shortfall = CaseEvent.objects.get(
        case=case, kind=CaseEvent.Kind.TRACK, changes__action=[None, "certificate_recorded"]
    )
    assert shortfall.reason == "Writing A2 is below B1."
    assert shortfall.changes["reason_key"] == [None, "language_shortfalls"]

    url = reverse("credentials:case_detail", args=[case.number])
    swedish = browser(recruiter, "sv").get(url).content.decode()
    assert f"Ansökan om erkännande inlämnad {date_in('sv', submitted_on)}." in swedish
    assert "A2 är under kravet B1." in swedish
    assert "Recognition application submitted" not in swedish
    assert "reason_key" not in swedish and "reason params" not in swedish

    english = browser(recruiter, "en").get(url).content.decode()
    assert f"Recognition application submitted on {date_in('en', submitted_on)}." in english
    assert "Writing A2 is below B1." in english

    finnish = browser(recruiter, "fi").get(url).content.decode()
    assert f"Tunnustamishakemus jätetty {date_in('fi', submitted_on)}." in finnish


def test_a_reason_a_person_typed_is_shown_as_typed(recruiter, recruiter_actor):
    case = open_case()
    case_services.transition_case(
        case=case,
        name="withdraw",
        actor=recruiter_actor,
        expected_version=case.version,
        reason="Ehdokas peruutti.",
    )
    event = CaseEvent.objects.get(case=case, transition="withdraw")
    assert "reason_key" not in event.changes
    page = browser(recruiter, "sv").get(reverse("credentials:case_detail", args=[case.number]))
    assert "Ehdokas peruutti." in page.content.decode()
