# The margin tables (docs/rollups.md). They are filled by the sweep: every day that has
# rollup rows is marked dirty here, so the next run recomputes it, margins included.

import django.db.models.deletion
from django.db import migrations, models


def mark_rolled_up_days(apps, schema_editor):
    Rollup = apps.get_model("reports", "Rollup")
    DirtyDay = apps.get_model("reports", "DirtyDay")
    DirtyDay.objects.bulk_create(
        (
            DirtyDay(metric=metric, day=day)
            for metric, day in Rollup.objects.values_list("metric", "day").distinct().iterator()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('hotline', '0005_api_tokens_idempotency'),
        ('reports', '0003_forwarding_deadlines'),
    ]

    operations = [
        migrations.CreateModel(
            name='MarginDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('metric', models.CharField(choices=[('calls', 'Calls (signals), by the day the call started'), ('tips', 'Tips, by the day the tip was received'), ('cases_opened', 'Cases opened, by the day opened'), ('cases_closed', 'Cases closed, by the day closed'), ('victims', 'Potential victims, by the day their case opened'), ('referrals', 'Referrals, by the day sent'), ('outcomes', 'Outcomes, by the day they occurred'), ('forwardings', 'Forwarding deadlines, by the day due')], max_length=16)),
                ('day', models.DateField()),
                ('trafficking_type', models.CharField(blank=True, max_length=16)),
                ('channel', models.CharField(blank=True, max_length=10)),
                ('caller_type', models.CharField(blank=True, max_length=20)),
                ('detail', models.CharField(blank=True, max_length=24)),
                ('age_band', models.CharField(blank=True, max_length=8)),
                ('gender', models.CharField(blank=True, max_length=24)),
                ('minor', models.CharField(blank=True, max_length=7)),
                ('count', models.PositiveIntegerField()),
                ('margin', models.CharField(blank=True, max_length=16)),
                ('industry', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='hotline.industry')),
                ('region', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='hotline.region')),
            ],
            options={
                'indexes': [models.Index(fields=['metric', 'margin', 'day'], name='marginday_metric_margin_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('metric__in', ['calls', 'tips', 'cases_opened', 'cases_closed', 'victims', 'referrals', 'outcomes', 'forwardings'])), name='reports_marginday_metric_valid', violation_error_message='Choose a valid metric.'), models.CheckConstraint(condition=models.Q(('count__gt', 0)), name='reports_marginday_count_positive')],
            },
        ),
        migrations.CreateModel(
            name='MarginMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('metric', models.CharField(choices=[('calls', 'Calls (signals), by the day the call started'), ('tips', 'Tips, by the day the tip was received'), ('cases_opened', 'Cases opened, by the day opened'), ('cases_closed', 'Cases closed, by the day closed'), ('victims', 'Potential victims, by the day their case opened'), ('referrals', 'Referrals, by the day sent'), ('outcomes', 'Outcomes, by the day they occurred'), ('forwardings', 'Forwarding deadlines, by the day due')], max_length=16)),
                ('day', models.DateField()),
                ('trafficking_type', models.CharField(blank=True, max_length=16)),
                ('channel', models.CharField(blank=True, max_length=10)),
                ('caller_type', models.CharField(blank=True, max_length=20)),
                ('detail', models.CharField(blank=True, max_length=24)),
                ('age_band', models.CharField(blank=True, max_length=8)),
                ('gender', models.CharField(blank=True, max_length=24)),
                ('minor', models.CharField(blank=True, max_length=7)),
                ('count', models.PositiveIntegerField()),
                ('margin', models.CharField(blank=True, max_length=16)),
                ('industry', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='hotline.industry')),
                ('region', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='hotline.region')),
            ],
            options={
                'indexes': [models.Index(fields=['metric', 'margin', 'day'], name='marginmonth_metric_margin_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('metric__in', ['calls', 'tips', 'cases_opened', 'cases_closed', 'victims', 'referrals', 'outcomes', 'forwardings'])), name='reports_marginmonth_metric_valid', violation_error_message='Choose a valid metric.'), models.CheckConstraint(condition=models.Q(('count__gt', 0)), name='reports_marginmonth_count_positive')],
            },
        ),
        migrations.RunPython(mark_rolled_up_days, migrations.RunPython.noop),
    ]
