"""The Case state machine of DESIGN.md, run through recruitment.services as users would."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import formats, timezone, translation

from recruitment import services
from recruitment.actors import Actor
from recruitment.errors import TransitionNotAllowed
from recruitment.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseState,
    RecognitionOutcome,
    RecruitmentBasis,
    RetentionCheck,
)
from tests import factories

pytestmark = pytest.mark.django_db

S = CaseState
OPEN = list(OPEN_STATES)

# DESIGN.md's diagram, written out independently of the model: transition → {source: target}.
EXPECTED = {
    "screen": {S.SOURCED: S.SCREENING},
    "accept_offer": {S.SCREENING: S.OFFER_ACCEPTED},
    "start_recognition": {S.OFFER_ACCEPTED: S.IN_RECOGNITION, S.IN_TRAINING: S.IN_RECOGNITION},
    "start_training": {S.OFFER_ACCEPTED: S.IN_TRAINING, S.IN_RECOGNITION: S.IN_TRAINING},
    "mark_ready": {
        S.OFFER_ACCEPTED: S.READY_FOR_PLACEMENT,
        S.IN_RECOGNITION: S.READY_FOR_PLACEMENT,
        S.IN_TRAINING: S.READY_FOR_PLACEMENT,
    },
    "place": {S.READY_FOR_PLACEMENT: S.PLACED},
    "complete": {S.PLACED: S.COMPLETED},
    "hold": dict.fromkeys(OPEN, S.ON_HOLD),
    "resume": {S.ON_HOLD: S.SOURCED},  # held from sourced in this table
    "withdraw": dict.fromkeys([*OPEN, S.ON_HOLD], S.WITHDRAWN),
    "reject": dict.fromkeys([*OPEN, S.ON_HOLD], S.REJECTED),
    "leave_early": {S.PLACED: S.LEFT_EARLY},
}
LABELS = {
    "screen": "Start screening",
    "accept_offer": "Accept offer",
    "start_recognition": "Move to recognition",
    "start_training": "Move to training",
    "mark_ready": "Mark ready for placement",
    "place": "Place",
    "complete": "Complete",
    "hold": "Put on hold",
    "resume": "Resume",
    "withdraw": "Withdraw",
    "reject": "Reject",
    "leave_early": "Left early",
}
MATRIX = [(state, name) for state in CaseState.values for name in EXPECTED]


def test_the_table_covers_every_transition_of_the_service():
    assert set(EXPECTED) == set(services.TRANSITIONS)
    assert {"hold", "withdraw", "reject", "leave_early"} == services.REASON_REQUIRED


def _counts(case):
    return CaseEvent.objects.filter(case=case).count()


def _run(case, name, *, actor=None, reason="Because the test says so."):
    return services.transition_case(
        case=case,
        name=name,
        actor=actor or Actor.system(),
        expected_version=case.version,
        reason=reason,
    )


@pytest.mark.parametrize(("state", "name"), MATRIX, ids=[f"{s}-{n}" for s, n in MATRIX])
def test_every_transition_from_every_state(state, name, recruiter):
    """Allowed ones move the case (guards satisfied), refused ones say why and change nothing."""
    case = factories.case_in_state(state)
    actor = Actor.for_user(recruiter)
    events_before, version = _counts(case), case.version
    target = EXPECTED[name].get(state)
    if target is None:
        with pytest.raises(TransitionNotAllowed) as exc:
            _run(case, name, actor=actor)
        state_label = CaseState(state).label
        assert exc.value.message == (
            f"“{LABELS[name]}” is not possible while the case is {state_label}."
        )
        assert exc.value.transition == name
        case.refresh_from_db()
        assert (case.state, case.version, _counts(case)) == (state, version, events_before)
        return
    result = _run(case, name, actor=actor)
    result.refresh_from_db()
    assert result.state == target
    assert result.version == version + 1
    event = CaseEvent.objects.filter(case=case).last()
    assert _counts(case) == events_before + 1
    assert (event.kind, event.transition, event.from_state, event.to_state) == (
        CaseEvent.Kind.TRANSITION,
        name,
        state,
        target,
    )
    assert event.actor_user == recruiter
    assert event.case_version == result.version


@pytest.mark.parametrize("state", CaseState.values)
def test_available_transitions_list_what_the_state_allows(state, recruiter):
    case = factories.case_in_state(state)
    options = services.available_transitions(case, recruiter)
    assert {o.name for o in options} == {n for n, sources in EXPECTED.items() if state in sources}
    assert all(o.allowed and not o.blocked_reasons for o in options)
    assert {o.name for o in options if o.reason_required} <= services.REASON_REQUIRED


def test_available_transitions_show_blocked_reasons_and_missing_permission(
    recruiter, other_recruiter
):
    case = factories.case_in_state(S.SCREENING, no_fee_declared_on=None)
    accept = {o.name: o for o in services.available_transitions(case, recruiter)}["accept_offer"]
    assert not accept.allowed
    assert accept.blocked_reasons == [
        "Record the candidate's signed statement that they paid no recruitment fee."
    ]
    for option in services.available_transitions(case, other_recruiter):
        assert not option.allowed
        assert "Only the county's recruiters can change this case." in option.blocked_reasons


def test_closed_cases_offer_no_transitions(recruiter):
    for state in (S.COMPLETED, S.WITHDRAWN, S.REJECTED, S.LEFT_EARLY):
        case = factories.case_in_state(state)
        assert services.available_transitions(case, recruiter) == []
        assert case.closed_at is not None
        assert not case.is_open


# --- Guards --------------------------------------------------------------------------------


def _blocked(case, name, **kwargs):
    version, events = case.version, _counts(case)
    with pytest.raises(TransitionNotAllowed) as exc:
        _run(case, name, **kwargs)
    case.refresh_from_db()
    assert (case.version, _counts(case)) == (version, events), "a refused write changed data"
    return exc.value


def test_ethics_gate_refuses_active_recruitment_from_a_safeguards_list_country():
    case = factories.case_in_state(S.SCREENING, nationality="NP")
    error = _blocked(case, "accept_offer")
    assert error.reasons == [
        "Nepal is on the WHO health workforce support and safeguards list (2023): record a "
        "government-to-government agreement or the candidate's own initiative, with a "
        "justification, before accepting the offer."
    ]
    assert error.message.startswith("“Accept offer” is blocked: Nepal is on the WHO")
    assert case.state == S.SCREENING


def test_ethics_gate_own_initiative_needs_a_justification():
    case = factories.case_in_state(
        S.SCREENING, nationality="NP", recruitment_basis=RecruitmentBasis.OWN_INITIATIVE
    )
    error = _blocked(case, "accept_offer")
    assert error.reasons == [
        "Write the justification for recruiting from Nepal (WHO safeguards list)."
    ]
    case = services.update_case(
        case=case,
        actor=Actor.system(),
        expected_version=case.version,
        ethics_justification="Applied through the county's open vacancy.",
    )
    assert _run(case, "accept_offer").state == S.OFFER_ACCEPTED


def test_ethics_gate_g2g_needs_justification_and_agreement_reference():
    case = factories.case_in_state(
        S.SCREENING,
        nationality="NP",
        recruitment_basis=RecruitmentBasis.G2G_AGREEMENT,
        ethics_justification="Recruited under the bilateral agreement.",
    )
    error = _blocked(case, "accept_offer")
    assert error.reasons == ["Record the reference of the government-to-government agreement."]
    case = services.update_case(
        case=case, actor=Actor.system(), expected_version=case.version, g2g_agreement_ref="FI-NP/1"
    )
    assert _run(case, "accept_offer").state == S.OFFER_ACCEPTED


@pytest.mark.parametrize("nationality", ["PH", "ES", "IN"])
def test_ethics_gate_lets_active_recruitment_from_other_countries_through(nationality):
    case = factories.case_in_state(S.SCREENING, nationality=nationality)
    assert case.recruitment_basis == RecruitmentBasis.ACTIVE_RECRUITMENT
    assert _run(case, "accept_offer").state == S.OFFER_ACCEPTED


def test_no_fee_declaration_is_required_to_accept_the_offer():
    case = factories.case_in_state(S.SCREENING, no_fee_declared_on=None)
    error = _blocked(case, "accept_offer")
    assert error.reasons == [
        "Record the candidate's signed statement that they paid no recruitment fee."
    ]


def test_ethics_and_fee_reasons_are_reported_together():
    case = factories.case_in_state(S.SCREENING, nationality="NP", no_fee_declared_on=None)
    error = _blocked(case, "accept_offer")
    assert len(error.reasons) == 2
    assert error.reasons[1].startswith("Record the candidate's signed statement")


def _ready_case(**kwargs):
    """Ready for placement, with a placement; milestones can then be changed for the test."""
    return factories.case_in_state(S.READY_FOR_PLACEMENT, **kwargs)


def test_place_requires_a_placement():
    case = factories.case_in_state(S.READY_FOR_PLACEMENT, prepared=False)
    error = _blocked(case, "place")
    assert error.reasons == ["Record the placement (county unit and start date) first."]
    factories.add_placement(case)
    case.refresh_from_db()
    assert _run(case, "place").state == S.PLACED


@pytest.mark.parametrize(
    ("milestones", "reason"),
    [
        ({"recognition_outcome": ""}, "No recognition decision that allows the work yet."),
        (
            {"recognition_outcome": RecognitionOutcome.REFUSED},
            "Recognition of the qualification was refused.",
        ),
        (
            {"recognition_outcome": RecognitionOutcome.CONDITIONAL},
            "Recognition is conditional: the ordered measures are not yet completed.",
        ),
        (
            {"language_requirement_met_on": None},
            "Language requirement (B1 in every sub-skill) not met yet.",
        ),
        (
            {"permit_valid_until": None},
            "A valid residence permit is required (non-EU/EEA citizen).",
        ),
        (
            {"permit_valid_until": dt.date(2020, 1, 31)},
            "The residence permit expired on 2020-01-31.",
        ),
    ],
    ids=["no-recognition", "refused", "conditional", "language", "no-permit", "expired-permit"],
)
def test_place_requires_recognition_language_and_a_valid_permit(milestones, reason):
    case = _ready_case()
    case = services.record_milestones(case=case, actor=Actor.system(), **milestones)
    assert case.state == S.READY_FOR_PLACEMENT
    error = _blocked(case, "place")
    assert error.reasons == [reason]


def test_eu_citizen_needs_no_residence_permit():
    case = _ready_case(nationality="ES")
    case = services.record_milestones(case=case, actor=Actor.system(), permit_valid_until=None)
    assert not case.needs_permit
    assert _run(case, "place").state == S.PLACED


def test_unregulated_profession_needs_no_recognition_or_language_level():
    case = factories.open_case(profession_code="care_assistant", nationality="ES")
    assert services.readiness_blockers(case) == []


def test_mark_ready_lists_every_missing_requirement():
    case = factories.case_in_state(S.OFFER_ACCEPTED, prepared=False)
    error = _blocked(case, "mark_ready")
    assert error.reasons == [
        "No recognition decision that allows the work yet.",
        "Language requirement (B1 in every sub-skill) not met yet.",
        "A valid residence permit is required (non-EU/EEA citizen).",
    ]


def test_complete_requires_both_retention_checks_passed():
    case = factories.case_in_state(S.PLACED, prepared=False)
    error = _blocked(case, "complete")
    assert error.reasons == ["Retention checks not yet passed: 6, 12 months."]


@pytest.mark.parametrize(
    ("state", "name", "label"),
    [
        (S.SCREENING, "hold", "Put on hold"),
        (S.IN_TRAINING, "withdraw", "Withdraw"),
        (S.ON_HOLD, "reject", "Reject"),
        (S.PLACED, "leave_early", "Left early"),
    ],
)
@pytest.mark.parametrize("reason", ["", "   \n "])
def test_reasons_are_required(state, name, label, reason):
    case = factories.case_in_state(state)
    error = _blocked(case, name, reason=reason)
    assert error.message == f"A reason is required for “{label}”."
    assert case.state == state


def test_the_reason_is_written_to_the_audit_trail(recruiter):
    case = factories.case_in_state(S.SCREENING)
    _run(case, "withdraw", actor=Actor.for_user(recruiter), reason="  Took another job.  ")
    event = CaseEvent.objects.filter(case=case).last()
    assert event.reason == "Took another job."


@pytest.mark.parametrize("held_from", OPEN)
def test_resume_returns_to_the_state_the_case_was_held_from(held_from):
    case = factories.case_in_state(S.ON_HOLD, held_from=held_from)
    assert case.held_from == held_from
    case = _run(case, "resume")
    case.refresh_from_db()
    assert case.state == held_from
    assert case.held_from == ""
    event = CaseEvent.objects.filter(case=case).last()
    assert (event.from_state, event.to_state) == (S.ON_HOLD, held_from)


def test_invalid_transition_name_is_refused_with_its_name():
    case = factories.case_in_state(S.SOURCED)
    for name in ("fly_to_the_moon", "save", "delete", "refresh_from_db", ""):
        error = _blocked(case, name)
        assert error.message == f"There is no transition called “{name}”."


def test_a_person_must_say_which_version_they_saw(recruiter):
    case = factories.case_in_state(S.SOURCED)
    with pytest.raises(ValidationError, match=r"The version of the case you saw is required\."):
        services.transition_case(
            case=case, name="screen", actor=Actor.for_user(recruiter), expected_version=None
        )
    case.refresh_from_db()
    assert case.state == S.SOURCED


# --- Automatic steps and retention ---------------------------------------------------------


def english_date(date: dt.date) -> str:
    """System-written reasons are stored in English, whatever language is active."""
    with translation.override("en"):
        return formats.date_format(date, "DATE_FORMAT")


def test_milestones_advance_the_case_as_the_system_with_an_explanation(recruiter):
    case = factories.case_in_state(S.OFFER_ACCEPTED, prepared=False)
    today = timezone.localdate()
    actor = Actor.for_user(recruiter)
    case = services.record_milestones(case=case, actor=actor, recognition_submitted_on=today)
    assert case.state == S.IN_RECOGNITION
    case = services.record_milestones(case=case, actor=actor, training_in_progress=True)
    assert case.state == S.IN_TRAINING
    case = services.record_milestones(
        case=case,
        actor=actor,
        training_in_progress=False,
        recognition_outcome=RecognitionOutcome.GRANTED,
        recognition_decided_on=today,
        language_requirement_met_on=today,
        permit_valid_until=dt.date(today.year + 2, 1, 31),
    )
    assert case.state == S.READY_FOR_PLACEMENT
    steps = list(
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION)
        .exclude(transition__in=["screen", "accept_offer"])
        .values_list("transition", "actor_kind", "actor_user", "reason")
    )
    assert steps == [
        (
            "start_recognition",
            "system",
            None,
            f"Recognition application submitted on {english_date(today)}.",
        ),
        ("start_training", "system", None, "Training or language studies started."),
        (
            "mark_ready",
            "system",
            None,
            "All requirements for placement met: recognition granted, language requirement "
            f"B1 met, residence permit valid until {english_date(dt.date(today.year + 2, 1, 31))}.",
        ),
    ]
    milestones = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.MILESTONE)
    assert {e.actor_user for e in milestones} == {recruiter}


def test_advance_case_does_nothing_outside_the_critical_path():
    case = factories.case_in_state(S.SCREENING)  # milestones all met, but not yet accepted
    version = case.version
    case = services.advance_case(case=case)
    assert (case.state, case.version) == (S.SCREENING, version)


def test_failed_retention_check_ends_the_case_as_left_early_with_the_reason(recruiter):
    case = factories.case_in_state(S.PLACED, prepared=False)
    with pytest.raises(ValidationError, match="a reason is required"):
        services.record_retention_check(
            case=case,
            actor=Actor.for_user(recruiter),
            expected_version=case.version,
            months=6,
            passed=False,
        )
    case = services.record_retention_check(
        case=case,
        actor=Actor.for_user(recruiter),
        expected_version=case.version,
        months=6,
        passed=False,
        note="Moved to Sweden.",
    )
    assert case.state == S.LEFT_EARLY
    assert case.closed_at is not None
    last = CaseEvent.objects.filter(case=case).last()
    assert (last.transition, last.reason, last.actor_user) == (
        "leave_early",
        "Moved to Sweden.",
        recruiter,
    )
    check = RetentionCheck.objects.get(placement__case=case, months=6)
    assert (check.outcome, check.note) == (RetentionCheck.Outcome.FAILED, "Moved to Sweden.")


def test_both_retention_checks_passed_complete_the_case(recruiter):
    case = factories.case_in_state(S.PLACED, prepared=False)
    actor = Actor.for_user(recruiter)
    case = services.record_retention_check(
        case=case, actor=actor, expected_version=case.version, months=6, passed=True
    )
    assert case.state == S.PLACED
    case = services.record_retention_check(
        case=case, actor=actor, expected_version=case.version, months=12, passed=True
    )
    assert case.state == S.COMPLETED
    last = CaseEvent.objects.filter(case=case).last()
    assert (last.transition, last.reason) == (
        "complete",
        "Retention checks at 6 and 12 months passed.",
    )


def test_state_cannot_be_written_directly():
    case = factories.case_in_state(S.SOURCED)
    with pytest.raises(AttributeError):
        case.state = S.COMPLETED
    assert Case.objects.get(pk=case.pk).state == S.SOURCED
