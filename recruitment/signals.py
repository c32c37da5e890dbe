"""Signals declared in the core so upper layers can listen without the core importing them.

- ``case_event_recorded`` is sent *inside* the transaction that wrote a ``CaseEvent``
  (kwarg ``event``): listeners that must commit together with the change (the webhook
  outbox) write here.
- ``case_changed`` is sent after that transaction commits (kwargs ``case_id``,
  ``event_ids``): listeners that start work elsewhere (Celery tasks) use this one.
"""

from django.dispatch import Signal

case_event_recorded = Signal()
case_changed = Signal()
