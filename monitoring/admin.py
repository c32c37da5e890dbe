from django.contrib import admin

from recruitment.models import Organisation, OrganisationKind

from .models import CountyTarget, HalfYearReport, SnapshotRun


@admin.register(CountyTarget)
class CountyTargetAdmin(admin.ModelAdmin):
    list_display = ["county", "year", "half", "target_placements", "updated_at"]
    list_filter = ["year", "half", "county"]
    list_editable = ["target_placements"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "county":
            kwargs["queryset"] = Organisation.objects.filter(kind=OrganisationKind.COUNTY)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(HalfYearReport)
class HalfYearReportAdmin(admin.ModelAdmin):
    list_display = ["period_label", "status", "progress", "generated_by", "generated_at"]
    list_filter = ["status", "year", "half"]
    readonly_fields = [f.name for f in HalfYearReport._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(SnapshotRun)
class SnapshotRunAdmin(admin.ModelAdmin):
    list_display = ["date", "computed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
