"""Admin of the recognition track: applications, decisions, appeals."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recruitment.models import OrganisationKind, RecognitionOutcome

from .. import authz, services
from ..models import (
    RecognitionApplication,
    RecognitionCondition,
)
from ._base import CompletedOnForm, DateInput, TrackFSMAdmin, _actor


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


class AppealForm(forms.Form):
    appealed_on = forms.DateField(label=_("Appealed on"), widget=DateInput)
    reason = forms.CharField(label=_("Grounds"), widget=forms.Textarea(attrs={"rows": 3}))


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
