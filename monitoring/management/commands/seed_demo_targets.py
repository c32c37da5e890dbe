"""Demo placement targets per county and half-year, so the targets table has something to
compare against under ``make run``. Idempotent; refuses to run in production."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from monitoring.models import CountyTarget
from recruitment.models import Case, Organisation, OrganisationKind

HALF_YEARS = [(2025, 1), (2025, 2), (2026, 1), (2026, 2), (2027, 1), (2027, 2)]


class Command(BaseCommand):
    help = "Create demo placement targets for every county, 2025–2027 (idempotent)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo targets are not for production.")
        cases = dict(
            Case.objects.values_list("county").annotate(n=Count("id")).values_list("county", "n")
        )
        counties = Organisation.objects.filter(kind=OrganisationKind.COUNTY)
        for county in counties:
            # A target a little above what the county's pipeline can deliver in half a year.
            base = max(2, round(cases.get(county.pk, 0) / 3))
            for year, half in HALF_YEARS:
                CountyTarget.objects.update_or_create(
                    county=county,
                    year=year,
                    half=half,
                    defaults={"target_placements": base + (year - 2025)},
                )
        self.stdout.write(
            f"Demo placement targets: {counties.count()} counties × {len(HALF_YEARS)} half-years."
        )
