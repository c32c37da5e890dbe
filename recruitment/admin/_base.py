"""What the core's model admins share: permissions from ``recruitment.authz``, domain errors
shown as messages, read-only inlines and the rules of objects that belong to a case."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from .. import authz
from ..models import Organisation, OrganisationKind, Role


class PolkuAdminMixin:
    """Admin permissions from ``recruitment.authz`` instead of Django model permissions.

    The site itself admits superusers only (``recruitment.admin_site``); these object rules
    are a second line behind it. Subclasses say who may view (``view_rule``) and who may
    change (``change_rule``).
    """

    def view_rule(self, request, obj=None) -> bool:
        return authz.is_platform_admin(request.user)

    def change_rule(self, request, obj=None) -> bool:
        return authz.is_platform_admin(request.user)

    def has_module_permission(self, request):
        return self.view_rule(request)

    def has_view_permission(self, request, obj=None):
        return self.view_rule(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.change_rule(request, obj)

    def has_add_permission(self, request):
        return self.change_rule(request)

    def has_delete_permission(self, request, obj=None):
        return authz.is_platform_admin(request.user)

    def fail(self, request, exc: Exception) -> None:
        """Report a domain error to the user and mark the request so no success is shown."""
        request._polku_failed = True
        message = getattr(exc, "message", None) or "; ".join(
            getattr(exc, "messages", None) or [str(exc)]
        )
        self.message_user(request, message, level=messages.ERROR)

    def response_change(self, request, obj):
        if getattr(request, "_polku_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_polku_failed", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)


def recruiter_counties(request):
    return Organisation.objects.filter(
        kind=OrganisationKind.COUNTY,
        pk__in=authz.organisation_ids(request.user, Role.RECRUITER),
    )


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows rows and never adds, changes or deletes one."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


class CaseScopedAdmin(PolkuAdminMixin, admin.ModelAdmin):
    """Objects that belong to a case: visible and changeable as their case is."""

    case_path = "case"

    def _case(self, obj):
        for part in self.case_path.split("__"):
            obj = getattr(obj, part)
        return obj

    def view_rule(self, request, obj=None):
        if obj is not None:
            return authz.can_change_case(request.user, self._case(obj))
        return authz.is_platform_admin(request.user) or authz.has_role(request.user, Role.RECRUITER)

    change_rule = view_rule

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(**{f"{self.case_path}__in": authz.admin_cases(request.user)})
        )
