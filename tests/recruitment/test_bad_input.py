"""Bad input to the core: a clear error naming the problem, never a half-write, never a 500."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from recruitment import services
from recruitment.actors import Actor
from recruitment.errors import NotPermitted, PolkuError, TransitionNotAllowed
from recruitment.models import (
    Candidate,
    Case,
    CaseEvent,
    CaseState,
    Placement,
    RetentionCheck,
)
from tests import factories

pytestmark = pytest.mark.django_db

S = CaseState


def _snapshot():
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        Placement.objects.count(),
        list(Case.objects.order_by("pk").values_list("state", "version")),
    )


@pytest.fixture
def case():
    return factories.case_in_state(S.SCREENING)


def test_domain_errors_carry_code_status_and_message():
    assert issubclass(TransitionNotAllowed, PolkuError)
    error = TransitionNotAllowed("Nope.", transition="place", reasons=["A", "B"])
    assert (error.code, error.status, error.message) == ("transition_not_allowed", 409, "Nope.")
    assert error.details == {"transition": "place", "reasons": ["A", "B"]}
    assert (NotPermitted.code, NotPermitted.status) == ("not_permitted", 403)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda case, actor: services.transition_case(
                case=case, name="teleport", actor=actor, expected_version=case.version
            ),
            TransitionNotAllowed,
            "There is no transition called “teleport”.",
        ),
        (
            lambda case, actor: services.transition_case(
                case=case, name="reject", actor=actor, expected_version=case.version
            ),
            TransitionNotAllowed,
            "A reason is required for “Reject”.",
        ),
        (
            lambda case, actor: services.transition_case(
                case=case, name="screen", actor=actor, expected_version=case.version
            ),
            TransitionNotAllowed,
            "“Start screening” is not possible while the case is Screening.",
        ),
        (
            lambda case, actor: services.update_case(
                case=case, actor=actor, expected_version=case.version, state="completed"
            ),
            ValidationError,
            "These case fields cannot be changed here: state",
        ),
        (
            lambda case, actor: services.update_case(
                case=case, actor=actor, expected_version=None, ethics_justification="x"
            ),
            ValidationError,
            "The version of the case you saw is required.",
        ),
        (
            lambda case, actor: services.update_case(
                case=case,
                actor=actor,
                expected_version=case.version,
                recruitment_basis="bribery",
            ),
            ValidationError,
            "Value 'bribery' is not a valid choice.",
        ),
        (
            lambda case, actor: services.record_milestones(
                case=case, actor=actor, permit_colour="blue"
            ),
            ValidationError,
            "Unknown milestones: permit_colour",
        ),
        (
            lambda case, actor: services.record_placement(
                case=case,
                actor=actor,
                expected_version=case.version,
                county_unit="Ward 3",
                start_date=timezone.localdate(),
            ),
            TransitionNotAllowed,
            "A placement can be recorded when the case is ready for placement.",
        ),
        (
            lambda case, actor: services.record_retention_check(
                case=case, actor=actor, expected_version=case.version, months=6, passed=True
            ),
            TransitionNotAllowed,
            "Retention checks are recorded for placed cases.",
        ),
    ],
    ids=[
        "unknown-transition",
        "missing-reason",
        "wrong-state",
        "protected-field",
        "no-version",
        "bad-choice",
        "unknown-milestone",
        "placement-too-early",
        "retention-too-early",
    ],
)
def test_bad_service_calls(case, recruiter, call, error, message):
    before = _snapshot()
    with pytest.raises(error) as exc:
        call(case, Actor.for_user(recruiter))
    text = exc.value.message if isinstance(exc.value, PolkuError) else " ".join(exc.value.messages)
    assert message in text
    assert _snapshot() == before


def test_opening_a_case_for_something_other_than_a_county(recruiter):
    candidate = factories.CandidateFactory()
    before = _snapshot()
    with pytest.raises(
        ValidationError, match=r"Cases are opened for a wellbeing services county\."
    ):
        services.open_case(
            candidate=candidate,
            county=factories.county("migri"),
            profession=factories.profession(),
            actor=Actor.for_user(recruiter),
        )
    with pytest.raises(NotPermitted, match=r"You may only open cases for your own county\."):
        services.open_case(
            candidate=candidate,
            county=factories.county("helsinki"),
            profession=factories.profession(),
            actor=Actor.for_user(recruiter),
        )
    assert _snapshot() == before


def test_candidates_only_for_own_organisation(recruiter, helsinki):
    with pytest.raises(
        NotPermitted, match=r"You may only add candidates for your own organisation\."
    ):
        services.create_candidate(
            actor=Actor.for_user(recruiter),
            created_by=helsinki,
            first_name="A",
            last_name="B",
            nationality=factories.country("PH"),
        )
    with pytest.raises(ValidationError) as exc:
        services.create_candidate(
            actor=Actor.for_user(recruiter),
            created_by=factories.county(),
            first_name="",
            last_name="B",
            email="not-an-email",
            nationality=factories.country("PH"),
        )
    assert set(exc.value.message_dict) == {"first_name", "email"}
    assert not Candidate.objects.exists()


def test_api_clients_add_candidates_for_their_own_organisation_only(pirkanmaa, helsinki):
    data = {"first_name": "A", "last_name": "B", "nationality": factories.country("PH")}
    other = Actor.for_api_client(client_id=3, label="Helsinki HR", organisation=helsinki)
    with pytest.raises(NotPermitted):
        services.create_candidate(actor=other, created_by=pirkanmaa, **data)
    assert not Candidate.objects.exists()
    own = Actor.for_api_client(client_id=4, label="Pirkanmaa HR", organisation=pirkanmaa)
    candidate = services.create_candidate(actor=own, created_by=pirkanmaa, **data)
    assert candidate.created_by == pirkanmaa


def test_a_transition_the_state_does_not_allow_says_so_before_asking_for_a_reason():
    case = factories.case_in_state(S.SOURCED)
    before = _snapshot()
    with pytest.raises(TransitionNotAllowed) as exc:
        services.transition_case(
            case=case, name="leave_early", actor=Actor.system(), expected_version=case.version
        )
    assert exc.value.message == "“Left early” is not possible while the case is Sourced."
    assert _snapshot() == before


def test_bad_placements_and_retention_checks(recruiter):
    actor = Actor.for_user(recruiter)
    ready = factories.case_in_state(S.READY_FOR_PLACEMENT, prepared=False)
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.record_placement(
            case=ready,
            actor=actor,
            expected_version=ready.version,
            county_unit="Ward 3",
            start_date=timezone.localdate(),
            contract=Placement.Contract.FIXED_TERM,
        )
    assert exc.value.message_dict == {"contract_end": ["A fixed-term contract needs an end date."]}
    assert _snapshot() == before

    placed = factories.case_in_state(S.PLACED, prepared=False)
    before = _snapshot()
    start = placed.placement.start_date
    for kwargs, field, message in [
        ({"months": 3, "passed": True}, "months", "No 3-month check is due."),
        (
            {"months": 6, "passed": True, "checked_on": start - dt.timedelta(days=1)},
            "checked_on",
            "A check cannot be before the placement starts.",
        ),
        (
            {"months": 6, "passed": False, "note": "  "},
            "note",
            "Say why the person left (a reason is required).",
        ),
    ]:
        with pytest.raises(ValidationError) as exc:
            services.record_retention_check(
                case=placed, actor=actor, expected_version=placed.version, **kwargs
            )
        assert exc.value.message_dict == {field: [message]}
    assert _snapshot() == before
    assert not RetentionCheck.objects.filter(placement__case=placed).exclude(outcome="pending")


def test_admin_placement_for_a_case_not_ready_shows_the_error(superuser, login):
    case = factories.case_in_state(S.SCREENING)
    client = login(superuser)
    before = _snapshot()
    response = client.post(
        "/admin/recruitment/placement/add/",
        {
            "case": case.pk,
            "county_unit": "Ward 3",
            "start_date": timezone.localdate().isoformat(),
            "contract": Placement.Contract.PERMANENT,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "A placement can be recorded when the case is ready for placement." in response.text
    assert _snapshot() == before


def test_admin_retention_check_failed_without_a_reason(superuser, login):
    case = factories.case_in_state(S.PLACED, prepared=False)
    check = RetentionCheck.objects.get(placement__case=case, months=6)
    client = login(superuser)
    before = _snapshot()
    response = client.post(
        f"/admin/recruitment/retentioncheck/{check.pk}/change/",
        {"checked_on": timezone.localdate().isoformat(), "outcome": "failed", "note": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert "Say why the person left (a reason is required)." in response.text
    assert _snapshot() == before
    check.refresh_from_db()
    assert check.outcome == RetentionCheck.Outcome.PENDING
