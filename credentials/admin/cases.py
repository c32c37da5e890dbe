"""The case page of the admin: the core's ``CaseAdmin`` re-registered with the next steps and
every track (so recruitment never imports credentials)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from recruitment.admin import CaseAdmin
from recruitment.models import Case

from .. import authz, selectors
from ..models import (
    IntegrationStep,
    LanguageCertificate,
    RecognitionApplication,
    ResidencePermit,
    TrainingEnrollment,
)
from ._base import _actor


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
