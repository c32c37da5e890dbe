"""Web pages of the integration app: organisation admins' API clients and webhook
subscriptions, and CSV uploads with a progress bar and a row report. Thin: authorisation
from ``recruitment.authz``, reads from selectors, writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from recruitment import authz
from recruitment import selectors as core_selectors
from recruitment.actors import Actor
from recruitment.errors import PolkuError
from recruitment.forms import add_domain_error
from recruitment.parsing import MAX_INT, parse_int

from . import imports, selectors, services
from .forms import ApiClientForm, CsvUploadForm, WebhookForm
from .models import CsvImport, allowed_scopes
from .principals import Principal

# Session keys (not secrets) that carry a new token / secret to the next page view once.
NEW_TOKEN_KEY = "integration:new_api_token"  # noqa: S105
NEW_SECRET_KEY = "integration:new_webhook_secret"  # noqa: S105


def _admin_organisation(request):
    organisations = list(core_selectors.administered_organisations(request.user).order_by("name"))
    if not organisations:
        raise PermissionDenied
    code = request.GET.get("organisation") or request.POST.get("organisation")
    if code:
        for organisation in organisations:
            if organisation.code == code:
                return organisation, organisations
        raise Http404  # another organisation's clients: as if they did not exist
    return organisations[0], organisations


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_clients(request):
    organisation, organisations = _admin_organisation(request)
    form = ApiClientForm(request.POST or None, allowed=allowed_scopes(organisation))
    created = token = None
    if request.method == "POST" and form.is_valid():
        try:
            created, token = services.create_api_client(
                organisation=organisation,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_on"],
                actor=Actor.for_user(request.user),
            )
        except (ValidationError, PolkuError) as exc:
            add_domain_error(form, exc)
        else:
            # Post/redirect/get: the token travels once through the session, so a reload
            # neither shows it again nor creates a second client.
            request.session[NEW_TOKEN_KEY] = {"client": created.pk, "token": token}
            return redirect(
                f"{reverse('integration:api_clients')}?organisation={organisation.code}"
            )
    if request.method == "GET" and NEW_TOKEN_KEY in request.session:
        shown = request.session.pop(NEW_TOKEN_KEY)
        created = selectors.api_clients_for_user(request.user).filter(pk=shown["client"]).first()
        token = shown["token"] if created else None
    clients = list(
        selectors.api_clients_for_user(request.user)
        .filter(organisation=organisation)
        .order_by("-created_at")
    )
    return render(
        request,
        "integration/api_clients.html",
        {
            "organisation": organisation,
            "organisations": organisations if len(organisations) > 1 else [],
            "clients": clients,
            "form": form,
            "created": created,
            "token": token,
        },
    )


@login_required
@require_POST
def api_client_revoke(request, pk: int):
    client = get_object_or_404(selectors.api_clients_for_user(request.user), pk=pk)
    services.revoke_api_client(client=client, actor=Actor.for_user(request.user))
    messages.success(request, _("The token of “%(name)s” is revoked.") % {"name": client.name})
    return redirect(f"{reverse('integration:api_clients')}?organisation={client.organisation.code}")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request):
    if not authz.administered_organisation_ids(request.user) and not authz.is_platform_admin(
        request.user
    ):
        raise PermissionDenied
    clients = selectors.api_clients_for_user(request.user).filter(revoked_at__isnull=True)
    form = WebhookForm(request.POST or None, clients=clients)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_subscription(
                client=form.cleaned_data["client"],
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
            )
        except (ValidationError, PolkuError) as exc:
            add_domain_error(form, exc)
        else:
            request.session[NEW_SECRET_KEY] = created.pk
            return redirect("integration:webhooks")
    if request.method == "GET" and NEW_SECRET_KEY in request.session:
        created = (
            selectors.subscriptions_for_user(request.user)
            .filter(pk=request.session.pop(NEW_SECRET_KEY))
            .first()
        )
    return render(
        request,
        "integration/webhooks.html",
        {
            "subscriptions": list(selectors.subscriptions_for_user(request.user)),
            "form": form,
            "created": created,
            "has_clients": clients.exists(),
        },
    )


@never_cache
@login_required
@require_POST
def webhook_action(request, pk: int, action: str):
    subscription = get_object_or_404(selectors.subscriptions_for_user(request.user), pk=pk)
    version = parse_int(request.POST.get("version", ""), high=MAX_INT) or 0
    try:
        if action == "toggle":
            subscription = services.update_subscription(
                subscription=subscription, expected_version=version, active=not subscription.active
            )
            messages.success(
                request,
                _("Subscription switched on.")
                if subscription.active
                else _("Subscription paused."),
            )
        elif action == "rotate":
            subscription = services.rotate_subscription_secret(
                subscription=subscription, expected_version=version
            )
            return render(
                request,
                "integration/webhook_secret.html",
                {"subscription": subscription},
            )
        elif action == "delete":
            services.delete_subscription(subscription=subscription, expected_version=version)
            messages.success(request, _("Subscription deleted."))
        else:
            raise PermissionDenied
    except (ValidationError, PolkuError) as exc:
        messages.error(request, getattr(exc, "message", None) or " ".join(exc.messages))
    return redirect("integration:webhooks")


# --- CSV imports -----------------------------------------------------------------------------


def _uploader(request) -> tuple[Principal, list[str]]:
    principal = Principal.for_user(request.user)
    kinds = [k for k, scope in imports.KIND_SCOPES.items() if principal.has_scope(scope)]
    if not kinds:
        raise PermissionDenied
    return principal, kinds


@csrf_exempt  # checked by _csv_imports, once the size cap is in place (see below)
@login_required
@require_http_methods(["GET", "POST"])
def csv_imports(request):
    """The upload page. An over-limit file is dropped while it arrives (``CappedUpload``),
    never read whole. The cap must be installed before anything reads the request body, and
    the CSRF check reads it, so CSRF is checked by the inner view (Django's documented
    pattern for custom upload handlers)."""
    cap = imports.CappedUpload(request)
    request.upload_handlers.insert(0, cap)
    return _csv_imports(request, cap)


@csrf_protect
def _csv_imports(request, cap: imports.CappedUpload):
    principal, kinds = _uploader(request)
    form = CsvUploadForm(
        request.POST or None,
        request.FILES or None,
        kinds=kinds,
        refused=imports.too_large() if cap.too_large else None,
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            imp = imports.create_csv_import(
                principal=principal,
                content=imports.read_upload(upload),
                filename=upload.name,
                kind=form.cleaned_data["kind"],
                apply_valid_rows=form.cleaned_data["apply_valid_rows"],
            )
        except (ValidationError, PolkuError) as exc:
            add_domain_error(form, exc)
        else:
            return redirect("integration:csv_import_detail", pk=imp.pk)
    recent = list(selectors.imports_for(principal).order_by("-created_at")[:20])
    return render(
        request,
        "integration/csv_imports.html",
        {"form": form, "imports": recent, "columns": _column_help(kinds)},
    )


def _column_help(kinds) -> list[dict]:
    return [
        {
            "label": CsvImport.Kind(kind).label,
            "required": imports.REQUIRED_COLUMNS[kind],
            "optional": imports.OPTIONAL_COLUMNS[kind],
        }
        for kind in kinds
    ]


def _import_for(request, pk: int) -> CsvImport:
    principal, _kinds = _uploader(request)
    return get_object_or_404(selectors.imports_for(principal), pk=pk)


def _status(imp: CsvImport) -> dict:
    finished = imp.status in CsvImport.FINISHED
    return {
        "status": imp.status,
        "label": _("%(status)s: %(done)s of %(total)s rows (%(percent)s %%)")
        % {
            "status": imp.get_status_display(),
            "done": imp.processed_rows,
            "total": imp.total_rows,
            "percent": imp.progress_percent if not finished else 100,
        },
        "percent": imp.progress_percent if not finished else 100,
        "finished": finished,
        "report_url": reverse("integration:csv_import_detail", args=[imp.pk]),
    }


@login_required
def csv_import_detail(request, pk: int):
    imp = _import_for(request, pk)
    return render(
        request,
        "integration/csv_import_detail.html",
        {"import": imp, "status": _status(imp), "report": imp.report or []},
    )


@never_cache
@login_required
def csv_import_status(request, pk: int):
    return JsonResponse(_status(_import_for(request, pk)))


@login_required
def csv_import_report(request, pk: int):
    imp = _import_for(request, pk)
    response = HttpResponse(imports.report_csv(imp), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{imp.pk}-report.csv"'
    return response
