"""The half-yearly PDF report (reportlab), built from the same suppressed tables as the UI.

Layout: cover · summary figures · national tables with charts · one page per county ·
ethics section · methodology and data date.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import replace

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from . import selectors
from . import tables as t
from .forecast import MIN_EXPOSURE, WINDOW_MONTHS
from .models import half_year_bounds

PALETTE = [colors.HexColor(c) for c in ("#1f5f8b", "#d9822b", "#2e8540", "#8c4799", "#b0362d")]
WIDTH = A4[0] - 36 * mm

_styles = getSampleStyleSheet()
H1 = ParagraphStyle("H1", parent=_styles["Heading1"], fontSize=18, spaceAfter=8)
H2 = ParagraphStyle("H2", parent=_styles["Heading2"], fontSize=13, spaceBefore=8, spaceAfter=4)
BODY = ParagraphStyle("Body", parent=_styles["BodyText"], fontSize=9.5, leading=13)
SMALL = ParagraphStyle("Small", parent=BODY, fontSize=8, leading=10, textColor=colors.grey)
CELL = ParagraphStyle("Cell", parent=BODY, fontSize=8, leading=9.5)
TITLE = ParagraphStyle("Title", parent=H1, fontSize=26, leading=32, alignment=TA_CENTER)
SUBTITLE = ParagraphStyle("Subtitle", parent=BODY, fontSize=13, leading=18, alignment=TA_CENTER)


def _esc(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table_flowable(table: t.Table) -> list:
    """A reportlab table (header, every row, bold total) with the suppression marks.

    Rows are never cut: a missing row would act as a hidden cell outside the suppression."""
    header = [Paragraph(f"<b>{_esc(c.label)}</b>", CELL) for c in table.columns]
    rows = table.rows
    data = [header]
    for row in rows:
        data.append(
            [
                Paragraph(_esc(t.display(row.get(c.key), c)), CELL)
                if c.kind == t.LABEL
                else t.display(row.get(c.key), c)
                for c in table.columns
            ]
        )
    if len(data) == 1:
        data.append([_("No data for these filters.")] + [""] * (len(table.columns) - 1))
    label_cols = sum(1 for c in table.columns if c.kind == t.LABEL)
    number_width = 22 * mm
    numbers = len(table.columns) - label_cols
    label_width = max(30 * mm, (WIDTH - numbers * number_width) / max(label_cols, 1))
    widths = [label_width if c.kind == t.LABEL else number_width for c in table.columns]
    flow = Table(data, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("ALIGN", (label_cols, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if table.total_row and rows:
        style += [
            ("FONT", (0, len(data) - 1), (-1, len(data) - 1), "Helvetica-Bold", 8),
            ("LINEABOVE", (0, len(data) - 1), (-1, len(data) - 1), 0.8, colors.black),
        ]
    flow.setStyle(TableStyle(style))
    return [flow]


def _without(table: t.Table, *keys: str) -> t.Table:
    """The same (already suppressed) table without some label columns, for a county page.

    A label in a dropped column (e.g. "Total") moves to the first remaining label column."""
    columns = [c for c in table.columns if c.key not in keys]
    first = next((c.key for c in columns if c.kind == t.LABEL), None)
    rows = []
    for row in table.rows:
        row = dict(row)
        moved = " ".join(str(row[k]) for k in keys if row.get(k) and k != first)
        if first and moved and not row.get(first):
            row[first] = moved
        rows.append(row)
    return replace(table, columns=columns, rows=rows)


def _number(value):
    return float(value) if isinstance(value, int | float) else None


def chart_flowable(table: t.Table, *, height: float = 60 * mm) -> list:
    spec = table.chart
    rows = table.body_rows
    if not spec or not rows:
        return []
    labels = {c.key: str(c.label) for c in table.columns}
    series = spec["series"]
    data = [[_number(r.get(k)) for r in rows] for k in series]
    names = [t.short_label(str(r.get(spec["label"], ""))) for r in rows]
    top = max([v for s in data for v in s if v is not None] or [1])
    drawing = Drawing(WIDTH, height)
    if spec["type"] == "hbar":
        chart = HorizontalBarChart()
        height = max(height, 12 * len(rows) * max(1, len(series) * 0.7) + 30)
        drawing = Drawing(WIDTH, height)
        chart.x, chart.y, chart.width, chart.height = 120, 10, WIDTH - 250, height - 20
        chart.data = data
        chart.categoryAxis.categoryNames = names
        chart.categoryAxis.reverseDirection = True
        chart.categoryAxis.labels.fontSize = 6.5
        chart.barSpacing = 0.5
        for i in range(len(series)):
            chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
    else:  # bars for "bar" and "line" (a suppressed month is a gap, never a zero)
        chart = VerticalBarChart()
        chart.x, chart.y, chart.width, chart.height = 30, 45, WIDTH - 150, height - 55
        chart.data = data
        chart.categoryAxis.categoryNames = [n[2:] if spec["type"] == "line" else n for n in names]
        chart.categoryAxis.labels.fontSize = 6.5
        chart.categoryAxis.labels.angle = 35
        chart.categoryAxis.labels.boxAnchor = "ne"
        for i in range(len(series)):
            chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top * 1.1
    chart.valueAxis.labels.fontSize = 7
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = WIDTH - 110, height - 10
    legend.fontSize = 7
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], labels[k]) for i, k in enumerate(series)]
    drawing.add(legend)
    if any(v is None for s in data for v in s):
        drawing.add(
            String(
                0,
                2,
                _("Suppressed values (%(mark)s) are not drawn.") % {"mark": t.SUPPRESSED_MARK},
                fontSize=6.5,
                fillColor=colors.grey,
            )
        )
    return [drawing]


def _section(table: t.Table, *, chart: bool = True) -> list:
    head = [
        Paragraph(_esc(table.title), H2),
        Paragraph(_esc(table.description), SMALL),
        Spacer(1, 2 * mm),
    ]
    body = []
    if chart and table.chart:
        body += [*chart_flowable(table), Spacer(1, 2 * mm)]
    body += [*table_flowable(table), Spacer(1, 4 * mm)]
    return [CondPageBreak(50 * mm), KeepTogether(head + body[:2]), *body[2:]]


def _summary_table(figures: list[tuple[str, str]]) -> Table:
    flow = Table([[label, value] for label, value in figures], colWidths=[110 * mm, 30 * mm])
    flow.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 10),
                ("FONT", (1, 0), (1, -1), "Helvetica-Bold", 11),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.lightgrey),
            ]
        )
    )
    return flow


def render_half_year_report(
    *,
    year: int,
    half: int,
    generated_by: str = "",
    progress: Callable[[int], None] = lambda p: None,
) -> tuple[bytes, dt.date | None]:
    """The report's PDF bytes and its data date."""
    start, end = half_year_bounds(year, half)
    national = selectors.Filters(start=start, end=end)
    day = selectors.data_date(end)
    period = f"H{half} {year}"
    story: list = []

    # Cover
    story += [
        Spacer(1, 55 * mm),
        Paragraph(_esc(_("International recruitment of social and health care staff")), TITLE),
        Spacer(1, 8 * mm),
        Paragraph(
            _esc(_("Half-yearly monitoring report %(period)s") % {"period": period}), SUBTITLE
        ),
        Paragraph(f"{start.isoformat()} – {end.isoformat()}", SUBTITLE),
        Spacer(1, 25 * mm),
        Paragraph(
            _esc(_("Data date: %(day)s") % {"day": day.isoformat() if day else "–"}), SUBTITLE
        ),
        Paragraph(
            _esc(
                _("Generated %(at)s by %(who)s with Polku")
                % {
                    "at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
                    "who": generated_by or "Polku",
                }
            ),
            SUBTITLE,
        ),
        Spacer(1, 30 * mm),
        Paragraph(
            _esc(
                _(
                    "Aggregates only. Cells with fewer than %(n)d people, and cells that would "
                    "reveal them, are shown as “%(mark)s”."
                )
                % {"n": t.THRESHOLD, "mark": t.SUPPRESSED_MARK}
            ),
            SMALL,
        ),
        PageBreak(),
    ]
    if end > (day or end):
        story.append(
            Paragraph(
                _esc(
                    _("The half-year is not over: figures cover %(start)s – %(day)s.")
                    % {"start": start.isoformat(), "day": day.isoformat() if day else "–"}
                ),
                BODY,
            )
        )

    # Summary and national tables
    national_tables, county_tables = selectors.report_tables(year, half)
    progress(15)
    story += [
        Paragraph(_esc(_("Summary")), H1),
        _summary_table(selectors.summary(national, national_tables)),
        Spacer(1, 6 * mm),
        Paragraph(_esc(_("National figures")), H1),
    ]
    for key in (
        "stock_by_stage",
        "stock_by_county",
        "monthly_flow",
        "placements_vs_target",
        "stage_durations",
        "conversion_by_stage",
        "dropout_reasons",
        "permits_expiring",
        "forecast_by_county",
    ):
        story += _section(national_tables[key])
    progress(30)

    # One page per county
    counties = selectors.counties()
    for index, county in enumerate(counties):
        f = national.with_county(county.pk)
        tables = county_tables[county.pk]
        story += [
            PageBreak(),
            Paragraph(_esc(selectors.organisation_name(county)), H1),
            Paragraph(
                _esc(_("%(period)s, data date %(day)s") % {"period": period, "day": day or "–"}),
                SMALL,
            ),
            Spacer(1, 3 * mm),
            _summary_table(selectors.summary(f, tables)),
            Spacer(1, 3 * mm),
        ]
        story += _compact_pair(tables["stock_by_stage"], tables["monthly_flow"])
        story += _compact(_without(tables["placements_vs_target"], "county"))
        story += _compact(tables["permits_expiring"])
        story += _compact(_without(tables["forecast"], "county"))
        progress(30 + int(55 * (index + 1) / len(counties)))

    # Ethics
    story += [
        PageBreak(),
        Paragraph(_esc(_("Ethical recruitment")), H1),
        Paragraph(
            _esc(
                _(
                    "WHO Global Code of Practice on the International Recruitment of Health "
                    "Personnel: no active recruitment from countries on the WHO health workforce "
                    "support and safeguards list unless under a government-to-government "
                    "agreement. Polku refuses to accept an offer for a candidate from a listed "
                    "country without a documented basis (agreement or the candidate's own "
                    "initiative) and a written justification, and without the candidate's "
                    "signed statement that no recruitment fee was paid (employer pays)."
                )
            ),
            BODY,
        ),
    ]
    story += _section(national_tables["ethics_basis"])
    story += _section(national_tables["flow_by_country"], chart=False)
    progress(90)

    # Methodology
    story += [PageBreak(), Paragraph(_esc(_("Methodology and data date")), H1)]
    for text in _methodology(day):
        story.append(Paragraph(_esc(text), BODY))
        story.append(Spacer(1, 2 * mm))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Polku {period}",
        author="Polku",
        subject=_("Half-yearly monitoring report"),
    )

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.grey)
        canvas.drawString(18 * mm, 9 * mm, f"Polku · {period} · {_('data date')} {day or '–'}")
        canvas.drawRightString(A4[0] - 18 * mm, 9 * mm, str(document.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=lambda c, d: None, onLaterPages=footer)
    progress(99)
    return buffer.getvalue(), day


def _compact(table: t.Table) -> list:
    return [
        Paragraph(_esc(table.title), H2),
        *table_flowable(table),
        Spacer(1, 2 * mm),
    ]


def _compact_pair(left: t.Table, right: t.Table) -> list:
    """Two small tables side by side (stock by stage and the monthly flow)."""
    inner_width = WIDTH / 2 - 4 * mm

    def narrow(table: t.Table) -> Table:
        flow = table_flowable(table)[0]
        flow._argW = [inner_width - 20 * mm * (len(table.columns) - 1)] + [20 * mm] * (
            len(table.columns) - 1
        )
        return flow

    pair = Table(
        [
            [Paragraph(_esc(left.title), H2), Paragraph(_esc(right.title), H2)],
            [narrow(left), narrow(right)],
        ],
        colWidths=[WIDTH / 2, WIDTH / 2],
    )
    pair.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [pair, Spacer(1, 2 * mm)]


def _methodology(day: dt.date | None) -> list[str]:
    return [
        _(
            "Source: the case records of Polku. Every change of a case's stage is an immutable "
            "audit event; the figures are computed from these events into daily snapshots "
            "(counts per date, county, profession and source country). The data date is the "
            "latest snapshot within the period: %(day)s."
        )
        % {"day": day.isoformat() if day else "–"},
        _(
            "Stock: cases in each stage at the end of the data date. Flow: cases opened "
            "(entered), moved to placed, and withdrawn, rejected or left early (dropped out) on "
            "each day of the period."
        ),
        _(
            "Placements against targets: placements in each half-year compared with the target "
            "each county entered for that half-year."
        ),
        _(
            "Stage durations: days from entering a stage to leaving it, for cases that left the "
            "stage during the period; median and 90th percentile with linear interpolation. "
            "Each spell counts separately (a case put on hold and resumed has two spells)."
        ),
        _(
            "Conversion: of the cases leaving a stage, the share that moved on, out of those "
            "that moved on or dropped out. Drop-out reasons are the reasons recorded with the "
            "transition; a reason text recorded for fewer than 5 cases is shown as 'Other "
            "reasons'."
        ),
        _(
            "Permits expiring: open and placed cases whose residence permit ends within 30 or "
            "90 days after the data date."
        ),
        _(
            "Forecast: a monthly multi-state model. Monthly transition rates between stages are "
            "estimated per profession from the last %(months)d months (a profession with fewer "
            "than %(exposure)d person-months in a stage uses national rates), new cases arrive "
            "at the mean monthly rate of the same window, and the cases now in each stage are "
            "moved forward month by month. See docs/forecast.md for the back-test error."
        )
        % {"months": WINDOW_MONTHS, "exposure": int(MIN_EXPOSURE)},
        _(
            "Confidentiality: any cell with 1–4 people is suppressed (“%(mark)s”), and so are "
            "further cells in the same row or column whenever a total minus the shown cells "
            "would reveal fewer than 5 people. Medians, rates and forecasts based on suppressed "
            "or fewer than 5 cases are suppressed too. Zero is shown."
        )
        % {"mark": t.SUPPRESSED_MARK},
    ]
