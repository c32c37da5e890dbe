"""factory-boy factories for the core. Reference data (counties, professions, countries) comes
from the data migrations, so factories look it up instead of inventing it."""

import factory
from django.contrib.auth import get_user_model

from recruitment.models import (
    Candidate,
    Country,
    Membership,
    Organisation,
    OrganisationKind,
    Profession,
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
    is_staff = True
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
