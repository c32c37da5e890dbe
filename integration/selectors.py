"""Reads for the partner API, shaped for its endpoints.

Every list selector joins what its serializer shows, so a page costs a constant number of
queries whatever its size. Visibility is decided by ``recruitment.authz`` for cases and by
``credentials.authz.record_condition`` for the records of each credential track (an
institution sees its own enrollments, an employment service its own integration steps).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db.models import Q, QuerySet
from django.utils import timezone

from credentials import authz as credential_authz
from credentials.models import (
    IntegrationStep,
    LanguageCertificate,
    ResidencePermit,
    TrainingEnrollment,
)
from recruitment import authz
from recruitment.models import Case

from .models import ApiClient, CsvImport, IdempotencyRecord, WebhookDelivery, WebhookSubscription
from .principals import Principal

IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)


def hash_token(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def client_for_token(raw_token: str) -> ApiClient | None:
    """The client owning a token (looked up by its hash), revoked or expired ones included."""
    return (
        ApiClient.objects.select_related("organisation")
        .filter(token_hash=hash_token(raw_token))
        .first()
    )


def api_clients_for_user(user) -> QuerySet[ApiClient]:
    """Clients an organisation admin manages (platform admins: all)."""
    if authz.is_platform_admin(user):
        qs = ApiClient.objects.all()
    else:
        qs = ApiClient.objects.filter(organisation_id__in=authz.administered_organisation_ids(user))
    return qs.select_related("organisation", "created_by")


def idempotency_record(principal_key: str, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(
        principal=principal_key, key=key, created_at__gte=timezone.now() - IDEMPOTENCY_WINDOW
    ).first()


# --- Cases -----------------------------------------------------------------------------------


def visible_cases(principal: Principal) -> QuerySet[Case]:
    if principal.client is not None:
        return authz.cases_for_organisation(principal.client.organisation)
    return authz.visible_cases(principal.user)


def cases_for_api(principal: Principal) -> QuerySet[Case]:
    return visible_cases(principal).select_related("candidate__nationality", "county", "profession")


# What the case list shows (CaseSerializer): nothing else is read from the database.
CASE_LIST_FIELDS = (
    "number",
    "state",
    "version",
    "opened_on",
    "state_changed_at",
    "closed_at",
    "updated_at",
    "county_id",
    *authz.MILESTONE_TRACKS,  # the case's milestone fields
    "county__code",
    "profession__code",
    "candidate__first_name",
    "candidate__last_name",
    "candidate__email",
    "candidate__phone",
    "candidate__birth_date",
    "candidate__nationality__code",
)


def case_list_for_api(principal: Principal) -> QuerySet:
    """The case list: one narrow query per page, rows as dicts (only the columns the list
    shows, and no model instances: building five objects per row cost more than the query)."""
    return visible_cases(principal).values("id", "candidate_id", *CASE_LIST_FIELDS)


def _records(principal: Principal, track: str) -> Q:
    """The track's records the principal sees: the one rule of
    ``credentials.authz.record_condition`` (its counties' cases; as a partner, linked cases
    of the tracks its kind handles, only its own records where records belong to one)."""
    return credential_authz.record_condition(
        track,
        everything=principal.is_platform_admin,
        county_ids=principal.county_ids,
        partner_ids_by_kind=principal.partner_ids_by_kind(),
    )


def enrollments_for(principal: Principal) -> QuerySet[TrainingEnrollment]:
    """Counties: their cases' enrollments; institutions: their own enrollments only."""
    return TrainingEnrollment.objects.filter(
        _records(principal, credential_authz.TRAINING)
    ).select_related("case", "institution")


def language_certificates_for(principal: Principal) -> QuerySet[LanguageCertificate]:
    """Counties: their cases'; institutions: certificates of cases linked to them."""
    return LanguageCertificate.objects.filter(
        _records(principal, credential_authz.LANGUAGE)
    ).select_related("case", "issuer")


def permits_for(principal: Principal) -> QuerySet[ResidencePermit]:
    """Counties: their cases'; employment services: permits of cases referred to them."""
    return ResidencePermit.objects.filter(
        _records(principal, credential_authz.PERMIT)
    ).select_related("case")


def integration_steps_for(principal: Principal) -> QuerySet[IntegrationStep]:
    """Counties: their cases' steps; employment services: their own steps."""
    return IntegrationStep.objects.filter(
        _records(principal, credential_authz.INTEGRATION)
    ).select_related("case", "organisation")


def case_for_partner_write(principal: Principal, case_id) -> Case | None:
    """A case the principal may add track records to (its county's, or linked to it)."""
    return visible_cases(principal).filter(pk=case_id).first()


# --- Webhooks and imports --------------------------------------------------------------------


def subscriptions_for(principal: Principal) -> QuerySet[WebhookSubscription]:
    if principal.client is None:
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.filter(client=principal.client).select_related("client")


def active_subscriptions_exist() -> bool:
    return WebhookSubscription.objects.filter(
        active=True, client__revoked_at__isnull=True, client__expires_at__gt=timezone.now()
    ).exists()


def due_deliveries(limit: int = 100) -> QuerySet[WebhookDelivery]:
    return (
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .select_related("event", "subscription")
        .order_by("next_attempt_at", "id")[:limit]
    )


def imports_for(principal: Principal) -> QuerySet[CsvImport]:
    if principal.is_platform_admin:
        return CsvImport.objects.all()
    if principal.client is not None:
        return CsvImport.objects.filter(client=principal.client)
    return CsvImport.objects.filter(uploaded_by=principal.user)


def demo_api_clients(organisation, name: str) -> QuerySet[ApiClient]:
    """Unrevoked clients of an organisation with this exact name (demo seeding)."""
    return ApiClient.objects.filter(organisation=organisation, name=name, revoked_at__isnull=True)


# --- Web UI (organisation admins, CSV uploads) ------------------------------------------------


def subscriptions_for_user(user) -> QuerySet[WebhookSubscription]:
    """Webhook subscriptions of the API clients an organisation admin manages."""
    return (
        WebhookSubscription.objects.filter(client__in=api_clients_for_user(user))
        .select_related("client__organisation")
        .order_by("client__name", "url", "id")
    )
