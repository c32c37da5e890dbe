#!/usr/bin/env python3
"""A complete Polku partner API sync client, Python standard library only.

    export POLKU_URL=http://127.0.0.1:8000 POLKU_TOKEN=polku_...
    python3 docs/examples/sync_client.py sync              # pull what changed since last run
    python3 docs/examples/sync_client.py progress 7 60     # set enrollment 7 to 60 %
    python3 docs/examples/sync_client.py receive 8099 SECRET   # a webhook receiver
    # (on your own machine: start Polku with POLKU_WEBHOOK_ALLOW_LOOPBACK=true to reach it)

``sync`` pages through every list your token may read, following ``next`` while
``has_more``, and stores each list's ``next_cursor`` in ``polku_sync_state.json`` so the next
run fetches only rows changed since. Rate limits (429) and network errors are retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

BASE = os.environ.get("POLKU_URL", "http://127.0.0.1:8000").rstrip("/")
TOKEN = os.environ.get("POLKU_TOKEN", "")
STATE = Path(os.environ.get("POLKU_SYNC_STATE", "polku_sync_state.json"))
RESOURCES = ["cases", "enrollments", "language-certificates", "permits", "integration-steps"]


class ApiError(Exception):
    def __init__(self, status: int, problem: dict):
        super().__init__(f"{status} {problem.get('code')}: {problem.get('detail')}")
        self.status = status
        self.problem = problem


def call(method: str, url: str, body=None, headers=None, retries: int = 5):
    """One request; returns (status, headers, JSON body). Retries 429, 5xx and network errors."""
    data = json.dumps(body).encode() if body is not None else None
    request_headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json",
        "Accept-Language": "en",
        **({"Content-Type": "application/json"} if data is not None else {}),
        **(headers or {}),
    }
    for attempt in range(retries):
        request = urllib.request.Request(  # noqa: S310 - POLKU_URL is http(s) by design
            url, data=data, method=method, headers=request_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, dict(response.headers), json.loads(raw or b"null")
        except urllib.error.HTTPError as error:
            raw = error.read()
            problem = json.loads(raw) if raw.startswith(b"{") else {"detail": raw.decode()}
            if error.code == 429 or error.code >= 500:
                time.sleep(int(error.headers.get("Retry-After", 2**attempt)))
                continue
            raise ApiError(error.code, problem) from None
        except urllib.error.URLError:
            time.sleep(2**attempt)
    raise SystemExit(f"giving up on {method} {url}")


def sync() -> dict[str, int]:
    state = json.loads(STATE.read_text()) if STATE.exists() else {}
    counts = {}
    for resource in RESOURCES:
        query = {"page_size": 200}
        if state.get(resource):
            query["cursor"] = state[resource]
        url = f"{BASE}/api/v1/{resource}/?{urllib.parse.urlencode(query)}"
        counts[resource] = 0
        while url:
            try:
                _status, _headers, page = call("GET", url)
            except ApiError as error:
                if error.status == 403:  # a scope this token does not have: skip the list
                    break
                raise
            for row in page["results"]:
                counts[resource] += 1
                print(f"{resource} {row['id']} v{row['version']} updated {row['updated_at']}")
            if page["next_cursor"]:
                state[resource] = page["next_cursor"]
            url = page["next"] if page["has_more"] else None
        STATE.write_text(json.dumps(state, indent=2))  # resume here next time
    print(json.dumps(counts))
    return counts


def set_progress(enrollment_id: int, percent: int) -> dict:
    """Read the enrollment (its ETag), then update it; on 412 read again and retry."""
    url = f"{BASE}/api/v1/enrollments/{enrollment_id}/"
    for _attempt in range(3):
        _status, headers, _row = call("GET", url)
        try:
            _status, _headers, row = call(
                "PATCH", url, {"progress_percent": percent}, {"If-Match": headers["ETag"]}
            )
            print(f"enrollment {row['id']} now {row['progress_percent']} % (v{row['version']})")
            return row
        except ApiError as error:
            if error.status != 412:
                raise
    raise SystemExit("the enrollment kept changing; try again later")


def record_certificate(payload: dict) -> dict:
    """POST with an Idempotency-Key: safe to retry after a network error."""
    key = str(uuid.uuid4())
    _status, _headers, row = call(
        "POST", f"{BASE}/api/v1/language-certificates/", payload, {"Idempotency-Key": key}
    )
    return row


def verify(secret: str, timestamp: str, body: bytes, signature: str, max_age=300) -> bool:
    if abs(time.time() - int(timestamp)) > max_age:
        return False
    expected = (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected, signature)


def receive(port: int, secret: str) -> None:
    """Print every verified webhook; answer 401 to anything unsigned or forged."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            ok = verify(
                secret,
                self.headers.get("X-Polku-Timestamp", "0"),
                body,
                self.headers.get("X-Polku-Signature", ""),
            )
            self.send_response(204 if ok else 401)
            self.end_headers()
            if ok:
                event = json.loads(body)
                print(f"verified {event['type']} case {event['case']['number']}", flush=True)

    HTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    if not TOKEN and sys.argv[1:2] != ["receive"]:
        raise SystemExit("Set POLKU_TOKEN (and POLKU_URL).")
    command, *args = sys.argv[1:] or ["sync"]
    if command == "sync":
        sync()
    elif command == "progress":
        set_progress(int(args[0]), int(args[1]))
    elif command == "receive":
        receive(int(args[0]), args[1])
    else:
        raise SystemExit(__doc__)
