"""Training: enrollments at educational institutions (language, supplementary studies,
orientation), their progress, completion and interruption, one by one or in bulk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import FSMField, can_proceed

from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.errors import NotPermitted, StaleVersion, TransitionNotAllowed
from recruitment.models import Case, CasePartner, Organisation

from .. import authz
from ..models import Programme, TrainingEnrollment, TrainingState
from ._write import (
    _audit,
    _case_for_write,
    _check_version,
    _create_with_partner,
    _diff,
    _parse_choice,
    _record_for_write,
    _require_not_closed,
    _save,
    _snapshot,
)


def training_milestones(case: Case) -> dict[str, Any]:
    return {
        "training_in_progress": TrainingEnrollment.objects.filter(
            case=case, state__in=[TrainingState.ENROLLED, TrainingState.IN_PROGRESS]
        ).exists()
    }


@transaction.atomic
def enroll(
    *,
    case: Case | int,
    institution: Organisation,
    programme: str,
    actor: Actor,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    """Enroll the candidate at an institution; the institution becomes a partner on the case."""
    case = _case_for_write(case, actor=actor, track=authz.TRAINING, organisation=institution)
    programme = _parse_choice(programme, Programme, "programme", _("programme"))
    if TrainingEnrollment.objects.filter(
        case=case,
        institution=institution,
        programme=programme,
        state__in=[TrainingState.ENROLLED, TrainingState.IN_PROGRESS],
    ).exists():
        raise ValidationError(
            _("The candidate is already enrolled in this programme at %(institution)s.")
            % {"institution": institution}
        )
    enrollment = TrainingEnrollment(
        case=case,
        institution=institution,
        programme=programme,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    _create_with_partner(
        enrollment,
        organisation=institution,
        role=CasePartner.PartnerRole.EDUCATION,
        actor=actor,
        track=authz.TRAINING,
        action="enrolled",
        changes={
            "institution": [None, institution.code],
            "programme": [None, programme],
            "starts_on": [None, starts_on],
            "ends_on": [None, ends_on],
        },
        occurred_at=occurred_at,
        milestones_of=training_milestones,
    )
    return enrollment


def _not_active(enrollment: TrainingEnrollment, verb: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        _("The enrollment is %(state)s: it cannot be %(verb)s.")
        % {"state": enrollment.get_state_display().lower(), "verb": verb},
        transition=verb,
    )


def _progress_changes(
    enrollment: TrainingEnrollment, progress_percent: Any, ends_on: dt.date | None
) -> dict[str, list]:
    """Apply a progress report and/or a new planned end to an active enrollment (progress on
    an enrolled one starts it); what changed, as ``{field: [before, after]}``."""
    if not enrollment.is_active:
        raise _not_active(enrollment, "updated")
    if progress_percent is not None:
        try:
            progress_percent = int(progress_percent)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                {"progress_percent": _("Progress is a whole number from 0 to 100.")}
            ) from exc
        if not 0 <= progress_percent <= 100:
            raise ValidationError(
                {"progress_percent": _("Progress is a whole number from 0 to 100.")}
            )
    before = _snapshot(enrollment, ("state", "progress_percent", "ends_on"))
    if progress_percent is not None:
        if progress_percent > 0 and enrollment.state == TrainingState.ENROLLED:
            enrollment.start()
        enrollment.progress_percent = progress_percent
    if ends_on is not None:
        enrollment.ends_on = ends_on
    return _diff(before, enrollment)


@transaction.atomic
def update_enrollment(
    *,
    enrollment: TrainingEnrollment,
    actor: Actor,
    expected_version: int | None,
    progress_percent: int | None = None,
    ends_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    """Report progress or a new planned end. Progress on an enrolled (not yet started)
    enrollment starts it."""
    case, enrollment = _record_for_write(enrollment, actor=actor, expected_version=expected_version)
    changes = _progress_changes(enrollment, progress_percent, ends_on)
    if not changes:
        return enrollment
    _save(enrollment)
    _audit(
        case=case,
        actor=actor,
        track=authz.TRAINING,
        action="updated",
        record=enrollment,
        changes=changes,
        occurred_at=occurred_at,
        milestones=training_milestones(case),
    )
    return enrollment


@dataclass(frozen=True)
class EnrollmentUpdate:
    """One item of ``update_enrollments_bulk``: what ``update_enrollment`` takes."""

    enrollment_id: int
    expected_version: int | None
    progress_percent: int | None = None
    ends_on: dt.date | None = None


_ENROLLMENT_UPDATE_FIELDS = ("state", "progress_percent", "ends_on", "version", "updated_at")


@transaction.atomic
def update_enrollments_bulk(
    *, actor: Actor, items: list[EnrollmentUpdate], occurred_at: dt.datetime | None = None
) -> list[TrainingEnrollment | Exception]:
    """``update_enrollment`` for many enrollments at once, with the same rules per item.

    Returns one result per item, in order: the updated enrollment, or the error that item
    alone would have raised (``NotPermitted``, ``StaleVersion``, ``TransitionNotAllowed``,
    ``ValidationError``). A failing item writes nothing and does not stop the others. Items
    are applied in order, so the same enrollment may appear twice (the second item names the
    version the first one produced).

    The work takes a constant number of queries: the cases and then the enrollments are
    locked in one query each (by id, the order the one-by-one services lock in), the partner
    links read once for authorisation, the enrollments written with one ``bulk_update`` and
    the audit trail through ``recruitment.services.record_track_events_bulk``.
    """
    cases, enrollments = _lock_for_bulk({item.enrollment_id for item in items})
    batch = _EnrollmentBatch(actor, cases)
    results: list[TrainingEnrollment | Exception] = []
    for item in items:
        enrollment = enrollments.get(item.enrollment_id)
        if enrollment is None or enrollment.case_id not in cases:
            results.append(
                ValidationError(
                    _("No enrollment with id %(id)s.") % {"id": item.enrollment_id}, code="missing"
                )
            )
            continue
        results.append(batch.apply(enrollment, item))
    batch.write(occurred_at)
    return results


def _lock_for_bulk(ids: set[int]) -> tuple[dict[int, Case], dict[int, TrainingEnrollment]]:
    """The enrollments' cases and then the enrollments, by id, each locked in one query."""
    ids = sorted(ids)
    case_ids = sorted(
        set(TrainingEnrollment.objects.filter(pk__in=ids).values_list("case_id", flat=True))
    )
    cases = {
        case.pk: case
        for case in Case.objects.select_for_update(of=("self",))
        .select_related("candidate__nationality", "profession")
        .filter(pk__in=case_ids)
        .order_by("pk")
    }
    enrollments = {
        e.pk: e
        for e in TrainingEnrollment.objects.select_for_update(of=("self",))
        .select_related("institution")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    return cases, enrollments


class _EnrollmentBatch:
    """The items of one ``update_enrollments_bulk`` call: each checked and applied in memory
    on its own, the changes written together at the end (``write``)."""

    def __init__(self, actor: Actor, cases: dict[int, Case]):
        self.actor = actor
        self.cases = cases
        self.linked: dict[int, set[int]] = {pk: set() for pk in cases}
        for case_id, org_id in CasePartner.objects.filter(case_id__in=list(cases)).values_list(
            "case_id", "organisation_id"
        ):
            self.linked[case_id].add(org_id)
        # (case, institution) → the refusal, or None: asked once per pair.
        self.refusals: dict[tuple[int, int], NotPermitted | None] = {}
        self.state_fields = [
            f.name for f in TrainingEnrollment._meta.concrete_fields if isinstance(f, FSMField)
        ]
        self.changed: dict[int, TrainingEnrollment] = {}
        self.track_changes: list[case_services.TrackChange] = []
        self.now = timezone.now()

    def apply(
        self, enrollment: TrainingEnrollment, item: EnrollmentUpdate
    ) -> TrainingEnrollment | Exception:
        """The item's checks and change, in memory: the enrollment as the item left it, or
        the error the item alone would have raised (nothing of it is kept)."""
        case = self.cases[enrollment.case_id]
        saved = {name: enrollment.__dict__[name] for name in _ENROLLMENT_UPDATE_FIELDS}
        try:
            self._require_write(case, enrollment)
            _require_not_closed(case)
            _check_version(enrollment, item.expected_version, self.actor, "enrollment")
            changes = _progress_changes(enrollment, item.progress_percent, item.ends_on)
            if changes:
                # The case and institution are locked rows that an update does not change:
                # only the record's own fields and rules need validating.
                enrollment.full_clean(exclude=[*self.state_fields, "case", "institution"])
        except (NotPermitted, StaleVersion, TransitionNotAllowed, ValidationError) as exc:
            enrollment.__dict__.update(saved)  # nothing of a failed item is kept
            return exc
        if changes:
            self._record(case, enrollment, changes)
        return _copy_enrollment(enrollment)

    def _require_write(self, case: Case, enrollment: TrainingEnrollment) -> None:
        key = (case.pk, enrollment.institution_id)
        if key not in self.refusals:
            try:
                authz.require_track_write(
                    self.actor,
                    case,
                    authz.TRAINING,
                    organisation=enrollment.institution,
                    linked_org_ids=self.linked[case.pk],
                )
                self.refusals[key] = None
            except NotPermitted as exc:
                self.refusals[key] = exc
        if self.refusals[key] is not None:
            raise self.refusals[key]

    def _record(self, case: Case, enrollment: TrainingEnrollment, changes: dict) -> None:
        enrollment.version += 1
        enrollment.updated_at = self.now
        self.changed[enrollment.pk] = enrollment
        self.track_changes.append(
            case_services.TrackChange(
                case_id=case.pk,
                track=authz.TRAINING,
                changes={
                    "action": [None, "updated"],
                    "record_id": [None, enrollment.pk],
                    **changes,
                },
                # An updated enrollment is still enrolled or in progress, so the case's
                # training is in progress (what training_milestones would read back).
                milestones={"training_in_progress": True},
            )
        )

    def write(self, occurred_at: dt.datetime | None) -> None:
        """Store the changed enrollments and their audit trail (two bulk writes)."""
        if not self.changed:
            return
        case_services.bulk_save_fields(
            TrainingEnrollment, list(self.changed.values()), _ENROLLMENT_UPDATE_FIELDS
        )
        case_services.record_track_events_bulk(
            actor=self.actor, changes=self.track_changes, occurred_at=occurred_at
        )


def _copy_enrollment(enrollment: TrainingEnrollment) -> TrainingEnrollment:
    """A snapshot of the enrollment as this item left it (a later item may change it again)."""
    copy = TrainingEnrollment.__new__(TrainingEnrollment)
    copy.__dict__.update(enrollment.__dict__)
    copy._state = type(enrollment._state)()
    copy._state.adding = False
    copy._state.db = enrollment._state.db
    copy._state.fields_cache = dict(enrollment._state.fields_cache)
    return copy


@transaction.atomic
def start_enrollment(
    *,
    enrollment: TrainingEnrollment,
    actor: Actor,
    expected_version: int | None,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    case, enrollment = _record_for_write(enrollment, actor=actor, expected_version=expected_version)
    if not can_proceed(enrollment.start):
        raise _not_active(enrollment, "started")
    enrollment.start()
    _save(enrollment)
    _audit(
        case=case,
        actor=actor,
        track=authz.TRAINING,
        action="started",
        record=enrollment,
        changes={"state": [TrainingState.ENROLLED, enrollment.state]},
        occurred_at=occurred_at,
        milestones=training_milestones(case),
    )
    return enrollment


@transaction.atomic
def complete_enrollment(
    *,
    enrollment: TrainingEnrollment,
    actor: Actor,
    expected_version: int | None,
    completed_on: dt.date,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    """The candidate completed the programme (an enrolled one is started and completed)."""
    case, enrollment = _record_for_write(enrollment, actor=actor, expected_version=expected_version)
    if not enrollment.is_active:
        raise _not_active(enrollment, "completed")
    before = _snapshot(enrollment, ("state", "progress_percent", "completed_on"))
    if enrollment.state == TrainingState.ENROLLED:
        enrollment.start()
    enrollment.complete()
    enrollment.completed_on = completed_on
    _save(enrollment)
    _audit(
        case=case,
        actor=actor,
        track=authz.TRAINING,
        action="completed",
        record=enrollment,
        changes=_diff(before, enrollment),
        occurred_at=occurred_at,
        milestones=training_milestones(case),
    )
    return enrollment


@transaction.atomic
def interrupt_enrollment(
    *,
    enrollment: TrainingEnrollment,
    actor: Actor,
    expected_version: int | None,
    reason: str,
    interrupted_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    case, enrollment = _record_for_write(enrollment, actor=actor, expected_version=expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"interruption_reason": _("Say why the training was interrupted.")})
    if not can_proceed(enrollment.interrupt):
        raise _not_active(enrollment, "interrupted")
    before = enrollment.state
    enrollment.interrupt()
    enrollment.interruption_reason = reason
    enrollment.interrupted_on = interrupted_on or timezone.localdate()
    _save(enrollment)
    _audit(
        case=case,
        actor=actor,
        track=authz.TRAINING,
        action="interrupted",
        record=enrollment,
        changes={"state": [before, enrollment.state]},
        reason=reason,
        occurred_at=occurred_at,
        milestones=training_milestones(case),
    )
    return enrollment


# The actions on an enrollment, by the names the partner API, the CSV import and the web pages
# use; ``apply_enrollment_action`` runs one.
ENROLLMENT_ACTIONS = ("update", "start", "complete", "interrupt")


def apply_enrollment_action(
    *,
    action: str,
    enrollment: TrainingEnrollment,
    actor: Actor,
    expected_version: int | None,
    progress_percent: int | None = None,
    ends_on: dt.date | None = None,
    completed_on: dt.date | None = None,
    reason: str = "",
    interrupted_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
) -> TrainingEnrollment:
    """Run one of ``ENROLLMENT_ACTIONS`` through its service: "update" (``progress_percent``
    and/or ``ends_on``), "start", "complete" (``completed_on``) or "interrupt" (``reason``,
    ``interrupted_on``). Arguments another action takes are ignored."""
    common = {
        "enrollment": enrollment,
        "actor": actor,
        "expected_version": expected_version,
        "occurred_at": occurred_at,
    }
    if action == "update":
        return update_enrollment(**common, progress_percent=progress_percent, ends_on=ends_on)
    if action == "start":
        return start_enrollment(**common)
    if action == "complete":
        return complete_enrollment(**common, completed_on=completed_on)
    if action == "interrupt":
        return interrupt_enrollment(**common, reason=reason, interrupted_on=interrupted_on)
    raise ValidationError({"action": _("Choose update, start, complete or interrupt.")})
