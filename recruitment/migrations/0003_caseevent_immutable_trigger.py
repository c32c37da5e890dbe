"""On PostgreSQL, refuse UPDATE and DELETE of audit rows in the database itself, so not even
raw SQL or a bulk ORM call that bypasses the model can rewrite history."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION polku_caseevent_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Case events are immutable: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER recruitment_caseevent_immutable
    BEFORE UPDATE OR DELETE ON recruitment_caseevent
    FOR EACH ROW EXECUTE FUNCTION polku_caseevent_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS recruitment_caseevent_immutable ON recruitment_caseevent;
DROP FUNCTION IF EXISTS polku_caseevent_immutable();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the PL/pgSQL "%" placeholder must reach the server untouched.
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("recruitment", "0002_reference_data")]

    operations = [migrations.RunPython(create, drop)]
