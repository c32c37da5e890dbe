"""Who may write which credential track of a case: every decision in one place.

- Platform admins, the case's county recruiters and API clients of the case's county:
  every track.
- Educators (and API clients of an educational institution): enrollments at their own
  institution and language certificates, on cases linked to their institution.
- Employment officers (and API clients of an employment service): residence permits and
  integration steps, on cases linked to their employment service.
- Authorities' API clients (e.g. the licensing authority): decisions on recognition
  applications addressed to them.
- The system actor: everything (scheduled work, demo data).

Reading follows the case (``recruitment.authz.actor_can_view_case``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from recruitment import authz as core_authz
from recruitment.actors import Actor
from recruitment.errors import NotPermitted
from recruitment.models import Case, CasePartner, Organisation, OrganisationKind, Role

RECOGNITION = "recognition"
TRAINING = "training"
LANGUAGE = "language"
PERMIT = "permit"
INTEGRATION = "integration"
TRACKS = (RECOGNITION, TRAINING, LANGUAGE, PERMIT, INTEGRATION)

# Which partner kinds may write which tracks (the case's own county may write all).
PARTNER_TRACKS: dict[str, set[str]] = {
    OrganisationKind.EDUCATIONAL_INSTITUTION: {TRAINING, LANGUAGE},
    OrganisationKind.EMPLOYMENT_SERVICE: {PERMIT, INTEGRATION},
}
PARTNER_ROLE_KINDS = {
    Role.EDUCATOR: OrganisationKind.EDUCATIONAL_INSTITUTION,
    Role.EMPLOYMENT_OFFICER: OrganisationKind.EMPLOYMENT_SERVICE,
}


def _linked_org_ids(case: Case) -> set[int]:
    return set(CasePartner.objects.filter(case=case).values_list("organisation_id", flat=True))


def partner_organisations(actor: Actor) -> dict[str, set[int]]:
    """Organisation kind → ids the actor acts for as a partner (educator / employment officer)."""
    if actor.kind == "api_client":
        org = actor.organisation
        return {org.kind: {org.pk}} if org is not None else {}
    result: dict[str, set[int]] = {}
    for role, kind in PARTNER_ROLE_KINDS.items():
        ids = core_authz.organisation_ids(actor.user, role)
        if ids:
            result.setdefault(kind, set()).update(ids)
    return result


def _acts_for_county(actor: Actor, case: Case) -> bool:
    if actor.is_system:
        return True
    if actor.kind == "api_client":
        return actor.organisation is not None and actor.organisation.pk == case.county_id
    return core_authz.can_change_case(actor.user, case)


def can_write_track(
    actor: Actor,
    case: Case,
    track: str,
    *,
    organisation: Organisation | None = None,
    linked_org_ids: set[int] | None = None,
) -> bool:
    """May ``actor`` write ``track`` of ``case``?

    ``organisation`` is the partner the record belongs to (the institution of an enrollment,
    the employment service of an integration step, the authority of a recognition
    application); partners may write only records of their own organisation.
    ``linked_org_ids`` are the case's partner organisations when the caller already read them
    (batch writes read them for all cases in one query); otherwise they are read here.
    """
    if track not in TRACKS:
        raise ValueError(f"unknown track {track!r}")
    if _acts_for_county(actor, case):
        return True
    if track == RECOGNITION:
        # An authority (through the API) decides the applications addressed to it.
        return (
            actor.kind == "api_client"
            and actor.organisation is not None
            and actor.organisation.kind == OrganisationKind.AUTHORITY
            and organisation is not None
            and organisation.pk == actor.organisation.pk
        )
    linked = None
    for kind, org_ids in partner_organisations(actor).items():
        if track not in PARTNER_TRACKS.get(kind, set()):
            continue
        if organisation is not None and organisation.pk not in org_ids:
            continue
        if linked is None:
            linked = _linked_org_ids(case) if linked_org_ids is None else linked_org_ids
        if org_ids & linked:
            return True
    return False


def require_track_write(
    actor: Actor,
    case: Case,
    track: str,
    *,
    organisation: Organisation | None = None,
    linked_org_ids: set[int] | None = None,
) -> None:
    """Raise ``NotPermitted`` with a message the user understands when the write is refused."""
    if can_write_track(
        actor, case, track, organisation=organisation, linked_org_ids=linked_org_ids
    ):
        return
    messages = {
        RECOGNITION: _("Only the county's recruiters record recognition on case %(case)s."),
        TRAINING: _(
            "You may only change training of your own institution on cases linked to it "
            "(case %(case)s)."
        ),
        LANGUAGE: _(
            "You may only record language certificates on cases linked to your organisation "
            "(case %(case)s)."
        ),
        PERMIT: _(
            "You may only record residence permits on cases linked to your employment service "
            "(case %(case)s)."
        ),
        INTEGRATION: _(
            "You may only record integration steps of your own employment service on cases "
            "linked to it (case %(case)s)."
        ),
    }
    raise NotPermitted(messages[track] % {"case": case.number})


def can_view_track(actor: Actor, case: Case, track: str) -> bool:
    """Reading: the case must be visible; educators do not see permits (no permit data)."""
    if not core_authz.actor_can_view_case(actor, case):
        return False
    if _acts_for_county(actor, case):
        return True
    kinds = set(partner_organisations(actor))
    return any(track in PARTNER_TRACKS.get(kind, set()) for kind in kinds) or track == RECOGNITION
