"""Filter and report-request forms. Bad input becomes a form error a person can act on."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from recruitment.models import Country, Organisation, OrganisationKind, Profession

from .models import HalfYear
from .selectors import Filters, default_filters


def half_year_choices(today: dt.date | None = None) -> list[tuple[str, str]]:
    today = today or timezone.localdate()
    choices = []
    for year in range(today.year, 2023, -1):
        for half in (2, 1):
            if dt.date(year, 1 if half == 1 else 7, 1) <= today:
                choices.append((f"{year}-H{half}", f"H{half} {year}"))
    return choices


class FilterForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Half-year"),
        required=False,
        error_messages={
            "invalid_choice": _("Unknown half-year %(value)s: it is in the future or malformed.")
        },
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    county = forms.ModelChoiceField(
        label=_("County"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.COUNTY).order_by("name"),
        to_field_name="code",
        required=False,
        empty_label=_("All counties"),
        error_messages={"invalid_choice": _("Unknown county: choose one from the list.")},
    )
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    profession = forms.ModelChoiceField(
        label=_("Profession"),
        queryset=Profession.objects.order_by("name_en"),
        to_field_name="code",
        required=False,
        empty_label=_("All professions"),
        error_messages={"invalid_choice": _("Unknown profession: choose one from the list.")},
    )
    country = forms.ModelChoiceField(
        label=_("Source country"),
        queryset=Country.objects.order_by("name_en"),
        to_field_name="code",
        required=False,
        empty_label=_("All countries"),
        error_messages={"invalid_choice": _("Unknown country: use its ISO 3166-1 code.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [("", _("Custom dates")), *half_year_choices()]
        self.fields["sector"].choices = [("", _("All sectors")), *Profession.Sector.choices]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        today = timezone.localdate()
        period = data.get("period")
        if period:
            year, half = period.split("-H")
            start = dt.date(int(year), 1 if half == "1" else 7, 1)
            end = dt.date(int(year), 6, 30) if half == "1" else dt.date(int(year), 12, 31)
        else:
            defaults = default_filters(today)
            start = data.get("start") or defaults.start
            end = data.get("end") or defaults.end
        if start > end:
            raise forms.ValidationError(
                _("The period is inverted: it starts (%(start)s) after it ends (%(end)s).")
                % {"start": start.isoformat(), "end": end.isoformat()}
            )
        if start > today:
            raise forms.ValidationError(
                _("The period starts in the future (%(start)s): there are no figures yet.")
                % {"start": start.isoformat()}
            )
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            start=data["start"],
            end=data["end"],
            county_id=data["county"].pk if data.get("county") else None,
            profession_id=data["profession"].pk if data.get("profession") else None,
            sector=data.get("sector") or None,
            country_id=data["country"].pk if data.get("country") else None,
        )


class ReportRequestForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2020, max_value=2100)
    half = forms.TypedChoiceField(label=_("Half-year"), choices=HalfYear.choices, coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial = today.year if today.month > 6 else today.year - 1
        self.fields["half"].initial = 1 if today.month > 6 else 2
