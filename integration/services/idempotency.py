"""Idempotency records: the first response to a POST with an ``Idempotency-Key``, replayed
for ``selectors.IDEMPOTENCY_WINDOW`` (the API's ``idempotency.idempotent`` asks them)."""

from __future__ import annotations

from django.utils import timezone

from .. import selectors
from ..models import IdempotencyRecord


def store_idempotent_response(
    *,
    principal_key: str,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
    status: int,
    body,
    headers: dict[str, str],
) -> IdempotencyRecord:
    """Store the first response to a keyed POST (inside the caller's transaction, so the
    record and the change commit together; a concurrent duplicate fails on the unique key)."""
    # A key may be used again once its record expired (even before the nightly purge).
    IdempotencyRecord.objects.filter(
        principal=principal_key,
        key=key,
        created_at__lt=timezone.now() - selectors.IDEMPOTENCY_WINDOW,
    ).delete()
    return IdempotencyRecord.objects.create(
        principal=principal_key,
        key=key,
        method=method,
        path=path[:500],
        fingerprint=fingerprint,
        response_status=status,
        response_body=body,
        response_headers=headers,
    )


def purge_idempotency_records() -> int:
    cutoff = timezone.now() - selectors.IDEMPOTENCY_WINDOW
    deleted, _details = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
