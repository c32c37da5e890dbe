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

Reading the file and parsing rows (no database) is ``integration.csv_parsing``; its public
names are importable from here too (``imports.read_upload``, ``imports.CappedUpload``, ...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from credentials import services as credential_services
from recruitment import csv_export
from recruitment.errors import PolkuError, ScopeDenied

from . import selectors
from .csv_parsing import (
    OPTIONAL_COLUMNS,
    PARSERS,
    REQUIRED_COLUMNS,
    CappedUpload,
    check_columns,
    decode,
    parse_row,
    read_rows,
    read_upload,
    too_large,
)
from .models import CsvImport
from .principals import Principal

__all__ = [  # what callers import from here: the import's steps and the file checks
    "KIND_SCOPES",
    "OPTIONAL_COLUMNS",
    "PARSERS",
    "REQUIRED_COLUMNS",
    "CappedUpload",
    "check_columns",
    "create_csv_import",
    "decode",
    "fail_stale_imports",
    "parse_row",
    "read_rows",
    "read_upload",
    "report_csv",
    "run_csv_import",
    "too_large",
]

logger = logging.getLogger("polku.integration")

PROGRESS_EVERY = 25
KIND_SCOPES = {
    CsvImport.Kind.ENROLLMENTS: "training:write",
    CsvImport.Kind.LANGUAGE_RESULTS: "training:write",
    CsvImport.Kind.PERMITS: "permits:write",
}


class _DryRun(Exception):
    """Raised to roll back a row tried during validation."""


class _ImportTakenAway(Exception):
    """The import is no longer running for this worker (``fail_stale_imports`` failed it)."""


# Errors that are not about a row: the database connection went away, or Celery's soft time
# limit. They stop the whole import (which then ends failed), not just the row.
_NOT_ROW_ERRORS = (OperationalError, InterfaceError, SoftTimeLimitExceeded)


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


APPLIERS = {
    CsvImport.Kind.ENROLLMENTS: _apply_enrollment,
    CsvImport.Kind.LANGUAGE_RESULTS: _apply_language,
    CsvImport.Kind.PERMITS: _apply_permit,
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
    loaded = _load(imp)
    if loaded is None:
        return
    principal, rows = loaded
    apply = APPLIERS[imp.kind]
    report, parsed = _validate(imp, principal, apply, rows)
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
        applied, failed = _apply(imp, principal, apply, report, parsed)
        error_rows += failed
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


def _load(imp: CsvImport) -> tuple[Principal, list[dict[str, str]]] | None:
    """Whom the import acts for, and its rows; None when either cannot be had (the import
    is failed then, with the reason)."""
    try:
        principal = _principal_of(imp)
        with imp.file.open("rb") as handle:
            _header, rows = read_rows(decode(handle.read()))
    except OSError:
        logger.exception("csv import %s: the stored file cannot be read", imp.pk)
        _fail(imp.pk, _("The stored file could not be read; upload it again."))
        return None
    except (PolkuError, ValidationError) as exc:
        _fail(imp.pk, " ".join(m for ms in _errors_of(exc).values() for m in ms))
        return None
    return principal, rows


def _validate(imp: CsvImport, principal: Principal, apply, rows) -> tuple[list, list]:
    """Phase 1: parse each row and try it (rolled back). Returns the report (one entry per
    row) and the rows to apply as (line, values), values None where the row has errors."""
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
    return report, parsed


def _apply(imp: CsvImport, principal: Principal, apply, report, parsed) -> tuple[int, int]:
    """Phase 2: apply each valid row in its own transaction, updating its report entry.
    Returns (rows applied, rows that failed now)."""
    applied = failed = 0
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
                failed += 1
            else:
                entry["status"] = "applied"
                applied += 1
        if (position + 1) % PROGRESS_EVERY == 0:
            _progress(imp, CsvImport.Status.APPLYING, position + 1)
    return applied, failed


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
