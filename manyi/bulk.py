"""Fast inserts for bulk work (imports, demo, benchmarks).

``QuerySet.bulk_create`` prepares every value through its field (hundreds of thousands of Python
calls for a large import); here each column gets one adapter chosen up front and the rows go to
the database driver in one ``executemany`` per batch. Use it only with values the caller has
already validated: it skips model validation and signals, like bulk_create.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        digits, places = field.max_digits, field.decimal_places
        return lambda value: ops.adapt_decimalfield_value(value, digits, places)
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _prepare(columns: list[models.Field], rows: list[Sequence[Any]]) -> list[list[Any]]:
    """The rows with each value in the form the driver takes (the pk, if last, passes as is)."""
    adapters = [(i, a) for i, a in enumerate(_adapter(f) for f in columns) if a is not None]
    prepared = []
    for row in rows:
        values = list(row)
        for index, adapt in adapters:
            if values[index] is not None:
                values[index] = adapt(values[index])
        prepared.append(values)
    return prepared


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: list[Sequence[Any]]
) -> None:
    """Insert ``rows`` (value tuples for ``fields``, by attribute name) into the table."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names come from the model
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, _prepare(columns, rows))


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: list[Sequence[Any]]
) -> None:
    """Update rows by primary key: each row holds the values of ``fields`` then the pk.

    ``bulk_update`` builds one CASE expression per column over the whole batch, which grows
    quadratically; a prepared UPDATE run once per row through ``executemany`` stays linear.
    """
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names come from the model
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in columns),
        quote(meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, _prepare(columns, rows))
