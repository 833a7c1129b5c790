"""Restore the partial unique index ``invitation_case_unique`` (one survey per case).

0003 set ``db_index=False`` on ``Invitation.case``; on PostgreSQL Django's AlterField then drops
every single-column index on ``case_id`` that is not one of the model's ``Meta.indexes`` —
including this constraint's partial unique index (SQLite rebuilt the table with it). The
migration state never lost it, so this puts the index back without touching the state;
``IF NOT EXISTS`` makes it a no-op where it survived.
"""

from django.db import migrations

SQL = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "invitation_case_unique" '
    'ON "surveys_invitation" ("case_id") WHERE "case_id" IS NOT NULL'
)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_submission_path_and_outlet_item_rollup")]

    operations = [migrations.RunSQL(SQL, migrations.RunSQL.noop, elidable=False)]
