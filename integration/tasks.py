"""Celery tasks of the integration app: thin wrappers around ``integration.services``."""

from celery import shared_task
from django.utils import translation

from . import imports, services


@shared_task(name="integration.dispatch_webhooks", ignore_result=True)
@translation.override("en")  # texts the system writes are stored in English
def dispatch_webhooks() -> int:
    """Fan out new outbox events and attempt every due delivery (also run by beat)."""
    return services.deliver_due_webhooks()


@shared_task(name="integration.purge_idempotency_records", ignore_result=True)
@translation.override("en")  # texts the system writes are stored in English
def purge_idempotency_records() -> int:
    return services.purge_idempotency_records()


@shared_task(name="integration.run_csv_import", ignore_result=True)
@translation.override("en")  # texts the system writes are stored in English
def run_csv_import(import_id: int) -> None:
    imports.run_csv_import(import_id=import_id)


@shared_task(name="integration.fail_stale_imports", ignore_result=True)
@translation.override("en")  # texts the system writes are stored in English
def fail_stale_imports() -> int:
    """Fail CSV imports whose worker died or that no worker started (run by beat)."""
    return imports.fail_stale_imports()
