"""Celery tasks: thin wrappers around monitoring.services."""

from celery import shared_task

from . import services


@shared_task(name="monitoring.take_daily_snapshots")
def take_daily_snapshots() -> dict:
    return services.take_daily_snapshots()


@shared_task(name="monitoring.generate_half_year_report")
def generate_half_year_report(report_id: int) -> int:
    return services.generate_report(report_id=report_id).pk
