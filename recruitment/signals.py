"""Signals declared in the core so upper layers can listen without the core importing them.

- ``case_event_recorded`` is sent *inside* the transaction that wrote a ``CaseEvent``
  (kwarg ``event``): listeners that must commit together with the change (the webhook
  outbox) write here.
- ``case_events_recorded`` is the bulk form of ``case_event_recorded`` (kwarg ``events``, a
  list), sent once *inside* the transaction by ``recruitment.services.record_track_events_bulk``
  instead of one ``case_event_recorded`` per event: a listener of one must listen to both.

Work that runs elsewhere (Celery) is queued by the listener itself with
``transaction.on_commit`` (the outbox's delivery task, ``integration.services``), so it starts
only once the change and the listener's rows are committed.
"""

from django.dispatch import Signal

case_event_recorded = Signal()
case_events_recorded = Signal()
