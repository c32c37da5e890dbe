"""Fixtures for the monitoring tests: hand-built case histories with known figures.

``build_case`` writes a case and its state events exactly as ``recruitment.services`` does
(an ``opened`` event, then one ``transition`` event per state change), with the dates the
test chooses, so every expected aggregate can be worked out by hand.
"""

import datetime as dt
import itertools

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from recruitment.models import (
    CLOSED_STATES,
    Case,
    CaseEvent,
    RecruitmentBasis,
    Role,
)
from tests import factories

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_cache_in_english(client):
    """Figures are cached per snapshot generation: start every test with an empty cache.
    Tests read labels in English (the default language is Finnish)."""
    cache.clear()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
    cache.clear()


def county_name(code: str) -> str:
    return factories.county(code).name_en


@pytest.fixture
def analyst():
    return factories.user_with_role(
        Role.MINISTRY_ANALYST, factories.county("stm"), username="analyst"
    )


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def build_case(
    *,
    county: str = "pirkanmaa",
    profession: str = "registered_nurse",
    country: str = "PH",
    path: list[tuple[str, dt.date]],
    reason: str = "",
    basis: str = RecruitmentBasis.ACTIVE_RECRUITMENT,
    permit_valid_until: dt.date | None = None,
) -> Case:
    """A case that was opened on ``path[0][1]`` and then moved through ``path[1:]``."""
    nationality = factories.country(country)
    org = factories.county(county)
    candidate = factories.CandidateFactory(nationality=nationality, created_by=org)
    final_state, final_day = path[-1]
    case = Case(
        number=f"T-{next(_numbers):06d}",
        candidate=candidate,
        county=org,
        profession=factories.profession(profession),
        state=final_state,
        opened_on=path[0][1],
        state_changed_at=at(final_day),
        closed_at=at(final_day) if final_state in CLOSED_STATES else None,
        recruitment_basis=basis,
        ethics_justification="Own application." if nationality.who_safeguards_list else "",
        permit_valid_until=permit_valid_until,
    )
    case.save()
    common = {"case": case, "actor_kind": "system", "actor_label": "test", "case_version": 1}
    CaseEvent.objects.create(
        kind=CaseEvent.Kind.OPENED, to_state="sourced", occurred_at=at(path[0][1], 9), **common
    )
    previous = "sourced"
    for index, (state, day) in enumerate(path[1:], start=1):
        CaseEvent.objects.create(
            kind=CaseEvent.Kind.TRANSITION,
            transition=state,
            from_state=previous,
            to_state=state,
            reason=reason if index == len(path) - 1 else "",
            occurred_at=at(day),
            **common,
        )
        previous = state
    return case


@pytest.fixture
def scenario():
    """Twenty cases with figures worked out by hand (see each comment)."""
    today = timezone.localdate()
    d0 = today - dt.timedelta(days=100)
    day = lambda n: d0 + dt.timedelta(days=n)  # noqa: E731
    # Pirkanmaa, registered nurses from the Philippines: 10 opened on d0, screened on d0+10;
    # 5 withdrawn on d0+20 (10 days in screening), 5 still in screening.
    for i in range(10):
        path = [("sourced", day(0)), ("screening", day(10))]
        if i < 5:
            path.append(("withdrawn", day(20)))
        build_case(path=path, reason="Chose another employer." if i < 5 else "")
    # Helsinki, practical nurses from Spain: opened d0+5, screened d0+7, offer accepted after
    # 15, 20, 25, 30, 35 days in screening, then recognition, ready and placed on d0+90.
    for k in (15, 20, 25, 30, 35):
        build_case(
            county="helsinki",
            profession="practical_nurse",
            country="ES",
            path=[
                ("sourced", day(5)),
                ("screening", day(7)),
                ("offer_accepted", day(7 + k)),
                ("in_recognition", day(50)),
                ("ready_for_placement", day(80)),
                ("placed", day(90)),
            ],
        )
    # Kainuu, care assistants from Nepal (WHO safeguards list), own initiative: 5 opened.
    for _ in range(5):
        build_case(
            county="kainuu",
            profession="care_assistant",
            country="NP",
            basis=RecruitmentBasis.OWN_INITIATIVE,
            path=[("sourced", day(30))],
        )
    return {"today": today, "d0": d0, "day": day}


@pytest.fixture
def lone_case(scenario):
    """One case in Lapland: a cell of 1 that must never be shown."""
    return build_case(
        county="lappi",
        profession="doctor",
        country="IN",
        path=[("sourced", scenario["day"](40))],
        permit_valid_until=scenario["today"] + dt.timedelta(days=20),
    )
