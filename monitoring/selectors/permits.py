"""Residence permits expiring soon, per county (raw, before suppression)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from .. import tables as t
from ..models import PermitExpirySnapshot
from .common import counties, data_date, organisation_name
from .filters import Filters, filter_snapshots


def raw_permits_expiring(f: Filters) -> t.Table:
    day = data_date(f.end)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    if day:
        qs = filter_snapshots(PermitExpirySnapshot.objects.filter(date=day), f)
        for county_id, w30, w90 in (
            qs.values_list("county_id")
            .annotate(w30=Sum("within_30_days"), w90=Sum("within_90_days"))
            .order_by()
        ):
            counts[county_id] = [w30, w90]
    rows = []
    for county in counties():
        if f.county_id and county.pk != f.county_id:
            continue
        w30, w90 = counts[county.pk]
        rows.append(
            {
                t.ROW_KEY: t.row_key(county=county.code),
                "county": organisation_name(county),
                "within_30": w30,
                "within_90": w90,
            }
        )
    rows.append(
        {
            t.ROW_KEY: t.TOTAL,
            "county": str(_("Total")),
            "within_30": sum(r["within_30"] for r in rows),
            "within_90": sum(r["within_90"] for r in rows),
        }
    )
    return t.Table(
        key="permits_expiring",
        title=_("Residence permits expiring"),
        description=_(
            "Open and placed cases whose residence permit ends within 30 or 90 days of the "
            "data date (the 90-day figure includes the 30-day one)."
        ),
        columns=[
            t.Column("county", _("County"), t.LABEL),
            t.Column("within_30", _("Within 30 days")),
            t.Column("within_90", _("Within 90 days")),
        ],
        rows=rows,
        total_row=True,
    )
