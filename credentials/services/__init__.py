"""Writes to the credential tracks: the only place that changes them.

Every function is keyword-only and atomic. It checks who may write (``credentials.authz``),
locks the track record it changes (``select_for_update``), compares the writer's
``expected_version`` (``StaleVersion`` on a mismatch), runs the track's state machine, calls
``full_clean`` and then hands the change to ``recruitment.services.record_track_event``: that
writes the audit event (``CaseEvent`` of kind "track"), updates the case's milestone fields
and lets the case advance along its critical path by itself (audited as the system actor).

Rules that can change are data: ``Profession.required_language_level`` and
``accepted_languages``, ``Profession.eu_automatic_recognition``,
``Country.needs_residence_permit`` (EU/EEA and Nordic citizens need no permit) and
``StageTimeLimit`` rows for stalled-case detection.

One module per track, the same name in every layer (services, API, admin):

- ``recognition``: applications to the authority, decisions, appeals;
- ``training``: enrollments, one by one and in bulk, and the enrollment actions by name;
- ``language``: language certificates;
- ``permits``: residence permits;
- ``integration_steps``: the employment services' steps;
- ``watches``: notifications and the scheduled watches (Celery beat);
- ``_write`` (private): the write path they share (lock, version check, save, diff, audit,
  partner link) and the one "load this record for writing" helper.

The track modules do not import each other (an import-linter contract). Callers import this
package (``from credentials import services``); every public name is here.
"""

from .integration_steps import record_integration_step, update_integration_step
from .language import language_milestones, record_language_certificate, to_cefr
from .permits import apply_permit, decide_permit, permit_milestones
from .recognition import (
    OPEN_RECOGNITION_STATES,
    appeal_recognition,
    complete_recognition,
    decide_recognition,
    eu_automatic_recognition_applies,
    recognition_milestones,
    start_recognition_review,
    submit_recognition,
)
from .training import (
    ENROLLMENT_ACTIONS,
    EnrollmentUpdate,
    apply_enrollment_action,
    complete_enrollment,
    enroll,
    interrupt_enrollment,
    start_enrollment,
    training_milestones,
    update_enrollment,
    update_enrollments_bulk,
)
from .watches import (
    PERMIT_WARNING_DAYS,
    RETENTION_NOTICE_DAYS,
    detect_stalled_cases,
    mark_notification_read,
    notify_due_retention_checks,
    set_stage_time_limit,
    watch_permit_expiry,
)

__all__ = [
    "ENROLLMENT_ACTIONS",
    "OPEN_RECOGNITION_STATES",
    "PERMIT_WARNING_DAYS",
    "RETENTION_NOTICE_DAYS",
    "EnrollmentUpdate",
    "appeal_recognition",
    "apply_enrollment_action",
    "apply_permit",
    "complete_enrollment",
    "complete_recognition",
    "decide_permit",
    "decide_recognition",
    "detect_stalled_cases",
    "enroll",
    "eu_automatic_recognition_applies",
    "interrupt_enrollment",
    "language_milestones",
    "mark_notification_read",
    "notify_due_retention_checks",
    "permit_milestones",
    "recognition_milestones",
    "record_integration_step",
    "record_language_certificate",
    "set_stage_time_limit",
    "start_enrollment",
    "start_recognition_review",
    "submit_recognition",
    "to_cefr",
    "training_milestones",
    "update_enrollment",
    "update_enrollments_bulk",
    "update_integration_step",
    "watch_permit_expiry",
]
