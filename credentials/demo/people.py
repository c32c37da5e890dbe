"""Demo people: the partner organisations and one login per role."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from recruitment.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)
from recruitment.validators import business_id_check_digit

DEMO_PASSWORD = "polku-demo-2026"  # noqa: S105 - printed for the demo on purpose
DEMO_EMAIL_DOMAIN = "demo.polku.invalid"

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
