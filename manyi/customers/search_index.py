"""The database index behind Chinese customer search (see search.py).

PostgreSQL: a GIN index over the token array of ``search_text``.
SQLite: an FTS5 table over ``search_text`` with triggers that keep it in step.

SQLite rebuilds a table to alter it (copy, drop, rename), which drops its triggers; so after
every ``migrate`` :func:`ensure_search_index` puts back whatever is missing and reindexes.
"""

from __future__ import annotations

PG_CREATE = (
    "CREATE INDEX IF NOT EXISTS customer_search_tokens_gin ON customers_customer "
    "USING gin (string_to_array(search_text, ' '))"
)
PG_DROP = "DROP INDEX IF EXISTS customer_search_tokens_gin"
# The planner chooses between the GIN index (few matches) and reading the newest customers
# until a page is full (many matches) from the token frequencies ANALYZE samples. At the
# default target (100) it tracks ~1,000 tokens and guesses ~0.2 % (3,500 of 2M customers) for
# any other: a rare name fragment was then read through all 2M rows (1.7 s). At 1000 it tracks
# ~3,600 tokens and guesses ~150 rows for the rest (bench/README.md).
PG_STATISTICS = "ALTER INDEX customer_search_tokens_gin ALTER COLUMN 1 SET STATISTICS 1000"

SQLITE_CREATE = [
    # unicode61 splits on the spaces between our tokens and keeps each CJK token whole.
    "CREATE VIRTUAL TABLE IF NOT EXISTS customers_customer_fts USING fts5("
    "search_text, content='customers_customer', content_rowid='id', "
    'tokenize="unicode61 remove_diacritics 0")',
    "CREATE TRIGGER IF NOT EXISTS customers_customer_fts_ai AFTER INSERT ON customers_customer "
    "BEGIN INSERT INTO customers_customer_fts(rowid, search_text) "
    "VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS customers_customer_fts_ad AFTER DELETE ON customers_customer "
    "BEGIN INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS customers_customer_fts_au AFTER UPDATE OF search_text "
    "ON customers_customer "
    "BEGIN INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO customers_customer_fts(rowid, search_text) "
    "VALUES (new.id, new.search_text); END",
    "INSERT INTO customers_customer_fts(customers_customer_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS customers_customer_fts_ai",
    "DROP TRIGGER IF EXISTS customers_customer_fts_ad",
    "DROP TRIGGER IF EXISTS customers_customer_fts_au",
    "DROP TABLE IF EXISTS customers_customer_fts",
]


def create_index(connection) -> None:
    """Create the search index (idempotent)."""
    vendor = connection.vendor
    if vendor == "postgresql":
        _execute(connection, PG_CREATE)
        _execute(connection, PG_STATISTICS)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            _execute(connection, statement)


def drop_index(connection) -> None:
    """Remove the search index."""
    vendor = connection.vendor
    if vendor == "postgresql":
        _execute(connection, PG_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            _execute(connection, statement)


def _execute(connection, statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def ensure_search_index(connection) -> bool:
    """Recreate the search index if any part of it is missing; True if it did."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name IN "
                "('customers_customer_fts', 'customers_customer_fts_ai', "
                "'customers_customer_fts_ad', 'customers_customer_fts_au')"
            )
            complete = cursor.fetchone()[0] == 4
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM pg_indexes WHERE indexname = 'customer_search_tokens_gin'"
            )
            complete = cursor.fetchone() is not None
        else:
            return False
    if complete:
        return False
    create_index(connection)
    return True
