from django.db import migrations

from hotline import reference_data


def load(apps, schema_editor):
    reference_data.load_all(
        apps.get_model("hotline", "Region"),
        apps.get_model("hotline", "Industry"),
        apps.get_model("hotline", "Code"),
    )


class Migration(migrations.Migration):
    dependencies = [("hotline", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop, elidable=False)]
