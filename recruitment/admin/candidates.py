"""Candidates: personal data, so every opened change page is written to the access log."""

from __future__ import annotations

from django.contrib import admin

from .. import authz, services
from ..models import Candidate, Role
from ._base import PolkuAdminMixin, recruiter_counties


@admin.register(Candidate)
class CandidateAdmin(PolkuAdminMixin, admin.ModelAdmin):
    list_display = ("last_name", "first_name", "nationality", "created_by")
    search_fields = ("first_name", "last_name", "email")
    list_filter = ("nationality__who_safeguards_list",)
    autocomplete_fields = ("nationality", "country_of_residence")
    readonly_fields = ("anonymised_at",)

    def view_rule(self, request, obj=None):
        if authz.is_platform_admin(request.user):
            return True
        if obj is not None:
            return authz.can_change_candidate(request.user, obj)
        return authz.has_role(request.user, Role.RECRUITER)

    change_rule = view_rule

    def has_delete_permission(self, request, obj=None):
        return False  # erasure is a service with its own audit, not a delete button

    def get_queryset(self, request):
        return authz.visible_candidates(request.user).select_related("nationality", "created_by")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "created_by" and not authz.is_platform_admin(request.user):
            kwargs["queryset"] = recruiter_counties(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        candidate = self.get_object(request, object_id)
        if candidate is not None:
            services.record_candidate_access(
                candidate=candidate, user=request.user, purpose="admin"
            )
        return super().change_view(request, object_id, form_url, extra_context)
