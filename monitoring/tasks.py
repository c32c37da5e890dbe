"""Celery tasks: thin wrappers around monitoring.services."""

from celery import shared_task
from django.utils import translation

from . import services


@shared_task(name="monitoring.take_daily_snapshots")
@translation.override("en")  # texts the system writes are stored in English
def take_daily_snapshots() -> dict:
    return services.take_daily_snapshots()


@shared_task(name="monitoring.generate_half_year_report")
@translation.override("en")  # texts the system writes are stored in English
def generate_half_year_report(report_id: int) -> int:
    return services.generate_report(report_id=report_id).pk
