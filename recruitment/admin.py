"""Django admin for the core: platform admins (superusers) only, see ``admin_site``. Every
write goes through ``recruitment.services``; object rules come from ``recruitment.authz``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin

from . import authz, services
from .actors import Actor
from .errors import PolkuError
from .models import (
    Candidate,
    CandidateAccess,
    Case,
    CaseEvent,
    CasePartner,
    Country,
    Membership,
    Organisation,
    OrganisationKind,
    Placement,
    Profession,
    RetentionCheck,
    Role,
)


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


@admin.register(Profession)
class ProfessionAdmin(PolkuAdminMixin, admin.ModelAdmin):
    list_display = ("name_en", "name_fi", "sector", "regulation", "required_language_level")
    list_filter = ("sector", "regulation", "register")
    search_fields = ("code", "name_en", "name_fi", "name_sv")


@admin.register(Country)
class CountryAdmin(PolkuAdminMixin, admin.ModelAdmin):
    list_display = ("name_en", "code", "is_eu_eea", "is_nordic", "who_safeguards_list")
    list_filter = ("is_eu_eea", "is_nordic", "who_safeguards_list", "who_region")
    search_fields = ("code", "alpha3", "name_en", "name_fi", "name_sv")


def _recruiter_counties(request):
    return Organisation.objects.filter(
        kind=OrganisationKind.COUNTY,
        pk__in=authz.organisation_ids(request.user, Role.RECRUITER),
    )


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
            kwargs["queryset"] = _recruiter_counties(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        candidate = self.get_object(request, object_id)
        if candidate is not None:
            CandidateAccess.objects.create(
                candidate=candidate,
                user=request.user,
                actor_label=request.user.get_username(),
                purpose="admin",
            )
        return super().change_view(request, object_id, form_url, extra_context)


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("occurred_at", "kind", "from_state", "to_state", "actor_label", "reason", "changes")
    readonly_fields = fields
    ordering = ("-occurred_at", "-id")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


class CasePartnerInline(admin.TabularInline):
    model = CasePartner
    extra = 0
    can_delete = False
    fields = ("organisation", "role", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return True


class CaseAdminForm(forms.ModelForm):
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Case
        fields = ("candidate", "county", "profession", *sorted(services.EDITABLE_FIELDS))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if self.instance.pk and seen is not None:
            current = Case.objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            if current and current[0] != seen:
                raise forms.ValidationError(
                    _(
                        "Someone else changed this case after you opened it. "
                        "Reload the page to see their changes, then try again."
                    ),
                    code="stale_version",
                )
        return cleaned


class ReasonForm(forms.ModelForm):
    """The transition form (django-fsm's admin view builds it with the case as instance): a
    reason, and the version the user saw, so a stale transition is refused."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Written in the case's audit trail."),
    )
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Case
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version


@admin.register(Case)
class CaseAdmin(PolkuAdminMixin, FSMAdminMixin, admin.ModelAdmin):
    form = CaseAdminForm
    fsm_fields = ["state"]
    fsm_forms = dict.fromkeys(services.REASON_REQUIRED, ReasonForm)
    list_display = ("number", "candidate", "county", "profession", "state", "updated_at")
    list_filter = ("state", "profession", "county")
    search_fields = ("number", "candidate__first_name", "candidate__last_name")
    list_select_related = ("candidate", "county", "profession")
    inlines = [CasePartnerInline, CaseEventInline]
    autocomplete_fields = ("candidate",)
    milestone_fields = tuple(sorted(services.MILESTONE_FIELDS))
    readonly_fields = (
        "number",
        "state",
        "held_from",
        "version",
        "opened_on",
        "state_changed_at",
        "closed_at",
        "transitions_overview",
        *milestone_fields,
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": (
                            "candidate",
                            "county",
                            "profession",
                            "recruiter",
                            *sorted(services.EDITABLE_FIELDS - {"recruiter"}),
                        )
                    },
                )
            ]
        return [
            (
                None,
                {
                    "fields": (
                        "number",
                        "candidate",
                        "county",
                        "profession",
                        "recruiter",
                        "state",
                        "held_from",
                        "version",
                        "seen_version",
                    )
                },
            ),
            (_("Transitions"), {"fields": ("transitions_overview",)}),
            (
                _("Ethical recruitment"),
                {
                    "fields": (
                        "recruitment_basis",
                        "ethics_justification",
                        "g2g_agreement_ref",
                        "no_fee_declared_on",
                    )
                },
            ),
            (_("Milestones (kept by the credential tracks)"), {"fields": self.milestone_fields}),
            (_("Dates"), {"fields": ("opened_on", "state_changed_at", "closed_at")}),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["candidate", "county", "profession"]
        return fields

    def view_rule(self, request, obj=None):
        if obj is not None:
            return authz.can_change_case(request.user, obj)
        return authz.is_platform_admin(request.user) or authz.has_role(request.user, Role.RECRUITER)

    change_rule = view_rule

    def has_delete_permission(self, request, obj=None):
        return False  # cases close through transitions; the audit trail stays

    def get_queryset(self, request):
        return authz.admin_cases(request.user).select_related("candidate", "county", "profession")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not authz.is_platform_admin(request.user):
            if db_field.name == "county":
                kwargs["queryset"] = _recruiter_counties(request)
            elif db_field.name == "candidate":
                kwargs["queryset"] = authz.visible_candidates(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("Available transitions"))
    def transitions_overview(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        rows = []
        for option in services.available_transitions(obj, actor=Actor.system()):
            status = _("available") if option.allowed else " ".join(option.blocked_reasons)
            rows.append((option.label, status))
        if not rows:
            return _("None: the case is closed.")
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li><strong>{}</strong>: {}</li>", rows)
        )

    def save_model(self, request, obj, form, change):
        actor = Actor.for_user(request.user)
        data = form.cleaned_data
        try:
            if not change:
                case = services.open_case(
                    candidate=data["candidate"],
                    county=data["county"],
                    profession=data["profession"],
                    actor=actor,
                    recruiter=data.get("recruiter"),
                    **{f: data[f] for f in services.EDITABLE_FIELDS - {"recruiter"} if f in data},
                )
                obj.pk = case.pk
            else:
                changes = {f: data[f] for f in form.changed_data if f in services.EDITABLE_FIELDS}
                if changes:
                    case = services.update_case(
                        case=obj.pk,
                        actor=actor,
                        expected_version=data.get("seen_version"),
                        **changes,
                    )
                    obj.version = case.version
        except (PolkuError, ValidationError) as exc:
            self.fail(request, exc)

    def save_related(self, request, form, formsets, change):
        """Inlines are read-only; nothing to save beside the service calls above.

        The admin's change message reads what each formset saved, so say "nothing".
        """
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def _get_fsm_transition_func(self, *, obj, transition_name):
        """Unknown names (typed into the URL or the form) are a 404, not a server error."""
        if transition_name not in services.TRANSITIONS:
            raise Http404(
                _("There is no transition called “%(name)s”.") % {"name": transition_name}
            )
        return super()._get_fsm_transition_func(obj=obj, transition_name=transition_name)

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None):
        """Run admin transitions through the service: permission, guards, version, audit."""
        kwargs = kwargs or {}
        seen = kwargs.get("seen_version")
        try:
            services.transition_case(
                case=obj.pk,
                name=transition_name,
                actor=Actor.for_user(request.user),
                expected_version=obj.version if seen is None else seen,
                reason=kwargs.get("reason", ""),
            )
        except PolkuError as exc:
            self.fail(request, exc)
            return False
        self.message_user(
            request,
            _("%(case)s: %(label)s done.")
            % {"case": obj.number, "label": services.transition_label(obj, transition_name)},
            level=messages.SUCCESS,
        )
        return True


@admin.register(CaseEvent)
class CaseEventAdmin(PolkuAdminMixin, admin.ModelAdmin):
    """Audit trail: read-only for everyone, platform admins included."""

    list_display = ("occurred_at", "case", "kind", "from_state", "to_state", "actor_label")
    list_filter = ("kind", "actor_kind", "to_state")
    search_fields = ("case__number", "actor_label")
    list_select_related = ("case",)

    def view_rule(self, request, obj=None):
        if obj is not None:
            return authz.can_change_case(request.user, obj.case)
        return authz.is_platform_admin(request.user) or authz.has_role(request.user, Role.RECRUITER)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return CaseEvent.objects.filter(case__in=authz.admin_cases(request.user))

    def get_actions(self, request):
        return {}


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
