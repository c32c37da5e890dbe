"""The API's rate limit holds under parallel clients (issue 10, item 8: 1,311 requests went
through in 19 s from 4 connections against 1,200 a minute).

The counters live in the shared cache. These tests use Redis when it answers on
127.0.0.1:6379 (database 13, a key prefix of their own), as production does; without Redis
they fall back to the local-memory cache, which only one process can share (threads against
the live server), and say so. Django's database cache is no fallback: its ``incr`` reads and
writes back, which is exactly the lost update under test (and production refuses it).
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.cache import caches

from .conftest import ALL_SCOPES, make_token

REDIS = ("127.0.0.1", 6379)
REDIS_URL = "redis://127.0.0.1:6379/13"
ROOT = Path(__file__).resolve().parents[2]


def redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def shared_cache(settings):
    prefix = f"polku-test-{uuid.uuid4().hex[:8]}"
    if redis_answers():
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": prefix,
            }
        }
        kind = "redis"
    else:
        warnings.warn(
            "Redis not reachable on 127.0.0.1:6379: the throttle test FELL BACK to the "
            "local-memory cache (threads in one process).",
            stacklevel=1,
        )
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": prefix,
            }
        }
        kind = "locmem"
    yield kind, prefix
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
    caches["default"].close()


def _get(url: str, token: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_clients_never_get_past_the_limit(live_server, shared_cache, settings, pirkanmaa):
    limit, threads, per_thread = 30, 6, 12
    settings.POLKU_API_THROTTLE_RATES = {"client": f"{limit}/min", "bulk": "10/min"}
    _client, token = make_token(pirkanmaa, ALL_SCOPES)
    url = f"{live_server.url}/api/v1/webhooks/"
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(lambda _i: _get(url, token), range(threads * per_thread)))
    admitted = statuses.count(200)
    assert set(statuses) <= {200, 429}
    # Never more than the limit; a request refused at the same instant may hold a place for
    # a moment, so a few fewer may pass, never more.
    assert limit - threads <= admitted <= limit, statuses
    # A refused request does not count: after the burst the limit is still the limit.
    assert _get(url, token) == 429


COUNTER = """
import os, sys, time
from types import SimpleNamespace
import django
from django.conf import settings
django.setup()
settings.CACHES["default"]["KEY_PREFIX"] = os.environ["THROTTLE_KEY_PREFIX"]
settings.POLKU_API_THROTTLE_RATES = {"client": sys.argv[1], "bulk": sys.argv[1]}
from integration.api.auth import ClientRateThrottle
request = SimpleNamespace(auth=None, META={"REMOTE_ADDR": "203.0.113.9"}, headers={})
time.sleep(max(0.0, float(sys.argv[3]) - time.time()))
print(sum(ClientRateThrottle().allow_request(request, None) for _ in range(int(sys.argv[2]))))
"""


@pytest.mark.slow
def test_the_limit_holds_across_worker_processes(shared_cache):
    """Gunicorn's workers are processes: four of them count against one limit."""
    kind, prefix = shared_cache
    if kind != "redis":
        pytest.skip("needs Redis on 127.0.0.1:6379: processes share no local-memory cache")
    limit, processes, tries = 100, 4, 60
    start_at = time.time() + 5  # after every process has set Django up
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CACHE_URL": REDIS_URL,
        "THROTTLE_KEY_PREFIX": prefix,
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTER, f"{limit}/min", str(tries), str(start_at)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = [worker.communicate(timeout=60) for worker in workers]
    assert all(w.returncode == 0 for w in workers), [err[-2000:] for _out, err in outputs]
    admitted = [int(out.strip()) for out, _err in outputs]
    assert time.time() > start_at  # they waited for each other
    assert limit - processes <= sum(admitted) <= limit, admitted
    assert all(n > 0 for n in admitted)  # they really ran at the same time
