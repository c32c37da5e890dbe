"""Signals declared in the core so upper layers can listen without the core importing them.

- ``case_event_recorded`` is sent *inside* the transaction that wrote a ``CaseEvent``
  (kwarg ``event``): listeners that must commit together with the change (the webhook
  outbox) write here.
- ``case_changed`` is sent after that transaction commits (kwargs ``case_id``,
  ``event_ids``): listeners that start work elsewhere (Celery tasks) use this one.
- ``case_events_recorded`` is the bulk form of ``case_event_recorded`` (kwarg ``events``, a
  list), sent once *inside* the transaction by ``recruitment.services.record_track_events_bulk``
  instead of one ``case_event_recorded`` per event: a listener of one must listen to both.
"""

from django.dispatch import Signal

case_event_recorded = Signal()
case_changed = Signal()
case_events_recorded = Signal()
