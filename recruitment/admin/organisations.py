"""Organisations and their members (organisation admins manage their own organisation's)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .. import authz
from ..errors import PolkuError
from ..models import Membership, Organisation
from ._base import PolkuAdminMixin


@admin.register(Organisation)
class OrganisationAdmin(PolkuAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "business_id", "region_code", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "name_sv", "name_en", "code", "business_id")
    ordering = ("kind", "name")

    def view_rule(self, request, obj=None):
        if authz.is_platform_admin(request.user):
            return True
        administered = authz.administered_organisation_ids(request.user)
        return bool(administered) and (obj is None or obj.pk in administered)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if authz.is_platform_admin(request.user):
            return queryset
        return queryset.filter(pk__in=authz.administered_organisation_ids(request.user))


@admin.register(Membership)
class MembershipAdmin(PolkuAdminMixin, admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "created_at")
    list_filter = ("role", "organisation__kind")
    search_fields = ("user__username", "user__email", "organisation__name")
    autocomplete_fields = ("organisation",)
    raw_id_fields = ("user",)

    def view_rule(self, request, obj=None):
        if authz.is_platform_admin(request.user):
            return True
        if obj is not None:
            return authz.can_manage_memberships(request.user, obj.organisation)
        return bool(authz.administered_organisation_ids(request.user))

    change_rule = view_rule

    def has_delete_permission(self, request, obj=None):
        return self.view_rule(request, obj)

    def get_queryset(self, request):
        return authz.visible_memberships(request.user).select_related("user", "organisation")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organisation" and not authz.is_platform_admin(request.user):
            kwargs["queryset"] = Organisation.objects.filter(
                pk__in=authz.administered_organisation_ids(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not authz.can_manage_memberships(request.user, obj.organisation):
            self.fail(request, PolkuError(str(_("You may not manage this organisation."))))
            return
        super().save_model(request, obj, form, change)
