import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from monitoring.forecast import backtest
from monitoring.selectors import data_date


class Command(BaseCommand):
    help = "Back-test the placement forecast (docs/forecast.md) on the snapshots in the database."

    def handle(self, *args, **options):
        day = data_date(timezone.localdate())
        if day is None:
            raise CommandError("No snapshots yet: run manage.py backfill_snapshots first.")
        results = backtest(day)
        if not results:
            raise CommandError(
                "Not enough history: the back-test needs snapshots 6–24 months back."
            )
        self.stdout.write(json.dumps({"data_date": day.isoformat(), "results": results}, indent=2))
