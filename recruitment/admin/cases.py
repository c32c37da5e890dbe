"""The case: its details, transitions (django-fsm's admin buttons run through the services),
partners and audit trail."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin

from .. import authz, services
from ..actors import Actor
from ..errors import PolkuError
from ..models import Case, CaseEvent, CasePartner, Role
from ._base import PolkuAdminMixin, ReadOnlyInline, recruiter_counties


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ("occurred_at", "kind", "from_state", "to_state", "actor_label", "reason", "changes")
    readonly_fields = fields
    ordering = ("-occurred_at", "-id")


class CasePartnerInline(ReadOnlyInline):
    model = CasePartner
    fields = ("organisation", "role", "created_at")
    readonly_fields = fields


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
                kwargs["queryset"] = recruiter_counties(request)
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
