"""Outbox delivery through a real Celery worker on Redis (when 127.0.0.1:6379 answers).

The worker is a separate process using the test database; the case change is committed
(transactional test), the task is sent to a queue of its own, and the worker's delivery
reaches a local HTTP receiver. Without Redis (or without PostgreSQL to share) the same task
runs eagerly instead, and the test says so.
"""

import json
import socket
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from integration.models import WebhookDelivery
from integration.tasks import dispatch_webhooks
from recruitment import services as case_services

from .conftest import ALL_SCOPES, SYSTEM, accepted_case, http, make_token

REDIS = ("127.0.0.1", 6379)
ROOT = Path(__file__).resolve().parents[2]


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_delivers_outbox_events(httpserver, loopback_receivers, pirkanmaa):
    _client, token = make_token(pirkanmaa, ALL_SCOPES)
    response = http(token).post(
        "/api/v1/webhooks/", {"url": httpserver.url_for("/hook")}, format="json"
    )
    assert response.status_code == 201
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    case = accepted_case()
    case_services.transition_case(
        case=case, name="hold", actor=SYSTEM, expected_version=case.version, reason="x"
    )

    if not (redis_answers() and connection.vendor == "postgresql"):
        warnings.warn(
            "Redis or PostgreSQL not available: FELL BACK to running the Celery task eagerly.",
            stacklevel=1,
        )
        dispatch_webhooks.apply()
    else:
        queue = f"polku-test-{uuid.uuid4().hex[:8]}"
        broker = "redis://127.0.0.1:6379/15"
        env = {
            "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker,
            "CACHE_URL": "locmemcache://worker",
            "POLKU_WEBHOOK_ALLOW_LOOPBACK": "true",  # the receiver is pytest-httpserver
            "LOG_LEVEL": "WARNING",
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            Celery("polku-test-sender", broker=broker).send_task(
                "integration.dispatch_webhooks", queue=queue
            )
            deadline = time.monotonic() + 60
            while not httpserver.log and time.monotonic() < deadline:
                assert worker.poll() is None, worker.stdout.read().decode()
                time.sleep(0.2)
        finally:
            worker.terminate()
            output = worker.communicate(timeout=20)[0].decode()
        assert httpserver.log, f"the worker delivered nothing:\n{output}"

    request, _response = httpserver.log[0]
    assert request.headers["X-Polku-Event"].startswith("case.")
    assert request.headers["X-Polku-Signature"].startswith("sha256=")
    assert json.loads(request.get_data())["case"]["id"] == case.pk
    assert WebhookDelivery.objects.filter(status="delivered").exists()
