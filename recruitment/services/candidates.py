"""The people: adding a candidate and logging who read their personal data."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .. import authz
from ..actors import Actor
from ..errors import NotPermitted
from ..models import Candidate, CandidateAccess, Organisation


def create_candidate(*, actor: Actor, created_by: Organisation, **data: Any) -> Candidate:
    if actor.kind == "api_client":
        allowed = actor.organisation is not None and actor.organisation.pk == created_by.pk
    elif actor.is_system:
        allowed = True
    else:
        allowed = authz.is_platform_admin(actor.user) or created_by.pk in authz.organisation_ids(
            actor.user, "recruiter"
        )
    if not allowed:
        raise NotPermitted(_("You may only add candidates for your own organisation."))
    candidate = Candidate(created_by=created_by, **data)
    candidate.full_clean()
    candidate.save()
    return candidate


def record_candidate_access(*, candidate: Candidate, user, purpose: str) -> None:
    """Log that a user read a candidate's personal data (GDPR access log)."""
    CandidateAccess.objects.create(
        candidate=candidate, user=user, actor_label=user.get_username()[:200], purpose=purpose
    )
