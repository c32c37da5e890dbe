"""Admin of the language track: certificates (recorded once, never edited)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from recruitment.models import Role

from .. import authz, services
from ..models import (
    LanguageCertificate,
)
from ._base import DateInput, TrackAdmin, _actor


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
