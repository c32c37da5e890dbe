"""Admin of the notifications and of the stage time limits the stalled-case watch reads."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from recruitment import authz as core_authz
from recruitment.admin import PolkuAdminMixin
from recruitment.errors import PolkuError

from .. import services
from ..models import (
    Notification,
    StageTimeLimit,
)
from ._base import _actor


@admin.register(Notification)
class NotificationAdmin(PolkuAdminMixin, admin.ModelAdmin):
    """Each user's own notifications (platform admins see all); marked read via an action."""

    list_display = ("created_at", "recipient", "kind", "case", "message_text", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    list_select_related = ("recipient", "case")
    search_fields = ("message", "case__number")
    fields = readonly_fields = (
        "recipient",
        "case",
        "kind",
        "message_text",
        "dedupe_key",
        "created_at",
        "read_at",
    )
    actions = ["mark_read"]

    @admin.display(description=_("message"))
    def message_text(self, obj):
        """The message in the admin user's language (stored in English as ``message``)."""
        return obj.text

    def view_rule(self, request, obj=None):
        if obj is not None:
            return core_authz.is_platform_admin(request.user) or obj.recipient_id == request.user.pk
        return core_authz.is_platform_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if core_authz.is_platform_admin(request.user):
            return queryset
        return queryset.filter(recipient=request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Mark as read"))
    def mark_read(self, request, queryset):
        count = 0
        for notification in queryset.filter(recipient=request.user, read_at__isnull=True):
            services.mark_notification_read(notification=notification, user=request.user)
            count += 1
        self.message_user(request, _("%(n)s marked as read.") % {"n": count}, messages.SUCCESS)


@admin.register(StageTimeLimit)
class StageTimeLimitAdmin(PolkuAdminMixin, admin.ModelAdmin):
    """Per-stage limits for stalled-case detection: platform admins configure them."""

    list_display = ("state", "max_days")
    fields = ("state", "max_days")

    def get_readonly_fields(self, request, obj=None):
        return ("state",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        try:
            services.set_stage_time_limit(
                actor=_actor(request), state=obj.state, max_days=obj.max_days
            )
        except (PolkuError, ValidationError) as exc:
            self.fail(request, exc)
