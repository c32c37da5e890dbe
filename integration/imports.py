"""CSV import of status updates (enrollment progress, language results, permit decisions).

Two phases, each reporting progress while it runs:

1. **Validate** every row: parse it, then try it for real inside a transaction that is rolled
   back (so the same guards and permissions as the API apply).
2. **Apply**: if any row had errors and the uploader did not choose "apply valid rows",
   nothing is applied and the import is *rejected*; otherwise every valid row is applied in
   its own transaction.

The encoding and the columns are checked at upload time, so a wrong file gets its answer at
once (4xx), not after a queue.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from credentials import services as credential_services
from credentials.models import SUB_SKILLS
from recruitment import csv_export
from recruitment.errors import PolkuError, ScopeDenied

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


# --- Reading the file ------------------------------------------------------------------------


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
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = [h.strip() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        rows = [
            {k: (v or "").strip() for k, v in row.items() if k is not None}
            | ({"__extra__": "1"} if None in row else {})
            for row in reader
        ]
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
        raise ValidationError(
            {
                "file": _("The file is larger than %(mb)s MB.")
                % {"mb": settings.POLKU_CSV_MAX_BYTES // 2**20}
            }
        )
    header, rows = read_rows(decode(content))
    check_columns(kind, header)
    if not rows:
        raise ValidationError({"file": _("The file has a header row but no data rows.")})
    if len(rows) > settings.POLKU_CSV_MAX_ROWS:
        raise ValidationError(
            {"file": _("At most %(n)s rows per file.") % {"n": settings.POLKU_CSV_MAX_ROWS}}
        )
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
        CsvImport.objects.filter(pk=import_id, status=CsvImport.Status.PENDING).update(
            status=CsvImport.Status.FAILED,
            report=[{"row": 0, "status": "error", "errors": {"file": [_("Queue unavailable.")]}}],
        )


# --- Row parsing -----------------------------------------------------------------------------


def _int(row, name, errors, *, required=True, low=None, high=None):
    value = row.get(name, "")
    if value == "":
        if required:
            errors[name] = [_("This field is required.")]
        return None
    if not value.lstrip("-").isdigit():
        errors[name] = [_("A whole number is required.")]
        return None
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
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
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = [_("Give a date as YYYY-MM-DD.")]
        return None


def _parse_enrollment(row, errors):
    action = row.get("action") or "update"
    if action not in ("update", "start", "complete", "interrupt"):
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
    common = {
        "enrollment": enrollment,
        "actor": principal.actor,
        "expected_version": data["version"],
    }
    if data["action"] == "start":
        return credential_services.start_enrollment(**common)
    if data["action"] == "complete":
        return credential_services.complete_enrollment(**common, completed_on=data["completed_on"])
    if data["action"] == "interrupt":
        return credential_services.interrupt_enrollment(**common, reason=data["reason"])
    return credential_services.update_enrollment(
        **common, progress_percent=data["progress_percent"], ends_on=data["ends_on"]
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


def _try(principal, apply, data, *, dry_run: bool) -> dict | None:
    """Run a row; None when it went through, else its errors. A dry run is rolled back."""
    try:
        with transaction.atomic():
            apply(principal, data)
            if dry_run:
                raise _DryRun
    except _DryRun:
        return None
    except (ValidationError, PolkuError, Http404) as exc:
        return _errors_of(exc)
    return None


def _principal_of(imp: CsvImport) -> Principal:
    if imp.client_id:
        if not imp.client.is_usable:
            raise PolkuError(_("The API client's token was revoked or expired."))
        return Principal.for_client(imp.client)
    if imp.uploaded_by_id:
        return Principal.for_user(imp.uploaded_by)
    raise PolkuError(_("Nobody to act for."))


def _progress(imp: CsvImport, status: str, processed: int) -> None:
    CsvImport.objects.filter(pk=imp.pk).update(
        status=status, processed_rows=processed, updated_at=timezone.now()
    )


def run_csv_import(*, import_id: int) -> CsvImport:
    """Validate every row, then apply (all, the valid ones, or none). See the module doc."""
    imp = CsvImport.objects.select_related("client__organisation", "uploaded_by").get(pk=import_id)
    if imp.status not in (CsvImport.Status.PENDING,):
        return imp
    try:
        principal = _principal_of(imp)
        with imp.file.open("rb") as handle:
            _header, rows = read_rows(decode(handle.read()))
    except (PolkuError, ValidationError, OSError) as exc:
        imp.status = CsvImport.Status.FAILED
        imp.report = [{"row": 0, "status": "error", "errors": _errors_of(exc)}]
        imp.finished_at = timezone.now()
        imp.save(update_fields=["status", "report", "finished_at", "updated_at"])
        return imp
    parse, apply = PARSERS[imp.kind]
    report: list[dict] = []
    parsed: list[tuple[int, dict | None]] = []
    _progress(imp, CsvImport.Status.VALIDATING, 0)
    for index, row in enumerate(rows):
        line = index + 2  # the header is line 1
        errors: dict = {}
        if row.pop("__extra__", None):
            errors["row"] = [_("More values than columns.")]
        data = parse(row, errors)
        if not errors:
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
        _progress(imp, CsvImport.Status.APPLYING, 0)
        for position, (line, data) in enumerate(parsed):
            entry = report[line - 2]
            if data is not None:
                errors = _try(principal, apply, data, dry_run=False)
                if errors:
                    entry.update(status="error", errors=errors)
                    error_rows += 1
                else:
                    entry["status"] = "applied"
                    applied += 1
            if (position + 1) % PROGRESS_EVERY == 0:
                _progress(imp, CsvImport.Status.APPLYING, position + 1)
        status = CsvImport.Status.DONE
    CsvImport.objects.filter(pk=imp.pk).update(
        status=status,
        processed_rows=len(rows),
        applied_rows=applied,
        error_rows=error_rows,
        report=report,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    imp.refresh_from_db()
    logger.info("csv import %s %s: %s applied, %s errors", imp.pk, status, applied, error_rows)
    return imp


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
