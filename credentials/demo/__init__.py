"""Demo data: partner organisations, one login per role and ~300 candidates whose cases are
spread over every state, with event histories dated over the last two years, plus the named
personas of the credential tracks (see ``PERSONAS``).

Every case is driven through the real services, the credential tracks included
(``credentials.services``: recognition, training, language certificates, residence permits,
integration steps), so its audit trail and automatic steps look exactly like a real one's.
Durations follow DOMAIN.md's timelines (``DURATIONS``).

Deterministic (fixed random seed) and idempotent: candidates are keyed by their demo e-mail
address, so running it again creates nothing new; the daily watches it runs at the end
create their notifications once.

The package: ``people`` (partners and logins), ``cases`` (the random cases), ``tracks`` (a
case's credential tracks), ``personas`` (the named journeys); ``seed`` runs them all. Only the
``seed_demo`` and ``demo_logins`` management commands import it (an import-linter contract).
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from recruitment.models import (
    Candidate,
    Case,
    Country,
    Membership,
    Organisation,
    OrganisationKind,
    Profession,
    Role,
)

from .. import services as track_services
from ..models import (
    IntegrationStep,
    LanguageCertificate,
    Notification,
    RecognitionApplication,
    ResidencePermit,
    TrainingEnrollment,
)
from .cases import SOURCE_COUNTRIES, open_and_drive
from .people import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD, DEMO_USERS, ensure_partners_and_users
from .personas import PERSONAS, seed_personas

__all__ = [
    "CANDIDATE_COUNT",
    "DEMO_EMAIL_DOMAIN",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "PERSONAS",
    "SEED",
    "seed",
]

CANDIDATE_COUNT = 300
SEED = 2026


def seed(count: int = CANDIDATE_COUNT) -> dict[str, int]:
    rng = random.Random(SEED)
    now = timezone.now().replace(microsecond=0)
    partners = ensure_partners_and_users()
    counties = list(Organisation.objects.filter(kind=OrganisationKind.COUNTY).order_by("code"))
    professions = {p.code: p for p in Profession.objects.select_related("recognition_authority")}
    countries = {
        c.code: c for c in Country.objects.filter(code__in=[c for c, _ in SOURCE_COUNTRIES])
    }
    # The demo recruiters own their county's cases (and get its notifications).
    users = {
        membership.organisation_id: membership.user
        for membership in Membership.objects.filter(
            role=Role.RECRUITER, user__username__in=[u[0] for u in DEMO_USERS]
        ).select_related("user")
    }
    # The personas are part of the count (when it has room for them).
    personas = count > len(PERSONAS)
    for index in range(count - len(PERSONAS) if personas else count):
        # Each case in its own transaction: the random stream stays the same whether or not a
        # case already exists, because choices are drawn in a fixed order per index.
        case_rng = random.Random(rng.randrange(2**32))
        with transaction.atomic():
            open_and_drive(case_rng, index, counties, professions, countries, partners, now, users)
    if personas:
        seed_personas(partners, now)
    # The daily watches, as beat would run them: idempotent, so a second seed adds nothing.
    track_services.watch_permit_expiry()
    track_services.detect_stalled_cases()
    track_services.notify_due_retention_checks()
    demo_cases = Case.objects.filter(candidate__email__endswith=DEMO_EMAIL_DOMAIN)
    return {
        "candidates": Candidate.objects.filter(email__endswith=DEMO_EMAIL_DOMAIN).count(),
        "users": get_user_model().objects.filter(email__endswith=DEMO_EMAIL_DOMAIN).count(),
        "cases": demo_cases.count(),
        "recognition_applications": RecognitionApplication.objects.filter(
            case__in=demo_cases
        ).count(),
        "enrollments": TrainingEnrollment.objects.filter(case__in=demo_cases).count(),
        "language_certificates": LanguageCertificate.objects.filter(case__in=demo_cases).count(),
        "residence_permits": ResidencePermit.objects.filter(case__in=demo_cases).count(),
        "integration_steps": IntegrationStep.objects.filter(case__in=demo_cases).count(),
        "notifications": Notification.objects.filter(case__in=demo_cases).count(),
    }
