"""Ethical recruitment: cases by recruitment basis and WHO safeguards list, and the source
countries (raw, before suppression). Both read the shared flow query."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from recruitment.models import Country, RecruitmentBasis

from .. import tables as t
from .common import country_name, flow_cells, pct, who_listed
from .filters import Filters


def raw_ethics_basis(f: Filters) -> t.Table:
    """Cases opened in the period by recruitment basis, from WHO safeguards-list countries or
    not (WHO Global Code of Practice: no active recruitment from listed countries)."""

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    listed = who_listed()
    for _month, _county, country_id, basis, e, _p, _d in flow_cells(f):
        counts[basis][0 if country_id in listed else 1] += e
    rows = []
    for basis in RecruitmentBasis:
        listed, other = counts[basis.value]
        rows.append(
            {
                t.ROW_KEY: t.row_key(basis=basis.value),
                "basis": str(basis.label),
                "who_listed": listed,
                "other": other,
                "total": listed + other,
            }
        )
    rows.append(
        {
            t.ROW_KEY: t.TOTAL,
            "basis": str(_("Total")),
            **{k: sum(r[k] for r in rows) for k in ("who_listed", "other", "total")},
        }
    )
    for row in rows:
        row["who_share"] = (
            pct(row["who_listed"], row["total"]) if isinstance(row["who_listed"], int) else None
        )
    return t.Table(
        key="ethics_basis",
        title=_("Recruitment basis and WHO safeguards list"),
        description=_(
            "Cases opened in the period, by recruitment basis and whether the candidate's "
            "country is on the WHO health workforce support and safeguards list."
        ),
        columns=[
            t.Column("basis", _("Recruitment basis"), t.LABEL),
            t.Column("who_listed", _("From WHO safeguards-list countries")),
            t.Column("other", _("From other countries")),
            t.Column("total", _("Total")),
            t.Column(
                "who_share",
                _("Share from listed countries"),
                t.VALUE,
                base=("who_listed", "total"),
                unit="%",
            ),
        ],
        rows=rows,
        total_row=True,
        row_total=("total", ("who_listed", "other")),
        chart={"type": "hbar", "label": "basis", "series": ["who_listed", "other"]},
    )


def raw_flow_by_country(f: Filters) -> t.Table:
    per_country: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _month, _county, country_id, _basis, e, p, d in flow_cells(f):
        cell = per_country[country_id]
        cell[0] += e
        cell[1] += p
        cell[2] += d
    countries = Country.objects.in_bulk(list(per_country))
    rows = []
    for country_id, (e, p, d) in sorted(
        per_country.items(), key=lambda kv: (-kv[1][0], countries[kv[0]].name_en)
    ):
        country = countries[country_id]
        rows.append(
            {
                t.ROW_KEY: t.row_key(country=country.code),
                "country": country_name(country),
                "who_listed": str(_("yes")) if country.who_safeguards_list else "",
                "entered": e,
                "placed": p,
                "dropped_out": d,
            }
        )
    rows.append(
        {
            t.ROW_KEY: t.TOTAL,
            "country": str(_("Total")),
            "who_listed": "",
            **{k: sum(r[k] for r in rows) for k in ("entered", "placed", "dropped_out")},
        }
    )
    return t.Table(
        key="flow_by_country",
        title=_("Source countries"),
        description=_("Cases opened, placed and dropped out in the period by nationality."),
        columns=[
            t.Column("country", _("Country"), t.LABEL),
            t.Column("who_listed", _("WHO safeguards list"), t.LABEL),
            t.Column("entered", _("Entered")),
            t.Column("placed", _("Placed")),
            t.Column("dropped_out", _("Dropped out")),
        ],
        rows=rows,
        total_row=True,
    )
