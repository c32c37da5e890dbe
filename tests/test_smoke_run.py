"""Smoke test of the one-command run: `make run` on a free port, with its own SQLite database
and Celery folders, until the login page answers and the Celery worker is ready."""

import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from credentials import demo

BASE_DIR = Path(__file__).resolve().parent.parent
DEADLINE_SECONDS = 240


def _free_port() -> int:
    # honcho gives the web process this port and the next processes port + 100, port + 200.
    for _ in range(20):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port < 65000:
            return port
    raise RuntimeError("no free port")


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.mark.slow
@pytest.mark.xdist_group("smoke")
def test_make_run_serves_the_login_page_and_starts_celery(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "CELERY_", "DJANGO_", "PYTEST_"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'smoke.sqlite3'}",
        CELERY_DATA_DIR=str(tmp_path / "celery"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "celerybeat-schedule"),
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        # A smaller demo data set: seed_demo itself is tested in tests/recruitment.
        ["make", "--no-print-directory", "run", f"PORT={port}", "HOST=127.0.0.1", "DEMO_COUNT=40"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so every child can be stopped
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}/"
    status = None
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            output = "".join(lines)
            status = _get(f"{url}accounts/login/")
            if status == 200 and re.search(r"celery@\S+ ready", output):
                break
            time.sleep(1)
        output = "".join(lines)
        assert process.poll() is None, f"make run exited ({process.returncode}):\n{output[-4000:]}"
        assert status == 200, (
            f"no login page at {url} within {DEADLINE_SECONDS} s:\n{output[-4000:]}"
        )
        assert re.search(r"celery@\S+ ready", output), f"no Celery worker:\n{output[-4000:]}"
        # It tells the user where to go and how to log in.
        assert f"Polku is starting at {url}" in output
        assert demo.DEMO_PASSWORD in output
        for username, *_ in demo.DEMO_USERS:
            assert username in output
        assert re.search(r"beat\.\d+ .*beat: Starting", output), "no Celery beat"
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
