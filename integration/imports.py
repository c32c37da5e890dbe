"""CSV import of status updates (enrollment progress, language results, permit decisions).

Two phases, each reporting progress while it runs:

1. **Validate** every row: parse it, then try it for real inside a transaction that is rolled
   back (so the same guards and permissions as the API apply).
2. **Apply**: if any row had errors and the uploader did not choose "apply valid rows",
   nothing is applied and the import is *rejected*; otherwise every valid row is applied in
   its own transaction.

The encoding, the columns, the size and the row count are checked at upload time, so a wrong
file gets its answer at once (4xx), not after a queue; an over-limit file is refused before
it is read whole (``read_upload``, ``CappedUpload``; rows are counted only up to the limit).

Nothing a row contains stops the import: a row is parsed into values or row errors (never an
exception), and a row that still fails in an unforeseen way gets a row error of its own. An
import that stops all the same (a crash, a killed worker, a time limit) ends *failed* with a
``failure_reason`` the uploader sees, never stuck in "validating": the job records its own
failure, and ``fail_stale_imports`` (Celery beat) fails a running import whose worker stopped
writing its heartbeat (``updated_at``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import re

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from credentials import services as credential_services
from credentials.models import SUB_SKILLS
from recruitment import csv_export
from recruitment.errors import PolkuError, ScopeDenied
from recruitment.parsing import parse_whole_number

from . import selectors
from .models import CsvImport
from .principals import Principal

logger = logging.getLogger("polku.integration")

PROGRESS_EVERY = 25
KIND_SCOPES = {
    CsvImport.Kind.ENROLLMENTS: "training:write",
    CsvImport.Kind.LANGUAGE_RESULTS: "training:write",
    CsvImport.Kind.PERMITS: "permits:write",
}
REQUIRED_COLUMNS = {
    CsvImport.Kind.ENROLLMENTS: ["enrollment_id", "version"],
    CsvImport.Kind.LANGUAGE_RESULTS: ["case_id", "language", "test", "taken_on", *SUB_SKILLS],
    CsvImport.Kind.PERMITS: ["permit_id", "version", "decision", "decided_on"],
}
OPTIONAL_COLUMNS = {
    CsvImport.Kind.ENROLLMENTS: [
        "action",
        "progress_percent",
        "ends_on",
        "completed_on",
        "reason",
    ],
    CsvImport.Kind.LANGUAGE_RESULTS: ["issuer"],
    CsvImport.Kind.PERMITS: ["valid_from", "valid_until", "reference"],
}


class _DryRun(Exception):
    """Raised to roll back a row tried during validation."""


class _ImportTakenAway(Exception):
    """The import is no longer running for this worker (``fail_stale_imports`` failed it)."""


# Errors that are not about a row: the database connection went away, or Celery's soft time
# limit. They stop the whole import (which then ends failed), not just the row.
_NOT_ROW_ERRORS = (OperationalError, InterfaceError, SoftTimeLimitExceeded)


# --- Reading the file ------------------------------------------------------------------------


def too_large() -> ValidationError:
    return ValidationError(
        {
            "file": _("The file is larger than %(mb)s MB.")
            % {"mb": settings.POLKU_CSV_MAX_BYTES // 2**20}
        }
    )


class CappedUpload(FileUploadHandler):
    """An upload handler that stops keeping a file once it passes ``POLKU_CSV_MAX_BYTES``.

    The rest of the request is read in chunks and thrown away (so the browser still gets the
    answer), never held in memory or written to disk. Install it before anything reads the
    request body (``request.upload_handlers.insert(0, ...)``); ``too_large`` then says whether
    the file was dropped.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.POLKU_CSV_MAX_BYTES
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) holds the file


def read_upload(upload) -> bytes:
    """The uploaded file's content, refused (``ValidationError``) before it is read whole
    when it is over the limit."""
    limit = settings.POLKU_CSV_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise too_large()
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise too_large()
    return content


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            {
                "file": _(
                    "The file is not UTF-8 text (byte %(pos)s). Save it as “CSV UTF-8” and "
                    "upload it again."
                )
                % {"pos": exc.start}
            }
        ) from exc


def read_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the data rows; a file with more than ``POLKU_CSV_MAX_ROWS`` rows is
    refused as soon as the row after the limit is read (the rest is never parsed)."""
    limit = settings.POLKU_CSV_MAX_ROWS
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows: list[dict[str, str]] = []
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        for row in reader:
            if len(rows) == limit:
                raise ValidationError({"file": _("At most %(n)s rows per file.") % {"n": limit}})
            rows.append(
                {k: (v or "").strip() for k, v in row.items() if k is not None}
                | ({"__extra__": "1"} if None in row else {})
            )
    except csv.Error as exc:
        raise ValidationError({"file": _("The CSV cannot be read: %(e)s") % {"e": exc}}) from exc
    return header, rows


def check_columns(kind: str, header: list[str]) -> None:
    required = REQUIRED_COLUMNS[kind]
    known = set(required) | set(OPTIONAL_COLUMNS[kind])
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in known]
    duplicate = sorted({c for c in header if header.count(c) > 1})
    problems = []
    if missing:
        problems.append(_("missing columns: %(c)s") % {"c": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown columns: %(c)s") % {"c": ", ".join(unknown)})
    if duplicate:
        problems.append(_("duplicate columns: %(c)s") % {"c": ", ".join(duplicate)})
    if problems:
        raise ValidationError(
            {
                "file": _("The header row does not fit a %(kind)s import (%(problems)s).")
                % {"kind": kind, "problems": "; ".join(problems)}
            }
        )


# --- Upload ----------------------------------------------------------------------------------


@transaction.atomic
def create_csv_import(
    *, principal: Principal, content: bytes, filename: str, kind: str, apply_valid_rows: bool
) -> CsvImport:
    """Check the file (size, encoding, columns, row count) and queue the import."""
    if kind not in KIND_SCOPES:
        raise ValidationError({"kind": _("Choose one of: %(k)s.") % {"k": ", ".join(KIND_SCOPES)}})
    scope = KIND_SCOPES[kind]
    if not principal.has_scope(scope):
        raise ScopeDenied(
            _("This import needs the %(scope)s scope.") % {"scope": scope},
            details={"required_scope": scope},
        )
    if len(content) > settings.POLKU_CSV_MAX_BYTES:
        raise too_large()
    header, rows = read_rows(decode(content))
    check_columns(kind, header)
    if not rows:
        raise ValidationError({"file": _("The file has a header row but no data rows.")})
    organisation = principal.organisation
    imp = CsvImport(
        organisation=organisation,
        client=principal.client,
        uploaded_by=principal.user if principal.client is None else None,
        kind=kind,
        apply_valid_rows=bool(apply_valid_rows),
        total_rows=len(rows),
    )
    digest = hashlib.sha256(content).hexdigest()[:12]
    imp.file.save(f"{kind}-{digest}.csv", ContentFile(content), save=False)
    imp.save()
    logger.info("csv import %s queued (%s rows)", imp.pk, len(rows))
    transaction.on_commit(lambda: _queue(imp.pk))
    return imp


def _queue(import_id: int) -> None:
    from .tasks import run_csv_import  # lazy: tasks import this module

    try:
        run_csv_import.delay(import_id)
    except Exception as exc:  # broker down: say so in the import itself
        logger.warning("csv import %s not queued: %s", import_id, exc.__class__.__name__)
        _fail(import_id, _("Queue unavailable."), from_status=(CsvImport.Status.PENDING,))


# --- Row parsing -----------------------------------------------------------------------------


# Every parser below turns any text into a value or a row error, never an exception
# (tests/integration/test_csv_import.py fuzzes them with arbitrary text).

_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _int(row, name, errors, *, required=True, low, high):
    value = row.get(name, "")
    if value == "":
        if required:
            errors[name] = [_("This field is required.")]
        return None
    number = parse_whole_number(value)
    if number is None and re.fullmatch(r"[+-]?[0-9]+", value):
        number = high + 1  # more digits than any id: out of range, said as such below
    if number is None:
        errors[name] = [_("A whole number is required.")]
        return None
    if number < low or number > high:
        errors[name] = [_("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
        return None
    return number


def _date(row, name, errors, *, required=True):
    value = row.get(name, "")
    if value == "":
        if required:
            errors[name] = [_("This field is required.")]
        return None
    try:
        if not _ISO_DATE_RE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = [_("Give a date as YYYY-MM-DD.")]
        return None


def parse_row(kind: str, row: dict[str, str]) -> tuple[dict | None, dict[str, list[str]]]:
    """A data row as (values to apply, None) or (None, errors): never an exception."""
    errors: dict[str, list[str]] = {}
    if row.pop("__extra__", None):
        errors["row"] = [_("More values than columns.")]
    if any("\x00" in value for value in row.values()):
        errors.setdefault("row", []).append(_("A value contains a NUL character."))
    parse, _apply = PARSERS[kind]
    data = parse(row, errors)
    return (None, errors) if errors else (data, errors)


def _parse_enrollment(row, errors):
    action = row.get("action") or "update"
    if action not in credential_services.ENROLLMENT_ACTIONS:
        errors["action"] = [_("Choose update, start, complete or interrupt.")]
    data = {
        "id": _int(row, "enrollment_id", errors, low=1, high=2**62),
        "version": _int(row, "version", errors, low=1, high=2**31),
        "action": action,
        "progress_percent": _int(row, "progress_percent", errors, required=False, low=0, high=100),
        "ends_on": _date(row, "ends_on", errors, required=False),
        "completed_on": _date(row, "completed_on", errors, required=action == "complete"),
        "reason": row.get("reason", ""),
    }
    if action == "interrupt" and not data["reason"]:
        errors["reason"] = [_("This field is required.")]
    if action == "update" and data["progress_percent"] is None and data["ends_on"] is None:
        errors.setdefault("progress_percent", [_("Give progress_percent and/or ends_on.")])
    return data


def _parse_language(row, errors):
    return {
        "case_id": _int(row, "case_id", errors, low=1, high=2**62),
        "language": row.get("language", ""),
        "test": row.get("test", ""),
        "taken_on": _date(row, "taken_on", errors),
        "issuer": row.get("issuer", ""),
        **{skill: row.get(skill, "") for skill in SUB_SKILLS},
    }


def _parse_permit(row, errors):
    decision = row.get("decision", "").lower()
    if decision not in ("granted", "refused"):
        errors["decision"] = [_("Write granted or refused.")]
    return {
        "id": _int(row, "permit_id", errors, low=1, high=2**62),
        "version": _int(row, "version", errors, low=1, high=2**31),
        "granted": decision == "granted",
        "decided_on": _date(row, "decided_on", errors),
        "valid_from": _date(row, "valid_from", errors, required=False),
        "valid_until": _date(row, "valid_until", errors, required=False),
        "reference": row.get("reference", ""),
    }


# --- Row application (the same services as the API) -----------------------------------------


def _apply_enrollment(principal: Principal, data):
    enrollment = selectors.enrollments_for(principal).filter(pk=data["id"]).first()
    if enrollment is None:
        raise Http404
    return credential_services.apply_enrollment_action(
        action=data["action"],
        enrollment=enrollment,
        actor=principal.actor,
        expected_version=data["version"],
        progress_percent=data["progress_percent"],
        ends_on=data["ends_on"],
        completed_on=data["completed_on"],
        reason=data["reason"],
    )


def _apply_language(principal: Principal, data):
    from recruitment.models import Organisation, OrganisationKind

    case = selectors.case_for_partner_write(principal, data["case_id"])
    if case is None:
        raise Http404
    if data["language"] not in ("fi", "sv"):
        raise ValidationError({"language": _("Write fi or sv.")})
    if data["test"] not in ("yki", "civil_service", "institution"):
        raise ValidationError({"test": _("Write yki, civil_service or institution.")})
    issuer = None
    if data["issuer"]:
        issuer = Organisation.objects.filter(
            code=data["issuer"], kind=OrganisationKind.EDUCATIONAL_INSTITUTION
        ).first()
        if issuer is None:
            raise ValidationError({"issuer": _("No institution has this code.")})
    return credential_services.record_language_certificate(
        case=case,
        actor=principal.actor,
        language=data["language"],
        test=data["test"],
        taken_on=data["taken_on"],
        speaking=data["speaking"],
        listening=data["listening"],
        reading=data["reading"],
        writing=data["writing"],
        issuer=issuer,
    )


def _apply_permit(principal: Principal, data):
    permit = selectors.permits_for(principal).filter(pk=data["id"]).first()
    if permit is None:
        raise Http404
    return credential_services.decide_permit(
        permit=permit,
        actor=principal.actor,
        expected_version=data["version"],
        granted=data["granted"],
        decided_on=data["decided_on"],
        valid_from=data["valid_from"],
        valid_until=data["valid_until"],
        reference=data["reference"],
    )


PARSERS = {
    CsvImport.Kind.ENROLLMENTS: (_parse_enrollment, _apply_enrollment),
    CsvImport.Kind.LANGUAGE_RESULTS: (_parse_language, _apply_language),
    CsvImport.Kind.PERMITS: (_parse_permit, _apply_permit),
}


def _errors_of(exc) -> dict[str, list[str]]:
    if isinstance(exc, Http404):
        return {"id": [_("No such record is visible to you.")]}
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        return {"row": [str(m) for m in exc.messages]}
    if isinstance(exc, PolkuError):
        reasons = exc.details.get("reasons") if isinstance(exc.details, dict) else None
        return {exc.code: [str(r) for r in (reasons or [exc.message])]}
    return {"row": [str(exc)]}


def _try(principal, apply, data, *, dry_run: bool, heartbeat=None) -> dict | None:
    """Run a row; None when it went through, else its errors. A dry run is rolled back.

    ``heartbeat`` runs inside the row's transaction after the row was applied, so the stored
    progress and the applied rows never disagree, even when the worker dies in between.
    """
    try:
        with transaction.atomic():
            apply(principal, data)
            if dry_run:
                raise _DryRun
            if heartbeat is not None:
                heartbeat()
    except _DryRun:
        return None
    except (ValidationError, PolkuError, Http404) as exc:
        return _errors_of(exc)
    except (_ImportTakenAway, *_NOT_ROW_ERRORS):
        raise
    except Exception as exc:  # a row we did not foresee: its own error, the import goes on
        logger.exception("csv import: a row failed unexpectedly")
        return {
            "row": [
                _("This row could not be processed (%(error)s); it was not applied.")
                % {"error": exc.__class__.__name__}
            ]
        }
    return None


def _principal_of(imp: CsvImport) -> Principal:
    if imp.client_id:
        if not imp.client.is_usable:
            raise PolkuError(_("The API client's token was revoked or expired."))
        return Principal.for_client(imp.client)
    if imp.uploaded_by_id:
        return Principal.for_user(imp.uploaded_by)
    raise PolkuError(_("Nobody to act for."))


def _progress(imp: CsvImport, status: str, processed: int, **fields) -> None:
    """Store progress (the worker's heartbeat), only while the import is still running here:
    one that ``fail_stale_imports`` failed meanwhile is not brought back."""
    updated = CsvImport.objects.filter(pk=imp.pk, status__in=CsvImport.RUNNING).update(
        status=status, processed_rows=processed, updated_at=timezone.now(), **fields
    )
    if not updated:
        raise _ImportTakenAway


def _fail(
    import_id: int,
    reason: str,
    *,
    from_status=CsvImport.RUNNING,
    silent_since: dt.datetime | None = None,
) -> bool:
    """Record that an import stopped, and why, unless it already ended (or, with
    ``silent_since``, unless its worker wrote progress since then). True if it did so."""
    ending = CsvImport.objects.filter(pk=import_id, status__in=from_status)
    if silent_since is not None:
        ending = ending.filter(updated_at__lt=silent_since)
    now = timezone.now()
    return bool(
        ending.update(
            status=CsvImport.Status.FAILED, failure_reason=reason, finished_at=now, updated_at=now
        )
    )


def run_csv_import(*, import_id: int) -> CsvImport:
    """Validate every row, then apply (all, the valid ones, or none). See the module doc.

    Whatever goes wrong while it runs, the import ends in a final state: an unexpected error
    is recorded as its failure (with the rows applied so far), never left "validating"."""
    claimed = CsvImport.objects.filter(pk=import_id, status=CsvImport.Status.PENDING).update(
        status=CsvImport.Status.VALIDATING, processed_rows=0, updated_at=timezone.now()
    )
    imp = CsvImport.objects.select_related("client__organisation", "uploaded_by").get(pk=import_id)
    if not claimed:  # already run, running elsewhere, or failed by the sweep
        return imp
    try:
        _run(imp)
    except _ImportTakenAway:
        logger.warning("csv import %s was failed while this worker ran it; stopped", imp.pk)
    except Exception as exc:
        logger.exception("csv import %s stopped", imp.pk)
        if isinstance(exc, SoftTimeLimitExceeded):
            reason = _("The import took longer than the time limit and was stopped.")
        else:
            reason = _("The import stopped because of an unexpected error (%(error)s).") % {
                "error": exc.__class__.__name__
            }
        _fail(imp.pk, _stopped_reason(imp.pk, reason))
    imp.refresh_from_db()
    return imp


def _stopped_reason(import_id: int, reason: str) -> str:
    """The reason, and how far the import got: rows applied before it stopped stay applied."""
    imp = CsvImport.objects.get(pk=import_id)
    if not imp.applied_rows:
        return _("%(reason)s No row was applied.") % {"reason": reason}
    return _(
        "%(reason)s %(applied)s of %(total)s rows had been applied before it stopped; check "
        "those records before uploading the rest again."
    ) % {"reason": reason, "applied": imp.applied_rows, "total": imp.total_rows}


def _run(imp: CsvImport) -> None:
    try:
        principal = _principal_of(imp)
        with imp.file.open("rb") as handle:
            _header, rows = read_rows(decode(handle.read()))
    except OSError:
        logger.exception("csv import %s: the stored file cannot be read", imp.pk)
        _fail(imp.pk, _("The stored file could not be read; upload it again."))
        return
    except (PolkuError, ValidationError) as exc:
        _fail(imp.pk, " ".join(m for ms in _errors_of(exc).values() for m in ms))
        return
    _parse, apply = PARSERS[imp.kind]
    report: list[dict] = []
    parsed: list[tuple[int, dict | None]] = []
    for index, row in enumerate(rows):
        line = index + 2  # the header is line 1
        data, errors = parse_row(imp.kind, row)
        if data is not None:
            errors = _try(principal, apply, data, dry_run=True) or {}
        report.append({"row": line, "status": "error" if errors else "valid", "errors": errors})
        parsed.append((line, None if errors else data))
        if (index + 1) % PROGRESS_EVERY == 0:
            _progress(imp, CsvImport.Status.VALIDATING, index + 1)
    error_rows = sum(1 for r in report if r["errors"])
    applied = 0
    if error_rows and not imp.apply_valid_rows:
        status = CsvImport.Status.REJECTED
        for entry in report:
            if not entry["errors"]:
                entry["status"] = "not_applied"
    else:
        # The validation report is kept before anything is applied, so an import that stops
        # while applying still shows every row's errors.
        _progress(imp, CsvImport.Status.APPLYING, 0, report=report, error_rows=error_rows)
        for position, (line, data) in enumerate(parsed):
            entry = report[line - 2]
            if data is not None:
                errors = _try(
                    principal,
                    apply,
                    data,
                    dry_run=False,
                    heartbeat=lambda p=position, a=applied: _progress(
                        imp, CsvImport.Status.APPLYING, p + 1, applied_rows=a + 1
                    ),
                )
                if errors:
                    entry.update(status="error", errors=errors)
                    error_rows += 1
                else:
                    entry["status"] = "applied"
                    applied += 1
            if (position + 1) % PROGRESS_EVERY == 0:
                _progress(imp, CsvImport.Status.APPLYING, position + 1)
        status = CsvImport.Status.DONE
    finished = CsvImport.objects.filter(pk=imp.pk, status__in=CsvImport.RUNNING).update(
        status=status,
        processed_rows=len(rows),
        applied_rows=applied,
        error_rows=error_rows,
        report=report,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if not finished:
        raise _ImportTakenAway
    logger.info("csv import %s %s: %s applied, %s errors", imp.pk, status, applied, error_rows)


def fail_stale_imports(*, now: dt.datetime | None = None) -> int:
    """Fail the imports nobody is working on (run by Celery beat); how many were failed.

    A running import whose heartbeat (``updated_at``) is older than
    ``POLKU_CSV_IMPORT_LEASE_SECONDS`` lost its worker (killed, out of memory, restarted); a
    pending one older than ``POLKU_CSV_IMPORT_QUEUE_SECONDS`` was never picked up. Each is
    failed with a conditional update, so a worker that is alive after all finds its import
    failed and stops instead of bringing it back.
    """
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.POLKU_CSV_IMPORT_LEASE_SECONDS)
    queue = dt.timedelta(seconds=settings.POLKU_CSV_IMPORT_QUEUE_SECONDS)
    failed = 0
    stale = CsvImport.objects.filter(status__in=CsvImport.RUNNING, updated_at__lt=now - lease)
    for pk in stale.values_list("pk", flat=True):
        reason = _(
            "The background job stopped working on the import (no progress for %(minutes)s "
            "minutes)."
        ) % {"minutes": int(lease.total_seconds() // 60)}
        if _fail(pk, _stopped_reason(pk, reason), silent_since=now - lease):
            failed += 1
    never_started = CsvImport.objects.filter(
        status=CsvImport.Status.PENDING, created_at__lt=now - queue
    )
    for pk in never_started.values_list("pk", flat=True):
        reason = _(
            "The import was not started within %(minutes)s minutes: the background worker may "
            "be down. Upload the file again later."
        ) % {"minutes": int(queue.total_seconds() // 60)}
        if _fail(pk, reason, from_status=(CsvImport.Status.PENDING,)):
            failed += 1
    if failed:
        logger.warning("csv imports: %s stale imports failed", failed)
    return failed


def report_csv(imp: CsvImport) -> str:
    """The row-by-row report as CSV: row, status, errors (cells made safe for spreadsheets)."""
    rows: list[list] = [["row", "status", "errors"]]
    for entry in imp.report or []:
        messages = [
            f"{field}: {message}"
            for field, field_messages in (entry.get("errors") or {}).items()
            for message in field_messages
        ]
        rows.append([entry.get("row"), entry.get("status"), "; ".join(messages)])
    return csv_export.to_csv(rows)
