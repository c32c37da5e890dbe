"""The case state machine's metadata comes from the model's django-fsm-2 declarations.

Labels, which transitions need a reason and why a transition is blocked are read from
``@transition(..., conditions=[Guard(...)], custom={...})`` on ``Case`` through django-fsm-2's
public API: changing a declaration changes what the services, the UI and the API say.
"""

import pytest

from recruitment import services, state_machine
from recruitment.actors import Actor
from recruitment.errors import TransitionNotAllowed
from recruitment.models import Case, CaseState, Guard
from tests import factories

pytestmark = pytest.mark.django_db

S = CaseState


def _declarations(name):
    """The django-fsm-2 declarations (one per source state) of one transition of Case."""
    return [t for t in Case._meta.get_field("state").get_all_transitions(Case) if t.name == name]


def test_transition_names_are_the_models_declarations_in_declaration_order():
    declared = {t.name for t in Case._meta.get_field("state").get_all_transitions(Case)}
    assert set(services.TRANSITIONS) == declared
    # The order the model declares them in (the order the UI and the API list them in).
    assert services.TRANSITIONS == [
        "screen",
        "accept_offer",
        "start_recognition",
        "start_training",
        "mark_ready",
        "place",
        "complete",
        "hold",
        "resume",
        "withdraw",
        "reject",
        "leave_early",
    ]
    reason_required = {
        t.name
        for t in Case._meta.get_field("state").get_all_transitions(Case)
        if t.custom.get("reason_required")
    }
    assert reason_required == services.REASON_REQUIRED


def test_every_condition_of_the_case_is_a_guard_that_explains_itself():
    for declared in Case._meta.get_field("state").get_all_transitions(Case):
        for condition in declared.conditions:
            assert isinstance(condition, Guard), (declared.name, condition)


def test_labels_come_from_the_declarations(monkeypatch):
    for declared in _declarations("screen"):
        monkeypatch.setitem(declared.custom, "label", "Begin the interviews")
    case = factories.case_in_state(S.SOURCED)
    assert services.transition_label(case, "screen") == "Begin the interviews"
    option = {o.name: o for o in services.available_transitions(case, actor=Actor.system())}
    assert option["screen"].label == "Begin the interviews"


def test_reason_required_comes_from_the_declarations(monkeypatch):
    for declared in _declarations("screen"):
        monkeypatch.setitem(declared.custom, "reason_required", True)
    case = factories.case_in_state(S.SOURCED)
    option = {o.name: o for o in services.available_transitions(case, actor=Actor.system())}
    assert option["screen"].reason_required
    with pytest.raises(TransitionNotAllowed) as exc:
        services.transition_case(
            case=case, name="screen", actor=Actor.system(), expected_version=case.version
        )
    assert exc.value.message == "A reason is required for “Start screening”."
    case.refresh_from_db()
    assert case.state == S.SOURCED


class OnlyOnMondays(Guard):
    """A guard with its own explanation, not made of blockers."""

    def reasons(self, case):
        return ["Screening starts on Mondays only."]


def test_a_guard_explains_why_it_blocks(monkeypatch):
    for declared in _declarations("screen"):
        monkeypatch.setattr(declared, "conditions", [OnlyOnMondays()])
    case = factories.case_in_state(S.SOURCED)
    option = {o.name: o for o in services.available_transitions(case, actor=Actor.system())}
    assert option["screen"].blocked_reasons == ["Screening starts on Mondays only."]
    assert not option["screen"].allowed
    with pytest.raises(TransitionNotAllowed) as exc:
        services.transition_case(
            case=case, name="screen", actor=Actor.system(), expected_version=case.version
        )
    assert exc.value.reasons == ["Screening starts on Mondays only."]
    assert exc.value.message == "“Start screening” is blocked: Screening starts on Mondays only."


def test_a_guard_is_met_when_none_of_its_blockers_speaks():
    case = factories.case_in_state(S.SCREENING)
    silent = Guard(lambda case: None, lambda case: "")
    speaking = Guard(lambda case: None, lambda case: "No.", lambda case: "Never.")
    assert silent(case) and silent.reasons(case) == []
    assert not speaking(case) and speaking.reasons(case) == ["No.", "Never."]


def test_whether_a_transition_is_possible_is_read_from_the_declared_sources():
    case = factories.case_in_state(S.ON_HOLD)
    names = state_machine.transition_names()
    possible = {name for name in names if state_machine.possible(case, name)}
    assert possible == {"resume", "withdraw", "reject"}


def test_the_state_field_stays_protected_when_a_refresh_fails():
    """Case keeps its own refresh_from_db: django-fsm-2's FSMModelMixin switches protection
    off for the whole field (every Case in the process) while it reloads, and leaves it off
    when the reload raises."""
    case = factories.case_in_state(S.SCREENING)
    with pytest.raises(Case.DoesNotExist):
        case.refresh_from_db(from_queryset=Case.objects.none())
    with pytest.raises(AttributeError):
        case.state = S.PLACED
    other = Case.objects.get(pk=case.pk)
    with pytest.raises(AttributeError):
        other.state = S.PLACED
    case.refresh_from_db()
    assert case.state == S.SCREENING
