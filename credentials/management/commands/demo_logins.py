from django.core.management.base import BaseCommand

from credentials import demo


class Command(BaseCommand):
    help = "Print the URL and the demo logins (one per role)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url, **options):
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Polku is starting at {url}"))
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, description, *_ in demo.DEMO_USERS:
            self.stdout.write(f"  {username:<24} {description}")
        self.stdout.write("")
