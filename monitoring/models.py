"""Monitoring: county targets, daily aggregate snapshots and half-yearly reports.

Snapshot tables hold counts only (no case or person ids): one row per date and cell of
county × profession × source country (× state or transition). They are written by
``monitoring.services.take_snapshots`` (Celery beat and ``manage.py backfill_snapshots``);
rerunning a date replaces that date's rows, so the writer is idempotent and back-fillable.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from recruitment.models import CaseState, Country, Organisation, OrganisationKind, Profession


class HalfYear(models.IntegerChoices):
    H1 = 1, _("H1 (January–June)")
    H2 = 2, _("H2 (July–December)")


def half_year_bounds(year: int, half: int) -> tuple[dt.date, dt.date]:
    """First and last day of a half-year (DOMAIN.md: H1 = Jan–Jun, H2 = Jul–Dec)."""
    if half == 1:
        return dt.date(year, 1, 1), dt.date(year, 6, 30)
    return dt.date(year, 7, 1), dt.date(year, 12, 31)


class CountyTarget(models.Model):
    """A county's own placement target for one half-year (entered by admins)."""

    county = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="placement_targets",
        limit_choices_to={"kind": OrganisationKind.COUNTY},
        verbose_name=_("county"),
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2020), MaxValueValidator(2100)]
    )
    half = models.PositiveSmallIntegerField(_("half-year"), choices=HalfYear.choices)
    target_placements = models.PositiveIntegerField(_("target placements"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("county placement target")
        verbose_name_plural = _("county placement targets")
        ordering = ["-year", "-half", "county__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "half"], name="countytarget_unique_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county} H{self.half} {self.year}: {self.target_placements}"

    def clean(self) -> None:
        if self.county_id and self.county.kind != OrganisationKind.COUNTY:
            raise ValidationError({"county": _("Targets are set for wellbeing services counties.")})


class _SnapshotCell(models.Model):
    """The dimensions every snapshot row shares."""

    date = models.DateField(_("date"), db_index=True)
    county = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    profession = models.ForeignKey(Profession, on_delete=models.CASCADE, related_name="+")
    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.date}"


class StockSnapshot(_SnapshotCell):
    """Cases in each state at the end of ``date`` (with permits expiring soon)."""

    state = models.CharField(max_length=30, choices=CaseState.choices)
    recruitment_basis = models.CharField(max_length=30)
    cases = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("stock snapshot")
        indexes = [models.Index(fields=["date", "county", "profession"])]


class PermitExpirySnapshot(_SnapshotCell):
    """Cases not closed at the end of ``date`` whose permit ends within 30 / 90 days."""

    within_30_days = models.PositiveIntegerField(default=0)
    within_90_days = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("permit expiry snapshot")


class FlowSnapshot(_SnapshotCell):
    """Cases that entered, were placed and dropped out on ``date``."""

    recruitment_basis = models.CharField(max_length=30)
    entered = models.PositiveIntegerField(default=0)
    placed = models.PositiveIntegerField(default=0)
    dropped_out = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("flow snapshot")
        # (county, date): a county page reads one county's half-year.
        indexes = [models.Index(fields=["date", "county"]), models.Index(fields=["county", "date"])]


class TransitionSnapshot(_SnapshotCell):
    """Transitions on ``date`` from one state to another, by days spent in the state left."""

    from_state = models.CharField(max_length=30, choices=CaseState.choices)
    to_state = models.CharField(max_length=30, choices=CaseState.choices)
    days_in_state = models.PositiveIntegerField()
    transitions = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("transition snapshot")
        indexes = [models.Index(fields=["date", "from_state"])]


class SnapshotRun(models.Model):
    """One date's snapshot was (re)computed; the dashboard shows the latest as its data date."""

    date = models.DateField(_("date"), unique=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("snapshot run")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} ({self.computed_at:%Y-%m-%d %H:%M})"


class HalfYearReport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(_("half-year"), choices=HalfYear.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    file = models.FileField(_("file"), upload_to="monitoring/reports/", blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("generated by"),
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    data_date = models.DateField(_("data date"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="fi")

    class Meta:
        verbose_name = _("half-year report")
        verbose_name_plural = _("half-year reports")
        ordering = ["-requested_at"]
        constraints = [
            # No duplicate work: one queued/running report per period at a time.
            models.UniqueConstraint(
                fields=["year", "half"],
                condition=Q(status__in=["queued", "running"]),
                name="halfyearreport_one_active_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_label} ({self.get_status_display()})"

    @property
    def period_label(self) -> str:
        return f"H{self.half} {self.year}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE
