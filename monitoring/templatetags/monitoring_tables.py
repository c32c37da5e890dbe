"""Template helpers to show a (suppressed) aggregate table cell."""

from django import template

from monitoring import tables as t

register = template.Library()


@register.filter
def cell(row: dict, column: t.Column) -> str:
    return t.display(row.get(column.key), column)


@register.filter
def is_suppressed(row: dict, column: t.Column) -> bool:
    return row.get(column.key) is t.SUPPRESSED


@register.filter
def is_label(column: t.Column) -> bool:
    return column.kind == t.LABEL
