"""The demo's random cases: drawn from weighted countries, professions and target states,
opened and driven through the case services to their target, tracks included."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.models import (
    Candidate,
    CaseState,
    RecruitmentBasis,
)

from .people import DEMO_EMAIL_DOMAIN
from .tracks import TRACK_DEPTH, Agenda, Journey, schedule_tracks

# Source countries with weights (DOMAIN.md: Philippines, India, Vietnam, Nepal, Sri Lanka,
# Spain are common for Finland's nurse recruitment; Nepal is on the WHO safeguards list).
SOURCE_COUNTRIES = [
    ("PH", 30),
    ("IN", 18),
    ("VN", 14),
    ("NP", 8),
    ("LK", 8),
    ("ES", 8),
    ("EE", 4),
    ("UA", 4),
    ("KE", 3),
    ("GH", 2),
    ("PT", 2),
    ("SE", 1),
]
PROFESSIONS = [
    ("registered_nurse", 45),
    ("practical_nurse", 25),
    ("doctor", 6),
    ("social_worker", 5),
    ("public_health_nurse", 4),
    ("midwife", 3),
    ("physiotherapist", 3),
    ("radiographer", 2),
    ("bioanalyst", 2),
    ("dentist", 1),
    ("care_assistant", 4),
]
# Where cases end up: every state present, most still on their way.
TARGET_STATES = [
    (CaseState.SOURCED, 8),
    (CaseState.SCREENING, 9),
    (CaseState.OFFER_ACCEPTED, 7),
    (CaseState.IN_RECOGNITION, 14),
    (CaseState.IN_TRAINING, 14),
    (CaseState.READY_FOR_PLACEMENT, 7),
    (CaseState.PLACED, 14),
    (CaseState.COMPLETED, 8),
    (CaseState.ON_HOLD, 5),
    (CaseState.WITHDRAWN, 6),
    (CaseState.REJECTED, 4),
    (CaseState.LEFT_EARLY, 4),
]
FIRST_NAMES = {
    "PH": ["Maria", "Jose", "Angelica", "Mark", "Kristine", "John Paul", "Rowena", "Jericho"],
    "IN": ["Anjali", "Rahul", "Priya", "Arjun", "Divya", "Sneha", "Vikram", "Lakshmi"],
    "VN": ["Nguyen Thi", "Tran Van", "Le Thi", "Pham Minh", "Hoang Anh", "Vu Thu"],
    "NP": ["Sita", "Ramesh", "Anita", "Bikash", "Sunita", "Prakash"],
    "LK": ["Nadeesha", "Kasun", "Dilani", "Chaminda", "Tharushi"],
    "ES": ["Lucía", "Javier", "Carmen", "Pablo", "Elena", "Sergio"],
    "EE": ["Kadri", "Mart", "Liis", "Tanel"],
    "UA": ["Olena", "Andrii", "Iryna", "Oleksandr"],
    "KE": ["Wanjiru", "Otieno", "Akinyi", "Kamau"],
    "GH": ["Ama", "Kwame", "Abena", "Kofi"],
    "PT": ["Inês", "Tiago", "Beatriz"],
    "SE": ["Elin", "Oskar", "Maja"],
}
LAST_NAMES = {
    "PH": ["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Villanueva"],
    "IN": ["Nair", "Sharma", "Kumar", "Menon", "Patel", "Reddy", "Pillai"],
    "VN": ["Lan", "Hung", "Mai", "Tuan", "Hoa", "Linh"],
    "NP": ["Rai", "Shrestha", "Gurung", "Tamang", "Thapa"],
    "LK": ["Perera", "Fernando", "Silva", "Jayasinghe"],
    "ES": ["García", "Martínez", "López", "Sánchez", "Romero"],
    "EE": ["Tamm", "Saar", "Kask"],
    "UA": ["Kovalenko", "Shevchenko", "Bondarenko"],
    "KE": ["Mwangi", "Ochieng", "Njoroge"],
    "GH": ["Mensah", "Owusu", "Boateng"],
    "PT": ["Silva", "Costa", "Ferreira"],
    "SE": ["Lindqvist", "Berg", "Nyström"],
}


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


@dataclass
class Clock:
    """Walks forward through a case's history, never past today."""

    at: dt.datetime
    now: dt.datetime

    def advance(self, rng: random.Random, low: int, high: int) -> dt.datetime:
        self.at = min(self.at + dt.timedelta(days=rng.randint(low, high)), self.now)
        return self.at


def open_and_drive(
    rng: random.Random, index: int, counties, professions, countries, partners, now, users
) -> None:
    code = _weighted(rng, SOURCE_COUNTRIES)
    country = countries[code]
    county = counties[index % len(counties)] if index < len(counties) else rng.choice(counties)
    profession = professions[_weighted(rng, PROFESSIONS)]
    target = _weighted(rng, TARGET_STATES)
    email = f"candidate{index:04d}@{DEMO_EMAIL_DOMAIN}"
    if Candidate.objects.filter(email=email).exists():
        return
    system = Actor.system("Polku demo data")
    candidate = case_services.create_candidate(
        actor=system,
        created_by=county,
        first_name=rng.choice(FIRST_NAMES[code]),
        last_name=rng.choice(LAST_NAMES[code]),
        birth_date=dt.date(rng.randint(1975, 2001), rng.randint(1, 12), rng.randint(1, 28)),
        nationality=country,
        country_of_residence=country,
        email=email,
        phone=f"+358 40 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
        languages=["en"],
    )
    # Start early enough that the target state is reachable, within the last two years.
    opened_at = now - dt.timedelta(days=rng.randint(30, 720))
    if target in (CaseState.PLACED, CaseState.LEFT_EARLY):
        opened_at = now - dt.timedelta(days=rng.randint(560, 728))
    elif target == CaseState.COMPLETED:
        opened_at = now - dt.timedelta(days=rng.randint(690, 728))
    elif target in (CaseState.READY_FOR_PLACEMENT, CaseState.IN_TRAINING):
        opened_at = now - dt.timedelta(days=rng.randint(300, 700))
    clock = Clock(at=opened_at, now=now)
    basis = {}
    if country.who_safeguards_list:
        basis = {
            "recruitment_basis": RecruitmentBasis.OWN_INITIATIVE,
            "ethics_justification": "The candidate applied on their own initiative through "
            "the county's open vacancy; no active recruitment in the country.",
        }
    case = case_services.open_case(
        candidate=candidate,
        county=county,
        profession=profession,
        actor=system,
        recruiter=users.get(county.pk),
        opened_on=opened_at.date(),
        occurred_at=opened_at,
        **basis,
    )
    steps = _steps_for(target)
    depth = max((TRACK_DEPTH[s] for s in steps if s in TRACK_DEPTH), default=0)

    def run(name: str, reason: str = "", low: int = 5, high: int = 30):
        nonlocal case
        at = clock.advance(rng, low, high)
        case = case_services.transition_case(
            case=case,
            name=name,
            actor=system,
            expected_version=case.version,
            reason=reason,
            occurred_at=at,
        )

    for step in steps:
        if step == "screen":
            run("screen", low=3, high=20)
        elif step == "accept_offer":
            at = clock.advance(rng, 10, 40)
            case = case_services.update_case(
                case=case,
                actor=system,
                expected_version=case.version,
                no_fee_declared_on=at.date(),
                occurred_at=at,
            )
            run("accept_offer", low=0, high=3)
        elif step in TRACK_DEPTH:
            if TRACK_DEPTH[step] != depth:
                continue  # the deepest track step schedules them all
            journey = Journey(
                rng=rng,
                case_pk=case.pk,
                profession=profession,
                country=country,
                county=county,
                partners=partners,
                agenda=Agenda(now=now),
                actor=system,
            )
            last = schedule_tracks(journey, clock.at, target, depth)
            clock.at = max(clock.at, last or clock.at)
            case.refresh_from_db()
        elif step == "place":
            at = clock.advance(rng, 10, 40)
            case_services.record_placement(
                case=case,
                actor=system,
                expected_version=case.version,
                county_unit=rng.choice(
                    [
                        "Acute ward",
                        "Home care",
                        "Health centre",
                        "Elderly care unit",
                        "Emergency department",
                    ]
                ),
                start_date=min(at + dt.timedelta(days=14), now).date(),
                occurred_at=at,
            )
            case.refresh_from_db()
            run("place", low=0, high=2)
        elif step in ("retention6", "retention12"):
            months = 6 if step == "retention6" else 12
            start = case.placement.start_date
            checked = start + dt.timedelta(days=months * 30 + rng.randint(0, 10))
            clock.at = max(
                clock.at,
                timezone.make_aware(dt.datetime.combine(min(checked, now.date()), dt.time(10))),
            )
            case = case_services.record_retention_check(
                case=case,
                actor=system,
                expected_version=case.version,
                months=months,
                passed=True,
                checked_on=min(checked, now.date()),
                occurred_at=min(clock.at, now),
            )
        elif step == "left_early":
            at = clock.advance(rng, 60, 150)
            case = case_services.transition_case(
                case=case,
                name="leave_early",
                actor=system,
                expected_version=case.version,
                reason=rng.choice(
                    [
                        "Moved to another employer abroad.",
                        "Family reasons: returned to home country.",
                        "Did not adapt to the work community.",
                    ]
                ),
                occurred_at=at,
            )
        elif step in ("hold", "withdraw", "reject"):
            reason = {
                "hold": "Waiting for the candidate's documents.",
                "withdraw": "The candidate accepted an offer from another country.",
                "reject": "The qualification did not match the profession.",
            }[step]
            run(step, reason=reason, low=5, high=40)


def _steps_for(target: str) -> list[str]:
    path = [
        "screen",
        "accept_offer",
        "recognition",
        "training",
        "ready",
        "place",
        "retention6",
        "retention12",
    ]
    upto = {
        CaseState.SOURCED: 0,
        CaseState.SCREENING: 1,
        CaseState.OFFER_ACCEPTED: 2,
        CaseState.IN_RECOGNITION: 3,
        CaseState.IN_TRAINING: 4,
        CaseState.READY_FOR_PLACEMENT: 5,
        CaseState.PLACED: 6,
        CaseState.COMPLETED: 8,
    }
    if target in upto:
        return path[: upto[target]]
    if target == CaseState.LEFT_EARLY:
        return [*path[:6], "left_early"]
    # hold / withdraw / reject happen somewhere before placement.
    depth = {CaseState.ON_HOLD: 3, CaseState.WITHDRAWN: 3, CaseState.REJECTED: 1}[target]
    verb = {
        CaseState.ON_HOLD: "hold",
        CaseState.WITHDRAWN: "withdraw",
        CaseState.REJECTED: "reject",
    }[target]
    return [*path[:depth], verb]
