"""Clusters named by default after a case ("Operation HT-2026-000123") are renamed after
themselves ("Operation <id>"), as new ones are (cases.linking.default_cluster_name): a case's
reference in a cluster's name told whoever saw the cluster of a case they may not see. Names a
supervisor gave are kept."""

from django.db import migrations

CASE_NAMED = r"^Operation HT-[0-9]{4}-[0-9]{6}$"


def rename_case_named_clusters(apps, schema_editor):
    Cluster = apps.get_model("cases", "Cluster")
    for pk in Cluster.objects.filter(name__regex=CASE_NAMED).values_list("pk", flat=True):
        Cluster.objects.filter(pk=pk).update(name=f"Operation {pk}")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_transaction_clues"),
    ]

    operations = [
        migrations.RunPython(rename_case_named_clusters, migrations.RunPython.noop, elidable=True),
    ]
