"""Placements and retention checks, recorded through the services."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import authz, services
from ..actors import Actor
from ..errors import PolkuError
from ..models import Case, Placement, RetentionCheck
from ._base import CaseScopedAdmin


@admin.register(Placement)
class PlacementAdmin(CaseScopedAdmin):
    list_display = ("case", "county_unit", "start_date", "contract")
    search_fields = ("case__number", "county_unit")
    raw_id_fields = ("case",)

    def get_readonly_fields(self, request, obj=None):
        return ("case",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "case":
            kwargs["queryset"] = authz.admin_cases(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        case = obj.case
        try:
            placement = services.record_placement(
                case=case.pk,
                actor=Actor.for_user(request.user),
                expected_version=Case.objects.get(pk=case.pk).version,
                county_unit=obj.county_unit,
                start_date=obj.start_date,
                contract=obj.contract,
                contract_end=obj.contract_end,
            )
            obj.pk = placement.pk
        except PolkuError as exc:
            self.fail(request, exc)


@admin.register(RetentionCheck)
class RetentionCheckAdmin(CaseScopedAdmin):
    case_path = "placement__case"
    list_display = ("placement", "months", "due_on", "checked_on", "outcome")
    list_filter = ("months", "outcome")
    readonly_fields = ("placement", "months", "due_on")
    fields = ("placement", "months", "due_on", "checked_on", "outcome", "note")

    def has_add_permission(self, request):
        return False  # created with the placement

    def save_model(self, request, obj, form, change):
        if obj.outcome == RetentionCheck.Outcome.PENDING:
            self.fail(request, PolkuError(str(_("Choose passed or failed."))))
            return
        case = obj.placement.case
        try:
            services.record_retention_check(
                case=case.pk,
                actor=Actor.for_user(request.user),
                expected_version=Case.objects.get(pk=case.pk).version,
                months=obj.months,
                passed=obj.outcome == RetentionCheck.Outcome.PASSED,
                checked_on=obj.checked_on,
                note=obj.note,
            )
        except (PolkuError, ValidationError) as exc:
            self.fail(request, exc)
