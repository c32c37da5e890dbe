"""Admin of the training track: enrollments."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recruitment.models import OrganisationKind, Role

from .. import authz, services
from ..models import (
    TrainingEnrollment,
)
from ._base import CompletedOnForm, DateInput, TrackFSMAdmin, _actor


class InterruptForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    interrupted_on = forms.DateField(label=_("Interrupted on"), widget=DateInput, required=False)


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
        # The state machine's transitions (start, complete, interrupt) are enrollment actions.
        services.apply_enrollment_action(
            action=name, enrollment=obj, actor=_actor(request), expected_version=obj.version, **data
        )
