"""Writes of the integration app, one module per concern:

- ``clients``: API clients and their tokens;
- ``idempotency``: the stored first responses to keyed POSTs;
- ``access_log``: the GDPR read log of candidates' contact details;
- ``outbox``: webhook events written with each case event, fanned out to deliveries;
- ``deliveries``: signed webhook POSTs, retries, dead letters, redelivery;
- ``subscriptions``: the webhook subscriptions a client manages.

CSV imports are ``integration.imports``. Keyword-only functions, each atomic. Track records
themselves (enrollments, permits, ...) change only through ``credentials.services``; cases
only through ``recruitment.services``. Every public name is importable from here
(``from integration import services; services.create_api_client(...)``).
"""

from .access_log import log_candidate_access
from .clients import (
    LAST_USED_RESOLUTION,
    MAX_TOKEN_LIFETIME,
    TOKEN_PREFIX,
    create_api_client,
    revoke_api_client,
    touch_api_client,
)
from .deliveries import (
    attempt_delivery,
    deliver_due_webhooks,
    redeliver,
    retry_delay,
    sign_payload,
    webhook_body,
)
from .idempotency import purge_idempotency_records, store_idempotent_response
from .outbox import event_type_for, fan_out_outbox, record_outbox_event, record_outbox_events
from .subscriptions import (
    create_subscription,
    delete_subscription,
    rotate_subscription_secret,
    update_subscription,
    validate_subscription,
)

__all__ = [
    "LAST_USED_RESOLUTION",
    "MAX_TOKEN_LIFETIME",
    "TOKEN_PREFIX",
    "attempt_delivery",
    "create_api_client",
    "create_subscription",
    "delete_subscription",
    "deliver_due_webhooks",
    "event_type_for",
    "fan_out_outbox",
    "log_candidate_access",
    "purge_idempotency_records",
    "record_outbox_event",
    "record_outbox_events",
    "redeliver",
    "retry_delay",
    "revoke_api_client",
    "rotate_subscription_secret",
    "sign_payload",
    "store_idempotent_response",
    "touch_api_client",
    "update_subscription",
    "validate_subscription",
    "webhook_body",
]
