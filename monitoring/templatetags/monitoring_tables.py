"""Template helpers to show a (suppressed) aggregate table.

The table is built in Python rather than with template loops: a dashboard shows a dozen
tables with up to a few hundred rows, and this keeps the page well inside its time budget.
"""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from monitoring import tables as t

register = template.Library()


@register.simple_tag
def monitoring_table(table: t.Table) -> str:
    hint = escape(_("Suppressed: fewer than 5 people, or would reveal such a cell"))
    numeric = ' class="num"'
    head = "".join(
        f'<th scope="col"{"" if c.kind == t.LABEL else numeric}>{escape(c.label)}</th>'
        for c in table.columns
    )
    body = []
    last = len(table.rows) - 1
    for index, row in enumerate(table.rows):
        cells = []
        for position, column in enumerate(table.columns):
            value = row.get(column.key)
            text = escape(t.display(value, column))
            if position == 0:
                cells.append(f'<th scope="row">{text}</th>')
            elif column.kind == t.LABEL:
                cells.append(f"<td>{text}</td>")
            elif value is t.SUPPRESSED:
                cells.append(f'<td class="num suppressed"><abbr title="{hint}">{text}</abbr></td>')
            else:
                cells.append(f'<td class="num">{text}</td>')
        total = ' class="total-row"' if table.total_row and index == last else ""
        body.append(f"<tr{total}>{''.join(cells)}</tr>")
    if not body:
        body.append(
            f'<tr><td colspan="{len(table.columns)}">{escape(_("No data for these filters."))}'
            "</td></tr>"
        )
    return mark_safe(  # noqa: S308 - every interpolated text is escaped above
        f'<div class="table-wrap"><table id="table-{escape(table.key)}">'
        f"<caption>{escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
