"""Django admin for the credential tracks.

Every write goes through ``credentials.services`` (transition buttons and their forms call
the matching service); who may see and change what comes from ``recruitment.authz`` and
``credentials.authz``. The case page is extended here (next steps and every track) by
re-registering the core's ``CaseAdmin`` with more inlines, so recruitment never imports
credentials.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin

from recruitment import authz as core_authz
from recruitment.actors import Actor
from recruitment.admin import CaseAdmin, PolkuAdminMixin
from recruitment.errors import PolkuError
from recruitment.models import CLOSED_STATES, Case, OrganisationKind, RecognitionOutcome, Role

from . import authz, selectors, services
from .models import (
    IntegrationStep,
    LanguageCertificate,
    Notification,
    RecognitionApplication,
    RecognitionCondition,
    ResidencePermit,
    StageTimeLimit,
    TrainingEnrollment,
)

TRACK_ROLES = (Role.RECRUITER, Role.EDUCATOR, Role.EMPLOYMENT_OFFICER)


def _actor(request) -> Actor:
    return Actor.for_user(request.user)


# --- transition forms --------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class DecideRecognitionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=RecognitionOutcome.choices)
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    reference = forms.CharField(label=_("Decision reference"), required=False, max_length=100)
    conditions = forms.MultipleChoiceField(
        label=_("Ordered measures (conditional decision)"),
        choices=RecognitionCondition.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class CompletedOnForm(forms.Form):
    completed_on = forms.DateField(label=_("Completed on"), widget=DateInput)


class AppealForm(forms.Form):
    appealed_on = forms.DateField(label=_("Appealed on"), widget=DateInput)
    reason = forms.CharField(label=_("Grounds"), widget=forms.Textarea(attrs={"rows": 3}))


class InterruptForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    interrupted_on = forms.DateField(label=_("Interrupted on"), widget=DateInput, required=False)


class GrantPermitForm(forms.Form):
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput, required=False)
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput)
    reference = forms.CharField(label=_("Decision reference"), required=False, max_length=100)


class RefusePermitForm(forms.Form):
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    reference = forms.CharField(label=_("Decision reference"), required=False, max_length=100)


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


# --- recognition -------------------------------------------------------------------------------


class RecognitionAddForm(forms.ModelForm):
    class Meta:
        model = RecognitionApplication
        fields = ("case", "authority", "submitted_on", "notes")
        widgets = {"submitted_on": DateInput}


@admin.register(RecognitionApplication)
class RecognitionApplicationAdmin(TrackFSMAdmin):
    track = authz.RECOGNITION
    organisation_field = "authority"
    list_display = ("case", "authority", "state", "outcome", "submitted_on", "decided_on")
    list_filter = ("state", "outcome")
    fsm_forms = {
        "decide": DecideRecognitionForm,
        "complete": CompletedOnForm,
        "appeal": AppealForm,
    }
    readonly_fields = (
        "case",
        "authority",
        "state",
        "outcome",
        "conditions",
        "submitted_on",
        "decided_on",
        "completed_on",
        "appealed_on",
        "decision_reference",
        "notes",
        "version",
    )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = RecognitionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        if obj is None:
            return RecognitionAddForm.Meta.fields
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "authority":
            kwargs["queryset"] = db_field.related_model.objects.filter(
                kind=OrganisationKind.AUTHORITY
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data

        def call():
            application = services.submit_recognition(
                case=data["case"],
                authority=data["authority"],
                submitted_on=data["submitted_on"],
                notes=data.get("notes", ""),
                actor=_actor(request),
            )
            obj.pk = application.pk

        self.run(request, call, str(_("Recognition application recorded.")))

    def transition(self, request, obj, name, data):
        common = {"application": obj, "actor": _actor(request), "expected_version": obj.version}
        if name == "start_review":
            services.start_recognition_review(**common)
        elif name == "decide":
            services.decide_recognition(**common, **data)
        elif name == "complete":
            services.complete_recognition(**common, **data)
        elif name == "appeal":
            services.appeal_recognition(**common, **data)
        else:
            raise ValueError(name)


# --- training ----------------------------------------------------------------------------------


class EnrollmentForm(forms.ModelForm):
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = TrainingEnrollment
        fields = ("case", "institution", "programme", "starts_on", "ends_on", "progress_percent")
        widgets = {"starts_on": DateInput, "ends_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version


@admin.register(TrainingEnrollment)
class TrainingEnrollmentAdmin(TrackFSMAdmin):
    track = authz.TRAINING
    organisation_field = "institution"
    organisation_kind = OrganisationKind.EDUCATIONAL_INSTITUTION
    organisation_role = Role.EDUCATOR
    writer_roles = (Role.RECRUITER, Role.EDUCATOR)
    form = EnrollmentForm
    list_display = ("case", "institution", "programme", "state", "progress_percent", "ends_on")
    list_filter = ("state", "programme", "institution")
    list_select_related = ("case", "institution")
    fsm_forms = {"complete": CompletedOnForm, "interrupt": InterruptForm}

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("case", "institution", "programme", "starts_on", "ends_on")
        return (
            "case",
            "institution",
            "programme",
            "state",
            "starts_on",
            "ends_on",
            "progress_percent",
            "completed_on",
            "interrupted_on",
            "interruption_reason",
            "version",
            "seen_version",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fixed = ["case", "institution", "programme", "state", "starts_on", "version"]
        fixed += ["completed_on", "interrupted_on", "interruption_reason"]
        if not obj.is_active:
            fixed += ["ends_on", "progress_percent"]
        return fixed

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        actor = _actor(request)
        if not change:

            def call():
                enrollment = services.enroll(
                    case=data["case"],
                    institution=data["institution"],
                    programme=data["programme"],
                    starts_on=data["starts_on"],
                    ends_on=data.get("ends_on"),
                    actor=actor,
                )
                obj.pk = enrollment.pk

            self.run(request, call, str(_("Enrollment recorded.")))
            return
        changed = {f: data[f] for f in form.changed_data if f in ("progress_percent", "ends_on")}
        if changed:
            current = TrainingEnrollment.objects.get(pk=obj.pk)
            self.run(
                request,
                lambda: services.update_enrollment(
                    enrollment=current,
                    actor=actor,
                    expected_version=data.get("seen_version") or current.version,
                    **changed,
                ),
                str(_("Enrollment updated.")),
            )

    def transition(self, request, obj, name, data):
        common = {"enrollment": obj, "actor": _actor(request), "expected_version": obj.version}
        if name == "start":
            services.start_enrollment(**common)
        elif name == "complete":
            services.complete_enrollment(**common, **data)
        elif name == "interrupt":
            services.interrupt_enrollment(**common, **data)
        else:
            raise ValueError(name)


# --- language ----------------------------------------------------------------------------------


class CertificateForm(forms.ModelForm):
    class Meta:
        model = LanguageCertificate
        fields = (
            "case",
            "language",
            "test",
            "issuer",
            "taken_on",
            "speaking",
            "listening",
            "reading",
            "writing",
        )
        widgets = {"taken_on": DateInput}


@admin.register(LanguageCertificate)
class LanguageCertificateAdmin(TrackAdmin):
    track = authz.LANGUAGE
    form = CertificateForm
    writer_roles = (Role.RECRUITER, Role.EDUCATOR)
    list_display = (
        "case",
        "language",
        "test",
        "taken_on",
        "speaking",
        "listening",
        "reading",
        "writing",
    )
    list_filter = ("language", "test")

    def change_rule(self, request, obj=None):
        # Certificates are facts: recorded once, never edited (record a retake instead).
        return obj is None and super().change_rule(request)

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data

        def call():
            certificate = services.record_language_certificate(
                actor=_actor(request), **{k: data.get(k) for k in CertificateForm.Meta.fields}
            )
            obj.pk = certificate.pk

        self.run(request, call, str(_("Language certificate recorded.")))


# --- permits -----------------------------------------------------------------------------------


@admin.register(ResidencePermit)
class ResidencePermitAdmin(TrackFSMAdmin):
    track = authz.PERMIT
    writer_roles = (Role.RECRUITER, Role.EMPLOYMENT_OFFICER)
    list_display = ("case", "permit_type", "permit_kind", "state", "applied_on", "valid_until")
    list_filter = ("state", "permit_type", "permit_kind")
    fsm_forms = {"grant": GrantPermitForm, "refuse": RefusePermitForm}
    add_fields = ("case", "permit_type", "permit_kind", "applied_on")

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        return (
            *self.add_fields,
            "state",
            "decided_on",
            "valid_from",
            "valid_until",
            "decision_reference",
            "version",
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "applied_on":
            kwargs["widget"] = DateInput
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data

        def call():
            permit = services.apply_permit(
                actor=_actor(request), **{k: data[k] for k in self.add_fields}
            )
            obj.pk = permit.pk

        self.run(request, call, str(_("Permit application recorded.")))

    def transition(self, request, obj, name, data):
        common = {"permit": obj, "actor": _actor(request), "expected_version": obj.version}
        if name == "grant":
            services.decide_permit(**common, granted=True, **data)
        elif name == "refuse":
            services.decide_permit(**common, granted=False, **data)
        else:
            raise ValueError(name)


# --- integration steps -------------------------------------------------------------------------


class IntegrationStepForm(forms.ModelForm):
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = IntegrationStep
        fields = ("case", "organisation", "kind", "status", "due_on", "done_on", "notes")
        widgets = {"due_on": DateInput, "done_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen_version"].initial = self.instance.version


@admin.register(IntegrationStep)
class IntegrationStepAdmin(TrackAdmin):
    track = authz.INTEGRATION
    organisation_field = "organisation"
    organisation_kind = OrganisationKind.EMPLOYMENT_SERVICE
    organisation_role = Role.EMPLOYMENT_OFFICER
    writer_roles = (Role.RECRUITER, Role.EMPLOYMENT_OFFICER)
    form = IntegrationStepForm
    list_display = ("case", "organisation", "kind", "status", "due_on", "done_on")
    list_filter = ("status", "kind")

    def get_fields(self, request, obj=None):
        fields = IntegrationStepForm.Meta.fields
        return fields if obj is None else (*fields, "version", "seen_version")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("case", "organisation", "kind", "version")

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        actor = _actor(request)
        if not change:

            def call():
                step = services.record_integration_step(
                    actor=actor, **{k: data.get(k) for k in IntegrationStepForm.Meta.fields}
                )
                obj.pk = step.pk

            self.run(request, call, str(_("Integration step recorded.")))
            return
        editable = ("status", "due_on", "done_on", "notes")
        changed = {f: data[f] for f in form.changed_data if f in editable}
        if changed:
            current = IntegrationStep.objects.get(pk=obj.pk)
            self.run(
                request,
                lambda: services.update_integration_step(
                    step=current,
                    actor=actor,
                    expected_version=data.get("seen_version") or current.version,
                    **changed,
                ),
                str(_("Integration step updated.")),
            )


# --- notifications and time limits -------------------------------------------------------------


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


# --- the case page: next steps and every track ---------------------------------------------------


class TrackInline(admin.TabularInline):
    """A read-only list of a case's track records, linking to each record's own page."""

    extra = 0
    can_delete = False
    show_change_link = True
    track = ""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        if obj is None or not self.track:
            return True
        return authz.can_view_track(_actor(request), obj, self.track)

    def get_readonly_fields(self, request, obj=None):
        return self.fields


class RecognitionInline(TrackInline):
    model = RecognitionApplication
    track = authz.RECOGNITION
    fields = ("authority", "state", "outcome", "conditions", "submitted_on", "decided_on")
    verbose_name_plural = _("Recognition of the qualification")


class EnrollmentInline(TrackInline):
    model = TrainingEnrollment
    track = authz.TRAINING
    fields = ("institution", "programme", "state", "progress_percent", "starts_on", "ends_on")
    verbose_name_plural = _("Training")


class CertificateInline(TrackInline):
    model = LanguageCertificate
    track = authz.LANGUAGE
    fields = ("language", "test", "taken_on", "speaking", "listening", "reading", "writing")
    verbose_name_plural = _("Language certificates")


class PermitInline(TrackInline):
    model = ResidencePermit
    track = authz.PERMIT
    fields = ("permit_type", "permit_kind", "state", "applied_on", "decided_on", "valid_until")
    verbose_name_plural = _("Residence permits")


class IntegrationStepInline(TrackInline):
    model = IntegrationStep
    track = authz.INTEGRATION
    fields = ("organisation", "kind", "status", "due_on", "done_on")
    verbose_name_plural = _("Employment services' integration steps")


OWNER_LABELS = {
    "recruiter": _("Recruiter"),
    "educational_institution": _("Educational institution"),
    "employment_service": _("Employment service"),
    "authority": _("Authority"),
}


class CaseWithTracksAdmin(CaseAdmin):
    """The core's case page plus the credential tracks and the next steps."""

    inlines = [
        RecognitionInline,
        EnrollmentInline,
        CertificateInline,
        PermitInline,
        IntegrationStepInline,
        *CaseAdmin.inlines,
    ]
    readonly_fields = (*CaseAdmin.readonly_fields, "next_steps_overview")

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.insert(1, (_("Next steps"), {"fields": ("next_steps_overview",)}))
        return fieldsets

    @admin.display(description=_("Critical path"))
    def next_steps_overview(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        steps = selectors.next_steps(obj)
        if not steps:
            return _("None: the case is closed.")
        rows = []
        for step in steps:
            if step.done:
                status = _("done")
            elif step.blocked_by:
                status = " ".join(str(b) for b in step.blocked_by)
            else:
                status = _("to do")
            rows.append(
                (
                    "✓" if step.done else "•",
                    step.title,
                    OWNER_LABELS.get(step.owner, step.owner),
                    status,
                )
            )
        return format_html(
            "<table><thead><tr><th></th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("Step"),
            _("Owner"),
            _("Status"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )


admin.site.unregister(Case)
admin.site.register(Case, CaseWithTracksAdmin)
