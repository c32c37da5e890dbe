"""Server-rendered SVG charts for the dashboard (no JavaScript, no inline styles: CSP-safe).

Each chart draws a ``tables.Table`` that has already been suppressed, so a hidden cell is
drawn as a gap marked with the suppression mark, never as a bar. The data table rendered
beside every chart is the accessible version.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import tables as t

PALETTE = ["#1f5f8b", "#d9822b", "#2e8540", "#8c4799", "#b0362d"]
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and value is not t.SUPPRESSED else None


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 5:
            return float(step * 5 if value > step * 4 else step * (int(value // step) + 1))
    return value * 1.1


def _legend(series, labels, x: int, y: int) -> str:
    parts = []
    for i, key in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{y + i * 16}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y + i * 16 + 9}" {FONT}>{escape(labels[key])}</text>'
        )
    return "".join(parts)


def render(table: t.Table, title_id: str) -> SafeString:
    """An SVG for the table's ``chart`` spec, labelled by the element ``title_id``."""
    spec = table.chart
    if not spec:
        return mark_safe("")
    rows = table.body_rows
    if not rows:
        return mark_safe("")
    labels = {c.key: str(c.label) for c in table.columns}
    if spec["type"] == "line":
        body = _line(rows, spec, labels)
    elif spec["type"] == "hbar":
        body = _hbar(rows, spec, labels)
    else:
        body = _bar(rows, spec, labels)
    width, height, inner = body
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="{escape(title_id)}" '
        f'preserveAspectRatio="xMinYMin meet">{inner}</svg>'
    )
    return mark_safe(svg)  # noqa: S308 - every interpolated text is escaped above


def _bar(rows, spec, labels):
    series = spec["series"]
    width, height, left, bottom, top = 640, 300, 40, 90, 20
    plot_h = height - bottom - top
    values = [_number(r.get(k)) for r in rows for k in series]
    top_value = _nice_max(max([v for v in values if v is not None] or [0]))
    slot = (width - left - 10) / max(len(rows), 1)
    bar_w = max(4.0, slot * 0.7 / len(series))
    parts = [_axis(left, top, width, plot_h, top_value)]
    for i, row in enumerate(rows):
        x0 = left + i * slot + slot * 0.15
        for j, key in enumerate(series):
            value = _number(row.get(key))
            x = x0 + j * bar_w
            if value is None:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - 4}" text-anchor="middle" '
                    f"{FONT}>{t.SUPPRESSED_MARK}</text>"
                )
                continue
            h = plot_h * value / top_value
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"/>'
            )
        label = escape(t.short_label(str(row.get(spec["label"], "")), 20))
        cx = x0 + bar_w * len(series) / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 12}" text-anchor="end" '
            f'transform="rotate(-40 {cx:.1f} {top + plot_h + 12})" {FONT}>{label}</text>'
        )
    if len(series) > 1:
        parts.append(_legend(series, labels, width - 150, 4))
    return width, height, "".join(parts)


def _hbar(rows, spec, labels):
    series = spec["series"]
    left, right, top = 190, 60, 8 + 16 * (len(series) if len(series) > 1 else 0)
    band = 8 + 10 * len(series)
    width = 640
    height = top + band * len(rows) + 24
    values = [_number(r.get(k)) for r in rows for k in series]
    top_value = _nice_max(max([v for v in values if v is not None] or [0]))
    plot_w = width - left - right
    parts = []
    if len(series) > 1:
        parts.append(_legend(series, labels, left, 0))
    for i, row in enumerate(rows):
        y0 = top + i * band
        label = escape(t.short_label(str(row.get(spec["label"], "")), 28))
        parts.append(
            f'<text x="{left - 6}" y="{y0 + band / 2 + 4:.1f}" text-anchor="end" {FONT}>'
            f"{label}</text>"
        )
        for j, key in enumerate(series):
            value = _number(row.get(key))
            y = y0 + 4 + j * 10
            if value is None:
                parts.append(f'<text x="{left + 4}" y="{y + 9}" {FONT}>{t.SUPPRESSED_MARK}</text>')
                continue
            w = plot_w * value / top_value
            parts.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="9" '
                f'fill="{PALETTE[j % len(PALETTE)]}"/>'
                f'<text x="{left + w + 4:.1f}" y="{y + 8}" {FONT}>'
                f"{escape(t.display(row.get(key)))}</text>"
            )
    parts.append(f'<line x1="{left}" y1="{top - 2}" x2="{left}" y2="{height - 20}" stroke="#555"/>')
    return width, height, "".join(parts)


def _line(rows, spec, labels):
    series = spec["series"]
    width, height, left, bottom, top = 640, 280, 40, 50, 24
    plot_h, plot_w = height - bottom - top, width - left - 20
    values = [_number(r.get(k)) for r in rows for k in series]
    top_value = _nice_max(max([v for v in values if v is not None] or [0]))
    step = plot_w / max(len(rows) - 1, 1)
    parts = [_axis(left, top, width, plot_h, top_value)]
    for j, key in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        segment: list[str] = []
        segments = []
        for i, row in enumerate(rows):
            value = _number(row.get(key))
            if value is None:  # suppressed: break the line
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x, y = left + i * step, top + plot_h - plot_h * value / top_value
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        if segment:
            segments.append(segment)
        for points in segments:
            parts.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                f'stroke-width="2"/>'
            )
    every = max(1, len(rows) // 12)
    for i, row in enumerate(rows):
        if i % every == 0:
            x = left + i * step
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" {FONT}>'
                f"{escape(str(row.get(spec['label'], ''))[2:])}</text>"
            )
    parts.append(_legend(series, labels, width - 160, 0))
    return width, height, "".join(parts)


def _axis(left, top, width, plot_h, top_value) -> str:
    parts = []
    for k in range(5):
        value = top_value * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
            f"{value:.0f}</text>"
        )
    return "".join(parts)
