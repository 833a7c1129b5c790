"""The index behind Chinese customer search (see manyi/customers/search_index.py)."""

from django.db import migrations

from manyi.customers.search_index import create_index, drop_index


def create(apps, schema_editor):
    create_index(schema_editor.connection)


def drop(apps, schema_editor):
    drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
