import pytest
from django.core.management import CommandError, call_command

from monitoring.models import CountyTarget

pytestmark = pytest.mark.django_db


def test_demo_targets_cover_every_county_and_half_year_and_are_idempotent():
    call_command("seed_demo_targets")
    first = CountyTarget.objects.count()
    call_command("seed_demo_targets")
    assert CountyTarget.objects.count() == first == 23 * 6
    assert not CountyTarget.objects.filter(target_placements__lt=2).exists()


def test_demo_targets_refuse_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo_targets")
