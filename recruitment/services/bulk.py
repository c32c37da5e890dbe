"""Many rows stored in one statement, for batch services."""

from __future__ import annotations

from django.db import connections, router

from ..models import CaseEvent, ImmutableRecord


def bulk_save_fields(model, objs: list, fields: list[str] | tuple[str, ...]) -> None:
    """Store ``fields`` of many rows in one UPDATE (for batch services that validated and
    locked the rows themselves; ``auto_now`` is not applied, callers set the timestamps).

    On PostgreSQL the values travel as one array per column (``UPDATE … FROM unnest(…)``):
    Django's ``bulk_update`` builds a ``CASE WHEN`` per row and field, which costs about a
    second per thousand rows in Python alone. Other databases use ``bulk_update``.
    Audit rows (``CaseEvent``) are immutable and refused here as everywhere.
    """
    if model is CaseEvent:
        raise ImmutableRecord("Case events are immutable: they cannot be updated.")
    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._base_manager.bulk_update(objs, list(fields))
        return
    qn = connection.ops.quote_name
    pk = model._meta.pk
    columns = [pk, *(model._meta.get_field(name) for name in fields)]
    arrays = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for obj in objs]
        for column in columns
    ]
    names = [f"c{i}" for i in range(len(columns))]
    unnest = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)
    assignments = ", ".join(
        f"{qn(column.column)} = v.{name}"
        for column, name in zip(columns[1:], names[1:], strict=True)
    )
    # Only quoted names from the model's metadata are formatted in; every value is a parameter.
    sql = (
        f"UPDATE {qn(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM unnest({unnest}) AS v({', '.join(names)}) WHERE t.{qn(pk.column)} = v.c0"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
