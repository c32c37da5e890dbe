"""Signal receivers: the webhook outbox listens to the core's case events.

``case_event_recorded`` is sent inside the transaction that wrote the ``CaseEvent``, so the
outbox row commits (or rolls back) together with the change it describes. Credential
services record their changes as case events too, so one receiver covers every track;
batch writes send ``case_events_recorded`` once and get one insert for all their rows.
"""

from recruitment.signals import case_event_recorded, case_events_recorded

from . import services


def _on_case_event(sender, event, **kwargs) -> None:
    services.record_outbox_event(event=event)


def _on_case_events(sender, events, **kwargs) -> None:
    services.record_outbox_events(events=events)


def connect() -> None:
    case_event_recorded.connect(_on_case_event, dispatch_uid="integration.outbox")
    case_events_recorded.connect(_on_case_events, dispatch_uid="integration.outbox_bulk")
