"""JSON endpoints for the ministry's own tools: the dashboard's aggregates, suppressed.

``/api/v1/monitoring/`` lists the tables; ``/api/v1/monitoring/<table>/`` returns one with the
same filters as the dashboard (``start``, ``end``, ``period``, ``county``, ``profession``,
``sector``, ``country``). Session authentication; analysts and platform admins only. Errors
are ``application/problem+json``.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from recruitment import authz

from . import selectors
from . import tables as t
from .forms import FilterForm


def _problem(status: int, title: str, detail: str, **extra) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
        status=status,
        content_type="application/problem+json",
    )


def _guard(request) -> JsonResponse | None:
    if not request.user.is_authenticated:
        return _problem(401, _("Not signed in"), _("Sign in as a ministry analyst."))
    if not authz.can_view_monitoring(request.user):
        return _problem(
            403,
            _("Forbidden"),
            _("Monitoring figures are for ministry analysts only."),
        )
    return None


def _filters(request):
    form = FilterForm(request.GET)
    if not form.is_valid():
        return None, _problem(
            400,
            _("Invalid filters"),
            " ".join(str(e) for errs in form.errors.values() for e in errs),
            errors={k: [str(e) for e in v] for k, v in form.errors.items()},
        )
    return form.filters(), None


def _filters_json(f: selectors.Filters) -> dict:
    return {
        "start": f.start.isoformat(),
        "end": f.end.isoformat(),
        "county_id": f.county_id,
        "profession_id": f.profession_id,
        "sector": f.sector,
        "country_id": f.country_id,
    }


@require_GET
def index(request):
    denied = _guard(request)
    if denied:
        return denied
    return JsonResponse(
        {
            "tables": [
                {
                    "key": key,
                    "url": request.build_absolute_uri(reverse("monitoring_api:table", args=[key])),
                }
                for key in selectors.TABLES
            ],
            "suppression_threshold": t.THRESHOLD,
        }
    )


@require_GET
def table(request, key: str):
    denied = _guard(request)
    if denied:
        return denied
    if key not in selectors.TABLES:
        return _problem(
            404, _("Not found"), _("There is no table called “%(key)s”.") % {"key": key}
        )
    filters, error = _filters(request)
    if error:
        return error
    day = selectors.data_date(filters.end)
    return JsonResponse(
        {
            "filters": _filters_json(filters),
            "data_date": day.isoformat() if day else None,
            "table": t.to_json(selectors.dashboard_tables(filters)[key]),
        }
    )
