"""A demo case's credential tracks: scheduled on an agenda in date order and run through the
real services, with durations from DOMAIN.md's timelines (``DURATIONS``)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from recruitment.actors import Actor
from recruitment.models import (
    CaseState,
    Country,
    Organisation,
    Profession,
    RecognitionOutcome,
)

from .. import services as track_services
from ..models import (
    IntegrationStepKind,
    IntegrationStepStatus,
    LanguageTest,
    PermitKind,
    PermitType,
    Programme,
    RecognitionCondition,
)


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


def schedule_tracks(
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
