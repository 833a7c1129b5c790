"""Load the team's built-in instruments: CSAS (003 P-093/094), the training evaluation (003
P-055/056), the leadership questionnaire (003 P-059/060) and the five-star self-assessment
(000 五星级服务); see manyi/team/builtin.py."""

from django.db import migrations


def load(apps, schema_editor):
    from manyi.team.builtin import load_team_templates

    load_team_templates(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("team", "0001_csas_rounds"),
        ("instruments", "0002_builtin_templates"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
