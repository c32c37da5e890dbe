"""Pages for ministry analysts: the dashboard, CSV downloads and half-yearly reports.

Thin: forms parse filters, selectors return suppressed tables, services start reports.
Only ministry analysts and platform admins get in (``authz.can_view_monitoring``).
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from recruitment import authz

from . import charts, selectors, services
from . import tables as t
from .forms import FilterForm, ReportRequestForm
from .models import HalfYearReport
from .tasks import generate_half_year_report


def analyst_required(view):
    """Logged-in ministry analysts and platform admins; everyone else is refused (403)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not authz.can_view_monitoring(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@require_GET
@analyst_required
def dashboard(request):
    form = FilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "monitoring/dashboard.html", {"form": form}, status=400)
    if not request.GET:
        form = FilterForm({})
        form.is_valid()
    filters = form.filters()
    query = request.GET.urlencode()
    published = selectors.dashboard_tables(filters)
    sections = []
    for key, table in published.items():
        sections.append(
            {
                "table": table,
                "chart": charts.render(table, f"table-{key}-title"),
                "csv_url": reverse("monitoring:table_csv", args=[key])
                + (f"?{query}" if query else ""),
                "json_url": reverse("monitoring_api:table", args=[key])
                + (f"?{query}" if query else ""),
            }
        )
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "data_date": selectors.data_date(filters.end),
            "summary": selectors.summary(filters, published),
            "sections": sections,
            "mark": t.SUPPRESSED_MARK,
            "threshold": t.THRESHOLD,
        },
    )


@require_GET
@analyst_required
def table_csv(request, key: str):
    if key not in selectors.TABLES:
        raise Http404
    form = FilterForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    filters = form.filters()
    table = selectors.dashboard_tables(filters)[key]
    response = HttpResponse(t.to_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="polku-{key}-{filters.start}-{filters.end}.csv"'
    )
    return response


@require_http_methods(["GET", "POST"])
@analyst_required
def reports(request):
    form = ReportRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                report = services.request_report(
                    user=request.user,
                    year=form.cleaned_data["year"],
                    half=form.cleaned_data["half"],
                    language=translation.get_language() or "fi",
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                status = 400
            except services.ReportAlreadyRunning as exc:
                form.add_error(None, exc.message)
                status = 409
            else:
                transaction.on_commit(lambda: generate_half_year_report.delay(report.pk))
                messages.success(
                    request,
                    _("The report for %(period)s is being generated.")
                    % {"period": report.period_label},
                )
                return redirect("monitoring:reports")
        else:
            status = 400
    return render(
        request,
        "monitoring/reports.html",
        {
            "form": form,
            "reports": HalfYearReport.objects.select_related("generated_by")[:50],
        },
        status=status,
    )


@require_GET
@analyst_required
def report_status(request, pk: int):
    report = get_object_or_404(HalfYearReport, pk=pk)
    return JsonResponse(
        {
            "id": report.pk,
            "period": report.period_label,
            "status": report.status,
            "status_label": report.get_status_display(),
            "progress": report.progress,
            "error": report.error if report.status == HalfYearReport.Status.FAILED else "",
            "download_url": reverse("monitoring:report_pdf", args=[report.pk])
            if report.status == HalfYearReport.Status.DONE
            else None,
        }
    )


@require_GET
@analyst_required
def report_pdf(request, pk: int):
    report = get_object_or_404(HalfYearReport, pk=pk, status=HalfYearReport.Status.DONE)
    if not report.file:
        raise Http404
    return FileResponse(
        report.file.open("rb"),
        as_attachment=False,
        filename=f"polku-monitoring-{report.year}-H{report.half}.pdf",
        content_type="application/pdf",
    )
