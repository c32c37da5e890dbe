"""CSV imports never get stuck (issue 10): whatever a row contains it gets a row error, an
import whose job crashes or whose worker dies ends failed with a reason the uploader sees,
and over-limit files are refused before they are read whole."""

import csv
import datetime as dt

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from credentials.models import LanguageCertificate, TrainingEnrollment
from integration import imports, tasks
from integration.models import CsvImport
from recruitment.models import Role
from recruitment.parsing import parse_whole_number
from tests import factories

from .conftest import http

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager():
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def upload(token, content: bytes, kind="enrollments", **extra):
    data = {"file": SimpleUploadedFile("rows.csv", content, "text/csv"), "kind": kind, **extra}
    return http(token).post("/api/v1/imports/", data, format="multipart")


def run(django_capture_on_commit_callbacks, token, content: bytes, **kwargs) -> dict:
    """Upload, let the queued job run in-process, and read the import as the partner polls it."""
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(token, content, **kwargs)
    assert response.status_code == 202, response.content
    return http(token).get(f"/api/v1/imports/{response.json()['id']}/").json()


# --- A row with any content gets a row error -----------------------------------------------


def test_the_reported_row_gets_a_row_error_and_the_import_ends(
    eager, django_capture_on_commit_callbacks, educator_token
):
    """The reproduction: '²'.isdigit() is true but int('²') fails."""
    status = run(
        django_capture_on_commit_callbacks,
        educator_token,
        "enrollment_id;version;progress_percent\n²;1;5\n".encode(),
    )
    assert status["status"] == "rejected"
    assert (status["processed_rows"], status["error_rows"], status["failure_reason"]) == (1, 1, "")
    imp = CsvImport.objects.get(pk=status["id"])
    assert imp.report == [
        {
            "row": 2,
            "status": "error",
            "errors": {"enrollment_id": ["A whole number is required."]},
        }
    ]


ODD_NUMBERS = [
    "²",  # superscript two: isdigit() but not int()
    "٣",  # Arabic-Indic three: int() takes it
    "５",  # fullwidth five: int() takes it
    "1_000",  # int() takes underscores
    "--5",
    "+-1",
    "0x10",
    "1e3",
    "NaN",
    "9" * 5000,  # int() refuses more than 4300 digits
    "1\x00",
    "🙂",
]


def test_odd_numbers_and_dates_are_row_errors(
    eager, django_capture_on_commit_callbacks, educator_token, case_at, institution
):
    enrollment = case_at.enrollments.get(institution=institution)
    rows = [f"{value},1,10,," for value in ODD_NUMBERS]
    rows += [f"{enrollment.pk},{value},10,," for value in ODD_NUMBERS]
    rows += [f"{enrollment.pk},1,{value},," for value in ODD_NUMBERS]
    rows += [
        f"{enrollment.pk},1,,{value},"
        for value in ("２０２６-01-01", "2026-W01-1", "20260101", "2026-02-30", "0000-01-01")
    ]
    content = "enrollment_id,version,progress_percent,ends_on,reason\n" + "\n".join(rows)
    status = run(django_capture_on_commit_callbacks, educator_token, content.encode())
    assert status["status"] == "rejected"
    assert status["error_rows"] == status["total_rows"] == len(rows)
    enrollment.refresh_from_db()
    assert enrollment.version == 1


def test_an_odd_language_level_is_a_row_error(
    eager, django_capture_on_commit_callbacks, educator_token, case_at
):
    """A YKI level '²' crashed the language service the same way (int('²'))."""
    content = (
        "case_id,language,test,taken_on,speaking,listening,reading,writing\n"
        f"{case_at.pk},fi,yki,2026-01-10,²,3,3,3\n"
    ).encode()
    status = run(
        django_capture_on_commit_callbacks, educator_token, content, kind="language_results"
    )
    assert (status["status"], status["error_rows"]) == ("rejected", 1)
    errors = CsvImport.objects.get(pk=status["id"]).report[0]["errors"]
    assert "is not a language level" in errors["speaking"][0]
    assert not LanguageCertificate.objects.exists()


COLUMNS = {
    kind: imports.REQUIRED_COLUMNS[kind] + imports.OPTIONAL_COLUMNS[kind]
    for kind in imports.PARSERS
}


@pytest.mark.parametrize("kind", list(imports.PARSERS))
@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_row_parser_turns_any_text_into_values_or_errors(kind, data):
    """Fuzz: arbitrary text in every cell (as the CSV reader hands it over) never raises."""
    row = {
        column: data.draw(
            st.one_of(
                st.text(max_size=40),
                st.from_regex(r"\A[+-]?[0-9]{0,25}\Z"),
                st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
                st.sampled_from(ODD_NUMBERS),
            ),
            label=column,
        ).strip()
        for column in COLUMNS[kind]
    }
    values, errors = imports.parse_row(kind, dict(row))
    assert (values is None) == bool(errors)
    for field, messages in errors.items():
        assert isinstance(field, str) and messages and all(isinstance(m, str) for m in messages)
    if values is not None:  # accepted numbers are plain ints within their bounds
        for key in ("id", "case_id", "version"):
            if key in values:
                assert type(values[key]) is int and 1 <= values[key] <= 2**62


@given(st.text(max_size=30))
def test_whole_numbers_are_ascii_digits_only(text):
    number = parse_whole_number(text)
    if number is not None:
        assert text.lstrip("+-").isascii() and text.lstrip("+-").isdigit()
        assert number == int(text)


def test_a_row_that_fails_in_an_unforeseen_way_gets_its_own_error(
    eager, django_capture_on_commit_callbacks, educator_token, enrollments_two, monkeypatch
):
    """Fault injection: the service a row calls raises something no row error covers (a
    bug); that row is reported and the import carries on with the others."""
    first, second = enrollments_two
    from credentials import services as credential_services

    real = credential_services.update_enrollment

    def update(**kwargs):
        if kwargs["enrollment"].pk == second.pk:
            raise ZeroDivisionError
        return real(**kwargs)

    monkeypatch.setattr(credential_services.training, "update_enrollment", update)
    content = f"enrollment_id,version,progress_percent\n{first.pk},1,40\n{second.pk},1,50\n"
    status = run(
        django_capture_on_commit_callbacks,
        educator_token,
        content.encode(),
        apply_valid_rows="true",
    )
    assert (status["status"], status["applied_rows"], status["error_rows"]) == ("done", 1, 1)
    report = CsvImport.objects.get(pk=status["id"]).report
    assert report[1]["errors"] == {
        "row": ["This row could not be processed (ZeroDivisionError); it was not applied."]
    }
    assert TrainingEnrollment.objects.get(pk=first.pk).progress_percent == 40


@pytest.fixture
def enrollments_two(case_at, institution):
    from .conftest import enroll

    return case_at.enrollments.get(institution=institution), enroll(
        case_at, institution, programme="bridging"
    )


# --- A crashed or killed job ends failed ---------------------------------------------------


def test_a_crashed_job_ends_failed_with_a_reason_the_uploader_sees(
    eager, django_capture_on_commit_callbacks, educator_token, enrollments_two, monkeypatch
):
    """The storage fails in a way the job does not expect (the outside world): the import is
    failed with the reason, shown in the API and on the web page."""
    first, _second = enrollments_two

    def broken_open(self, name, mode="rb"):
        raise RuntimeError("storage controller gone")

    monkeypatch.setattr(FileSystemStorage, "open", broken_open)
    status = run(
        django_capture_on_commit_callbacks,
        educator_token,
        f"enrollment_id,version,progress_percent\n{first.pk},1,40\n".encode(),
    )
    assert status["status"] == "failed"
    assert status["failure_reason"] == (
        "The import stopped because of an unexpected error (RuntimeError). No row was applied."
    )


def test_a_lost_file_ends_failed_without_showing_server_paths(
    eager, django_capture_on_commit_callbacks, educator_token, enrollments_two, monkeypatch
):
    first, _second = enrollments_two

    def missing(self, name, mode="rb"):
        raise FileNotFoundError(2, "No such file or directory", f"/srv/polku/media/{name}")

    monkeypatch.setattr(FileSystemStorage, "open", missing)
    status = run(
        django_capture_on_commit_callbacks,
        educator_token,
        f"enrollment_id,version,progress_percent\n{first.pk},1,40\n".encode(),
    )
    assert status["status"] == "failed"
    assert status["failure_reason"] == "The stored file could not be read; upload it again."


def test_a_job_past_its_time_limit_ends_failed(
    eager, django_capture_on_commit_callbacks, educator_token, enrollments_two, monkeypatch
):
    from celery.exceptions import SoftTimeLimitExceeded

    first, _second = enrollments_two

    def slow_open(self, name, mode="rb"):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(FileSystemStorage, "open", slow_open)
    status = run(
        django_capture_on_commit_callbacks,
        educator_token,
        f"enrollment_id,version,progress_percent\n{first.pk},1,40\n".encode(),
    )
    assert status["status"] == "failed"
    assert status["failure_reason"].startswith("The import took longer than the time limit")


def _import_in(status, *, minutes_ago, organisation, **fields):
    imp = CsvImport.objects.create(
        organisation=organisation, kind="enrollments", status=status, total_rows=40, **fields
    )
    then = timezone.now() - dt.timedelta(minutes=minutes_ago)
    CsvImport.objects.filter(pk=imp.pk).update(updated_at=then, created_at=then)
    return imp


def test_the_sweep_fails_imports_whose_worker_died(settings, institution):
    """A worker killed mid-import (kill -9, out of memory, a deploy) leaves the import
    "validating" or "applying" with a heartbeat that no longer moves."""
    settings.POLKU_CSV_IMPORT_LEASE_SECONDS = 600
    settings.POLKU_CSV_IMPORT_QUEUE_SECONDS = 3600
    dead_validating = _import_in("validating", minutes_ago=11, organisation=institution)
    dead_applying = _import_in("applying", minutes_ago=30, organisation=institution, applied_rows=7)
    alive = _import_in("validating", minutes_ago=2, organisation=institution)
    never_started = _import_in("pending", minutes_ago=61, organisation=institution)
    waiting = _import_in("pending", minutes_ago=5, organisation=institution)
    done = _import_in("done", minutes_ago=600, organisation=institution)

    assert tasks.fail_stale_imports() == 3
    for imp in (dead_validating, dead_applying, alive, never_started, waiting, done):
        imp.refresh_from_db()
    assert (alive.status, waiting.status, done.status) == ("validating", "pending", "done")
    assert dead_validating.status == "failed" and dead_validating.finished_at
    assert dead_validating.failure_reason == (
        "The background job stopped working on the import (no progress for 10 minutes). "
        "No row was applied."
    )
    assert dead_applying.failure_reason.endswith(
        "7 of 40 rows had been applied before it stopped; check those records before "
        "uploading the rest again."
    )
    assert never_started.status == "failed"
    assert "not started within 60 minutes" in never_started.failure_reason
    assert tasks.fail_stale_imports() == 0  # idempotent


def test_a_redelivered_task_does_not_revive_a_failed_import(
    educator_token, enrollments_two, settings
):
    """With acks_late the broker hands a killed worker's task to another worker; the import
    was failed by the sweep meanwhile and stays failed, nothing is applied."""
    first, _second = enrollments_two
    response = upload(
        educator_token, f"enrollment_id,version,progress_percent\n{first.pk},1,40\n".encode()
    )
    imp = CsvImport.objects.get(pk=response.json()["id"])
    CsvImport.objects.filter(pk=imp.pk).update(
        status="validating", updated_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert imports.fail_stale_imports() == 1
    assert imports.run_csv_import(import_id=imp.pk).status == "failed"
    assert TrainingEnrollment.objects.get(pk=first.pk).progress_percent == 0


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_lost_its_import_stops_applying(educator_token, enrollments_two, monkeypatch):
    """A slow worker whose import the sweep failed meanwhile (from another process) finds out
    at its next heartbeat and stops: the row in hand is rolled back, no row after it runs."""
    import threading

    from django.db import connection

    first, second = enrollments_two
    content = f"enrollment_id,version,progress_percent\n{first.pk},1,40\n{second.pk},1,50\n"
    imp = CsvImport.objects.get(pk=upload(educator_token, content.encode()).json()["id"])
    from credentials import services as credential_services

    real = credential_services.update_enrollment
    calls = []

    def sweep_elsewhere():
        CsvImport.objects.filter(pk=imp.pk).update(status="failed", failure_reason="swept")
        connection.close()

    def update(**kwargs):
        calls.append(kwargs["enrollment"].pk)
        result = real(**kwargs)
        if len(calls) == 3:  # two dry runs, then the first row for real
            sweeper = threading.Thread(target=sweep_elsewhere)
            sweeper.start()
            sweeper.join()
        return result

    monkeypatch.setattr(credential_services.training, "update_enrollment", update)
    imports.run_csv_import(import_id=imp.pk)
    imp.refresh_from_db()
    assert (imp.status, imp.failure_reason) == ("failed", "swept")
    assert calls == [first.pk, second.pk, first.pk]  # the second row never ran for real
    assert TrainingEnrollment.objects.get(pk=first.pk).progress_percent == 0


def test_beat_runs_the_sweep(settings):
    from config.celery import app

    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["integration.fail_stale_imports"]["schedule"] <= 600
    assert "integration.fail_stale_imports" in app.tasks


def test_the_web_page_shows_why_an_import_failed(client, institution):
    user = factories.user_with_role(Role.EDUCATOR, institution, username="edu.failed")
    imp = CsvImport.objects.create(
        organisation=institution,
        uploaded_by=user,
        kind="enrollments",
        status="failed",
        failure_reason="The background job stopped working on the import.",
    )
    client.force_login(user)
    page = client.get(reverse("integration:csv_import_detail", args=[imp.pk]))
    assert "The background job stopped working on the import." in page.content.decode()
    status = client.get(reverse("integration:csv_import_status", args=[imp.pk])).json()
    assert status["finished"] and status["status"] == "failed"


# --- Over-limit files are refused before they are read whole --------------------------------


@pytest.fixture
def received(monkeypatch):
    """Bytes Django's own upload handlers were given to keep (memory or temporary file)."""
    seen = {"bytes": 0}
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        real = handler.receive_data_chunk

        def spy(self, raw_data, start, real=real):
            if getattr(self, "activated", True):  # the memory handler passes big files on
                seen["bytes"] += len(raw_data)
            return real(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", spy)
    return seen


def test_the_web_form_drops_an_over_limit_file_while_it_arrives(
    client, institution, settings, received
):
    settings.POLKU_CSV_MAX_BYTES = 2**20
    user = factories.user_with_role(Role.EDUCATOR, institution, username="edu.big")
    client.force_login(user)
    content = b"enrollment_id,version,progress_percent\n" + b"1,1,5\n" * 700_000  # 4.2 MB
    response = client.post(
        reverse("integration:csv_imports"),
        {"kind": "enrollments", "file": SimpleUploadedFile("big.csv", content, "text/csv")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The file is larger than 1 MB." in page
    assert "This field is required" not in page
    assert not CsvImport.objects.exists()
    assert received["bytes"] <= settings.POLKU_CSV_MAX_BYTES + 64 * 1024  # one chunk past it


def test_the_web_form_still_takes_a_file_under_the_limit(client, institution, settings):
    settings.POLKU_CSV_MAX_BYTES = 200_000
    user = factories.user_with_role(Role.EDUCATOR, institution, username="edu.small")
    client.force_login(user)
    response = client.post(
        reverse("integration:csv_imports"),
        {
            "kind": "enrollments",
            "file": SimpleUploadedFile("small.csv", b"enrollment_id,version\n1,1\n", "text/csv"),
        },
    )
    assert response.status_code == 302
    assert CsvImport.objects.get().total_rows == 1


def test_the_web_form_still_checks_csrf(institution):
    from django.test import Client

    user = factories.user_with_role(Role.EDUCATOR, institution, username="edu.csrf")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post(
        reverse("integration:csv_imports"),
        {
            "kind": "enrollments",
            "file": SimpleUploadedFile("a.csv", b"enrollment_id,version\n1,1\n"),
        },
    )
    assert response.status_code == 403
    assert not CsvImport.objects.exists()


def test_rows_are_counted_only_up_to_the_limit(educator_token, settings, monkeypatch):
    """1.2 million tiny rows: the upload is refused after the row past the limit is read."""
    settings.POLKU_CSV_MAX_ROWS = 10_000
    read = {"rows": 0}
    real_next = csv.DictReader.__next__

    def counting_next(self):
        read["rows"] += 1
        return real_next(self)

    monkeypatch.setattr(csv.DictReader, "__next__", counting_next)
    content = b"enrollment_id,version\n" + b"1,1\n" * 1_200_000
    settings.POLKU_CSV_MAX_BYTES = len(content)
    response = upload(educator_token, content)
    assert response.status_code == 400
    assert "At most 10000 rows per file." in response.json()["errors"]["file"][0]
    assert read["rows"] == 10_001
    assert not CsvImport.objects.exists()
