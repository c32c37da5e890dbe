"""Authorisation in one place: who may see and do what on which organisation's objects.

- Platform admins (Django superusers): everything.
- Recruiters: their own county's cases and those cases' candidates.
- Educators and employment officers: cases their organisation is a partner on (minimal view).
- Organisation admins: their own organisation's memberships (and API clients).
- Ministry analysts: no personal data at all; aggregates only (monitoring).

Everything else in Polku (admin, UI, API) asks this module instead of deciding on its own.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from .actors import Actor
from .models import Candidate, Case, CasePartner, Membership, Organisation, Role

PARTNER_ROLES = (Role.EDUCATOR, Role.EMPLOYMENT_OFFICER)


def _roles(user) -> dict[str, set[int]]:
    """Role → organisation ids for an active user, cached on the user object per request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, "_polku_roles", None)
    if cached is None:
        cached = {}
        for org_id, role in Membership.objects.filter(
            user=user, organisation__is_active=True
        ).values_list("organisation_id", "role"):
            cached.setdefault(role, set()).add(org_id)
        user._polku_roles = cached
    return cached


def forget_roles(user) -> None:
    """Drop the per-object role cache (after memberships change)."""
    if hasattr(user, "_polku_roles"):
        del user._polku_roles


def is_platform_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def organisation_ids(user, *roles: str) -> set[int]:
    by_role = _roles(user)
    ids: set[int] = set()
    for role in roles or by_role.keys():
        ids |= by_role.get(role, set())
    return ids


def has_role(user, role: str) -> bool:
    return bool(_roles(user).get(role))


def sees_personal_data(user) -> bool:
    """Ministry analysts see aggregates only, even when they hold another role nowhere."""
    if is_platform_admin(user):
        return True
    return bool(organisation_ids(user, Role.RECRUITER, *PARTNER_ROLES))


# --- Cases -------------------------------------------------------------------------------


def visible_cases(user) -> QuerySet[Case]:
    """Cases a user may open. Recruiters: own county; partners: cases linked to them."""
    if is_platform_admin(user):
        return Case.objects.all()
    county_ids = organisation_ids(user, Role.RECRUITER)
    partner_ids = organisation_ids(user, *PARTNER_ROLES)
    if not county_ids and not partner_ids:
        return Case.objects.none()
    condition = Q(county_id__in=county_ids)
    if partner_ids:
        condition |= Q(
            Exists(
                CasePartner.objects.filter(case_id=OuterRef("pk"), organisation_id__in=partner_ids)
            )
        )
    return Case.objects.filter(condition)


def cases_for_organisation(organisation: Organisation) -> QuerySet[Case]:
    """Cases an organisation (acting through an API client) may see."""
    return Case.objects.filter(
        Q(county=organisation)
        | Q(Exists(CasePartner.objects.filter(case_id=OuterRef("pk"), organisation=organisation)))
    )


def can_view_case(user, case: Case) -> bool:
    if is_platform_admin(user):
        return True
    if case.county_id in organisation_ids(user, Role.RECRUITER):
        return True
    partner_ids = organisation_ids(user, *PARTNER_ROLES)
    return bool(partner_ids) and case.partner_links.filter(organisation_id__in=partner_ids).exists()


def can_change_case(user, case: Case) -> bool:
    """Only the county's own recruiters (and platform admins) change a case itself."""
    return is_platform_admin(user) or case.county_id in organisation_ids(user, Role.RECRUITER)


def admin_cases(user) -> QuerySet[Case]:
    """Cases shown in the Django admin, which shows the whole record (contact details, permit
    data): platform admins and the county's own recruiters only. Partners (educators,
    employment officers) see their linked cases in the web UI and API, trimmed to their role.
    """
    if is_platform_admin(user):
        return Case.objects.all()
    return Case.objects.filter(county_id__in=organisation_ids(user, Role.RECRUITER))


def can_open_case(user, county: Organisation) -> bool:
    return is_platform_admin(user) or county.pk in organisation_ids(user, Role.RECRUITER)


def actor_can_change_case(actor: Actor, case: Case) -> bool:
    if actor.is_system:
        return True
    if actor.kind == "api_client":
        return actor.organisation is not None and actor.organisation.pk == case.county_id
    return can_change_case(actor.user, case)


def actor_can_view_case(actor: Actor, case: Case) -> bool:
    if actor.is_system:
        return True
    if actor.kind == "api_client":
        return (
            actor.organisation is not None
            and cases_for_organisation(actor.organisation).filter(pk=case.pk).exists()
        )
    return can_view_case(actor.user, case)


# --- Candidates --------------------------------------------------------------------------


def visible_candidates(user) -> QuerySet[Candidate]:
    """Candidates with a case in the recruiter's county, or created by the recruiter's county."""
    if is_platform_admin(user):
        return Candidate.objects.all()
    county_ids = organisation_ids(user, Role.RECRUITER)
    if not county_ids:
        return Candidate.objects.none()
    return Candidate.objects.filter(
        Q(created_by_id__in=county_ids)
        | Q(Exists(Case.objects.filter(candidate_id=OuterRef("pk"), county_id__in=county_ids)))
    )


def can_change_candidate(user, candidate: Candidate) -> bool:
    return visible_candidates(user).filter(pk=candidate.pk).exists()


# --- Organisations and memberships -------------------------------------------------------


def administered_organisation_ids(user) -> set[int]:
    return organisation_ids(user, Role.ORG_ADMIN)


def can_manage_memberships(user, organisation: Organisation) -> bool:
    return is_platform_admin(user) or organisation.pk in administered_organisation_ids(user)


def visible_memberships(user) -> QuerySet[Membership]:
    if is_platform_admin(user):
        return Membership.objects.all()
    return Membership.objects.filter(organisation_id__in=administered_organisation_ids(user))


def can_manage_organisations(user) -> bool:
    """Creating and editing organisations themselves is for platform admins."""
    return is_platform_admin(user)


# --- Monitoring ----------------------------------------------------------------------------


def can_view_monitoring(user) -> bool:
    """Ministry statistics (aggregates only): ministry analysts and platform admins."""
    return is_platform_admin(user) or has_role(user, Role.MINISTRY_ANALYST)
