"""Admin for the integration app: API clients (token shown once), webhooks with their
deliveries (redelivery action) and CSV imports (upload here too)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from recruitment.actors import Actor
from recruitment.errors import PolkuError

from . import imports, selectors, services
from .models import (
    SCOPES,
    ApiClient,
    CsvImport,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
    allowed_scopes,
)
from .principals import Principal


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=[(scope, f"{scope} — {text}") for scope, text in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiClient
        fields = ["organisation", "name", "scopes", "expires_at"]

    def clean(self):
        data = super().clean()
        organisation = data.get("organisation")
        scopes = data.get("scopes") or []
        if organisation is not None:
            refused = sorted(set(scopes) - allowed_scopes(organisation))
            if refused:
                self.add_error(
                    "scopes",
                    _("A %(kind)s cannot hold: %(s)s.")
                    % {"kind": organisation.get_kind_display(), "s": ", ".join(refused)},
                )
        expires_at = data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            self.add_error("expires_at", _("The expiry must be in the future."))
        return data


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = [
        "name",
        "organisation",
        "token_prefix",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["organisation__kind"]
    search_fields = ["name", "organisation__name", "token_prefix"]
    readonly_fields = ["token_prefix", "last_used_at", "revoked_at", "created_by", "created_at"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return selectors.api_clients_for_user(request.user)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # scopes and expiry of an existing token never change
            return [*self.readonly_fields, "organisation", "name", "scopes", "expires_at"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            client, token = services.create_api_client(
                organisation=form.cleaned_data["organisation"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_at"],
                actor=Actor.for_user(request.user),
            )
        except (ValidationError, PolkuError) as exc:
            messages.error(request, str(getattr(exc, "message", exc)))
            raise
        obj.__dict__.update({k: v for k, v in client.__dict__.items() if k != "_state"})
        obj._state.adding = False
        messages.warning(
            request,
            _("Token for %(name)s — copy it now, it is not shown again: %(token)s")
            % {"name": client.name, "token": token},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = 0
        for client in queryset:
            services.revoke_api_client(client=client, actor=Actor.for_user(request.user))
            count += 1
        messages.success(
            request, ngettext("%(n)s token revoked.", "%(n)s tokens revoked.", count) % {"n": count}
        )


class WebhookSubscriptionForm(forms.ModelForm):
    # Judged by the destination policy (which says why a URL is refused).
    url = forms.CharField(label=_("URL"), max_length=500, widget=forms.URLInput)

    class Meta:
        model = WebhookSubscription
        fields = ["url", "event_types", "active"]

    def clean(self):
        """The service's checks (destination policy, scopes) as form errors."""
        data = super().clean()
        checked = {
            name: data[name]
            for name in ("url", "event_types")
            if name in self.changed_data and name in data
        }
        if checked:
            try:
                services.validate_subscription(client=self.instance.client, **checked)
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["client", "url", "active", "updated_at"]
    list_filter = ["active"]
    readonly_fields = ["client", "secret", "version", "created_at", "updated_at"]
    fields = ["client", "url", "event_types", "active", "version", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False  # partners subscribe through the API (their token owns the subscription)

    def save_model(self, request, obj, form, change):
        """Through the service: the same checks, and a new version only for a real change."""
        updated = services.update_subscription(
            subscription=obj,
            expected_version=obj.version,
            **{name: form.cleaned_data[name] for name in form.changed_data},
        )
        obj.__dict__.update({k: v for k, v in updated.__dict__.items() if k != "_state"})


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_type", "case_id", "occurred_at", "dispatched_at"]
    list_filter = ["event_type"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
    ]
    list_filter = ["status"]
    list_select_related = ["event", "subscription__client"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Deliver the selected webhooks again"))
    def redeliver(self, request, queryset):
        count = services.redeliver(deliveries=list(queryset), actor=Actor.for_user(request.user))
        messages.success(
            request,
            ngettext("%(n)s delivery queued again.", "%(n)s deliveries queued again.", count)
            % {"n": count},
        )


class CsvImportForm(forms.ModelForm):
    class Meta:
        model = CsvImport
        fields = ["file", "kind", "apply_valid_rows"]

    def clean(self):
        """Encoding and columns are checked before the import is queued."""
        data = super().clean()
        upload, kind = data.get("file"), data.get("kind")
        if upload is not None and kind:
            try:
                content = imports.read_upload(upload)  # refused before it is read whole
                upload.seek(0)
                header, _rows = imports.read_rows(imports.decode(content))
                imports.check_columns(kind, header)
            except ValidationError as exc:
                self.add_error("file", exc.message_dict.get("file", exc.messages))
        return data


@admin.register(CsvImport)
class CsvImportAdmin(admin.ModelAdmin):
    form = CsvImportForm
    list_display = ["id", "kind", "status", "progress", "applied_rows", "error_rows", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [
        "status",
        "total_rows",
        "processed_rows",
        "applied_rows",
        "error_rows",
        "failure_reason",
        "report_table",
        "finished_at",
    ]

    @admin.display(description=_("progress"))
    def progress(self, obj):
        return f"{obj.progress_percent} %"

    @admin.display(description=_("row report"))
    def report_table(self, obj):
        return imports.report_csv(obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["file", "kind", "apply_valid_rows"]
        return ["kind", "apply_valid_rows", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["kind", "apply_valid_rows", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        if change:
            return
        upload = form.cleaned_data["file"]
        created = imports.create_csv_import(
            principal=Principal.for_user(request.user),
            content=imports.read_upload(upload),
            filename=upload.name,
            kind=form.cleaned_data["kind"],
            apply_valid_rows=form.cleaned_data["apply_valid_rows"],
        )
        obj.__dict__.update({k: v for k, v in created.__dict__.items() if k != "_state"})
        obj._state.adding = False
