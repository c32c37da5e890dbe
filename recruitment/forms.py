"""Forms of the recruiter and organisation-admin pages. They validate input; the writes
happen in ``recruitment.services``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import PolkuError, StaleVersion
from .models import (
    RETENTION_MONTHS,
    CaseState,
    Country,
    Organisation,
    Placement,
    Profession,
    RecruitmentBasis,
    Role,
)
from .selectors import CASE_SORTS, STAGE_OWNER_LABELS


class DateInput(forms.DateInput):
    """A native date picker; its value is always ISO 8601, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class LocalisedChoiceField(forms.ModelChoiceField):
    """Shows a profession's or country's name in the current language."""

    def label_from_instance(self, obj) -> str:
        from .templatetags.polku import localname

        return localname(obj)


class VersionedForm(forms.Form):
    """Carries the case version the user saw, so concurrent edits are caught."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *CaseState.choices]
    )
    profession = LocalisedChoiceField(
        label=_("Profession"),
        required=False,
        queryset=Profession.objects.all(),
        empty_label=_("All professions"),
    )
    country = LocalisedChoiceField(
        label=_("Nationality"),
        required=False,
        queryset=Country.objects.none(),
        empty_label=_("All countries"),
    )
    owner = forms.ChoiceField(
        label=_("Stage owner"),
        required=False,
        choices=[("", _("Anyone")), *STAGE_OWNER_LABELS.items()],
    )
    stalled = forms.BooleanField(label=_("Stalled only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("updated", _("Last updated")),
            ("number", _("Case number")),
            ("name", _("Last name")),
            ("state", _("State")),
            ("since", _("In state since")),
        ],
    )
    descending = forms.BooleanField(label=_("Reverse order"), required=False)

    def __init__(self, *args, countries=None, **kwargs):
        super().__init__(*args, **kwargs)
        if countries is not None:
            self.fields["country"].queryset = countries

    def search_arguments(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "q": data.get("q") or "",
            "state": data.get("state") or "",
            "profession": data["profession"].pk if data.get("profession") else None,
            "country": data["country"].pk if data.get("country") else None,
            "owner": data.get("owner") or "",
            "stalled": bool(data.get("stalled")),
            "sort": data.get("sort") if data.get("sort") in CASE_SORTS else "updated",
            "descending": bool(data.get("descending")),
        }


LANGUAGE_CODE_HELP = _("Two-letter codes separated by commas, e.g. en, tl.")


class CandidateCaseForm(forms.Form):
    """A new candidate and their case, in one step."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput)
    nationality = LocalisedChoiceField(label=_("Nationality"), queryset=Country.objects.all())
    country_of_residence = LocalisedChoiceField(
        label=_("Country of residence"), queryset=Country.objects.all(), required=False
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    languages = forms.CharField(
        label=_("Languages spoken"), required=False, help_text=LANGUAGE_CODE_HELP
    )
    county = LocalisedChoiceField(label=_("County"), queryset=Organisation.objects.none())
    profession = LocalisedChoiceField(label=_("Profession"), queryset=Profession.objects.all())
    recruitment_basis = forms.ChoiceField(
        label=_("Recruitment basis"), choices=RecruitmentBasis.choices
    )
    ethics_justification = forms.CharField(
        label=_("Ethics justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for candidates from a country on the WHO safeguards list."),
    )
    g2g_agreement_ref = forms.CharField(
        label=_("Government-to-government agreement reference"), required=False, max_length=200
    )

    def __init__(self, *args, counties=None, **kwargs):
        super().__init__(*args, **kwargs)
        if counties is not None:
            self.fields["county"].queryset = counties
            only = list(counties[:2])
            if len(only) == 1:
                self.fields["county"].initial = only[0].pk

    def clean_birth_date(self):
        born = self.cleaned_data.get("birth_date")
        if born and born > timezone.localdate() - dt.timedelta(days=365 * 16):
            raise forms.ValidationError(_("The candidate must be at least 16 years old."))
        if born and born.year < 1900:
            raise forms.ValidationError(_("Check the birth date."))
        return born

    def clean_languages(self):
        raw = self.cleaned_data.get("languages") or ""
        codes = [part.strip().lower() for part in raw.replace(";", ",").split(",") if part.strip()]
        for code in codes:
            if not (len(code) in (2, 3) and code.isalpha()):
                raise forms.ValidationError(
                    _("“%(code)s” is not a language code (use e.g. en, fi, tl).") % {"code": code}
                )
        return codes

    def clean(self):
        data = super().clean()
        nationality = data.get("nationality")
        basis = data.get("recruitment_basis")
        if basis == RecruitmentBasis.G2G_AGREEMENT and not data.get("g2g_agreement_ref"):
            self.add_error(
                "g2g_agreement_ref", _("Give the reference of the agreement for this basis.")
            )
        if (
            nationality is not None
            and nationality.who_safeguards_list
            and basis != RecruitmentBasis.ACTIVE_RECRUITMENT
            and not (data.get("ethics_justification") or "").strip()
        ):
            self.add_error(
                "ethics_justification",
                _("Explain why recruiting from a WHO safeguards-list country is ethical."),
            )
        return data

    def candidate_data(self) -> dict:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "birth_date": data.get("birth_date"),
            "nationality": data["nationality"],
            "country_of_residence": data.get("country_of_residence"),
            "email": data.get("email") or "",
            "phone": data.get("phone") or "",
            "languages": data.get("languages") or [],
        }

    def case_details(self) -> dict:
        data = self.cleaned_data
        return {
            "recruitment_basis": data["recruitment_basis"],
            "ethics_justification": data.get("ethics_justification") or "",
            "g2g_agreement_ref": data.get("g2g_agreement_ref") or "",
        }


class TransitionForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        if reason_required:
            self.fields["reason"].help_text = _("Required: it is written in the case history.")


class CaseDetailsForm(VersionedForm):
    """The ethical-recruitment record and the no-fee statement (accept_offer needs both)."""

    recruitment_basis = forms.ChoiceField(
        label=_("Recruitment basis"), choices=RecruitmentBasis.choices
    )
    ethics_justification = forms.CharField(
        label=_("Ethics justification"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    g2g_agreement_ref = forms.CharField(
        label=_("Government-to-government agreement reference"), required=False, max_length=200
    )
    no_fee_declared_on = forms.DateField(
        label=_("No-fee statement signed on"),
        required=False,
        widget=DateInput,
        help_text=_("Date of the candidate's signed statement that no recruitment fee was paid."),
    )

    def clean_no_fee_declared_on(self):
        signed = self.cleaned_data.get("no_fee_declared_on")
        if signed and signed > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return signed


class PlacementForm(VersionedForm):
    county_unit = forms.CharField(label=_("County unit"), max_length=200)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput)
    contract = forms.ChoiceField(label=_("Contract"), choices=Placement.Contract.choices)
    contract_end = forms.DateField(
        label=_("Contract ends"),
        required=False,
        widget=DateInput,
        help_text=_("Only for fixed-term contracts."),
    )


class RetentionCheckForm(VersionedForm):
    months = forms.TypedChoiceField(
        label=_("Check"),
        coerce=int,
        choices=[(m, _("%(m)s months after start") % {"m": m}) for m in RETENTION_MONTHS],
    )
    passed = forms.TypedChoiceField(
        label=_("Outcome"),
        coerce=lambda value: value == "yes",
        choices=[("yes", _("Still employed")), ("no", _("Left the job"))],
        widget=forms.RadioSelect,
    )
    checked_on = forms.DateField(label=_("Checked on"), widget=DateInput)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the person left: say why."),
    )


class MembershipForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise forms.ValidationError(
                _("No active user is called “%(name)s”.") % {"name": username}
            ) from exc


def stale_message() -> str:
    return str(
        _(
            "Someone changed this case after you opened it. Check the case page for their "
            "changes, then submit again if your change is still needed."
        )
    )


def add_domain_error(form, exc: Exception) -> None:
    """Put a service's error on the form: field errors where the service named a field."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
        return
    if isinstance(exc, StaleVersion):
        form.add_error(None, stale_message())
        return
    if isinstance(exc, PolkuError):
        form.add_error(None, exc.message)
        return
    for error in getattr(exc, "messages", [str(exc)]):
        form.add_error(None, error)


def refresh_version(form, record) -> None:
    """After a stale write, let the next submit apply to the version now on screen."""
    data = form.data.copy()
    data["version"] = str(record.version)
    form.data = data
