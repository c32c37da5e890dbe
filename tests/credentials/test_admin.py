"""The admin (platform admins only) shows each track and the next steps on the case page and
writes through the services (errors become messages, never a 500 or a half-write)."""

import pytest
from django.urls import reverse

from credentials import services
from credentials.models import RecognitionApplication, TrainingEnrollment
from recruitment.actors import Actor
from recruitment.models import CaseEvent
from tests.recruitment.admin_forms import form_data

from .conftest import accepted_case, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return accepted_case()


def test_case_page_shows_next_steps_and_every_track(client, superuser, case, authority):
    services.submit_recognition(
        case=case, authority=authority, submitted_on=days_ago(20), actor=_actor(superuser)
    )
    client.force_login(superuser)
    response = client.get(reverse("admin:recruitment_case_change", args=[case.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Critical path" in page
    assert "Recognition decision that allows the work" in page
    assert "Language proof: B1 in every sub-skill" in page
    for heading in (
        "Recognition of the qualification",
        "Training",
        "Language certificates",
        "Residence permits",
    ):
        assert heading in page
    assert authority.name in page


def _actor(user):
    return Actor.for_user(user)


def test_platform_admin_records_and_decides_recognition_in_admin(
    client, superuser, case, authority
):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:credentials_recognitionapplication_add"),
        {
            "case": case.pk,
            "authority": authority.pk,
            "submitted_on": days_ago(40).isoformat(),
            "notes": "",
        },
    )
    assert response.status_code == 302
    application = RecognitionApplication.objects.get(case=case)
    page = client.get(
        reverse("admin:credentials_recognitionapplication_change", args=[application.pk])
    ).content.decode()
    assert "Review started" in page and "Record the decision" in page
    url = reverse(
        "admin:credentials_recognitionapplication_transition", args=[application.pk, "decide"]
    )
    # A decision before the submission: a form error message, nothing written.
    response = client.post(
        url, {"outcome": "granted", "decided_on": days_ago(50).isoformat()}, follow=True
    )
    assert "cannot be before the application was submitted" in response.content.decode()
    application.refresh_from_db()
    assert application.state == "submitted"
    response = client.post(
        url,
        {
            "outcome": "conditional",
            "decided_on": days_ago(10).isoformat(),
            "conditions": ["aptitude_test"],
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.state, application.conditions) == ("decided", ["aptitude_test"])
    case.refresh_from_db()
    assert case.recognition_outcome == "conditional"
    event = CaseEvent.objects.filter(case=case, kind="track").last()
    assert event.actor_user == superuser


def test_bad_enrollment_dates_in_admin_are_a_message_not_a_500(
    client, superuser, case, institution
):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:credentials_trainingenrollment_add"),
        {
            "case": case.pk,
            "institution": institution.pk,
            "programme": "language",
            "starts_on": days_ago(5).isoformat(),
            "ends_on": days_ago(50).isoformat(),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert not TrainingEnrollment.objects.exists()


def test_partners_update_their_tracks_in_the_web_ui_not_the_admin(
    client, educator, case, institution, recruiter
):
    """Educators had admin pages for their enrollments; the admin is now the platform admins'
    alone and the same work is done on /education/enrollments/<id>/."""
    enrollment = services.enroll(
        case=case,
        institution=institution,
        programme="language",
        actor=_actor(recruiter),
        starts_on=days_ago(30),
    )
    client.force_login(educator)
    admin_url = reverse("admin:credentials_trainingenrollment_change", args=[enrollment.pk])
    response = client.get(admin_url)
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    page = client.get(reverse("credentials:enrollment_detail", args=[enrollment.pk]))
    assert page.status_code == 200
    assert case.number in page.content.decode()


def test_platform_admin_runs_the_enrollment_transitions_in_admin(
    client, superuser, case, institution
):
    """The admin's transition buttons are the enrollment actions (one dispatch for every
    door); a refused one is a message and writes nothing."""
    first, second = (
        services.enroll(
            case=case,
            institution=institution,
            programme=programme,
            actor=_actor(superuser),
            starts_on=days_ago(30),
        )
        for programme in ("language", "orientation")
    )
    client.force_login(superuser)

    def press(enrollment, name, data=None):
        if data is None:  # a button on the change form (the whole form is submitted)
            url = reverse("admin:credentials_trainingenrollment_change", args=[enrollment.pk])
            data = {**form_data(client.get(url)), "_fsm_transition_to": name}
        else:  # a transition with its own form
            url = reverse(
                "admin:credentials_trainingenrollment_transition", args=[enrollment.pk, name]
            )
        return client.post(url, data, follow=True)

    assert press(first, "start").status_code == 200
    first.refresh_from_db()
    assert (first.state, first.version) == ("in_progress", 2)
    press(first, "complete", {"completed_on": days_ago(1).isoformat()})
    first.refresh_from_db()
    assert (first.state, first.completed_on) == ("completed", days_ago(1))

    response = press(second, "interrupt", {"reason": "   ", "interrupted_on": ""})
    second.refresh_from_db()
    assert second.state == "enrolled"  # the form wants a reason: nothing written
    response = press(
        second, "interrupt", {"reason": "Moved abroad.", "interrupted_on": days_ago(2).isoformat()}
    )
    assert response.status_code == 200
    second.refresh_from_db()
    assert (second.state, second.interruption_reason, second.interrupted_on) == (
        "interrupted",
        "Moved abroad.",
        days_ago(2),
    )
    assert press(second, "start").status_code == 200  # no longer possible: a message
    second.refresh_from_db()
    assert (second.state, second.version) == ("interrupted", 2)
    events = CaseEvent.objects.filter(case=case, kind="track").values_list("changes", flat=True)
    actions = [e["action"][1] for e in events]
    assert actions.count("interrupted") == 1 and actions.count("completed") == 1
