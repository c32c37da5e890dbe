"""Create demo API clients and print their tokens (for `make run` and docs/api.md).

Run after ``seed_demo``. Each run revokes the previous demo tokens and prints new ones:
tokens are stored hashed, so a token can only ever be shown when it is created.
Refuses to run in production.
"""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from integration import selectors, services
from recruitment.actors import Actor
from recruitment.models import Organisation

DEMO_SUFFIX = " (demo)"
DEMO_CLIENTS = [
    (
        "demo-tamk",
        "TAMK study register",
        ["cases:read", "training:read", "training:write", "webhooks:manage"],
    ),
    (
        "demo-tampere-employment",
        "Tampere employment CRM",
        ["cases:read", "permits:read", "permits:write", "webhooks:manage"],
    ),
    (
        "pirkanmaa",
        "Pirkanmaa HR system",
        ["cases:read", "cases:write", "training:read", "permits:read", "webhooks:manage"],
    ),
]


class Command(BaseCommand):
    help = "Create demo API clients (revoking earlier demo tokens) and print their tokens."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="Token lifetime in days.")

    @translation.override("en")  # texts the system writes are stored in English
    def handle(self, *args, days: int, **options):
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("Demo tokens are not created in production.")
        actor = Actor.system("seed_api_demo")
        self.stdout.write("Partner API demo tokens (docs: docs/api.md, /api/v1/docs/):")
        for code, name, scopes in DEMO_CLIENTS:
            organisation = Organisation.objects.filter(code=code).first()
            if organisation is None:
                raise CommandError(f"Organisation {code!r} is missing: run seed_demo first.")
            for old in selectors.demo_api_clients(organisation, name + DEMO_SUFFIX):
                services.revoke_api_client(client=old, actor=actor)
            _client, token = services.create_api_client(
                organisation=organisation,
                name=name + DEMO_SUFFIX,
                scopes=scopes,
                expires_at=timezone.now() + dt.timedelta(days=days),
                actor=actor,
            )
            variable = "POLKU_TOKEN_" + code.replace("demo-", "").replace("-", "_").upper()
            self.stdout.write(f"  {variable}={token}   # {name}: {' '.join(scopes)}")
