"""Signal receivers: the webhook outbox listens to the core's case events.

``case_event_recorded`` is sent inside the transaction that wrote the ``CaseEvent``, so the
outbox row commits (or rolls back) together with the change it describes. Credential
services record their changes as case events too, so one receiver covers every track.
"""

from recruitment.signals import case_event_recorded

from . import services


def _on_case_event(sender, event, **kwargs) -> None:
    services.record_outbox_event(event=event)


def connect() -> None:
    case_event_recorded.connect(_on_case_event, dispatch_uid="integration.outbox")
