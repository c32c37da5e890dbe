"""Who may write and read which credential track of a case: every decision in one place.

- Platform admins, the case's county recruiters and API clients of the case's county:
  every track.
- Educators (and API clients of an educational institution): enrollments at their own
  institution and language certificates, on cases linked to their institution.
- Employment officers (and API clients of an employment service): residence permits and
  integration steps, on cases linked to their employment service.
- Authorities' API clients (e.g. the licensing authority): decisions on recognition
  applications addressed to them.
- The system actor: everything (scheduled work, demo data).

Reading follows ``recruitment.authz.case_visibility`` (which tracks, which milestone fields,
which events): this module adds what only the tracks know, the partner organisation each
record belongs to (``record_organisations``), and applies the rule to records, track
history and notifications.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from recruitment import authz as core_authz
from recruitment.actors import Actor
from recruitment.authz import (
    INTEGRATION,
    LANGUAGE,
    PARTNER_ROLE_KINDS,
    PARTNER_TRACKS,
    PERMIT,
    RECOGNITION,
    TOPIC_CASE,
    TOPIC_COUNTY,
    TRACKS,
    TRAINING,
    CaseVisibility,
    partner_organisations,
)
from recruitment.errors import NotPermitted
from recruitment.models import Case, CaseEvent, CasePartner, Organisation, OrganisationKind, Role

from .models import (
    IntegrationStep,
    LanguageCertificate,
    NotificationKind,
    RecognitionApplication,
    ResidencePermit,
    TrainingEnrollment,
)

__all__ = [
    "INTEGRATION",
    "LANGUAGE",
    "PARTNER_ROLE_KINDS",
    "PARTNER_TRACKS",
    "PERMIT",
    "RECOGNITION",
    "TRACKS",
    "TRAINING",
    "partner_organisations",
]


def _linked_org_ids(case: Case) -> set[int]:
    return set(CasePartner.objects.filter(case=case).values_list("organisation_id", flat=True))


def _acts_for_county(actor: Actor, case: Case) -> bool:
    return core_authz.acts_for_county(actor, case.county_id)


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
    """Reading a track of a case: ``recruitment.authz.case_visibility`` decides."""
    return core_authz.case_visibility(actor, case).sees_track(track)


# --- Reading: records, track history, notifications ------------------------------------------

# The model of each track, and the field naming the partner organisation a record belongs to
# (tracks in ``recruitment.authz.OWNED_TRACKS``).
TRACK_MODELS = {
    RECOGNITION: RecognitionApplication,
    TRAINING: TrainingEnrollment,
    LANGUAGE: LanguageCertificate,
    PERMIT: ResidencePermit,
    INTEGRATION: IntegrationStep,
}
RECORD_OWNER_FIELDS = {TRAINING: "institution_id", INTEGRATION: "organisation_id"}


def record_organisation(track: str, record) -> int | None:
    """The partner organisation a track record belongs to (None: the case's record)."""
    field = RECORD_OWNER_FIELDS.get(track)
    return getattr(record, field) if field else None


def visible_records(visibility: CaseVisibility, track: str, records: Iterable) -> list:
    """The records of one track of one case that the viewer sees."""
    return [r for r in records if visibility.sees_record(track, record_organisation(track, r))]


def record_organisations(events: Iterable[CaseEvent]) -> dict[tuple[str, int], int]:
    """(track, record id) → the partner organisation of the record each track event is
    about, for the tracks whose records belong to a partner (one query per such track)."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.kind != CaseEvent.Kind.TRACK or not isinstance(event.changes, dict):
            continue
        track = (event.changes.get("track") or [None, ""])[-1]
        record_id = (event.changes.get("record_id") or [None, None])[-1]
        if track in RECORD_OWNER_FIELDS and isinstance(record_id, int):
            wanted.setdefault(track, set()).add(record_id)
    result: dict[tuple[str, int], int] = {}
    for track, ids in wanted.items():
        field = RECORD_OWNER_FIELDS[track]
        for pk, org_id in TRACK_MODELS[track].objects.filter(pk__in=ids).values_list("pk", field):
            result[(track, pk)] = org_id
    return result


def event_record_organisation(
    event: CaseEvent, organisations: dict[tuple[str, int], int]
) -> int | None:
    changes = event.changes if isinstance(event.changes, dict) else {}
    track = (changes.get("track") or [None, ""])[-1]
    record_id = (changes.get("record_id") or [None, None])[-1]
    return organisations.get((track, record_id))


def visible_events(
    visibility: CaseVisibility,
    events: Iterable[CaseEvent],
    *,
    organisations: dict[tuple[str, int], int] | None = None,
) -> list[CaseEvent]:
    """The events of one case as the viewer may read them (hidden ones left out, the others
    trimmed to what the viewer may see: ``CaseVisibility.redact_event``)."""
    events = list(events)
    if not visibility.visible:
        return []
    if organisations is None:
        organisations = {} if visibility.whole else record_organisations(events)
    shown = []
    for event in events:
        redacted = visibility.redact_event(
            event, record_organisation_id=event_record_organisation(event, organisations)
        )
        if redacted is not None:
            shown.append(redacted)
    return shown


def sees_event(
    visibility: CaseVisibility, event: CaseEvent, organisations: dict[tuple[str, int], int]
) -> bool:
    """Does the viewer see ``event`` at all (a webhook is delivered, a row is listed)?"""
    organisation = event_record_organisation(event, organisations)
    return visibility.redact_event(event, record_organisation_id=organisation) is not None


# What each notification is about: who may receive and read it.
NOTIFICATION_TOPICS = {
    NotificationKind.PERMIT_EXPIRING_90: PERMIT,
    NotificationKind.PERMIT_EXPIRING_30: PERMIT,
    NotificationKind.PERMIT_EXPIRED: PERMIT,
    NotificationKind.RETENTION_DUE: TOPIC_COUNTY,
    NotificationKind.STALLED: TOPIC_CASE,
}


def notification_topic(kind: str) -> str:
    return NOTIFICATION_TOPICS.get(kind, TOPIC_COUNTY)


def notification_condition(user) -> Q:
    """The notifications (of ``user``) whose case data the user sees today: the queryset
    form of ``CaseVisibility.sees_topic`` (roles change after a notification was made)."""
    condition = Q(case__isnull=True)
    for kind in NotificationKind.values:
        topic = notification_topic(kind)
        if topic == TOPIC_CASE:
            cases = core_authz.visible_cases(user)
        elif topic == TOPIC_COUNTY:
            cases = core_authz.county_view_cases(user)
        else:
            cases = core_authz.cases_showing_track(user, topic)
        condition |= Q(kind=kind, case__in=cases.values("pk"))
    return condition


def sees_notification(user, kind: str, case: Case) -> bool:
    """May ``user`` receive a notification of ``kind`` about ``case``?"""
    visibility = core_authz.case_visibility(Actor.for_user(user), case)
    return visibility.sees_topic(notification_topic(kind))


# --- Reading records in lists (the queryset form of ``CaseVisibility.sees_record``) ----------


def record_condition(
    track: str,
    *,
    everything: bool = False,
    county_ids: Iterable[int] = (),
    partner_ids_by_kind: dict[str, set[int]] | None = None,
) -> Q:
    """Records of ``track`` (on the track's model) that a viewer sees: every record of its
    counties' cases, and as a partner those of linked cases its kind handles, only its own
    organisation's where records belong to one."""
    if everything:
        return Q()
    condition = Q(case__county_id__in=list(county_ids))
    for kind, org_ids in (partner_ids_by_kind or {}).items():
        if not org_ids or track not in PARTNER_TRACKS.get(kind, frozenset()):
            continue
        field = RECORD_OWNER_FIELDS.get(track)
        if field:
            condition |= Q(**{f"{field}__in": list(org_ids)}) & Q(
                Exists(
                    CasePartner.objects.filter(
                        case_id=OuterRef("case_id"), organisation_id__in=list(org_ids)
                    )
                )
            )
        else:
            condition |= Q(
                Exists(
                    CasePartner.objects.filter(
                        case_id=OuterRef("case_id"), organisation_id__in=list(org_ids)
                    )
                )
            )
    return condition


def user_record_condition(user, track: str) -> Q:
    """``record_condition`` for a signed-in user (their roles)."""
    return record_condition(
        track,
        everything=core_authz.is_platform_admin(user),
        county_ids=core_authz.organisation_ids(user, Role.RECRUITER),
        partner_ids_by_kind=partner_organisations(Actor.for_user(user)),
    )
