"""Give every existing company the standard scripts (话术) of 002 第四章 (if it has none)."""

from django.db import migrations


def seed(apps, schema_editor):
    from manyi.workorders.seed_scripts import create_seed_scripts

    Unit = apps.get_model("org", "Unit")
    Script = apps.get_model("workorders", "Script")
    for company_id in Unit.objects.filter(kind="company").values_list("pk", flat=True):
        create_seed_scripts(Script, company_id)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_staff_work_licence"),
        ("workorders", "0003_signature_goes_with_its_case"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
