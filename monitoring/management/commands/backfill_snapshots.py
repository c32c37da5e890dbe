import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from monitoring import services
from recruitment.models import CaseEvent


class Command(BaseCommand):
    help = (
        "(Re)compute the monitoring snapshots for every date from --since to --until "
        "(default today). Idempotent: dates already done are replaced. Without --since, "
        "starts from the first case event."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=dt.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--until", type=dt.date.fromisoformat, help="YYYY-MM-DD")

    @translation.override("en")  # texts the system writes are stored in English
    def handle(self, *args, since=None, until=None, **options):
        if since is None:
            first = (
                CaseEvent.objects.order_by("occurred_at")
                .values_list("occurred_at", flat=True)
                .first()
            )
            if first is None:
                self.stdout.write("No case events yet: nothing to snapshot.")
                return
            since = timezone.localtime(first).date()
        try:
            written = services.take_snapshots(since=since, until=until)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"Snapshots {since}..{until or timezone.localdate()}: "
            + ", ".join(f"{k} {v}" for k, v in written.items())
        )
