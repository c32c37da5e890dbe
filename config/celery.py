"""Celery application.

Production and CI use Redis (``CELERY_BROKER_URL=redis://...``); ``make run`` uses
Celery's filesystem transport so nobody needs a broker to try Polku.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("polku")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
