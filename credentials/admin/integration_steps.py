"""Admin of the employment services' integration steps."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recruitment.models import OrganisationKind, Role

from .. import authz, services
from ..models import (
    IntegrationStep,
)
from ._base import DateInput, TrackAdmin, _actor


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
