from django.db import migrations


def load(apps, schema_editor):
    from recruitment.reference_data import load_all

    load_all(apps)


class Migration(migrations.Migration):
    dependencies = [("recruitment", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
