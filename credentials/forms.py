"""Forms of the educator pages. They validate input; ``credentials.services`` writes."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recruitment.forms import DateInput, LocalisedChoiceField, VersionedForm
from recruitment.models import CEFRLevel, RecognitionOutcome

from .models import (
    Language,
    LanguageTest,
    PermitKind,
    PermitType,
    Programme,
    RecognitionCondition,
    TrainingState,
)


class EnrollmentFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or case number"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *TrainingState.choices]
    )
    programme = forms.ChoiceField(
        label=_("Programme"),
        required=False,
        choices=[("", _("All programmes")), *Programme.choices],
    )


class EnrollmentProgressForm(VersionedForm):
    progress_percent = forms.IntegerField(
        label=_("Progress (%)"), min_value=0, max_value=100, widget=forms.NumberInput
    )
    ends_on = forms.DateField(label=_("Planned end"), required=False, widget=DateInput)


class EnrollmentCompleteForm(VersionedForm):
    completed_on = forms.DateField(label=_("Completed on"), widget=DateInput)

    def clean_completed_on(self):
        completed = self.cleaned_data["completed_on"]
        if completed > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return completed


class EnrollmentInterruptForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason for interruption"), widget=forms.Textarea(attrs={"rows": 3})
    )
    interrupted_on = forms.DateField(label=_("Interrupted on"), required=False, widget=DateInput)


LEVEL_CHOICES = [("", "—"), *CEFRLevel.choices]


class LanguageCertificateForm(forms.Form):
    case_number = forms.ChoiceField(label=_("Case"))
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    test = forms.ChoiceField(label=_("Test"), choices=LanguageTest.choices)
    taken_on = forms.DateField(label=_("Taken on"), widget=DateInput)
    speaking = forms.ChoiceField(label=_("Speaking"), choices=LEVEL_CHOICES)
    listening = forms.ChoiceField(label=_("Listening"), choices=LEVEL_CHOICES)
    reading = forms.ChoiceField(label=_("Reading"), choices=LEVEL_CHOICES)
    writing = forms.ChoiceField(label=_("Writing"), choices=LEVEL_CHOICES)

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case_number"].choices = [("", "—")] + [
            (case.number, f"{case.number} · {case.candidate.first_name} {case.candidate.last_name}")
            for case in cases
        ]

    def clean_taken_on(self):
        taken = self.cleaned_data["taken_on"]
        if taken > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return taken


class RecognitionSubmitForm(forms.Form):
    authority = LocalisedChoiceField(label=_("Authority"), queryset=None)
    submitted_on = forms.DateField(label=_("Submitted on"), widget=DateInput)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, authorities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authority"].queryset = authorities


class RecognitionDecisionForm(VersionedForm):
    outcome = forms.ChoiceField(label=_("Decision"), choices=RecognitionOutcome.choices)
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    reference = forms.CharField(label=_("Decision reference"), required=False, max_length=100)
    conditions = forms.MultipleChoiceField(
        label=_("Ordered measures (conditional decision)"),
        required=False,
        choices=RecognitionCondition.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class PermitApplyForm(forms.Form):
    permit_type = forms.ChoiceField(label=_("Permit type"), choices=PermitType.choices)
    permit_kind = forms.ChoiceField(label=_("Permit kind"), choices=PermitKind.choices)
    applied_on = forms.DateField(label=_("Applied on"), widget=DateInput)


class PermitDecisionForm(VersionedForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("granted", _("Granted")), ("refused", _("Refused"))],
        widget=forms.RadioSelect,
    )
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DateInput)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DateInput)
    reference = forms.CharField(label=_("Decision reference"), required=False, max_length=100)
