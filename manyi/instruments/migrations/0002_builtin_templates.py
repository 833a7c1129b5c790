"""Load the built-in templates (CSI, the 19-item dealer survey, the feedback form, the
post-installation inquiry, NPS, CSAT), each naming its seed; see manyi/instruments/builtin.py."""

from django.db import migrations


def load(apps, schema_editor):
    from manyi.instruments.builtin import load_builtins

    load_builtins(apps)


class Migration(migrations.Migration):
    dependencies = [("instruments", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
