"""GDPR read log of the API: who read which candidates' contact details, and why."""

from __future__ import annotations

from django.db import connections, router
from django.utils import timezone

from recruitment.models import CandidateAccess

from ..principals import Principal


def log_candidate_access(*, principal: Principal, candidate_ids: list[int], purpose: str) -> None:
    """GDPR: record who read candidates' contact details through the API (one query)."""
    if not candidate_ids:
        return
    label = principal.actor.label[:200]
    user = principal.user if principal.user is not None else None
    now = timezone.now()
    ids = sorted(set(candidate_ids))
    connection = connections[router.db_for_write(CandidateAccess)]
    if connection.vendor == "postgresql":
        # One statement, one round trip and no model instances: this runs on every page a
        # county reads, where building a hundred objects cost more than the list query.
        meta = CandidateAccess._meta
        qn = connection.ops.quote_name
        columns = ", ".join(
            qn(meta.get_field(name).column)
            for name in ("candidate", "user", "actor_label", "purpose", "accessed_at")
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(meta.db_table)} ({columns}) "  # noqa: S608 (names only)
                "SELECT c, %s, %s, %s, %s FROM unnest(%s::bigint[]) AS c",
                [user.pk if user is not None else None, label, purpose, now, ids],
            )
        return
    CandidateAccess.objects.bulk_create(
        [
            CandidateAccess(
                candidate_id=cid, user=user, actor_label=label, purpose=purpose, accessed_at=now
            )
            for cid in ids
        ]
    )
