"""Reads for the web UI's credential screens: the case page's tracks, the recruiter's
"my work" inbox and the educator's lists. Each list is one query (plus a count) whatever
its length; ``credentials.selectors`` holds the reads shared with the API."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from recruitment import authz as core_authz
from recruitment import selectors as case_selectors
from recruitment.authz import CaseVisibility
from recruitment.models import (
    CLOSED_STATES,
    Case,
    CaseEvent,
    CasePartner,
    Organisation,
    OrganisationKind,
    Role,
)

from . import authz
from .models import (
    IntegrationStep,
    LanguageCertificate,
    Notification,
    PermitState,
    RecognitionApplication,
    RecognitionState,
    ResidencePermit,
    TrainingEnrollment,
)

TRACK_LABELS = {
    authz.RECOGNITION: _("Recognition"),
    authz.TRAINING: _("Training"),
    authz.LANGUAGE: _("Language"),
    authz.PERMIT: _("Residence permit"),
    authz.INTEGRATION: _("Employment services"),
}


def case_history(case: Case, visibility: CaseVisibility) -> list[CaseEvent]:
    """The case's audit trail, newest first, as the viewer may read it (hidden events left
    out, the others trimmed: ``credentials.authz.visible_events``)."""
    return authz.visible_events(visibility, case_selectors.case_timeline(case))


def case_tracks(case: Case, visibility: CaseVisibility, history: list[CaseEvent]) -> list[dict]:
    """Each credential track of the case the viewer may read, with the records and the
    history (from ``case_history``) the viewer sees."""
    by_track: dict[str, list[CaseEvent]] = {}
    for event in history:
        if event.kind == CaseEvent.Kind.TRACK:
            track = (event.changes or {}).get("track", [None, ""])[1]
            by_track.setdefault(track, []).append(event)
    sources = {
        authz.RECOGNITION: RecognitionApplication.objects.filter(case=case).select_related(
            "authority"
        ),
        authz.TRAINING: TrainingEnrollment.objects.filter(case=case).select_related("institution"),
        authz.LANGUAGE: LanguageCertificate.objects.filter(case=case).select_related("issuer"),
        authz.PERMIT: ResidencePermit.objects.filter(case=case),
        authz.INTEGRATION: IntegrationStep.objects.filter(case=case).select_related("organisation"),
    }
    tracks = []
    for track, records in sources.items():
        if not visibility.sees_track(track):
            continue
        tracks.append(
            {
                "key": track,
                "label": TRACK_LABELS[track],
                "records": authz.visible_records(visibility, track, records),
                "history": by_track.get(track, []),
            }
        )
    return tracks


def unread_notifications(user, *, limit: int = 20) -> list[Notification]:
    """The user's unread notifications about case data the user still sees."""
    return list(
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .filter(authz.notification_condition(user))
        .select_related("case")
        .order_by("-created_at", "-id")[:limit]
    )


def notification_for(user, pk: int) -> Notification:
    return get_object_or_404(Notification, pk=pk, recipient=user)


def educator_institution_ids(user) -> set[int]:
    return core_authz.organisation_ids(user, Role.EDUCATOR)


def _as_educator(user, track: str):
    """Records of ``track`` the user sees as an educator (``authz.record_condition``)."""
    return authz.record_condition(
        track,
        partner_ids_by_kind={
            OrganisationKind.EDUCATIONAL_INSTITUTION: educator_institution_ids(user)
        },
    )


def educator_enrollments(
    user, *, q: str = "", state: str = "", programme: str = ""
) -> QuerySet[TrainingEnrollment]:
    """Enrollments at the educator's institutions, with the minimum of personal data."""
    enrollments = (
        TrainingEnrollment.objects.filter(_as_educator(user, authz.TRAINING))
        .select_related("case__candidate", "institution")
        .only(
            "programme",
            "state",
            "progress_percent",
            "starts_on",
            "ends_on",
            "completed_on",
            "version",
            "updated_at",
            "case__number",
            "case__candidate__first_name",
            "case__candidate__last_name",
            "institution__name",
            "institution__name_sv",
            "institution__name_en",
        )
    )
    for term in q.split():
        enrollments = enrollments.filter(
            Q(case__number__icontains=term)
            | Q(case__candidate__first_name__icontains=term)
            | Q(case__candidate__last_name__icontains=term)
        )
    if state:
        enrollments = enrollments.filter(state=state)
    if programme:
        enrollments = enrollments.filter(programme=programme)
    return enrollments.order_by("case__candidate__last_name", "-starts_on", "id")


def enrollment_for_educator(user, pk: int) -> TrainingEnrollment:
    """One enrollment of the educator's own institution; Http404 for anyone else's."""
    return get_object_or_404(
        TrainingEnrollment.objects.select_related("case__candidate", "institution").filter(
            _as_educator(user, authz.TRAINING)
        ),
        pk=pk,
    )


def _linked_to(institution_ids: set[int]):
    return Exists(
        CasePartner.objects.filter(case_id=OuterRef("pk"), organisation_id__in=institution_ids)
    )


def educator_cases(user) -> QuerySet[Case]:
    """Open cases linked to the educator's institutions (to record certificates on)."""
    return (
        Case.objects.filter(_linked_to(educator_institution_ids(user)))
        .exclude(state__in=CLOSED_STATES)
        .select_related("candidate")
        .only("number", "candidate__first_name", "candidate__last_name")
        .order_by("candidate__last_name", "number")
    )


def educator_certificates(user) -> QuerySet[LanguageCertificate]:
    """Language results on cases linked to the educator's institutions."""
    return (
        LanguageCertificate.objects.filter(_as_educator(user, authz.LANGUAGE))
        .select_related("case__candidate", "case__profession", "issuer")
        .order_by("-taken_on", "-id")
    )


def stage_time_limits() -> dict[str, int]:
    """State -> days from the editable StageTimeLimit rows (the recruitment list's 'stalled')."""
    from .models import StageTimeLimit

    return dict(StageTimeLimit.objects.values_list("state", "max_days"))


def authorities() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.AUTHORITY, is_active=True).order_by(
        "name"
    )


def undecided_recognition(case: Case) -> RecognitionApplication | None:
    """The application waiting for a decision (submitted, in review or appealed), if any."""
    return (
        RecognitionApplication.objects.filter(
            case=case,
            state__in=[
                RecognitionState.SUBMITTED,
                RecognitionState.IN_REVIEW,
                RecognitionState.APPEALED,
            ],
        )
        .select_related("authority")
        .order_by("-submitted_on", "-id")
        .first()
    )


def pending_permit(case: Case) -> ResidencePermit | None:
    return ResidencePermit.objects.filter(case=case, state=PermitState.APPLIED).first()
