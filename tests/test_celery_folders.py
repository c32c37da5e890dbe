"""The filesystem broker's folders (``make run``) are made by the Celery app when it is
configured (web process, worker and beat alike), not as a side effect of importing the
settings. Each case runs in a fresh interpreter, as gunicorn, Celery and manage.py do."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys
from pathlib import Path

import django

django.setup()
folder = Path(sys.argv[1])
print("after-setup", folder.exists())
from config.celery import app

app.send_task("polku.noop")
print("after-send", sorted(p.name for p in folder.iterdir()))
print("queued", len(list((folder / "queue").iterdir())))
"""


def test_settings_import_makes_no_folders_and_the_celery_app_makes_its_own(tmp_path):
    folder = tmp_path / "celery"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        CELERY_BROKER_URL="filesystem://",
        CELERY_DATA_DIR=str(folder),
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(folder)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "after-setup False",
        "after-send ['control', 'processed', 'queue']",
        "queued 1",
    ]
