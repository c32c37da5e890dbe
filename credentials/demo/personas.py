"""The named personas of the credential tracks: journeys the README and the tests talk about."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.errors import TransitionNotAllowed
from recruitment.models import (
    Candidate,
    CaseState,
    Country,
    Organisation,
    Profession,
    RecognitionOutcome,
    RecruitmentBasis,
)

from ..models import (
    IntegrationStepKind,
    PermitType,
    Programme,
    RecognitionCondition,
)
from .people import DEMO_EMAIL_DOMAIN
from .tracks import Agenda, Journey


@dataclass(frozen=True)
class Persona:
    slug: str
    first_name: str
    last_name: str
    nationality: str
    profession: str
    opened_days_ago: int
    story: str


PERSONAS = [
    Persona(
        "eu-nurse",
        "Lucía",
        "Martínez",
        "ES",
        "registered_nurse",
        420,
        "EU/EEA nurse: automatic recognition, YKI B1, no residence permit, placed.",
    ),
    Persona(
        "conditional-nurse",
        "Maria",
        "Santos",
        "PH",
        "registered_nurse",
        500,
        "Conditional decision: supplementary studies at TAMK in progress, permit for studies.",
    ),
    Persona(
        "own-initiative-nurse",
        "Sita",
        "Gurung",
        "NP",
        "registered_nurse",
        120,
        "WHO safeguards list country: offer accepted only after the own-initiative record.",
    ),
    Persona(
        "practical-nurse-retake",
        "Thi Lan",
        "Nguyen",
        "VN",
        "practical_nurse",
        470,
        "Language test short in writing (A2), passed on the retake: ready for placement.",
    ),
    Persona(
        "expired-permit",
        "Kasun",
        "Perera",
        "LK",
        "registered_nurse",
        700,
        "Residence permit expired before placement: blocked until a new permit is granted.",
    ),
]


def _persona_case(persona: Persona, county, recruiter, now, actor):
    """Open a persona's case (None when it exists already: seeding is idempotent)."""
    email = f"persona.{persona.slug}@{DEMO_EMAIL_DOMAIN}"
    if Candidate.objects.filter(email=email).exists():
        return None
    country = Country.objects.get(code=persona.nationality)
    candidate = case_services.create_candidate(
        actor=actor,
        created_by=county,
        first_name=persona.first_name,
        last_name=persona.last_name,
        nationality=country,
        country_of_residence=country,
        email=email,
        languages=["en"],
    )
    opened_at = now - dt.timedelta(days=persona.opened_days_ago)
    return case_services.open_case(
        candidate=candidate,
        county=county,
        profession=Profession.objects.get(code=persona.profession),
        actor=actor,
        recruiter=recruiter,
        opened_on=opened_at.date(),
        occurred_at=opened_at,
    )


def _accept(case, at: dt.datetime, actor: Actor, **details):
    if case.state == CaseState.SOURCED:
        case = case_services.transition_case(
            case=case, name="screen", actor=actor, expected_version=case.version, occurred_at=at
        )
    at = at + dt.timedelta(days=14)
    case = case_services.update_case(
        case=case,
        actor=actor,
        expected_version=case.version,
        no_fee_declared_on=at.date(),
        occurred_at=at,
        **details,
    )
    return case_services.transition_case(
        case=case, name="accept_offer", actor=actor, expected_version=case.version, occurred_at=at
    )


def seed_personas(partners, now) -> None:
    actor = Actor.system("Polku demo data")
    county = Organisation.objects.get(code="pirkanmaa")
    recruiter = get_user_model().objects.get(username="recruiter.pirkanmaa")
    for persona in PERSONAS:
        with transaction.atomic():
            case = _persona_case(persona, county, recruiter, now, actor)
            if case is None:
                continue
            opened = now - dt.timedelta(days=persona.opened_days_ago)
            journey = Journey(
                rng=random.Random(persona.slug),
                case_pk=case.pk,
                profession=case.profession,
                country=case.candidate.nationality,
                county=county,
                partners=partners,
                agenda=Agenda(now=now),
                actor=actor,
            )
            day = lambda n, base=opened: min(base + dt.timedelta(days=n), now)  # noqa: E731
            if persona.slug == "own-initiative-nurse":
                case = case_services.transition_case(
                    case=case,
                    name="screen",
                    actor=actor,
                    expected_version=case.version,
                    occurred_at=day(5),
                )
                case = case_services.update_case(
                    case=case,
                    actor=actor,
                    expected_version=case.version,
                    no_fee_declared_on=day(20).date(),
                    occurred_at=day(20),
                )
                # Refused by the ethics gate (Nepal is on the WHO safeguards list): no write.
                with contextlib.suppress(TransitionNotAllowed):
                    case_services.transition_case(
                        case=case, name="accept_offer", actor=actor, expected_version=case.version
                    )
                case = _accept(
                    case,
                    day(30),
                    actor,
                    recruitment_basis=RecruitmentBasis.OWN_INITIATIVE,
                    ethics_justification="Sita applied on her own initiative to the county's "
                    "open vacancy; the county recruits no one actively in Nepal.",
                )
                journey.submit(day(60))
            else:
                _accept(case, day(10), actor)
            if persona.slug == "eu-nurse":
                journey.submit(day(40))
                journey.decide(day(75), RecognitionOutcome.GRANTED)
                journey.enroll(
                    day(30), "language", Programme.LANGUAGE, partners["demo-language-school"], 200
                )
                journey.progress(day(120), "language", 50)
                journey.complete_training(day(220), "language")
                journey.certificate(day(230), (3, 3, 3, 4))
            elif persona.slug == "conditional-nurse":
                journey.submit(day(30))
                journey.review(day(60))
                journey.decide(
                    day(150),
                    RecognitionOutcome.CONDITIONAL,
                    [RecognitionCondition.SUPPLEMENTARY_STUDIES],
                )
                journey.apply_permit(day(160), PermitType.STUDIES)
                journey.grant_permit(day(200), (day(200) + dt.timedelta(days=730)).date())
                journey.enroll(
                    day(210), "studies", Programme.SUPPLEMENTARY_STUDIES, journey.institution, 365
                )
                journey.progress(day(330), "studies", 55)
                journey.certificate(day(340), (3, 3, 4, 3))
                journey.integration_step(day(230), IntegrationStepKind.REGISTRATION, True)
            elif persona.slug == "practical-nurse-retake":
                journey.submit(day(25))
                journey.decide(day(120), RecognitionOutcome.GRANTED)
                journey.apply_permit(day(130))
                journey.grant_permit(day(190), (day(190) + dt.timedelta(days=3 * 365)).date())
                journey.enroll(
                    day(26), "language", Programme.LANGUAGE, partners["demo-language-school"], 270
                )
                journey.progress(day(150), "language", 60)
                journey.complete_training(day(290), "language")
                journey.certificate(day(300), (3, 3, 3, 2))  # writing A2: short of B1
                journey.certificate(day(390), (3, 3, 3, 3))  # the retake passes
            elif persona.slug == "expired-permit":
                journey.submit(day(30))
                journey.decide(day(110), RecognitionOutcome.GRANTED)
                journey.apply_permit(day(120))
                # A one-year permit granted early; it ran out while the language proof waited.
                expires = (now - dt.timedelta(days=15)).date()
                journey.grant_permit(day(150), expires)
                # The language proof came late (self-study, third attempt at YKI writing).
                journey.certificate(day(300), (3, 3, 3, 2))
                journey.certificate(day(480), (3, 3, 3, 2))
                journey.certificate(day(690), (3, 4, 3, 3))
            journey.agenda.run()
            if persona.slug == "eu-nurse":
                case.refresh_from_db()
                case_services.record_placement(
                    case=case,
                    actor=actor,
                    expected_version=case.version,
                    county_unit="Acute ward, Tampere University Hospital",
                    start_date=day(250).date(),
                    occurred_at=day(240),
                )
                case.refresh_from_db()
                case_services.transition_case(
                    case=case,
                    name="place",
                    actor=actor,
                    expected_version=case.version,
                    occurred_at=day(245),
                )
