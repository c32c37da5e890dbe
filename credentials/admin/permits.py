"""Admin of the residence permit track: applications and Migri's decisions."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recruitment.models import Role

from .. import authz, services
from ..models import (
    ResidencePermit,
)
from ._base import DateInput, TrackFSMAdmin, _actor


class GrantPermitForm(forms.Form):
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput, required=False)
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput)
    reference = forms.CharField(label=_("Decision reference"), required=False, max_length=100)


class RefusePermitForm(forms.Form):
    decided_on = forms.DateField(label=_("Decided on"), widget=DateInput)
    reference = forms.CharField(label=_("Decision reference"), required=False, max_length=100)


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
