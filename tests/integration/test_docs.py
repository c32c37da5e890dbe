"""docs/api.md is tested: its curl examples run, in order, against a live server and get the
status each one documents; its signature-verification snippet verifies Polku's signatures."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from integration import services

from .conftest import ALL_SCOPES, EDUCATOR_SCOPES, accepted_case, enroll, make_token

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BLOCK = re.compile(r"<!-- (expect (\d{3})|run|verify-snippet) -->\n```(sh|python)\n(.*?)```", re.S)


def blocks():
    return [(m.group(1), m.group(2), m.group(4)) for m in BLOCK.finditer(DOC.read_text())]


def test_the_guide_has_tested_examples_for_each_topic():
    kinds = [kind for kind, _status, _code in blocks()]
    statuses = {status for _kind, status, _code in blocks() if status}
    assert {"200", "201", "202", "207", "400", "412", "415", "422", "428"} <= statuses
    assert "verify-snippet" in kinds


def test_the_signature_snippet_verifies_polku_signatures():
    code = next(code for kind, _s, code in blocks() if kind == "verify-snippet")
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)
    verify = namespace["verify"]
    import time

    timestamp = str(int(time.time()))
    body = b'{"id":1,"type":"case.transitioned"}'
    signature = services.sign_payload(secret="whsec_x", timestamp=timestamp, body=body)
    assert verify("whsec_x", timestamp, body, signature)
    assert not verify("whsec_x", timestamp, body + b" ", signature)
    assert not verify("whsec_other", timestamp, body, signature)
    assert not verify("whsec_x", str(int(timestamp) - 3600), body, sign_old(timestamp, body))


def sign_old(timestamp, body):
    old = str(int(timestamp) - 3600)
    return services.sign_payload(secret="whsec_x", timestamp=old, body=body)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_curl_examples_run_as_documented(live_server, pirkanmaa, tmp_path):
    from config.celery import app
    from recruitment.models import Organisation, OrganisationKind

    institution = Organisation.objects.create(
        code="docs-inst", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="Docs institution"
    )
    case = accepted_case()
    enrollment = enroll(case, institution)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "POLKU_URL": live_server.url,
        "POLKU_TOKEN": make_token(institution, EDUCATOR_SCOPES)[1],
        "POLKU_COUNTY_TOKEN": make_token(pirkanmaa, ALL_SCOPES)[1],
        "CASE_ID": str(case.pk),
        "ENROLLMENT_ID": str(enrollment.pk),
    }
    script = ["set -u"]
    expected = []
    for index, (kind, status, code) in enumerate(blocks()):
        if kind == "run":
            script.append(code)
        elif kind.startswith("expect"):
            command = code.rstrip().rstrip("\\")
            script.append(
                f"status=$({command} -s -o body.{index} -w '%{{http_code}}')\n"
                f'echo "BLOCK {index} $status"'
            )
            expected.append((index, status))
    app.conf.task_always_eager = True  # the CSV import runs inside the request's commit
    try:
        result = subprocess.run(
            ["bash", "-c", "\n".join(script)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        app.conf.task_always_eager = False
    got = dict(re.findall(r"BLOCK (\d+) (\d{3})", result.stdout))
    for index, status in expected:
        body = (
            (tmp_path / f"body.{index}").read_text()
            if (tmp_path / f"body.{index}").exists()
            else ""
        )
        assert got.get(str(index)) == status, (index, got.get(str(index)), body, result.stderr)
    enrollment.refresh_from_db()
    assert enrollment.progress_percent == 80  # the CSV import applied its row


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_example_sync_client_syncs_incrementally_and_updates(live_server, tmp_path):
    import json
    import sys

    from credentials import services as credential_services
    from recruitment.models import Organisation, OrganisationKind

    from .conftest import SYSTEM

    institution = Organisation.objects.create(
        code="sync-inst", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="Sync institution"
    )
    enrollments = [enroll(accepted_case(), institution) for _ in range(3)]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "POLKU_URL": live_server.url,
        "POLKU_TOKEN": make_token(institution, EDUCATOR_SCOPES)[1],
        "POLKU_SYNC_STATE": str(tmp_path / "state.json"),
    }
    client = str(DOC.parent / "examples" / "sync_client.py")

    def run(*args):
        result = subprocess.run(
            [sys.executable, client, *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    first = json.loads(run("sync").splitlines()[-1])
    assert first["enrollments"] == 3 and first["cases"] == 3
    assert first["permits"] == 0  # no permits:read: skipped, not an error
    second = json.loads(run("sync").splitlines()[-1])
    assert second["enrollments"] == 0 and second["cases"] == 0
    credential_services.update_enrollment(
        enrollment=enrollments[1], actor=SYSTEM, expected_version=1, progress_percent=10
    )
    third = json.loads(run("sync").splitlines()[-1])
    assert third["enrollments"] == 1
    assert "now 55 %" in run("progress", str(enrollments[2].pk), "55")


@pytest.mark.django_db
def test_the_example_receiver_accepts_signed_webhooks_and_refuses_forged_ones(
    case_at, county_token, loopback_receivers
):
    import socket
    import sys
    import time

    from integration.models import WebhookDelivery
    from recruitment import services as case_services

    from .conftest import SYSTEM, http

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    response = http(county_token).post(
        "/api/v1/webhooks/", {"url": f"http://127.0.0.1:{port}/"}, format="json"
    )
    secret = response.json()["secret"]
    receiver = subprocess.Popen(
        [
            sys.executable,
            str(DOC.parent / "examples" / "sync_client.py"),
            "receive",
            str(port),
            secret,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(50):  # wait until it listens
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        case_services.transition_case(
            case=case_at, name="hold", actor=SYSTEM, expected_version=case_at.version, reason="x"
        )
        services.deliver_due_webhooks()
        assert WebhookDelivery.objects.get().status == "delivered"
        forged = subprocess.run(
            [
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-X",
                "POST",
                "-H",
                "X-Polku-Timestamp: 1",
                "-H",
                "X-Polku-Signature: sha256=00",
                "-d",
                "{}",
                f"http://127.0.0.1:{port}/",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert forged.stdout == "401"
    finally:
        receiver.terminate()
        out, _err = receiver.communicate(timeout=10)
    assert f"verified case.transitioned case {case_at.number}" in out
