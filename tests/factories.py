"""factory-boy factories for the core. Reference data (counties, professions, countries) comes
from the data migrations, so factories look it up instead of inventing it."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from recruitment import services
from recruitment.actors import Actor
from recruitment.models import (
    RETENTION_MONTHS,
    Candidate,
    Case,
    CaseState,
    Country,
    Membership,
    Organisation,
    OrganisationKind,
    Placement,
    Profession,
    RecognitionOutcome,
    RetentionCheck,
    Role,
)

DEFAULT_PASSWORD = "correct-horse-battery-staple"


def county(code: str = "pirkanmaa") -> Organisation:
    return Organisation.objects.get(code=code)


def country(code: str) -> Country:
    return Country.objects.get(code=code)


def profession(code: str = "registered_nurse") -> Profession:
    return Profession.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    is_superuser = False
    is_staff = factory.LazyAttribute(lambda u: u.is_superuser)  # the admin is theirs alone
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"org-{n}")
    kind = OrganisationKind.EDUCATIONAL_INSTITUTION
    name = factory.Sequence(lambda n: f"Organisation {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.LazyFunction(county)
    role = Role.RECRUITER


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    nationality = factory.LazyFunction(lambda: country("PH"))
    created_by = factory.LazyFunction(county)
    email = factory.Sequence(lambda n: f"candidate{n}@example.invalid")


def user_with_role(role: str, organisation: Organisation, **kwargs):
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


# --- Cases, driven through the real services ----------------------------------------------

SYSTEM = Actor.system("Test setup")


def open_case(
    *,
    county_code: str = "pirkanmaa",
    profession_code: str = "registered_nurse",
    nationality: str = "PH",
    actor: Actor | None = None,
    candidate: Candidate | None = None,
    **details,
) -> Case:
    """Open a case (state ``sourced``) through ``recruitment.services.open_case``."""
    county_org = county(county_code)
    candidate = candidate or CandidateFactory(
        nationality=country(nationality), created_by=county_org
    )
    return services.open_case(
        candidate=candidate,
        county=county_org,
        profession=profession(profession_code),
        actor=actor or SYSTEM,
        **details,
    )


def _run(case: Case, name: str, reason: str = "") -> Case:
    return services.transition_case(
        case=case, name=name, actor=SYSTEM, expected_version=case.version, reason=reason
    )


def ready_milestones(*, permit_days: int = 365) -> dict:
    """Milestones that satisfy recognition, language and permit for a licensed profession."""
    today = timezone.localdate()
    return {
        "recognition_submitted_on": today - dt.timedelta(days=120),
        "recognition_decided_on": today - dt.timedelta(days=30),
        "recognition_outcome": RecognitionOutcome.GRANTED,
        "language_requirement_met_on": today - dt.timedelta(days=20),
        "permit_applied_on": today - dt.timedelta(days=60),
        "permit_granted_on": today - dt.timedelta(days=10),
        "permit_valid_until": today + dt.timedelta(days=permit_days),
    }


# Transitions that take a new case to each state on the main path.
PATH_TO = {
    CaseState.SOURCED: [],
    CaseState.SCREENING: ["screen"],
    CaseState.OFFER_ACCEPTED: ["screen", "accept_offer"],
    CaseState.IN_RECOGNITION: ["screen", "accept_offer", "start_recognition"],
    CaseState.IN_TRAINING: ["screen", "accept_offer", "start_training"],
    CaseState.READY_FOR_PLACEMENT: ["screen", "accept_offer", "mark_ready"],
    CaseState.PLACED: ["screen", "accept_offer", "mark_ready", "place"],
}


def case_in_state(
    state: str,
    *,
    held_from: str = CaseState.SOURCED,
    prepared: bool = True,
    **open_kwargs,
) -> Case:
    """A case in ``state``, reached through the services like a real one.

    ``prepared`` (the default) also satisfies every guard on the way and beyond: no-fee
    statement, milestones for placement (recorded while still sourced, so nothing advances
    by itself), a placement once ready, and passed retention checks once placed. Without it
    the case has only what reaching ``state`` needed.
    """
    if state == CaseState.ON_HOLD:
        case = case_in_state(held_from, prepared=prepared, **open_kwargs)
        return _run(case, "hold", "Waiting for documents.")
    open_kwargs.setdefault("no_fee_declared_on", timezone.localdate() - dt.timedelta(days=90))
    case = open_case(**open_kwargs)
    if state in (CaseState.WITHDRAWN, CaseState.REJECTED):
        return _run(case, "withdraw" if state == CaseState.WITHDRAWN else "reject", "Test.")
    base = CaseState.PLACED if state in (CaseState.COMPLETED, CaseState.LEFT_EARLY) else state
    steps = PATH_TO[base]
    if prepared or "mark_ready" in steps:
        case = services.record_milestones(case=case, actor=SYSTEM, **ready_milestones())
    for step in steps:
        case = _run(case, step)
        if step == "mark_ready" and (prepared or "place" in steps):
            add_placement(case)
            case.refresh_from_db()
    if state == CaseState.COMPLETED:
        for months in RETENTION_MONTHS:
            case = services.record_retention_check(
                case=case,
                actor=SYSTEM,
                expected_version=case.version,
                months=months,
                passed=True,
                checked_on=timezone.localdate(),
            )
    elif state == CaseState.LEFT_EARLY:
        case = _run(case, "leave_early", "Moved abroad.")
    elif state == CaseState.PLACED and prepared:
        # Arrange: both retention checks already passed, so ``complete`` is allowed by hand.
        RetentionCheck.objects.filter(placement__case=case).update(
            outcome=RetentionCheck.Outcome.PASSED, checked_on=timezone.localdate()
        )
    case.refresh_from_db()
    assert case.state == state, (case.state, state)
    return case


def add_placement(case: Case, *, start_date: dt.date | None = None) -> Placement:
    return services.record_placement(
        case=case.pk,
        actor=SYSTEM,
        expected_version=Case.objects.get(pk=case.pk).version,
        county_unit="Acute ward",
        start_date=start_date or timezone.localdate() - dt.timedelta(days=400),
    )
