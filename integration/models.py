"""Models of the integration app: API clients and their tokens, idempotency records, webhook
subscriptions with their outbox and deliveries, and CSV imports.

Data and simple properties only; every write goes through ``integration.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recruitment.models import Organisation, OrganisationKind

# --- Scopes ----------------------------------------------------------------------------------

SCOPES: dict[str, str] = {
    "cases:read": _("Read the cases linked to your organisation (minimal view per scope)."),
    "cases:write": _("Run case transitions (counties only)."),
    "training:read": _("Read enrollments and language certificates."),
    "training:write": _("Create and update enrollments; record language certificates."),
    "permits:read": _("Read residence permits and integration steps."),
    "permits:write": _("Record and decide residence permits; record integration steps."),
    "webhooks:manage": _("Manage your webhook subscriptions."),
}

# Which scopes an organisation of each kind may hold: educators never see permit data,
# employment services never write training records, only counties change cases.
SCOPES_BY_ORGANISATION_KIND: dict[str, set[str]] = {
    OrganisationKind.COUNTY: set(SCOPES),
    OrganisationKind.EDUCATIONAL_INSTITUTION: {
        "cases:read",
        "training:read",
        "training:write",
        "webhooks:manage",
    },
    OrganisationKind.EMPLOYMENT_SERVICE: {
        "cases:read",
        "permits:read",
        "permits:write",
        "webhooks:manage",
    },
}


def allowed_scopes(organisation: Organisation) -> set[str]:
    return SCOPES_BY_ORGANISATION_KIND.get(organisation.kind, set())


# --- API clients -----------------------------------------------------------------------------


class ApiClient(models.Model):
    """A partner system acting for one organisation with a bearer token.

    The token is shown once when the client is created; only its SHA-256 hash is stored.
    ``token_prefix`` (the first characters) lets people tell their tokens apart.
    """

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="api_clients",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=120)
    scopes = models.JSONField(_("scopes"), default=list)
    token_prefix = models.CharField(_("token prefix"), max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["organisation", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired


class IdempotencyRecord(models.Model):
    """The first response to a POST with an ``Idempotency-Key``, replayed for 24 hours."""

    principal = models.CharField(max_length=40)  # "client:<id>" or "user:<id>"
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"


# --- Webhooks --------------------------------------------------------------------------------


class EventType(models.TextChoices):
    CASE_OPENED = "case.opened", _("Case opened")
    CASE_TRANSITIONED = "case.transitioned", _("Case changed state")
    CASE_CHANGED = "case.changed", _("Case details changed")
    CASE_MILESTONE = "case.milestone", _("Case milestone recorded")
    CASE_PLACEMENT = "case.placement", _("Placement recorded")
    CASE_RETENTION = "case.retention", _("Retention check recorded")
    TRAINING_CHANGED = "training.changed", _("Enrollment or language certificate changed")
    PERMIT_CHANGED = "permit.changed", _("Residence permit or integration step changed")
    CREDENTIAL_CHANGED = "credential.changed", _("Other credential track changed")


# The scope a subscriber needs to receive each event type (field minimisation for webhooks:
# an educational institution never hears about permits).
EVENT_SCOPES: dict[str, str] = {
    EventType.CASE_OPENED: "cases:read",
    EventType.CASE_TRANSITIONED: "cases:read",
    EventType.CASE_CHANGED: "cases:read",
    EventType.CASE_MILESTONE: "cases:read",
    EventType.CASE_PLACEMENT: "cases:read",
    EventType.CASE_RETENTION: "cases:read",
    EventType.TRAINING_CHANGED: "training:read",
    EventType.PERMIT_CHANGED: "permits:read",
    EventType.CREDENTIAL_CHANGED: "cases:read",
}


class WebhookSubscription(models.Model):
    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("client")
    )
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    event_types = models.JSONField(
        _("event types"), default=list, blank=True, help_text=_("Empty: every event type.")
    )
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["updated_at", "id"]

    def __str__(self) -> str:
        return f"{self.client.name} → {self.url}"

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class OutboxEvent(models.Model):
    """A change worth telling partners about, written in the same transaction as the change."""

    event_type = models.CharField(max_length=40, choices=EventType.choices)
    case_id = models.PositiveBigIntegerField(db_index=True)
    # The audit event this reports: who may hear of it is decided on that event
    # (recruitment.authz.case_visibility) when deliveries are made.
    case_event_id = models.PositiveBigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} case {self.case_id}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead-lettered")

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    dead_lettered_at = models.DateTimeField(_("dead-lettered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="delivery_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription.url} ({self.get_status_display()})"


# --- CSV import ------------------------------------------------------------------------------


class CsvImport(models.Model):
    class Kind(models.TextChoices):
        ENROLLMENTS = "enrollments", _("Enrollment progress")
        LANGUAGE_RESULTS = "language_results", _("Language results")
        PERMITS = "permits", _("Residence permit decisions")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        VALIDATING = "validating", _("Validating")
        APPLYING = "applying", _("Applying")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected: errors found, nothing applied")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    client = models.ForeignKey(
        ApiClient, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    apply_valid_rows = models.BooleanField(
        _("apply valid rows"),
        default=False,
        help_text=_("Apply the rows without errors even when other rows have errors."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    applied_rows = models.PositiveIntegerField(_("applied rows"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    report = models.JSONField(_("row report"), default=list, blank=True)
    # Why a failed import stopped (the file, the token, the worker), in English as the system
    # writes it; rows already applied stay applied (``applied_rows``).
    failure_reason = models.TextField(_("failure reason"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    # The worker's heartbeat too: it writes progress at least every PROGRESS_EVERY rows, and
    # ``imports.fail_stale_imports`` fails a running import whose heartbeat stopped.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    RUNNING = (Status.VALIDATING, Status.APPLYING)
    FINISHED = (Status.DONE, Status.REJECTED, Status.FAILED)

    class Meta:
        verbose_name = _("CSV import")
        verbose_name_plural = _("CSV imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        """Validation is the first half of the work, applying the second."""
        if self.status in (self.Status.DONE, self.Status.REJECTED):
            return 100
        if not self.total_rows:
            return 0
        done = self.processed_rows / self.total_rows
        if self.status == self.Status.APPLYING:
            return min(99, 50 + int(done * 50))
        return min(50, int(done * 50))
