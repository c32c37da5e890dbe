"""Celery application.

Production and CI use Redis (``CELERY_BROKER_URL=redis://...``); ``make run`` uses
Celery's filesystem transport so nobody needs a broker to try Polku.
"""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("polku")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_FILESYSTEM_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


@app.on_after_configure.connect
def make_filesystem_broker_folders(sender, source, **kwargs) -> None:
    """The filesystem broker's folders, made when the app is configured in any process that
    uses it (the web process queueing a task, the worker, beat): kombu does not make them."""
    if not str(source.broker_url or "").startswith("filesystem://"):
        return
    options = source.broker_transport_options or {}
    for key in _FILESYSTEM_FOLDERS:
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
