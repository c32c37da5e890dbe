from django.core.management.base import BaseCommand
from django.utils import translation

from credentials import demo


class Command(BaseCommand):
    help = "Create demo organisations, one login per role and ~300 demo cases (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=demo.CANDIDATE_COUNT)

    @translation.override("en")  # texts the system writes are stored in English
    def handle(self, *args, count, **options):
        counts = demo.seed(count)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {counts['candidates']} demo candidates, "
                f"{counts['users']} demo users."
            )
        )
        details = ", ".join(
            f"{counts[key]} {key.replace('_', ' ')}"
            for key in (
                "recognition_applications",
                "enrollments",
                "language_certificates",
                "residence_permits",
                "integration_steps",
                "notifications",
            )
        )
        self.stdout.write(f"Credential tracks: {details}.")
