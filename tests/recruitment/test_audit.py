"""Every change of a case leaves an immutable CaseEvent: who, when, from → to, why, what."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from recruitment import services
from recruitment.actors import Actor
from recruitment.errors import NotPermitted
from recruitment.models import CaseEvent, CasePartner, CaseState, ImmutableRecord, Organisation
from tests import factories

pytestmark = pytest.mark.django_db

S = CaseState


def _last(case):
    return CaseEvent.objects.filter(case=case).last()


def test_opening_a_case_is_audited_with_the_user(recruiter, pirkanmaa):
    candidate = factories.CandidateFactory(created_by=pirkanmaa)
    case = services.open_case(
        candidate=candidate,
        county=pirkanmaa,
        profession=factories.profession(),
        actor=Actor.for_user(recruiter),
    )
    assert case.number == f"PK-{timezone.localdate().year}-{case.pk:06d}"
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.from_state, event.to_state) == ("opened", "", S.SOURCED)
    assert (event.actor_kind, event.actor_user, event.actor_label) == (
        "user",
        recruiter,
        "rec.pirkanmaa",
    )
    assert event.changes == {"county": "pirkanmaa", "profession": "registered_nurse"}
    assert event.case_version == 1


def test_a_transition_by_an_api_client_names_the_client(pirkanmaa):
    case = factories.case_in_state(S.SOURCED)
    actor = Actor.for_api_client(client_id=42, label="Pirkanmaa HR system", organisation=pirkanmaa)
    services.transition_case(
        case=case, name="hold", actor=actor, expected_version=case.version, reason="Visa queue."
    )
    event = _last(case)
    assert (event.actor_kind, event.actor_api_client_id, event.actor_user) == (
        "api_client",
        42,
        None,
    )
    assert event.actor_label == "Pirkanmaa HR system"
    assert (event.transition, event.from_state, event.to_state, event.reason) == (
        "hold",
        S.SOURCED,
        S.ON_HOLD,
        "Visa queue.",
    )


def test_an_api_client_of_another_county_may_not_change_the_case(helsinki):
    case = factories.case_in_state(S.SOURCED)
    actor = Actor.for_api_client(client_id=7, label="Helsinki system", organisation=helsinki)
    with pytest.raises(NotPermitted, match="You may not change case PK-"):
        services.transition_case(case=case, name="screen", actor=actor, expected_version=1)
    case.refresh_from_db()
    assert case.state == S.SOURCED


def test_update_case_records_the_diff_of_changed_fields_only(recruiter):
    case = factories.case_in_state(S.SCREENING, no_fee_declared_on=None)
    before = CaseEvent.objects.filter(case=case).count()
    signed = dt.date(2026, 3, 1)
    case = services.update_case(
        case=case,
        actor=Actor.for_user(recruiter),
        expected_version=case.version,
        no_fee_declared_on=signed,
        ethics_justification="",  # unchanged: not in the diff
        recruiter=recruiter,
    )
    event = _last(case)
    assert CaseEvent.objects.filter(case=case).count() == before + 1
    assert event.kind == "change"
    assert event.changes == {
        "no_fee_declared_on": [None, "2026-03-01"],
        "recruiter": [None, recruiter.pk],
    }
    assert event.actor_user == recruiter
    assert event.case_version == case.version


def test_update_case_without_changes_writes_nothing(recruiter):
    case = factories.case_in_state(S.SCREENING)
    before = (CaseEvent.objects.filter(case=case).count(), case.version)
    case = services.update_case(
        case=case,
        actor=Actor.for_user(recruiter),
        expected_version=case.version,
        g2g_agreement_ref="",
    )
    assert (CaseEvent.objects.filter(case=case).count(), case.version) == before


def test_milestones_placement_partners_and_retention_are_audited(recruiter):
    case = factories.case_in_state(S.OFFER_ACCEPTED, prepared=False)
    actor = Actor.for_user(recruiter)
    case = services.record_milestones(
        case=case, actor=actor, reason="Decision letter", permit_applied_on=dt.date(2026, 1, 5)
    )
    milestone = CaseEvent.objects.filter(case=case, kind="milestone").get()
    assert milestone.changes == {"permit_applied_on": [None, "2026-01-05"]}
    assert (milestone.reason, milestone.actor_user) == ("Decision letter", recruiter)

    school = factories.OrganisationFactory(code="school")
    assert services.link_partner(
        case=case, organisation=school, role=CasePartner.PartnerRole.EDUCATION, actor=actor
    )
    assert _last(case).changes == {
        "partner_added": [None, "school"],
        "partner_role": [None, "education"],
    }
    # Linking twice adds nothing.
    count = CaseEvent.objects.filter(case=case).count()
    assert not services.link_partner(
        case=case, organisation=school, role=CasePartner.PartnerRole.EDUCATION, actor=actor
    )
    assert CaseEvent.objects.filter(case=case).count() == count

    placed = factories.case_in_state(S.PLACED, prepared=False)
    placement_event = CaseEvent.objects.filter(case=placed, kind="placement").get()
    assert placement_event.changes["county_unit"] == [None, "Acute ward"]
    services.record_retention_check(
        case=placed, actor=actor, expected_version=placed.version, months=6, passed=True
    )
    retention = _last(placed)
    assert (retention.kind, retention.changes) == (
        "retention",
        {"months": [None, 6], "outcome": [None, "passed"]},
    )


def test_every_version_of_a_case_has_exactly_one_event():
    """Each write bumps the version once and writes one event carrying that version."""
    case = factories.case_in_state(S.COMPLETED)
    versions = list(CaseEvent.objects.filter(case=case).values_list("case_version", flat=True))
    assert versions == list(range(1, case.version + 1))


def test_one_track_write_moves_the_version_once_for_each_event_it_writes():
    """A partner's write on a track can record three changes of the case: the track event,
    the milestones it implies and the automatic step they justify. Each is one event with its
    own version (docs/api.md, section 3: why the county's ETag moves by more than one)."""
    case = factories.case_in_state(S.OFFER_ACCEPTED, prepared=False)
    before = case.version
    submitted = timezone.localdate()
    case = services.record_track_event(
        case=case,
        actor=Actor.system(),
        track="recognition",
        changes={"state": [None, "submitted"]},
        recognition_submitted_on=submitted,
    )
    assert case.state == S.IN_RECOGNITION
    assert case.version == before + 3
    events = list(CaseEvent.objects.filter(case=case, case_version__gt=before).order_by("id"))
    assert [(e.kind, e.case_version) for e in events] == [
        ("track", before + 1),
        ("milestone", before + 2),
        ("transition", before + 3),
    ]


# --- Immutability --------------------------------------------------------------------------


@pytest.fixture
def event():
    return _last(factories.case_in_state(S.SCREENING))


def test_an_event_cannot_be_saved_again(event):
    event.reason = "rewritten history"
    with pytest.raises(ImmutableRecord, match="cannot be updated"):
        event.save()
    assert CaseEvent.objects.get(pk=event.pk).reason == ""


def test_an_event_cannot_be_deleted(event):
    with pytest.raises(ImmutableRecord, match="cannot be deleted"):
        event.delete()
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_querysets_cannot_update_or_delete_events(event):
    with pytest.raises(ImmutableRecord):
        CaseEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(ImmutableRecord):
        CaseEvent.objects.all().delete()
    with pytest.raises(ImmutableRecord):
        CaseEvent.objects.bulk_update([event], ["reason"])
    assert CaseEvent.objects.get(pk=event.pk).reason == ""


def test_cases_with_events_cannot_be_deleted(event):
    with pytest.raises(ProtectedError):
        event.case.delete()
    assert CaseEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE recruitment_caseevent SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM recruitment_caseevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_postgresql_refuses_raw_sql_changes_to_events(on_postgresql, event, sql):
    with (
        pytest.raises(DatabaseError, match=r"Case events are immutable: (UPDATE|DELETE)"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert CaseEvent.objects.get(pk=event.pk).reason == ""


def test_admin_offers_no_add_change_or_delete_for_events(event, superuser, login):
    client = login(superuser)
    base = "/admin/recruitment/caseevent/"
    assert client.get(f"{base}add/").status_code == 403
    assert client.get(f"{base}{event.pk}/delete/").status_code == 403
    assert client.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.get(f"{base}{event.pk}/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content  # read-only view, nothing to submit
    assert client.post(f"{base}{event.pk}/change/", {"reason": "x"}).status_code == 403
    changelist = client.get(base)
    assert changelist.status_code == 200
    assert b'name="action"' not in changelist.content  # no bulk delete action
    assert CaseEvent.objects.get(pk=event.pk).reason == ""
    # The case page lists events read-only: no add or delete in the inline either.
    case_page = client.get(f"/admin/recruitment/case/{event.case_id}/change/")
    assert b"Case opened" in case_page.content
    assert b'name="events-0-DELETE"' not in case_page.content
    assert b'name="events-0-reason"' not in case_page.content


def test_organisations_protect_their_cases():
    case = factories.case_in_state(S.SOURCED)
    with pytest.raises(ProtectedError):
        Organisation.objects.filter(pk=case.county_id).delete()
