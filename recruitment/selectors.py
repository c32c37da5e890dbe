"""Reads for the core, shaped for the screens and endpoints that use them."""

from __future__ import annotations

from django.db.models import QuerySet

from . import authz
from .models import Case, CaseEvent


def cases_for_user(user) -> QuerySet[Case]:
    """The cases a user may see, with what a list row shows joined in."""
    return authz.visible_cases(user).select_related(
        "candidate__nationality", "county", "profession"
    )


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    """A case's audit trail, newest first, with the acting user joined in."""
    return case.events.select_related("actor_user").order_by("-occurred_at", "-id")
