"""Forms of the organisation-admin and CSV import pages; ``integration.services`` writes."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recruitment.forms import DateInput

from .models import SCOPES, CsvImport, EventType


class ApiClientForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=(), widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(
        label=_("Expires on"), widget=DateInput, help_text=_("At most two years from today.")
    )

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (scope, f"{scope} – {SCOPES[scope]}") for scope in SCOPES if scope in allowed
        ]
        self.fields["expires_on"].initial = timezone.localdate() + dt.timedelta(days=365)


class WebhookForm(forms.Form):
    client = forms.ModelChoiceField(label=_("API client"), queryset=None)
    # Judged by the destination policy (the service says why a URL is refused).
    url = forms.CharField(label=_("URL"), max_length=500, widget=forms.URLInput)
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients


class CsvUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file contains"), choices=())
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma or semicolon separated, a header row first."),
    )
    apply_valid_rows = forms.BooleanField(
        label=_("Apply the valid rows even if some rows have errors"), required=False
    )

    def __init__(self, *args, kinds=(), refused=None, **kwargs):
        """``refused``: the upload's error when the file was dropped while it arrived (over
        the size limit), so the form says that rather than "required"."""
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, v) for k, v in CsvImport.Kind.choices if k in kinds]
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"
        self.refused = refused
        if refused is not None:
            self.fields["file"].required = False

    def clean(self):
        cleaned = super().clean()
        if self.refused is not None:
            self.add_error(None, self.refused)
        return cleaned
