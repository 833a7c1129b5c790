"""Finer token statistics for the search index on PostgreSQL (see search_index.PG_STATISTICS)."""

from django.db import migrations

from manyi.customers.search_index import PG_STATISTICS


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_STATISTICS)
        # The new target only counts once the table is analysed again.
        schema_editor.execute("ANALYZE customers_customer")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER INDEX customer_search_tokens_gin ALTER COLUMN 1 SET STATISTICS -1"
        )


class Migration(migrations.Migration):
    # ANALYZE ignores a statistics target set earlier in its own transaction.
    atomic = False

    dependencies = [("customers", "0002_customer_search_index")]

    operations = [migrations.RunPython(forwards, backwards)]
