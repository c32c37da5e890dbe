"""The case state machine's metadata, read from the django-fsm-2 declarations on ``Case``.

The model declares each transition once: ``@transition(source=..., target=...,
conditions=[Guard(...)], custom={"label": ..., "reason_required": ...})``. Everything else
asks this module, which reads those declarations through django-fsm-2's public API
(``FSMField.get_all_transitions`` and ``Transition.name / source / conditions / custom``):
the transitions' names in the order the model declares them, their labels, which need a
reason, whether one is possible from a case's state and, if it is blocked, why (each
condition is a ``Guard`` that explains itself).
"""

from __future__ import annotations

from functools import cache

from django.utils.translation import gettext as _
from django_fsm import Transition

from .models import Case

# django-fsm-2's source wildcards: any state, and any state but the target.
_ANY_STATE = "*"
_ANY_OTHER_STATE = "+"


@cache
def _declarations() -> dict[str, tuple[Transition, ...]]:
    """Transition name → its declarations (one per source state), in declaration order."""
    by_name: dict[str, list[Transition]] = {}
    for declared in Case._meta.get_field("state").get_all_transitions(Case):
        by_name.setdefault(declared.name, []).append(declared)
    order = list(vars(Case))  # a class body keeps the order it was written in
    return {name: tuple(by_name[name]) for name in sorted(by_name, key=order.index)}


def transition_names() -> list[str]:
    """Every transition of the case, in the order the model declares them."""
    return list(_declarations())


def label(name: str) -> str:
    """The transition's label as a user reads it (``custom["label"]``), in the active language."""
    for declared in _declarations().get(name, ()):
        if declared.custom.get("label"):
            return str(declared.custom["label"])
    return name.replace("_", " ")


def reason_required(name: str) -> bool:
    """Whether the transition needs a reason (``custom["reason_required"]``)."""
    return any(declared.custom.get("reason_required") for declared in _declarations().get(name, ()))


def declaration(case: Case, name: str) -> Transition | None:
    """The declaration of ``name`` that applies from the case's state, or None when the
    transition is not possible from it (the same lookup django-fsm-2 makes)."""
    declared = {t.source: t for t in _declarations().get(name, ())}
    if case.state in declared:
        return declared[case.state]
    if _ANY_STATE in declared:
        return declared[_ANY_STATE]
    other = declared.get(_ANY_OTHER_STATE)
    if other is not None and other.target != case.state:
        return other
    return None


def possible(case: Case, name: str) -> bool:
    """Whether the transition leads anywhere from the case's state (guards aside)."""
    return declaration(case, name) is not None


def blocked_reasons(case: Case, name: str) -> list[str]:
    """Why the transition cannot run now, in words: the wrong state, or its guards' reasons."""
    declared = declaration(case, name)
    if declared is None:
        return [
            _("“%(transition)s” is not possible while the case is %(state)s.")
            % {"transition": label(name), "state": case.get_state_display()}
        ]
    return [reason for condition in declared.conditions for reason in condition.reasons(case)]


# The names other modules import (the API's enum of transitions, the admin's forms).
TRANSITIONS = transition_names()
REASON_REQUIRED = frozenset(name for name in TRANSITIONS if reason_required(name))
