"""Writes to the core: the only place that changes a case.

Every function here is keyword-only, atomic, locks the case row it changes
(``select_for_update``), checks the writer's version (optimistic concurrency), runs the
state machine's rules and writes an immutable ``CaseEvent``. Upper layers (credentials,
integration) call these; recruitment never imports them.

One module per subject; callers import the package (``from recruitment import services``),
which re-exports every public name:

- ``cases``: opening a case, its editable details, linking partners;
- ``transitions``: available transitions, running one, automatic steps (``advance_case``);
- ``tracks``: milestones and track events from the credential tracks (one and in bulk);
- ``placement``: the placement and the retention checks after it;
- ``candidates``: adding candidates and the personal-data access log;
- ``memberships``: roles in organisations;
- ``bulk``: many rows in one UPDATE (``bulk_save_fields``);
- ``_write`` (private): lock, version check, save, audit event — the shared write path.
"""

from ..models import readiness_blockers
from .bulk import bulk_save_fields
from .candidates import create_candidate, record_candidate_access
from .cases import EDITABLE_FIELDS, link_partner, open_case, update_case
from .memberships import add_membership, remove_membership
from .placement import record_placement, record_retention_check
from .tracks import (
    MILESTONE_FIELDS,
    TrackChange,
    record_milestones,
    record_track_event,
    record_track_events_bulk,
)
from .transitions import (
    REASON_REQUIRED,
    TRANSITIONS,
    TransitionOption,
    advance_case,
    available_transitions,
    transition_case,
    transition_label,
)

__all__ = [
    "EDITABLE_FIELDS",
    "MILESTONE_FIELDS",
    "REASON_REQUIRED",
    "TRANSITIONS",
    "TrackChange",
    "TransitionOption",
    "add_membership",
    "advance_case",
    "available_transitions",
    "bulk_save_fields",
    "create_candidate",
    "link_partner",
    "open_case",
    "readiness_blockers",
    "record_candidate_access",
    "record_milestones",
    "record_placement",
    "record_retention_check",
    "record_track_event",
    "record_track_events_bulk",
    "remove_membership",
    "transition_case",
    "transition_label",
    "update_case",
]
