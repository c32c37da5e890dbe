"""The visibility matrix of case data (issue 10, item 1): each kind of viewer × each kind of
case event and field → visible or not, asserted on the rule itself, on the case page, in the
partner API and in webhook deliveries.

The rule is ``recruitment.authz.case_visibility`` (docs/api.md, "Who sees what"): the county
sees everything; a linked partner sees the case's state and the tracks its organisation kind
handles (institutions: training and language; employment services: permit and integration),
within them only its own organisation's enrollments and integration steps.
"""

import json

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from credentials import authz as credential_authz
from integration import services as integration_services
from integration.models import OutboxEvent, WebhookDelivery
from integration.principals import Principal
from recruitment import authz
from recruitment.actors import Actor
from recruitment.models import CaseEvent

from .visibility_world import (
    ALPHA_EMPLOYMENT,
    ALPHA_INSTITUTE,
    BETA_EMPLOYMENT,
    BETA_INSTITUTE,
    CLIENTS,
    CONTACT_EMAIL,
    COUNTY_UNIT,
    ETHICS_JUSTIFICATION,
    G2G_REFERENCE,
    HOLD_REASON,
    INTERRUPTION_REASON,
    PERMIT_REFERENCE,
    RECOGNITION_REFERENCE,
    RETENTION_NOTE,
    USERS,
    build_world,
)

pytestmark = pytest.mark.django_db

# --- Who sees what ----------------------------------------------------------------------------

WHOLE = {"admin", "recruiter", "client_county", "system"}
EDU_ALPHA = {"educator_alpha", "client_alpha_institute"}
EDU_BETA = {"educator_beta", "client_beta_institute"}
EDU = EDU_ALPHA | EDU_BETA
EMP_ALPHA = {"officer_alpha", "client_alpha_employment"}
EVERYONE = WHOLE | EDU | EMP_ALPHA
# Nobody else opens the case at all: other_recruiter, analyst, client_other_county.

# Event kind (or field) → the viewers who see it.
EXPECTED = {
    "opened": EVERYONE,
    "transition": EVERYONE,
    "transition_reason": WHOLE,
    "ethics": WHOLE,
    "partner:alpha-inst": WHOLE | EDU_ALPHA,
    "partner:beta-inst": WHOLE | EDU_BETA,
    "partner:emp-alpha": WHOLE | EMP_ALPHA,
    "partner:emp-beta": WHOLE,
    "milestone:recognition_submitted_on": WHOLE,
    "milestone:recognition_decided_on": WHOLE,
    "milestone:recognition_outcome": WHOLE,
    "milestone:training_in_progress": WHOLE | EDU,
    "milestone:language_requirement_met_on": WHOLE | EDU,
    "milestone:permit_applied_on": WHOLE | EMP_ALPHA,
    "milestone:permit_granted_on": WHOLE | EMP_ALPHA,
    "milestone:permit_valid_until": WHOLE | EMP_ALPHA,
    "track:recognition": WHOLE,
    "track:training:alpha-inst": WHOLE | EDU_ALPHA,
    "track:training:beta-inst": WHOLE | EDU_BETA,
    "track:language": WHOLE | EDU,
    "track:permit": WHOLE | EMP_ALPHA,
    "track:integration:emp-alpha": WHOLE | EMP_ALPHA,
    "track:integration:emp-beta": WHOLE,
    "placement": WHOLE,
    "retention": WHOLE,
}
VIEWERS = (*USERS, *CLIENTS, "system")


def expected_for(viewer: str) -> set[str]:
    return {label for label, who in EXPECTED.items() if viewer in who}


@pytest.fixture
def world():
    return build_world()


def _owners(world) -> dict[tuple[str, int], str]:
    records = world.records
    return {
        ("training", records["alpha_enrollment"].pk): "alpha-inst",
        ("training", records["beta_enrollment"].pk): "beta-inst",
        ("integration", records["alpha_step"].pk): "emp-alpha",
        ("integration", records["beta_step"].pk): "emp-beta",
    }


def labels(event: CaseEvent, owners: dict[tuple[str, int], str]) -> set[str]:
    """The matrix's names for what ``event`` (as a viewer reads it) shows."""
    changes = event.changes or {}
    if event.kind == CaseEvent.Kind.OPENED:
        return {"opened"}
    if event.kind == CaseEvent.Kind.TRANSITION:
        return {"transition", *(["transition_reason"] if event.reason else [])}
    if event.kind == CaseEvent.Kind.CHANGE:
        if "partner_added" in changes:
            return {f"partner:{changes['partner_added'][1]}"}
        assert set(changes) <= {
            "recruitment_basis",
            "ethics_justification",
            "g2g_agreement_ref",
            "no_fee_declared_on",
        }
        return {"ethics"}
    if event.kind == CaseEvent.Kind.MILESTONE:
        return {f"milestone:{name}" for name in changes if not name.startswith("reason_")}
    if event.kind == CaseEvent.Kind.TRACK:
        track = changes["track"][1]
        owner = owners.get((track, changes["record_id"][1]))
        return {f"track:{track}:{owner}" if owner else f"track:{track}"}
    return {event.kind}


def viewer_visibility(world, viewer: str, case=None) -> authz.CaseVisibility:
    case = case or world.case
    if viewer == "system":
        return authz.case_visibility(Actor.system(), case)
    if viewer in CLIENTS:
        return Principal.for_client(world.clients[viewer]).visibility(case)
    return authz.case_visibility(Actor.for_user(world.users[viewer]), case)


# --- The rule itself ----------------------------------------------------------------------------


def test_the_world_has_every_kind_of_event(world):
    owners = _owners(world)
    seen = set().union(*(labels(e, owners) for e in world.case.events.all()))
    assert seen == set(EXPECTED)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_rule_matrix(world, viewer):
    visibility = viewer_visibility(world, viewer)
    owners = _owners(world)
    shown = credential_authz.visible_events(visibility, world.case.events.all())
    seen = set().union(set(), *(labels(e, owners) for e in shown))
    assert seen == expected_for(viewer)
    # Reasons travel with the events they belong to, and only there.
    text = json.dumps([[e.changes, e.reason] for e in shown])
    reasons = {
        PERMIT_REFERENCE: WHOLE | EMP_ALPHA,
        RECOGNITION_REFERENCE: WHOLE,
        INTERRUPTION_REASON: WHOLE | EDU_BETA,
        HOLD_REASON: WHOLE,
        RETENTION_NOTE: WHOLE,
        ETHICS_JUSTIFICATION: WHOLE,
    }
    assert {r for r in reasons if r in text} == {r for r, who in reasons.items() if viewer in who}


# --- The case page ------------------------------------------------------------------------------

# Text on the case page → the viewers whose page shows it.
PAGE_TEXT = {
    PERMIT_REFERENCE: WHOLE | EMP_ALPHA,  # the permit decision's reference (the reproduction)
    "permit valid until": WHOLE | EMP_ALPHA,  # permit milestones in the case history
    "permit granted on": WHOLE | EMP_ALPHA,
    "Residence permit: permit decided": WHOLE | EMP_ALPHA,
    RECOGNITION_REFERENCE: WHOLE,
    "recognition outcome": WHOLE,
    "Recognition: decision recorded": WHOLE,
    ALPHA_INSTITUTE: WHOLE | EDU_ALPHA,
    BETA_INSTITUTE: WHOLE | EDU_BETA,
    INTERRUPTION_REASON: WHOLE | EDU_BETA,
    "training in progress": WHOLE | EDU,
    "language requirement met on": WHOLE | EDU,
    "Language: certificate recorded": WHOLE | EDU,
    ALPHA_EMPLOYMENT: WHOLE | EMP_ALPHA,
    BETA_EMPLOYMENT: WHOLE,
    "Partner organisation linked: alpha-inst": WHOLE | EDU_ALPHA,
    "Partner organisation linked: beta-inst": WHOLE | EDU_BETA,
    "Partner organisation linked: emp-alpha": WHOLE | EMP_ALPHA,
    "Partner organisation linked: emp-beta": WHOLE,
    ETHICS_JUSTIFICATION: WHOLE,
    G2G_REFERENCE: WHOLE,
    HOLD_REASON: WHOLE,
    "All requirements for placement met": WHOLE,  # a system reason naming the permit
    COUNTY_UNIT: WHOLE,
    RETENTION_NOTE: WHOLE,
    CONTACT_EMAIL: WHOLE,
    "State changed from": EVERYONE,
}


@pytest.mark.parametrize("viewer", USERS)
def test_the_case_page_matrix(world, viewer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users[viewer])
    response = client.get(reverse("credentials:case_detail", args=[world.case.number]))
    if viewer not in EVERYONE:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    html = response.content.decode()
    shown = {text for text in PAGE_TEXT if text in html}
    assert shown == {text for text, who in PAGE_TEXT.items() if viewer in who}


# --- The partner API ----------------------------------------------------------------------------


def _api(world, viewer: str) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if viewer in CLIENTS:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens[viewer]}")
    else:
        api.force_login(world.users[viewer])
    return api


def _codes(api, path: str, field: str, case_id: int):
    response = api.get(path, {"case": case_id})
    if response.status_code != 200:
        return response.status_code
    return {row[field] for row in response.json()["results"]}


@pytest.mark.parametrize("viewer", [*USERS, *CLIENTS])
def test_the_api_matrix(world, viewer):
    api = _api(world, viewer)
    case = world.case
    path = f"/api/v1/cases/{case.pk}/"
    response = api.get(path)
    if viewer not in EVERYONE:
        assert response.status_code in (403, 404)
        listed = api.get("/api/v1/cases/")
        assert listed.status_code in (403, 200)
        if listed.status_code == 200:
            assert case.pk not in {row["id"] for row in listed.json()["results"]}
        return
    assert response.status_code == 200, response.content
    body = response.json()
    listed = {row["id"]: row for row in api.get("/api/v1/cases/").json()["results"]}
    assert listed[case.pk] == body  # the list shows a case exactly as its detail does
    expected = expected_for(viewer)

    shown = {f"milestone:{name}" for name, value in body["milestones"].items() if value is not None}
    assert shown == {
        label
        for label in expected
        if label.startswith("milestone:") and not label.startswith("milestone:permit")
    }
    assert (body["permit"] is not None) == ("milestone:permit_valid_until" in expected)
    assert (body["contact"] is not None) == (viewer in WHOLE)
    assert PERMIT_REFERENCE not in json.dumps(body)

    steps = {s["key"]: s for s in api.get(path + "next-steps/").json()}
    alpha_step, beta_step = world.records["alpha_step"], world.records["beta_step"]
    step_keys = {
        "recognition_decision": "track:recognition",
        "language": "track:language",
        "permit_decision": "track:permit",
        f"integration_{alpha_step.pk}": "track:integration:emp-alpha",
        f"integration_{beta_step.pk}": "track:integration:emp-beta",
        "placement": "placement",
        "retention_6": "retention",
        "ready_for_placement": "transition",
    }
    assert {key for key in step_keys if key in steps} == {
        key for key, label in step_keys.items() if label in expected
    }

    transitions = api.get(path + "transitions/").json()
    if viewer not in WHOLE:
        for option in transitions:
            assert option["blocked_reasons"] == [
                "Only the county's recruiters can change this case."
            ]

    enrollments = _codes(api, "/api/v1/enrollments/", "institution", case.pk)
    certificates = _codes(api, "/api/v1/language-certificates/", "language", case.pk)
    permits = _codes(api, "/api/v1/permits/", "decision_reference", case.pk)
    steps_listed = _codes(api, "/api/v1/integration-steps/", "organisation", case.pk)
    assert enrollments == (
        {code for code in ("alpha-inst", "beta-inst") if f"track:training:{code}" in expected}
        or 403
    )
    assert certificates == ({"fi"} if "track:language" in expected else 403)
    assert permits == ({PERMIT_REFERENCE} if "track:permit" in expected else 403)
    assert steps_listed == (
        {code for code in ("emp-alpha", "emp-beta") if f"track:integration:{code}" in expected}
        or 403
    )


# --- Webhooks -----------------------------------------------------------------------------------


def test_the_webhook_matrix(world):
    """Every client subscribed to every event type before the case was opened: each receives
    exactly the events its organisation sees, and no payload carries what it may not see."""
    integration_services.fan_out_outbox()
    owners = _owners(world)
    events = {e.pk: e for e in world.case.events.all()}
    for viewer in CLIENTS:
        deliveries = WebhookDelivery.objects.filter(
            subscription__client=world.clients[viewer]
        ).select_related("event", "subscription")
        received = set()
        for delivery in deliveries:
            received |= labels(events[delivery.event.case_event_id], owners) - {"transition_reason"}
            body = integration_services.webhook_body(delivery).decode()
            for marker in (PERMIT_REFERENCE, ETHICS_JUSTIFICATION, COUNTY_UNIT, CONTACT_EMAIL):
                assert marker not in body
            if viewer not in WHOLE | EMP_ALPHA:
                assert "permit" not in body, body
        # Payloads carry no reasons: the transition is delivered, its reason never.
        assert received == expected_for(viewer) - {"transition_reason"}, viewer
    assert OutboxEvent.objects.filter(dispatched_at__isnull=True).count() == 0


# --- The reproduction on the demo data (make run) -------------------------------------------


def test_demo_educator_and_officer_pages_show_only_their_tracks():
    """Issue 10's reproduction: as educator.tamk a case page showed a permit's milestones,
    its reference (MIGRI-DEMO-…) and "Residence permit: permit decided"; as officer.tampere
    training and language events of other partners."""
    from django.contrib.auth import get_user_model

    from credentials import demo
    from credentials.models import ResidencePermit, TrainingEnrollment

    demo.seed(12)
    users = get_user_model().objects
    tamk_cases = list(
        ResidencePermit.objects.filter(
            state="granted", case__partner_links__organisation__code="demo-tamk"
        ).values_list("case__number", "decision_reference")
    )
    assert tamk_cases, "the demo has permits on cases linked to TAMK"
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(users.get(username="educator.tamk"))
    for number, reference in tamk_cases:
        html = client.get(reverse("credentials:case_detail", args=[number])).content.decode()
        assert reference.startswith("MIGRI-DEMO-") and reference not in html
        for text in ("permit granted on", "permit valid until", "Residence permit: permit"):
            assert text not in html, (number, text)

    client.force_login(users.get(username="officer.tampere"))
    officer_cases = TrainingEnrollment.objects.filter(
        case__partner_links__organisation__code="demo-tampere-employment"
    ).values_list("case__number", "institution__name_en")
    assert officer_cases
    for number, institution in officer_cases:
        html = client.get(reverse("credentials:case_detail", args=[number])).content.decode()
        for text in (institution, "Training: ", "Language: ", "training in progress"):
            assert text not in html, (number, text)


# --- Notifications and the recruiter's lists --------------------------------------------------


def _recipients(kind: str, case) -> set[str]:
    from credentials.models import Notification

    return set(
        Notification.objects.filter(kind=kind, case=case).values_list(
            "recipient__username", flat=True
        )
    )


def test_notifications_reach_only_people_who_see_their_data(world):
    """The case's own recruiter field may name someone outside the county's recruiters (here
    the linked employment officer, then an educator): they are told only what they see."""
    import datetime as dt

    from credentials import services as track_services
    from recruitment import services as case_services

    case = world.case
    officer, educator = world.users["officer_alpha"], world.users["educator_alpha"]
    case_services.update_case(
        case=case.pk, actor=Actor.system(), expected_version=None, recruiter=officer
    )
    case.refresh_from_db()
    soon = case.permit_valid_until - dt.timedelta(days=10)
    assert track_services.watch_permit_expiry(today=soon) == 2
    assert _recipients("permit_expiring_30", case) == {"vis.recruiter", "vis.officer.alpha"}
    check = world.case.placement.retention_checks.get(months=12)
    track_services.notify_due_retention_checks(today=check.due_on)
    assert _recipients("retention_due", case) == {"vis.recruiter"}  # placement is the county's

    case_services.update_case(
        case=case.pk, actor=Actor.system(), expected_version=None, recruiter=educator
    )
    case.refresh_from_db()
    later = case.permit_valid_until + dt.timedelta(days=1)
    track_services.watch_permit_expiry(today=later)
    assert _recipients("permit_expired", case) == {"vis.recruiter"}


def test_lists_and_inbox_of_a_recruiter_who_is_also_a_partner(world):
    """A Helsinki recruiter who also teaches at the Alpha institute opens the Pirkanmaa case
    as an educator: its permit is neither in their permits list nor in their inbox."""
    from credentials import selectors as track_selectors
    from credentials import web_selectors
    from credentials.models import Notification
    from recruitment import selectors as case_selectors
    from recruitment.models import Membership, Role

    user = world.users["other_recruiter"]
    Membership.objects.create(
        user=user, organisation=world.orgs["alpha_institute"], role=Role.EDUCATOR
    )
    user = type(user).objects.get(pk=user.pk)  # fresh role cache
    case = world.case
    assert case_selectors.case_for_user(user, case.number) == case
    assert case not in case_selectors.permits_expiring(user, within_days=10_000)
    assert case not in [
        c.placement.case for c in case_selectors.retention_checks_due(user, within_days=10_000)
    ]
    Notification.objects.create(
        recipient=user,
        case=case,
        kind="permit_expired",
        message="Permit expired.",
        dedupe_key="vis:permit",
    )
    Notification.objects.create(
        recipient=user, case=case, kind="stalled", message="Stalled.", dedupe_key="vis:stalled"
    )
    kinds = {n.kind for n in web_selectors.unread_notifications(user)}
    assert kinds == {"stalled"}
    assert track_selectors.unread_notification_count(user) == 1
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    html = client.get(reverse("credentials:my_work")).content.decode()
    assert "Permit expired." not in html and case.number in html


@pytest.mark.parametrize("viewer", USERS)
def test_the_admins_track_lists_ask_the_same_rule(world, viewer):
    """Whoever the Django admin lets in, its lists of track records hold what the rule
    lets the user see (the same sets as the partner API above)."""
    from django.contrib import admin
    from django.test import RequestFactory

    from credentials.models import IntegrationStep, ResidencePermit, TrainingEnrollment

    request = RequestFactory().get("/admin/")
    request.user = world.users[viewer]
    expected = expected_for(viewer)
    shown = {}
    for model, owner in (
        (TrainingEnrollment, "institution__code"),
        (IntegrationStep, "organisation__code"),
        (ResidencePermit, "decision_reference"),
    ):
        queryset = admin.site._registry[model].get_queryset(request)
        shown[model] = set(queryset.filter(case=world.case).values_list(owner, flat=True))
    assert shown[TrainingEnrollment] == {
        code for code in ("alpha-inst", "beta-inst") if f"track:training:{code}" in expected
    }
    assert shown[IntegrationStep] == {
        code for code in ("emp-alpha", "emp-beta") if f"track:integration:{code}" in expected
    }
    assert shown[ResidencePermit] == ({PERMIT_REFERENCE} if "track:permit" in expected else set())
