"""A submission to an invitation as one PostgreSQL statement (the burst path's writes).

PostgreSQL runs data-modifying ``WITH`` clauses of one statement together, so one statement
can claim the invitation (the conditional update of ``answering.submit_invitation``), insert
the response, its factor and answer rows, and add the response to the four rollups (one
``INSERT … ON CONFLICT DO UPDATE`` per table): one round trip and, in autocommit, one
transaction — where the ORM takes nine statements between BEGIN and COMMIT. Every write
depends on the claim: a link answered, withdrawn or expired meanwhile writes nothing and the
statement returns no row. Measured on the benchmark's 1,000,000 responses (bench/README.md,
"Surveys"), this is what brings a submission near the cost of the baseline's single insert.

The rows are those ``answering._record`` builds for the ORM path (SQLite, walk-ins), so both
paths write the same; the tests run on both databases. Every value is cast to its column's
type: the rows arrive as ``VALUES`` lists, whose untyped literals would otherwise be text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

from manyi.surveys.models import Invitation, SurveyAnswer, SurveyFactorScore, SurveyResponse


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _fields(model, names: Iterable[str] | None = None, skip: Sequence[str] = ()) -> list:
    meta = model._meta
    if names is None:
        return [f for f in meta.concrete_fields if not f.primary_key and f.name not in skip]
    return [meta.get_field(name) for name in names]


def _cast(field) -> str:
    return f"CAST(%s AS {field.db_type(connection)})"


def _values(fields: list, rows: Iterable[Sequence[Any]]) -> tuple[str, list[Any]]:
    """``(…), (…)`` with one typed placeholder per value, and the values prepared for the
    database."""
    row_sql = "(" + ", ".join(_cast(f) for f in fields) + ")"
    params: list[Any] = []
    count = 0
    for row in rows:
        params.extend(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
        count += 1
    return ", ".join([row_sql] * count), params


def _columns(fields: list) -> str:
    return ", ".join(_quote(f.column) for f in fields)


def submit(
    invitation: Invitation,
    response: SurveyResponse,
    factors: Sequence[SurveyFactorScore],
    answers: Sequence[SurveyAnswer],
    rollups: Sequence[tuple[Any, Sequence[str], Sequence[str], list[tuple]]],
    now: dt.datetime,
) -> int | None:
    """Claim ``invitation`` (unanswered, not withdrawn, unexpired, ``sent_at`` as read) and
    write ``response`` with its rows and rollups (``rollups.rollup_rows``) in one statement;
    the new response's id, or None when the claim failed and nothing was written."""
    params: list[Any] = []
    meta = Invitation._meta
    answered_at, partial, expires_at, sent_at = (
        meta.get_field(n) for n in ("answered_at", "partial", "expires_at", "sent_at")
    )
    clauses = [
        f"claimed AS (UPDATE {_quote(meta.db_table)} "  # noqa: S608
        f"SET {_quote(answered_at.column)} = %s, {_quote(partial.column)} = %s "
        f"WHERE {_quote('id')} = %s AND {_quote(answered_at.column)} IS NULL "
        f"AND {_quote(meta.get_field('cancelled_at').column)} IS NULL "
        f"AND {_quote(expires_at.column)} > %s "
        f"AND {_quote(sent_at.column)} IS NOT DISTINCT FROM {_cast(sent_at)} "
        f"RETURNING {_quote('id')})"
    ]
    params += [
        answered_at.get_db_prep_save(now, connection),
        partial.get_db_prep_save({}, connection),
        invitation.pk,
        expires_at.get_db_prep_save(now, connection),
        sent_at.get_db_prep_save(invitation.sent_at, connection),
    ]

    fields = _fields(SurveyResponse)
    clauses.append(
        f"created AS (INSERT INTO {_quote(SurveyResponse._meta.db_table)} ({_columns(fields)}) "  # noqa: S608
        f"SELECT {', '.join(_cast(f) for f in fields)} FROM claimed RETURNING {_quote('id')})"
    )
    params += [f.get_db_prep_save(getattr(response, f.attname), connection) for f in fields]

    for name, model, rows in (("factor_rows", SurveyFactorScore, factors),
                              ("answer_rows", SurveyAnswer, answers)):  # fmt: skip
        if not rows:
            continue
        fields = _fields(model, skip=("response",))
        values, values_params = _values(
            fields, ([getattr(row, f.attname) for f in fields] for row in rows)
        )
        response_column = _quote(model._meta.get_field("response").column)
        clauses.append(
            f"{name} AS (INSERT INTO {_quote(model._meta.db_table)} "  # noqa: S608
            f"({response_column}, {_columns(fields)}) "
            f"SELECT created.{_quote('id')}, v.* FROM created, (VALUES {values}) AS v)"
        )
        params += values_params

    for n, (model, keys, sums, rows) in enumerate(rollups):
        table = _quote(model._meta.db_table)
        key_fields, sum_fields = _fields(model, keys), _fields(model, sums)
        values, values_params = _values(key_fields + sum_fields, rows)
        updates = ", ".join(
            f"{_quote(f.column)} = {table}.{_quote(f.column)} + excluded.{_quote(f.column)}"
            for f in sum_fields
        )
        # WHERE EXISTS: only once the response is written (the claim held).
        clauses.append(
            f"rollup_{n} AS (INSERT INTO {table} ({_columns(key_fields + sum_fields)}) "  # noqa: S608
            f"SELECT * FROM (VALUES {values}) AS v WHERE EXISTS (SELECT FROM created) "
            f"ON CONFLICT ({_columns(key_fields)}) DO UPDATE SET {updates})"
        )
        params += values_params

    sql = f"WITH {', '.join(clauses)} SELECT {_quote('id')} FROM created"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None
