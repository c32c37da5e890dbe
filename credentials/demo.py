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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from recruitment import services as case_services
from recruitment.actors import Actor
from recruitment.errors import TransitionNotAllowed
from recruitment.models import (
    Candidate,
    Case,
    CaseState,
    Country,
    Membership,
    Organisation,
    OrganisationKind,
    Profession,
    RecognitionOutcome,
    RecruitmentBasis,
    Role,
)
from recruitment.validators import business_id_check_digit

from . import services as track_services
from .models import (
    IntegrationStep,
    IntegrationStepKind,
    IntegrationStepStatus,
    LanguageCertificate,
    LanguageTest,
    Notification,
    PermitKind,
    PermitType,
    Programme,
    RecognitionApplication,
    RecognitionCondition,
    ResidencePermit,
    TrainingEnrollment,
)

DEMO_PASSWORD = "polku-demo-2026"  # noqa: S105 - printed for the demo on purpose
DEMO_EMAIL_DOMAIN = "demo.polku.invalid"
CANDIDATE_COUNT = 300
SEED = 2026

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

# Partner organisations for the demo (real kinds, invented names marked as demo).
DEMO_PARTNERS = [
    (
        "demo-tamk",
        OrganisationKind.EDUCATIONAL_INSTITUTION,
        "Tampereen ammattikorkeakoulu (demo)",
        "Tampere University of Applied Sciences (demo)",
    ),
    (
        "demo-metropolia",
        OrganisationKind.EDUCATIONAL_INSTITUTION,
        "Metropolia ammattikorkeakoulu (demo)",
        "Metropolia University of Applied Sciences (demo)",
    ),
    (
        "demo-language-school",
        OrganisationKind.EDUCATIONAL_INSTITUTION,
        "Suomen kielikoulu (demo)",
        "Finnish Language School (demo)",
    ),
    (
        "demo-tampere-employment",
        OrganisationKind.EMPLOYMENT_SERVICE,
        "Tampereen seudun työllisyysalue (demo)",
        "Tampere Region Employment Area (demo)",
    ),
    (
        "demo-helsinki-employment",
        OrganisationKind.EMPLOYMENT_SERVICE,
        "Helsingin työllisyyspalvelut (demo)",
        "Helsinki Employment Services (demo)",
    ),
]

# One login per role (plus a second county's recruiter to show that counties are separate).
DEMO_USERS = [
    ("admin", "Platform admin", None, None, True),
    ("recruiter.pirkanmaa", "Recruiter, Pirkanmaa", "pirkanmaa", Role.RECRUITER, False),
    ("recruiter.helsinki", "Recruiter, City of Helsinki", "helsinki", Role.RECRUITER, False),
    ("educator.tamk", "Educator, TAMK", "demo-tamk", Role.EDUCATOR, False),
    (
        "officer.tampere",
        "Employment officer, Tampere",
        "demo-tampere-employment",
        Role.EMPLOYMENT_OFFICER,
        False,
    ),
    ("analyst.stm", "Ministry analyst, STM", "stm", Role.MINISTRY_ANALYST, False),
    ("orgadmin.pirkanmaa", "Organisation admin, Pirkanmaa", "pirkanmaa", Role.ORG_ADMIN, False),
]


def demo_business_id(index: int) -> str:
    """A valid (check digit) business ID from a reserved-looking demo range."""
    number = 9_900_000 + index * 7
    while True:
        digits = f"{number:07d}"
        check = business_id_check_digit(digits)
        if check is not None:
            return f"{digits}-{check}"
        number += 1


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


def ensure_partners_and_users() -> dict[str, Organisation]:
    orgs = {}
    for index, (code, kind, name, name_en) in enumerate(DEMO_PARTNERS):
        org, _ = Organisation.objects.update_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "name_en": name_en,
                "name_sv": name,
                "business_id": demo_business_id(index),
            },
        )
        orgs[code] = org
    User = get_user_model()
    password_hash = None  # every demo user shares the password: hash it once (slow on purpose)
    for username, full_name, org_code, role, superuser in DEMO_USERS:
        first, _, last = full_name.partition(", ")
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
                "first_name": first,
                "last_name": last,
                "is_staff": superuser,  # the Django admin is the platform admins' alone
                "is_superuser": superuser,
            },
        )
        if not created and user.is_staff != user.is_superuser:
            user.is_staff = user.is_superuser  # demo databases seeded before the rule
            user.save(update_fields=["is_staff"])
        if created:
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user.password = password_hash
            user.save(update_fields=["password"])
        if org_code:
            Membership.objects.get_or_create(
                user=user, organisation=Organisation.objects.get(code=org_code), role=role
            )
    return orgs


def _date(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


@dataclass
class Agenda:
    """The track actions of one case, run in date order so its history reads chronologically.

    Tracks run in parallel (language training during the recognition process, say); every
    action is scheduled at a time and the agenda runs them sorted, never past ``now``.
    """

    now: dt.datetime
    items: list = field(default_factory=list)

    def at(self, base: dt.datetime, days: int) -> dt.datetime:
        return min(base + dt.timedelta(days=days), self.now)

    def add(self, when: dt.datetime, action) -> dt.datetime:
        when = min(when, self.now)
        self.items.append((when, len(self.items), action))
        return when

    def run(self) -> dt.datetime | None:
        last = None
        for when, _index, action in sorted(self.items, key=lambda item: item[:2]):
            action(when)
            last = when
        self.items.clear()
        return last


# Durations in days (DOMAIN.md timelines, verify): recognition decisions take months,
# supplementary studies 6-18 months, language training to B1 6-12 months, permits 1-4 months.
# Cases that must be placed early enough for their retention checks run on the fast ranges.
DURATIONS = {
    "decision": ((45, 90), (60, 180)),
    "supplementary": ((180, 240), (180, 540)),
    "language": ((150, 210), (180, 365)),
    "permit": ((30, 60), (30, 120)),
}
TRACK_DEPTH = {"recognition": 1, "training": 2, "ready": 3}


def _days(rng: random.Random, kind: str, fast: bool) -> int:
    low, high = DURATIONS[kind][0 if fast else 1]
    return rng.randint(low, high)


@dataclass
class Journey:
    """One demo case's credential tracks, scheduled on an agenda and run through services."""

    rng: random.Random
    case_pk: int
    profession: Profession
    country: Country
    county: Organisation
    partners: dict[str, Organisation]
    agenda: Agenda
    actor: Actor
    refs: dict = field(default_factory=dict)

    @property
    def institution(self) -> Organisation:
        return self.partners["demo-metropolia" if self.county.code == "helsinki" else "demo-tamk"]

    @property
    def employment_service(self) -> Organisation:
        code = (
            "demo-helsinki-employment"
            if self.county.code == "helsinki"
            else "demo-tampere-employment"
        )
        return self.partners[code]

    def authority(self) -> Organisation:
        return self.profession.recognition_authority or Organisation.objects.get(
            code="licensing-authority"
        )

    # --- recognition -----------------------------------------------------------------------

    def submit(self, when: dt.datetime) -> dt.datetime:
        def action(at):
            self.refs["application"] = track_services.submit_recognition(
                case=self.case_pk,
                authority=self.authority(),
                submitted_on=_date(at),
                actor=self.actor,
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    def review(self, when: dt.datetime) -> dt.datetime:
        def action(at):
            self.refs["application"] = track_services.start_recognition_review(
                application=self.refs["application"],
                actor=self.actor,
                expected_version=None,
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    def decide(self, when: dt.datetime, outcome: str, conditions=()) -> dt.datetime:
        def action(at):
            self.refs["application"] = track_services.decide_recognition(
                application=self.refs["application"],
                actor=self.actor,
                expected_version=None,
                outcome=outcome,
                decided_on=_date(at),
                reference=f"DEMO-{self.case_pk:05d}-{self.rng.randint(100, 999)}",
                conditions=conditions,
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    def complete_recognition(self, when: dt.datetime) -> dt.datetime:
        def action(at):
            track_services.complete_recognition(
                application=self.refs["application"],
                actor=self.actor,
                expected_version=None,
                completed_on=_date(at),
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    # --- training --------------------------------------------------------------------------

    def enroll(
        self,
        when: dt.datetime,
        key: str,
        programme: str,
        institution: Organisation,
        planned_days: int,
    ) -> dt.datetime:
        def action(at):
            self.refs[key] = track_services.enroll(
                case=self.case_pk,
                institution=institution,
                programme=programme,
                actor=self.actor,
                starts_on=_date(at),
                ends_on=_date(at) + dt.timedelta(days=planned_days),
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    def progress(self, when: dt.datetime, key: str, percent: int) -> dt.datetime:
        def action(at):
            self.refs[key] = track_services.update_enrollment(
                enrollment=self.refs[key],
                actor=self.actor,
                expected_version=None,
                progress_percent=percent,
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    def complete_training(self, when: dt.datetime, key: str) -> dt.datetime:
        def action(at):
            track_services.complete_enrollment(
                enrollment=self.refs[key],
                actor=self.actor,
                expected_version=None,
                completed_on=_date(at),
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    # --- language --------------------------------------------------------------------------

    def certificate(self, when: dt.datetime, levels: tuple, language: str = "fi") -> dt.datetime:
        def action(at):
            speaking, listening, reading, writing = levels
            track_services.record_language_certificate(
                case=self.case_pk,
                actor=self.actor,
                language=language,
                test=LanguageTest.YKI,
                taken_on=_date(at),
                speaking=speaking,
                listening=listening,
                reading=reading,
                writing=writing,
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    # --- permits and integration -----------------------------------------------------------

    def apply_permit(self, when: dt.datetime, permit_type: str = PermitType.EMPLOYED_PERSON):
        def action(at):
            self.refs["permit"] = track_services.apply_permit(
                case=self.case_pk,
                actor=self.actor,
                permit_type=permit_type,
                permit_kind=PermitKind.TEMPORARY,
                applied_on=_date(at),
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    def grant_permit(self, when: dt.datetime, valid_until: dt.date) -> dt.datetime:
        def action(at):
            track_services.decide_permit(
                permit=self.refs["permit"],
                actor=self.actor,
                expected_version=None,
                granted=True,
                decided_on=_date(at),
                valid_until=valid_until,
                reference=f"MIGRI-DEMO-{self.case_pk:05d}",
                occurred_at=at,
            )

        return self.agenda.add(when, action)

    def integration_step(self, when: dt.datetime, kind: str, done: bool) -> dt.datetime:
        def action(at):
            track_services.record_integration_step(
                case=self.case_pk,
                organisation=self.employment_service,
                kind=kind,
                actor=self.actor,
                status=IntegrationStepStatus.DONE if done else IntegrationStepStatus.PLANNED,
                done_on=_date(at) if done else None,
                due_on=None if done else _date(at) + dt.timedelta(days=45),
                occurred_at=at,
            )

        return self.agenda.add(when, action)


def _schedule_tracks(
    journey: Journey, start: dt.datetime, target: str, depth: int
) -> dt.datetime | None:
    """Schedule the tracks a case in ``target`` has been through (depth 1: recognition
    submitted; 2: in training; 3: everything a placement needs)."""
    rng, agenda = journey.rng, journey.agenda
    fast = target in (CaseState.PLACED, CaseState.COMPLETED, CaseState.LEFT_EARLY)
    profession, country = journey.profession, journey.country
    automatic = country.is_eu_eea and profession.eu_automatic_recognition
    # Conditional decisions (ordered supplementary studies) for some non-EU/EEA degrees.
    conditional = profession.needs_recognition and not automatic and not fast and rng.random() < 0.4
    final_recognition = start
    if profession.needs_recognition:
        submitted = journey.submit(agenda.at(start, rng.randint(7, 30)))
        final_recognition = submitted
        if depth <= 2 and rng.random() < 0.6:  # still pending: shown as in review
            journey.review(agenda.at(submitted, rng.randint(14, 45)))
        if depth >= 2 and conditional:
            decided = journey.decide(
                agenda.at(submitted, _days(rng, "decision", fast)),
                RecognitionOutcome.CONDITIONAL,
                [RecognitionCondition.SUPPLEMENTARY_STUDIES],
            )
            studies_days = _days(rng, "supplementary", fast)
            enrolled = journey.enroll(
                agenda.at(decided, rng.randint(14, 45)),
                "studies",
                Programme.SUPPLEMENTARY_STUDIES,
                journey.institution,
                studies_days,
            )
            if depth == 2:
                journey.progress(agenda.at(enrolled, 60), "studies", rng.randint(15, 60))
            final_recognition = decided
            if depth >= 3:
                done = journey.complete_training(agenda.at(enrolled, studies_days), "studies")
                final_recognition = journey.complete_recognition(
                    agenda.at(done, rng.randint(20, 60))
                )
        elif depth >= 3:
            final_recognition = journey.decide(
                agenda.at(submitted, _days(rng, "decision", fast)), RecognitionOutcome.GRANTED
            )
    if depth >= 2 and profession.required_language_level and not conditional:
        language_days = _days(rng, "language", fast)
        enrolled = journey.enroll(
            agenda.at(start, rng.randint(10, 40)),
            "language",
            Programme.LANGUAGE,
            journey.partners["demo-language-school"],
            language_days,
        )
        if depth == 2:
            journey.progress(agenda.at(enrolled, 45), "language", rng.randint(10, 40))
        if depth >= 3:
            done = journey.complete_training(agenda.at(enrolled, language_days), "language")
            taken = agenda.at(done, rng.randint(7, 30))
            language = "sv" if journey.county.code in ("pohjanmaa",) else "fi"
            if not fast and rng.random() < 0.15:
                # One sub-skill short of B1 (YKI 2 = A2); passed on the retake.
                journey.certificate(taken, (3, 3, 3, 2), language)
                taken = agenda.at(taken, rng.randint(60, 120))
            journey.certificate(taken, (rng.choice([3, 3, 4]), 3, rng.choice([3, 4]), 3), language)
    elif depth >= 2 and not profession.needs_recognition:
        enrolled = journey.enroll(
            agenda.at(start, rng.randint(10, 40)),
            "orientation",
            Programme.ORIENTATION,
            journey.institution,
            rng.randint(30, 90),
        )
        if depth >= 3:
            journey.complete_training(agenda.at(enrolled, 60), "orientation")
    if depth >= 3 and conditional and profession.required_language_level:
        # Language proof earned during the supplementary studies.
        journey.certificate(agenda.at(final_recognition, -rng.randint(30, 90)), (3, 3, 3, 3))
    if depth >= 3 and country.needs_residence_permit:
        applied = journey.apply_permit(agenda.at(final_recognition, rng.randint(7, 30)))
        granted = agenda.at(applied, _days(rng, "permit", fast))
        today = _date(agenda.now)
        valid_until = max(
            _date(granted) + dt.timedelta(days=365 * rng.choice([1, 2, 4])),
            today + dt.timedelta(days=rng.randint(20, 400)),
        )
        journey.grant_permit(granted, valid_until)
        journey.integration_step(
            agenda.at(granted, rng.randint(14, 40)), IntegrationStepKind.REGISTRATION, True
        )
        if rng.random() < 0.3:
            journey.integration_step(
                agenda.at(granted, rng.randint(40, 80)),
                IntegrationStepKind.INTEGRATION_PLAN,
                rng.random() < 0.5,
            )
    return agenda.run()


def _open_and_drive(
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
            last = _schedule_tracks(journey, clock.at, target, depth)
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


# --- Personas: named journeys the README and the tests talk about ---------------------------


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
            _open_and_drive(case_rng, index, counties, professions, countries, partners, now, users)
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
