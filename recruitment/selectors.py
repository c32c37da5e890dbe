"""Reads for the core, shaped for the screens and endpoints that use them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import BooleanField, Q, QuerySet, Value, When
from django.db.models import Case as DBCase
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import authz
from .models import (
    PIPELINE_STATES,
    Case,
    CaseEvent,
    CaseState,
    Country,
    Membership,
    Organisation,
    OrganisationKind,
    Placement,
    RetentionCheck,
    Role,
)


def cases_for_user(user) -> QuerySet[Case]:
    """The cases a user may see, with what a list row shows joined in."""
    return authz.visible_cases(user).select_related(
        "candidate__nationality", "county", "profession"
    )


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    """A case's audit trail, newest first, with the acting user joined in."""
    return case.events.select_related("actor_user").order_by("-occurred_at", "-id")


# --- Web UI: case list, stage owners, stalled cases -------------------------------------------

# Who owns the stage a case is in: the party that has to act for the case to move on.
STAGE_OWNER_COUNTY = "county"
STAGE_OWNER_AUTHORITY = "authority"
STAGE_OWNER_EDUCATION = "education"
STAGE_OWNERS = {
    CaseState.SOURCED: STAGE_OWNER_COUNTY,
    CaseState.SCREENING: STAGE_OWNER_COUNTY,
    CaseState.OFFER_ACCEPTED: STAGE_OWNER_COUNTY,
    CaseState.IN_RECOGNITION: STAGE_OWNER_AUTHORITY,
    CaseState.IN_TRAINING: STAGE_OWNER_EDUCATION,
    CaseState.READY_FOR_PLACEMENT: STAGE_OWNER_COUNTY,
    CaseState.PLACED: STAGE_OWNER_COUNTY,
    CaseState.ON_HOLD: STAGE_OWNER_COUNTY,
}
STAGE_OWNER_LABELS = {
    STAGE_OWNER_COUNTY: _("Wellbeing services county"),
    STAGE_OWNER_AUTHORITY: _("Recognition authority"),
    STAGE_OWNER_EDUCATION: _("Educational institution"),
}
# An open case whose state has not changed for this long is stalled, unless the provider
# registered by an upper layer (credentials: its editable StageTimeLimit rows) says otherwise.
STALLED_AFTER_DAYS = 60
STALLABLE_STATES = PIPELINE_STATES
_stage_limit_provider: Callable[[], dict[str, int]] | None = None
CASE_SORTS = {
    "updated": "-updated_at",
    "number": "number",
    "name": "candidate__last_name",
    "state": "state",
    "since": "state_changed_at",
}


def stage_owner(state: str) -> str:
    return STAGE_OWNERS.get(state, "")


def set_stage_limit_provider(provider: Callable[[], dict[str, int]] | None) -> None:
    """Let an upper layer supply per-state limits (state -> days) without recruitment
    importing it (credentials registers its StageTimeLimit rows in ``AppConfig.ready``)."""
    global _stage_limit_provider
    _stage_limit_provider = provider


def stage_limits() -> dict[str, int]:
    """Days each open state may last before the case counts as stalled (one query at most)."""
    limits = dict.fromkeys(STALLABLE_STATES, STALLED_AFTER_DAYS)
    if _stage_limit_provider is not None:
        limits.update({s: d for s, d in _stage_limit_provider().items() if s in limits and d})
    return limits


def stalled_condition(limits: dict[str, int] | None = None) -> Q:
    limits = limits if limits is not None else stage_limits()
    now = timezone.now()
    condition = Q(pk__in=[])
    for state, days in limits.items():
        condition |= Q(state=state, state_changed_at__lt=now - dt.timedelta(days=days))
    return condition


def with_stalled_flag(cases: QuerySet[Case], limits: dict[str, int] | None = None):
    """Annotate ``is_stalled`` in SQL, so a list shows the badge without a query per row."""
    return cases.annotate(
        is_stalled=DBCase(
            When(stalled_condition(limits), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def is_stalled(case: Case, limits: dict[str, int] | None = None) -> bool:
    annotated = getattr(case, "is_stalled", None)
    if isinstance(annotated, bool):
        return annotated
    limits = limits if limits is not None else stage_limits()
    days = limits.get(case.state)
    return days is not None and case.state_changed_at < timezone.now() - dt.timedelta(days=days)


def search_cases(
    user,
    *,
    q: str = "",
    state: str = "",
    profession: int | None = None,
    country: int | None = None,
    owner: str = "",
    stalled: bool = False,
    sort: str = "updated",
    descending: bool = False,
) -> QuerySet[Case]:
    """The case list: search by candidate name or case number, filters and sorting.

    One query per page (plus the paginator's count), whatever the page size.
    """
    cases = cases_for_user(user).only(
        "number",
        "state",
        "state_changed_at",
        "updated_at",
        "county__name",
        "county__name_sv",
        "county__name_en",
        "profession__name_fi",
        "profession__name_sv",
        "profession__name_en",
        "candidate__first_name",
        "candidate__last_name",
        "candidate__nationality__code",
        "candidate__nationality__name_fi",
        "candidate__nationality__name_sv",
        "candidate__nationality__name_en",
    )
    for term in q.split():
        cases = cases.filter(
            Q(number__icontains=term)
            | Q(candidate__first_name__icontains=term)
            | Q(candidate__last_name__icontains=term)
        )
    if state:
        cases = cases.filter(state=state)
    if profession:
        cases = cases.filter(profession_id=profession)
    if country:
        cases = cases.filter(candidate__nationality_id=country)
    if owner:
        cases = cases.filter(state__in=[s for s, o in STAGE_OWNERS.items() if o == owner])
    limits = stage_limits()
    cases = with_stalled_flag(cases, limits)
    if stalled:
        cases = cases.filter(stalled_condition(limits))
    order = CASE_SORTS.get(sort, CASE_SORTS["updated"])
    if descending:
        order = order[1:] if order.startswith("-") else f"-{order}"
    return cases.order_by(order, "id")


def nationalities_in_cases(user) -> QuerySet[Country]:
    """Countries that appear as a nationality in the user's cases (for the list's filter)."""
    return Country.objects.filter(
        pk__in=authz.visible_cases(user).values("candidate__nationality_id")
    ).order_by("name_en")


def case_for_user(user, number: str) -> Case:
    """One case the user may see, by number; Http404 when it does not exist *for them*."""
    return get_object_or_404(
        cases_for_user(user).select_related("recruiter", "candidate__country_of_residence"),
        number=number,
    )


def recruiter_counties(user) -> QuerySet[Organisation]:
    """The counties a user may open cases in."""
    if authz.is_platform_admin(user):
        return Organisation.objects.filter(kind=OrganisationKind.COUNTY, is_active=True)
    return Organisation.objects.filter(
        pk__in=authz.organisation_ids(user, Role.RECRUITER),
        kind=OrganisationKind.COUNTY,
        is_active=True,
    )


def retention_checks_due(user, *, within_days: int = 30) -> QuerySet[RetentionCheck]:
    """Pending retention checks of the user's placed cases, due within ``within_days``."""
    horizon = timezone.localdate() + dt.timedelta(days=within_days)
    return (
        RetentionCheck.objects.filter(
            # Placement and retention are the county's (authz.case_visibility).
            placement__case__in=authz.county_view_cases(user).filter(state=CaseState.PLACED),
            outcome=RetentionCheck.Outcome.PENDING,
            due_on__lte=horizon,
        )
        .select_related("placement__case__candidate")
        .order_by("due_on")
    )


def permits_expiring(user, *, within_days: int = 90) -> QuerySet[Case]:
    """Open or placed cases whose residence permit ends within ``within_days``, among the
    cases whose permit track the user sees (authz.case_visibility)."""
    today = timezone.localdate()
    return (
        cases_for_user(user)
        .filter(pk__in=authz.cases_showing_track(user, authz.PERMIT).values("pk"))
        .filter(
            state__in=[*PIPELINE_STATES, CaseState.PLACED],
            permit_valid_until__isnull=False,
            permit_valid_until__lte=today + dt.timedelta(days=within_days),
        )
        .order_by("permit_valid_until")
    )


def cases_needing_county_action(user) -> QuerySet[Case]:
    """Open cases in a stage the county itself owns, oldest state first."""
    return (
        cases_for_user(user)
        .filter(
            county_id__in=recruiter_counties(user).values("pk"),
            state__in=[
                CaseState.SOURCED,
                CaseState.SCREENING,
                CaseState.OFFER_ACCEPTED,
                CaseState.READY_FOR_PLACEMENT,
            ],
        )
        .order_by("state_changed_at")
    )


def stalled_cases(user) -> QuerySet[Case]:
    """Open or held cases past their state's time limit, the longest-waiting first."""
    return cases_for_user(user).filter(stalled_condition()).order_by("state_changed_at")


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__username", "role")
    )


def administered_organisations(user) -> QuerySet[Organisation]:
    if authz.is_platform_admin(user):
        return Organisation.objects.filter(is_active=True)
    return Organisation.objects.filter(pk__in=authz.administered_organisation_ids(user))


def placement_for_case(case: Case) -> Placement | None:
    return Placement.objects.filter(case=case).first()


def retention_checks_for_case(case: Case) -> list[RetentionCheck]:
    return list(RetentionCheck.objects.filter(placement__case=case).order_by("months"))
