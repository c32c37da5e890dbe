"""Reading a CSV import's file and parsing its rows: pure functions, no database.

The file's size, encoding, columns and row count are checked at upload time (a wrong file
gets its answer at once); every row parser turns any text into values or row errors, never
an exception (tests/integration/test_csv_import.py fuzzes them with arbitrary text). Trying
and applying the parsed rows through the services is ``integration.imports``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import gettext as _

from credentials.models import SUB_SKILLS
from credentials.services.training import ENROLLMENT_ACTIONS
from recruitment.parsing import parse_whole_number

from .models import CsvImport

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
    data = PARSERS[kind](row, errors)
    return (None, errors) if errors else (data, errors)


def _parse_enrollment(row, errors):
    action = row.get("action") or "update"
    if action not in ENROLLMENT_ACTIONS:
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


PARSERS = {
    CsvImport.Kind.ENROLLMENTS: _parse_enrollment,
    CsvImport.Kind.LANGUAGE_RESULTS: _parse_language,
    CsvImport.Kind.PERMITS: _parse_permit,
}
