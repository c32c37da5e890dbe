"""Scheduled work of the credential tracks: thin Celery wrappers around the services.

Each task is idempotent (notifications carry a unique ``dedupe_key``), so running one twice,
or on two workers at once, creates nothing new. Beat runs them daily (config/settings.py).
"""

from celery import shared_task
from django.utils import translation

from . import services


@shared_task(name="credentials.watch_permit_expiry")
@translation.override("en")  # texts the system writes are stored in English
def watch_permit_expiry() -> int:
    """Warn recruiters 90 and 30 days before a residence permit expires, and on expiry."""
    return services.watch_permit_expiry()


@shared_task(name="credentials.detect_stalled_cases")
@translation.override("en")  # texts the system writes are stored in English
def detect_stalled_cases() -> int:
    """Notify recruiters of cases that exceeded their stage's time limit."""
    return services.detect_stalled_cases()


@shared_task(name="credentials.notify_due_retention_checks")
@translation.override("en")  # texts the system writes are stored in English
def notify_due_retention_checks() -> int:
    """Remind recruiters of retention checks due at 6 and 12 months after placement."""
    return services.notify_due_retention_checks()
