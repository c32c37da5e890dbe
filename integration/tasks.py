"""Celery tasks of the integration app: thin wrappers around ``integration.services``."""

from celery import shared_task

from . import imports, services


@shared_task(name="integration.dispatch_webhooks", ignore_result=True)
def dispatch_webhooks() -> int:
    """Fan out new outbox events and attempt every due delivery (also run by beat)."""
    return services.deliver_due_webhooks()


@shared_task(name="integration.purge_idempotency_records", ignore_result=True)
def purge_idempotency_records() -> int:
    return services.purge_idempotency_records()


@shared_task(name="integration.run_csv_import", ignore_result=True)
def run_csv_import(import_id: int) -> None:
    imports.run_csv_import(import_id=import_id)
