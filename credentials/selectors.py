"""Reads for the credential tracks: a case's tracks, its next steps, notifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from recruitment.authz import (
    INTEGRATION,
    LANGUAGE,
    PERMIT,
    RECOGNITION,
    TOPIC_CASE,
    TOPIC_COUNTY,
    CaseVisibility,
)
from recruitment.models import (
    CLOSED_STATES,
    RETENTION_MONTHS,
    Case,
    CaseState,
    RecognitionOutcome,
    RetentionCheck,
    ethics_blocker,
    fee_blocker,
    language_blocker,
    permit_blocker,
    readiness_blockers,
    recognition_blocker,
)

from . import authz
from .models import (
    IntegrationStep,
    IntegrationStepStatus,
    LanguageCertificate,
    Notification,
    PermitState,
    Programme,
    RecognitionApplication,
    RecognitionCondition,
    RecognitionState,
    ResidencePermit,
    TrainingEnrollment,
    TrainingState,
)

# Who has to act for a step to be done.
OWNER_RECRUITER = "recruiter"
OWNER_EDUCATION = "educational_institution"
OWNER_EMPLOYMENT = "employment_service"
OWNER_AUTHORITY = "authority"
OWNERS = (OWNER_RECRUITER, OWNER_EDUCATION, OWNER_EMPLOYMENT, OWNER_AUTHORITY)


@dataclass(frozen=True)
class NextStep:
    """One step on a case's critical path: what, who acts, what blocks it, and whether done."""

    key: str
    title: str
    owner: str
    blocked_by: list[str] = field(default_factory=list)
    done: bool = False
    due_on: dt.date | None = None
    # What the step is about, for who may see it (recruitment.authz.CaseVisibility): a
    # track, the case itself or the county's own data; and the partner organisation whose
    # record it is (integration steps).
    topic: str = TOPIC_CASE
    organisation_id: int | None = None

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_by) and not self.done


# --- track records of a case -----------------------------------------------------------------


def recognition_applications(case: Case) -> QuerySet[RecognitionApplication]:
    return RecognitionApplication.objects.filter(case=case).select_related("authority")


def enrollments(case: Case) -> QuerySet[TrainingEnrollment]:
    return TrainingEnrollment.objects.filter(case=case).select_related("institution")


def language_certificates(case: Case) -> QuerySet[LanguageCertificate]:
    return LanguageCertificate.objects.filter(case=case).select_related("issuer")


def residence_permits(case: Case) -> QuerySet[ResidencePermit]:
    return ResidencePermit.objects.filter(case=case)


def integration_steps(case: Case) -> QuerySet[IntegrationStep]:
    return IntegrationStep.objects.filter(case=case).select_related("organisation")


def case_tracks(case: Case) -> dict[str, list]:
    """Every track of a case, for a case page (five queries)."""
    return {
        "recognition": list(recognition_applications(case)),
        "training": list(enrollments(case)),
        "language": list(language_certificates(case)),
        "permits": list(residence_permits(case)),
        "integration": list(integration_steps(case)),
    }


def active_permit(case: Case, on: dt.date | None = None) -> ResidencePermit | None:
    """The case's active permit: an application waiting for a decision, or a granted permit
    that has not expired."""
    on = on or timezone.localdate()
    return (
        ResidencePermit.objects.filter(case=case)
        .filter(Q(state=PermitState.APPLIED) | Q(state=PermitState.GRANTED, valid_until__gte=on))
        .first()
    )


def recognition_measure_blockers(application: RecognitionApplication) -> list[str]:
    """What still stands between a conditional decision and the right to practise."""
    if application.outcome != RecognitionOutcome.CONDITIONAL:
        return []
    reasons = []
    if RecognitionCondition.SUPPLEMENTARY_STUDIES in application.conditions:
        done = TrainingEnrollment.objects.filter(
            case_id=application.case_id,
            programme=Programme.SUPPLEMENTARY_STUDIES,
            state=TrainingState.COMPLETED,
        ).exists()
        if not done:
            reasons.append(_("The ordered supplementary studies are not completed."))
    return reasons


# --- next steps ------------------------------------------------------------------------------


def _recognition_steps(case: Case, tracks: dict) -> list[NextStep]:
    if not case.profession.needs_recognition:
        return []
    apps = tracks["recognition"]
    current = apps[0] if apps else None  # newest first
    granted = case.recognition_outcome == RecognitionOutcome.GRANTED
    steps = [
        NextStep(
            key="recognition_submit",
            title=_("Submit the recognition application to %(authority)s")
            % {
                "authority": (
                    case.profession.recognition_authority or _("the recognition authority")
                )
            },
            owner=OWNER_RECRUITER,
            done=current is not None,
            topic=RECOGNITION,
        )
    ]
    if current is not None and current.outcome == RecognitionOutcome.CONDITIONAL and not granted:
        measures = ", ".join(str(RecognitionCondition(c).label) for c in current.conditions) or _(
            "ordered measures"
        )
        blockers = recognition_measure_blockers(current)
        if RecognitionCondition.SUPPLEMENTARY_STUDIES in current.conditions:
            has_enrollment = any(
                e.programme == Programme.SUPPLEMENTARY_STUDIES for e in tracks["training"]
            )
            if not has_enrollment:
                blockers = [_("Enrol the candidate in supplementary studies."), *blockers]
        steps.append(
            NextStep(
                key="recognition_measures",
                title=_("Complete the ordered measures: %(measures)s") % {"measures": measures},
                owner=OWNER_EDUCATION
                if RecognitionCondition.SUPPLEMENTARY_STUDIES in current.conditions
                else OWNER_AUTHORITY,
                blocked_by=blockers,
                done=False,
                topic=RECOGNITION,
            )
        )
    blocked = []
    if current is None:
        blocked.append(_("No application submitted yet."))
    elif current.state == RecognitionState.APPEALED:
        blocked.append(_("The refusal was appealed; waiting for the appeal decision."))
    elif current.outcome == RecognitionOutcome.REFUSED:
        blocked.append(_("Recognition was refused: appeal or submit a new application."))
    elif current.outcome == RecognitionOutcome.CONDITIONAL:
        blocked.append(_("Granted once the ordered measures are completed."))
    steps.append(
        NextStep(
            key="recognition_decision",
            title=_("Recognition decision that allows the work"),
            owner=OWNER_AUTHORITY,
            blocked_by=blocked,
            done=granted,
            topic=RECOGNITION,
        )
    )
    return steps


def _language_step(case: Case, tracks: dict) -> list[NextStep]:
    level = case.profession.required_language_level
    if not level:
        return []
    done = case.language_requirement_met_on is not None
    blocked = []
    if not done:
        certificates = tracks["language"]
        if certificates:
            blocked = certificates[0].shortfalls(case.profession)
        else:
            blocked = [_("No language certificate recorded yet.")]
    languages = ", ".join(case.profession.accepted_languages or ["fi", "sv"])
    return [
        NextStep(
            key="language",
            title=_("Language proof: %(level)s in every sub-skill (%(languages)s)")
            % {"level": level, "languages": languages},
            owner=OWNER_EDUCATION,
            blocked_by=blocked,
            done=done,
            topic=LANGUAGE,
        )
    ]


def _permit_steps(case: Case, tracks: dict, today: dt.date) -> list[NextStep]:
    if not case.needs_permit:
        return []
    permits = tracks["permits"]
    pending = [p for p in permits if p.state == PermitState.APPLIED]
    valid = case.permit_valid_until is not None and case.permit_valid_until >= today
    apply_blockers = []
    if permits and not pending and not valid and case.permit_valid_until:
        apply_blockers.append(
            _("The previous permit expired on %(date)s: apply for a new one.")
            % {"date": case.permit_valid_until}
        )
    steps = [
        NextStep(
            key="permit_apply",
            title=_("Apply for a residence permit"),
            owner=OWNER_RECRUITER,
            blocked_by=apply_blockers,
            done=bool(pending) or valid,
            topic=PERMIT,
        )
    ]
    decision_blockers = []
    if not valid:
        blocker = permit_blocker(case, on=today)
        if pending:
            decision_blockers.append(
                _("Waiting for the decision on the application of %(date)s.")
                % {"date": pending[0].applied_on}
            )
        elif blocker:
            decision_blockers.append(blocker)
    steps.append(
        NextStep(
            key="permit_decision",
            title=_("Residence permit granted and valid"),
            owner=OWNER_AUTHORITY,
            blocked_by=decision_blockers,
            done=valid,
            due_on=case.permit_valid_until if valid else None,
            topic=PERMIT,
        )
    )
    return steps


def _integration_steps(tracks: dict) -> list[NextStep]:
    return [
        NextStep(
            key=f"integration_{step.pk}",
            title=str(step.get_kind_display()),
            owner=OWNER_EMPLOYMENT,
            done=step.status == IntegrationStepStatus.DONE,
            due_on=step.due_on,
            topic=INTEGRATION,
            organisation_id=step.organisation_id,
        )
        for step in tracks["integration"]
    ]


def _readiness_blockers(case: Case, visibility: CaseVisibility | None) -> list[str]:
    """``readiness_blockers`` limited to the tracks the viewer sees (each names its data)."""
    if visibility is None:
        return readiness_blockers(case)
    by_track = (
        (RECOGNITION, recognition_blocker),
        (LANGUAGE, language_blocker),
        (PERMIT, permit_blocker),
    )
    return [
        reason
        for track, blocker in by_track
        if visibility.sees_track(track) and (reason := blocker(case))
    ]


def _shown(step: NextStep, visibility: CaseVisibility | None) -> bool:
    if visibility is None:
        return True
    if step.organisation_id is not None:
        return visibility.sees_record(step.topic, step.organisation_id)
    return visibility.sees_topic(step.topic)


def next_steps(
    case: Case, *, today: dt.date | None = None, visibility: CaseVisibility | None = None
) -> list[NextStep]:
    """The steps on the case's critical path to placement and retention, in order, each with
    its owner (recruiter, educational institution, employment service, authority), what
    blocks it and whether it is done.

    The list includes done steps (a checklist); the remaining ones are those with
    ``done=False`` (see ``remaining_steps``). A closed case that did not complete has none.
    ``visibility`` (``recruitment.authz.case_visibility``) keeps only the steps, and the
    reasons, about data the viewer may see; None: every step (the county's view).
    """
    today = today or timezone.localdate()
    if case.state in CLOSED_STATES and case.state != CaseState.COMPLETED:
        return []
    tracks = case_tracks(case)
    steps: list[NextStep] = []
    before_offer = case.state in (CaseState.SOURCED, CaseState.SCREENING) or (
        case.state == CaseState.ON_HOLD
        and case.held_from in (CaseState.SOURCED, CaseState.SCREENING)
    )
    county_data = visibility is None or visibility.sees_county_data
    steps.append(
        NextStep(
            key="accept_offer",
            title=_("Offer accepted (ethical recruitment and no-fee statement)"),
            owner=OWNER_RECRUITER,
            # The ethics record and the no-fee statement are the county's.
            blocked_by=[b for b in (ethics_blocker(case), fee_blocker(case)) if b]
            if before_offer and county_data
            else [],
            done=not before_offer,
        )
    )
    steps += _recognition_steps(case, tracks)
    steps += _language_step(case, tracks)
    steps += _permit_steps(case, tracks, today)
    steps += _integration_steps(tracks)

    placed_states = (CaseState.PLACED, CaseState.COMPLETED)
    ready_done = case.state in (CaseState.READY_FOR_PLACEMENT, *placed_states)
    steps.append(
        NextStep(
            key="ready_for_placement",
            title=_("Ready for placement (moves by itself when the requirements are met)"),
            owner=OWNER_RECRUITER,
            blocked_by=[] if ready_done else _readiness_blockers(case, visibility),
            done=ready_done,
        )
    )
    place_blockers = []
    if case.state == CaseState.READY_FOR_PLACEMENT:
        place_blockers = readiness_blockers(case)
        if not hasattr(case, "placement"):
            place_blockers.append(_("Record the placement (county unit and start date)."))
    elif not ready_done:
        place_blockers = [_("The case is not ready for placement yet.")]
    steps.append(
        NextStep(
            key="placement",
            title=_("Place the candidate (county unit and start date)"),
            owner=OWNER_RECRUITER,
            blocked_by=place_blockers,
            done=case.state in placed_states,
            topic=TOPIC_COUNTY,
        )
    )
    checks = (
        {
            check.months: check
            for check in RetentionCheck.objects.filter(placement__case=case).order_by("months")
        }
        if county_data
        else {}
    )
    for months in RETENTION_MONTHS:
        check = checks.get(months)
        passed = check is not None and check.outcome == RetentionCheck.Outcome.PASSED
        blocked = []
        if check is None:
            blocked = [_("Due %(months)s months after the placement starts.") % {"months": months}]
        elif not passed and check.due_on > today:
            blocked = [_("Due on %(date)s.") % {"date": check.due_on}]
        steps.append(
            NextStep(
                key=f"retention_{months}",
                title=_("Retention check at %(months)s months") % {"months": months},
                owner=OWNER_RECRUITER,
                blocked_by=blocked,
                done=passed,
                due_on=check.due_on if check else None,
                topic=TOPIC_COUNTY,
            )
        )
    return [step for step in steps if _shown(step, visibility)]


def remaining_steps(
    case: Case, *, today: dt.date | None = None, visibility: CaseVisibility | None = None
) -> list[NextStep]:
    return [
        step for step in next_steps(case, today=today, visibility=visibility) if not step.done
    ]


# --- notifications ---------------------------------------------------------------------------


def notifications_for(user) -> QuerySet[Notification]:
    """The user's notifications about case data the user still sees (roles change)."""
    return (
        Notification.objects.filter(recipient=user)
        .filter(authz.notification_condition(user))
        .select_related("case")
    )


def unread_notification_count(user) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()
