"""Authorisation in one place: who may see and do what on which organisation's objects.

- Platform admins (Django superusers): everything.
- Recruiters: their own county's cases and those cases' candidates.
- Educators and employment officers: cases their organisation is a partner on (minimal view).
- Organisation admins: their own organisation's memberships (and API clients).
- Ministry analysts: no personal data at all; aggregates only (monitoring).

What a viewer sees *of* a case it may open is one rule too: ``case_visibility`` (below).

Everything else in Polku (admin, UI, API) asks this module instead of deciding on its own.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from .actors import Actor
from .models import (
    Candidate,
    Case,
    CaseEvent,
    CasePartner,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)
from .reasons import HIDDEN_CHANGES

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


def acts_for_county(actor: Actor, county_id: int) -> bool:
    """The system, platform admins, and the county's own recruiters and API clients."""
    if actor.is_system:
        return True
    if actor.kind == "api_client":
        return actor.organisation is not None and actor.organisation.pk == county_id
    user = actor.user
    return is_platform_admin(user) or county_id in organisation_ids(user, Role.RECRUITER)


def actor_can_change_case(actor: Actor, case: Case) -> bool:
    return acts_for_county(actor, case.county_id)


def actor_can_view_case(actor: Actor, case: Case) -> bool:
    if actor.is_system:
        return True
    if actor.kind == "api_client":
        return (
            actor.organisation is not None
            and cases_for_organisation(actor.organisation).filter(pk=case.pk).exists()
        )
    return can_view_case(actor.user, case)


# --- What of a case a viewer sees --------------------------------------------------------
#
# One rule for every kind of case data, asked by every page, API response, webhook,
# notification and export that shows it (the table in docs/api.md, "Who sees what"):
#
# - The case's county (its recruiters and API clients), platform admins and the system see
#   the whole case.
# - A partner organisation linked to the case (CasePartner: an educational institution, an
#   employment service) sees the case's state and its transitions (without reasons), and
#   only the tracks its kind handles (PARTNER_TRACKS): their records, their history and
#   their milestone fields. In a track whose records belong to one partner (OWNED_TRACKS:
#   the institution of an enrollment, the employment service of an integration step) it
#   sees only its own organisation's records. Language certificates and residence permits
#   are the case's: every linked partner that handles the track sees them all, as it may
#   record them all (read follows write, see credentials.authz.can_write_track).
# - Never for partners: contact details, the ethics record, the recruiter, placement and
#   retention, reasons people typed for transitions, other partners' links to the case.
#
# API clients are narrowed further by their token's scopes (integration.principals).

RECOGNITION = "recognition"
TRAINING = "training"
LANGUAGE = "language"
PERMIT = "permit"
INTEGRATION = "integration"
TRACKS = (RECOGNITION, TRAINING, LANGUAGE, PERMIT, INTEGRATION)

# The tracks a partner of each organisation kind handles (reads, and writes on linked cases).
PARTNER_TRACKS: dict[str, frozenset[str]] = {
    OrganisationKind.EDUCATIONAL_INSTITUTION: frozenset({TRAINING, LANGUAGE}),
    OrganisationKind.EMPLOYMENT_SERVICE: frozenset({PERMIT, INTEGRATION}),
}
PARTNER_ROLE_KINDS = {
    Role.EDUCATOR: OrganisationKind.EDUCATIONAL_INSTITUTION,
    Role.EMPLOYMENT_OFFICER: OrganisationKind.EMPLOYMENT_SERVICE,
}
# Tracks whose records belong to one partner organisation: a partner sees only its own.
OWNED_TRACKS = frozenset({TRAINING, INTEGRATION})

# The case's milestone fields, by the track that maintains them: the one list of them (the
# services accept these as milestones, the visibility rule shows each by its track).
MILESTONE_TRACKS: dict[str, str] = {
    "recognition_submitted_on": RECOGNITION,
    "recognition_decided_on": RECOGNITION,
    "recognition_outcome": RECOGNITION,
    "training_in_progress": TRAINING,
    "language_requirement_met_on": LANGUAGE,
    "permit_applied_on": PERMIT,
    "permit_granted_on": PERMIT,
    "permit_valid_until": PERMIT,
}
MILESTONE_FIELDS = tuple(MILESTONE_TRACKS)

# Topics of case data that are not tracks: who sees them.
TOPIC_CASE = "case"  # the case itself: number, state, transitions (everyone who opens it)
TOPIC_COUNTY = "county"  # contact details, ethics, recruiter, placement, retention, reasons


def partner_organisations(actor: Actor) -> dict[str, set[int]]:
    """Organisation kind → ids the actor acts for as a partner (educator / employment officer
    / a partner organisation's API client)."""
    if actor.is_system:
        return {}
    if actor.kind == "api_client":
        org = actor.organisation
        return {org.kind: {org.pk}} if org is not None else {}
    result: dict[str, set[int]] = {}
    for role, kind in PARTNER_ROLE_KINDS.items():
        ids = organisation_ids(actor.user, role)
        if ids:
            result.setdefault(kind, set()).update(ids)
    return result


@dataclass(frozen=True)
class CaseVisibility:
    """What one viewer sees of one case. Built by ``case_visibility``; never built by hand."""

    visible: bool = False
    whole: bool = False  # the county's view: everything of the tracks below
    tracks: frozenset[str] = frozenset()
    partner_ids: frozenset[int] = frozenset()  # the viewer's organisations linked to the case
    partner_codes: frozenset[str] = frozenset()

    # --- case data that is not a track ----------------------------------------------------

    @property
    def sees_contact_details(self) -> bool:
        return self.whole

    @property
    def sees_county_data(self) -> bool:
        """Ethics record, recruiter, placement, retention checks, reasons of transitions."""
        return self.whole

    def sees_topic(self, topic: str) -> bool:
        if topic == TOPIC_CASE:
            return self.visible
        if topic == TOPIC_COUNTY:
            return self.whole
        return self.sees_track(topic)

    # --- tracks and milestones -------------------------------------------------------------

    def sees_track(self, track: str) -> bool:
        return self.visible and track in self.tracks

    def sees_all_records(self, track: str) -> bool:
        """Every record of the track, not only the viewer's own organisation's."""
        return self.sees_track(track) and (self.whole or track not in OWNED_TRACKS)

    def sees_record(self, track: str, organisation_id: int | None) -> bool:
        """A record of ``track`` that belongs to ``organisation_id`` (None: the case's)."""
        if self.sees_all_records(track):
            return True
        return self.sees_track(track) and organisation_id in self.partner_ids

    def sees_milestone(self, name: str) -> bool:
        track = MILESTONE_TRACKS.get(name)
        return track is not None and self.sees_track(track)

    # --- the audit trail -------------------------------------------------------------------

    def redact_event(
        self, event: CaseEvent, *, record_organisation_id: int | None = None
    ) -> CaseEvent | None:
        """``event`` as this viewer may read it: None when hidden, else the event itself or an
        unsaved copy holding only the visible changes (and the reason only when visible).

        ``record_organisation_id``: for a track event, the partner organisation its record
        belongs to (credentials.authz looks it up); None when the record is the case's.
        """
        if not self.visible:
            return None
        changes = event.changes if isinstance(event.changes, dict) else {}
        kind = event.kind
        if kind == CaseEvent.Kind.OPENED:
            shown, show_reason = changes, True
        elif kind == CaseEvent.Kind.TRANSITION:
            # The states are the case's; why it moved (typed, or a system text naming
            # recognition, language and permit) is the county's.
            shown, show_reason = changes, self.sees_county_data
        elif kind == CaseEvent.Kind.TRACK:
            track = (changes.get("track") or [None, ""])[-1]
            if not self.sees_record(track, record_organisation_id):
                return None
            shown, show_reason = changes, True
        elif kind == CaseEvent.Kind.MILESTONE:
            fields = [name for name in changes if name not in HIDDEN_CHANGES]
            seen = [name for name in fields if self.sees_milestone(name)]
            if not seen:
                return None
            # The reason is the cause's (a track record's): shown only when the viewer sees
            # every field and every record of the tracks concerned.
            show_reason = len(seen) == len(fields) and all(
                self.sees_all_records(MILESTONE_TRACKS[name]) for name in seen
            )
            shown = {name: changes[name] for name in seen}
            if show_reason:
                shown.update({k: v for k, v in changes.items() if k in HIDDEN_CHANGES})
        elif kind == CaseEvent.Kind.CHANGE and "partner_added" in changes:
            code = (changes.get("partner_added") or [None, ""])[-1]
            if not (self.whole or code in self.partner_codes):
                return None
            shown, show_reason = changes, True
        else:  # details (ethics record, recruiter), placement, retention, anything new
            if not self.sees_county_data:
                return None
            shown, show_reason = changes, True
        if not show_reason:
            shown = {k: v for k, v in shown.items() if k not in HIDDEN_CHANGES}
        if shown is changes and (show_reason or not event.reason):
            return event
        redacted = copy.copy(event)  # unsaved view: CaseEvent refuses to be saved again
        redacted.changes = dict(shown)
        redacted.reason = event.reason if show_reason else ""
        return redacted


NOTHING = CaseVisibility()


def case_partners(case_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """Case id → its partner organisations as (id, code), in one query."""
    result: dict[int, list[tuple[int, str]]] = {}
    for case_id, org_id, code in CasePartner.objects.filter(case_id__in=list(case_ids)).values_list(
        "case_id", "organisation_id", "organisation__code"
    ):
        result.setdefault(case_id, []).append((org_id, code))
    return result


def _visibility(
    actor: Actor,
    county_id: int,
    partners: list[tuple[int, str]] | None,
    case_id: int | None,
    within: frozenset[str],
) -> CaseVisibility:
    if acts_for_county(actor, county_id):
        return CaseVisibility(visible=True, whole=True, tracks=within)
    own = partner_organisations(actor)
    if not own:
        return NOTHING
    if partners is None:
        partners = case_partners([case_id]).get(case_id, [])
    linked = dict(partners)
    ids: set[int] = set()
    tracks: set[str] = set()
    for kind, org_ids in own.items():
        mine = org_ids & linked.keys()
        if mine:
            ids |= mine
            tracks |= PARTNER_TRACKS.get(kind, frozenset())
    if not ids:
        return NOTHING
    return CaseVisibility(
        visible=True,
        tracks=frozenset(tracks) & within,
        partner_ids=frozenset(ids),
        partner_codes=frozenset(linked[i] for i in ids),
    )


def case_visibility(actor: Actor, case: Case, *, within: Iterable[str] = TRACKS) -> CaseVisibility:
    """What ``actor`` sees of ``case`` (nothing when it may not open it).

    ``within`` narrows the tracks further (an API client's token scopes).
    """
    return _visibility(actor, case.county_id, None, case.pk, frozenset(within))


def case_visibilities(
    actor: Actor,
    cases: Iterable[tuple[int, int]],
    *,
    within: Iterable[str] = TRACKS,
    partners: dict[int, list[tuple[int, str]]] | None = None,
) -> dict[int, CaseVisibility]:
    """``case_visibility`` for many cases given as (case id, county id): one query at most
    (none when the caller passes the cases' ``partners`` from ``case_partners``)."""
    cases = list(cases)
    within = frozenset(within)
    if partners is None:
        others = [case_id for case_id, county_id in cases if not acts_for_county(actor, county_id)]
        partners = case_partners(others) if others and partner_organisations(actor) else {}
    return {
        case_id: _visibility(actor, county_id, partners.get(case_id, []), case_id, within)
        for case_id, county_id in cases
    }


def county_view_cases(user) -> QuerySet[Case]:
    """Cases whose whole record (contact details, ethics, placement, retention) the user
    sees: the queryset form of ``CaseVisibility.whole`` for lists."""
    if is_platform_admin(user):
        return Case.objects.all()
    return Case.objects.filter(county_id__in=organisation_ids(user, Role.RECRUITER))


def cases_showing_track(user, track: str) -> QuerySet[Case]:
    """Cases whose ``track`` the user sees: the queryset form of
    ``CaseVisibility.sees_track`` for lists (permits expiring, notifications)."""
    if is_platform_admin(user):
        return Case.objects.all()
    condition = Q(county_id__in=organisation_ids(user, Role.RECRUITER))
    partner_ids = {
        org_id
        for role, kind in PARTNER_ROLE_KINDS.items()
        if track in PARTNER_TRACKS[kind]
        for org_id in organisation_ids(user, role)
    }
    if partner_ids:
        condition |= Q(
            Exists(
                CasePartner.objects.filter(case_id=OuterRef("pk"), organisation_id__in=partner_ids)
            )
        )
    return Case.objects.filter(condition)


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
