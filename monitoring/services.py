"""Writes of the monitoring app: daily snapshots and half-yearly reports."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from recruitment import authz
from recruitment.errors import NotPermitted, PolkuError

from . import selectors
from .models import (
    FlowSnapshot,
    HalfYearReport,
    PermitExpirySnapshot,
    SnapshotRun,
    StockSnapshot,
    TransitionSnapshot,
    half_year_bounds,
)
from .snapshots import compute_snapshots

logger = logging.getLogger(__name__)
_BATCH = 5000


class ReportAlreadyRunning(PolkuError):
    code = "report_already_running"
    status = 409


# --- Snapshots -------------------------------------------------------------------------------


def _cell(day: dt.date, county: int, profession: int, country: int) -> dict:
    """The dimensions every snapshot row has."""
    return {"date": day, "county_id": county, "profession_id": profession, "country_id": country}


def take_snapshots(*, since: dt.date, until: dt.date | None = None) -> dict[str, int]:
    """(Re)compute the snapshot rows of every date from ``since`` to ``until`` (default today).

    Idempotent: each date's rows are replaced in one transaction, so a rerun (or a back-fill
    over dates already done) gives the same rows, never duplicates.
    """
    today = timezone.localdate()
    until = until or today
    if since > until:
        raise ValidationError(_("The first date must not be after the last date."))
    if until > today:
        raise ValidationError(_("Snapshots cannot be taken for future dates."))
    written = {"dates": 0, "stock": 0, "flow": 0, "transitions": 0, "permits": 0}
    pending: dict[str, list] = {"stock": [], "flow": [], "transitions": [], "permits": []}
    dates: list[dt.date] = []
    now = timezone.now()

    def flush():
        with transaction.atomic():
            for model in (StockSnapshot, FlowSnapshot, TransitionSnapshot, PermitExpirySnapshot):
                model.objects.filter(date__in=dates).delete()
            StockSnapshot.objects.bulk_create(pending["stock"], batch_size=_BATCH)
            FlowSnapshot.objects.bulk_create(pending["flow"], batch_size=_BATCH)
            TransitionSnapshot.objects.bulk_create(pending["transitions"], batch_size=_BATCH)
            PermitExpirySnapshot.objects.bulk_create(pending["permits"], batch_size=_BATCH)
            for day in dates:
                SnapshotRun.objects.update_or_create(date=day, defaults={"computed_at": now})
        for key, rows in pending.items():
            written[key] += len(rows)
            rows.clear()
        written["dates"] += len(dates)
        dates.clear()

    for snap in compute_snapshots(since, until):
        dates.append(snap.date)
        d = snap.date
        pending["stock"] += [
            StockSnapshot(**_cell(d, c, p, k), recruitment_basis=b, state=s, cases=n)
            for (c, p, k, b, s), n in snap.stock.items()
        ]
        pending["flow"] += [
            FlowSnapshot(
                **_cell(d, c, p, k), recruitment_basis=b, entered=e, placed=pl, dropped_out=do
            )
            for (c, p, k, b), (e, pl, do) in snap.flow.items()
        ]
        pending["transitions"] += [
            TransitionSnapshot(
                **_cell(d, c, p, k), from_state=f, to_state=t, days_in_state=days, transitions=n
            )
            for (c, p, k, f, t, days), n in snap.transitions.items()
        ]
        pending["permits"] += [
            PermitExpirySnapshot(**_cell(d, c, p, k), within_30_days=w30, within_90_days=w90)
            for (c, p, k), (w30, w90) in snap.permits.items()
        ]
        if sum(len(v) for v in pending.values()) >= 20 * _BATCH:
            flush()
    if dates:
        flush()
    selectors.warm_dashboard_cache()
    logger.info("Monitoring snapshots %s..%s: %s", since, until, written)
    return written


def take_daily_snapshots() -> dict[str, int]:
    """Celery beat: yesterday (final) and today (so far)."""
    today = timezone.localdate()
    return take_snapshots(since=today - dt.timedelta(days=1), until=today)


# --- Half-yearly reports ---------------------------------------------------------------------


def validate_period(*, year: int, half: int) -> None:
    if half not in (1, 2):
        raise ValidationError({"half": _("Choose H1 (January–June) or H2 (July–December).")})
    start, _end = half_year_bounds(year, half)
    if start > timezone.localdate():
        raise ValidationError(
            {"year": _("H%(half)s %(year)s has not started yet.") % {"half": half, "year": year}}
        )
    if year < 2020:
        raise ValidationError({"year": _("Reports start from 2020.")})


def request_report(*, user, year: int, half: int, language: str = "fi") -> HalfYearReport:
    """Queue a report for a half-year; refuses while one for the same period is in progress."""
    if not authz.can_view_monitoring(user):
        raise NotPermitted(_("Only ministry analysts can generate monitoring reports."))
    validate_period(year=year, half=half)
    try:
        with transaction.atomic():
            running = (
                HalfYearReport.objects.select_for_update()
                .filter(year=year, half=half, status__in=HalfYearReport.ACTIVE)
                .first()
            )
            if running is not None:
                raise _already_running(running)
            report = HalfYearReport(year=year, half=half, generated_by=user, language=language)
            report.full_clean(exclude=["file"])
            report.save()
    except IntegrityError as exc:  # a concurrent request won the race (unique constraint)
        running = HalfYearReport.objects.filter(
            year=year, half=half, status__in=HalfYearReport.ACTIVE
        ).first()
        raise _already_running(running) from exc
    return report


def _already_running(report: HalfYearReport | None) -> ReportAlreadyRunning:
    if report is None:
        return ReportAlreadyRunning(_("A report for this period is already being generated."))
    return ReportAlreadyRunning(
        _(
            "A report for %(period)s is already being generated (requested by %(user)s at "
            "%(at)s, %(progress)s %% done). Wait for it to finish."
        )
        % {
            "period": report.period_label,
            "user": report.generated_by or "?",
            "at": timezone.localtime(report.requested_at).strftime("%Y-%m-%d %H:%M"),
            "progress": report.progress,
        }
    )


def _user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _set_progress(report_id: int, progress: int, **fields) -> None:
    HalfYearReport.objects.filter(pk=report_id).update(progress=progress, **fields)


def generate_report(*, report_id: int) -> HalfYearReport:
    """Render the PDF of a queued report, recording progress as it goes (Celery task body)."""
    from .pdf import render_half_year_report  # reportlab is only loaded by the worker

    with transaction.atomic():
        report = HalfYearReport.objects.select_for_update().get(pk=report_id)
        if report.status != HalfYearReport.Status.QUEUED:
            return report  # a redelivered task: the work is done or in progress elsewhere
        report.status = HalfYearReport.Status.RUNNING
        report.progress = 1
        report.save(update_fields=["status", "progress"])
    try:
        with translation.override(report.language):
            pdf_bytes, data_date = render_half_year_report(
                year=report.year,
                half=report.half,
                generated_by=_user_label(report.generated_by),
                progress=lambda p: _set_progress(report_id, max(1, min(99, p))),
            )
        with transaction.atomic():
            report = HalfYearReport.objects.select_for_update().get(pk=report_id)
            report.file.save(
                f"polku-monitoring-{report.year}-H{report.half}-{report.pk}.pdf",
                ContentFile(pdf_bytes),
                save=False,
            )
            report.status = HalfYearReport.Status.DONE
            report.progress = 100
            report.generated_at = timezone.now()
            report.data_date = data_date
            report.save()
    except Exception as exc:
        logger.exception("Monitoring report %s failed", report_id)
        HalfYearReport.objects.filter(pk=report_id).update(
            status=HalfYearReport.Status.FAILED,
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
        raise
    return report
