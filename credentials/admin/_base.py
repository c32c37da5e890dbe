"""What every credential track's admin shares: the track record admins, the actor of a
request and the date widget; one module per track builds on them."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin

from recruitment import authz as core_authz
from recruitment.actors import Actor
from recruitment.admin import PolkuAdminMixin
from recruitment.errors import PolkuError
from recruitment.models import CLOSED_STATES, Role

from .. import authz

TRACK_ROLES = (Role.RECRUITER, Role.EDUCATOR, Role.EMPLOYMENT_OFFICER)


def _actor(request) -> Actor:
    return Actor.for_user(request.user)


# --- transition forms --------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class CompletedOnForm(forms.Form):
    completed_on = forms.DateField(label=_("Completed on"), widget=DateInput)


# --- shared admin behaviour --------------------------------------------------------------------


class TrackAdmin(PolkuAdminMixin, admin.ModelAdmin):
    """A track record: visible as its case (and track) is, written only through services."""

    track = ""
    organisation_field = ""  # the partner the record belongs to (institution, service, ...)
    # When set, the partner may only be chosen among organisations of this kind, and users
    # who are neither platform admins nor recruiters only among their own (with this role).
    organisation_kind = ""
    organisation_role = ""
    writer_roles: tuple[str, ...] = (Role.RECRUITER,)  # who may add records at all
    list_select_related = ("case",)
    search_fields = ("case__number",)

    def _organisation(self, obj):
        return getattr(obj, self.organisation_field) if self.organisation_field else None

    def view_rule(self, request, obj=None):
        if obj is not None:
            return authz.can_view_track(_actor(request), obj.case, self.track)
        return core_authz.is_platform_admin(request.user) or any(
            core_authz.has_role(request.user, role) for role in TRACK_ROLES
        )

    def change_rule(self, request, obj=None):
        if obj is not None:
            return authz.can_write_track(
                _actor(request), obj.case, self.track, organisation=self._organisation(obj)
            )
        return core_authz.is_platform_admin(request.user) or any(
            core_authz.has_role(request.user, role) for role in self.writer_roles
        )

    def has_delete_permission(self, request, obj=None):
        return False  # tracks are history: correct them with a new record

    def get_queryset(self, request):
        # The records the user sees (credentials.authz.record_condition, the list form of
        # recruitment.authz.case_visibility): partners only the tracks their kind of
        # organisation works on, and only their own enrollments and integration steps.
        return (
            super()
            .get_queryset(request)
            .filter(authz.user_record_condition(request.user, self.track))
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "case":
            kwargs["queryset"] = (
                core_authz.visible_cases(request.user)
                .exclude(state__in=CLOSED_STATES)
                .select_related("candidate")
            )
        elif self.organisation_kind and db_field.name == self.organisation_field:
            queryset = db_field.related_model.objects.filter(kind=self.organisation_kind)
            if not (
                core_authz.is_platform_admin(request.user)
                or core_authz.has_role(request.user, Role.RECRUITER)
            ):
                queryset = queryset.filter(
                    pk__in=core_authz.organisation_ids(request.user, self.organisation_role)
                )
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def run(self, request, call, success: str) -> bool:
        """Run a service call; report a domain or validation error instead of a 500."""
        try:
            call()
        except (PolkuError, ValidationError) as exc:
            self.fail(request, exc)
            return False
        self.message_user(request, success, level=messages.SUCCESS)
        return True

    def save_related(self, request, form, formsets, change):
        """Nothing beside the service calls."""


class TrackFSMAdmin(FSMAdminMixin, TrackAdmin):
    fsm_fields = ["state"]

    def get_fsm_block_label(self, fsm_field_name: str) -> str:
        return str(_("Record the next step"))

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None):
        if not self.change_rule(request, obj):
            self.fail(request, PolkuError(str(_("You may not change this record."))))
            return False
        return self.run(
            request,
            lambda: self.transition(request, obj, transition_name, dict(kwargs or {})),
            str(_("Saved.")),
        )

    def transition(self, request, obj, name: str, data: dict) -> None:
        raise ValueError(name)
