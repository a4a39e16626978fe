# The forwarding deadlines metric (docs/rollups.md). The trigger on cases_forwarding is
# installed after migrate (reports/apps.py); the forwardings that exist already are marked
# dirty here, so the next sweep rolls them up.

import datetime

from django.db import migrations, models


def mark_existing(apps, schema_editor):
    Forwarding = apps.get_model("cases", "Forwarding")
    DirtyDay = apps.get_model("reports", "DirtyDay")
    days = {
        moment.astimezone(datetime.UTC).date()
        for moment in Forwarding.objects.values_list("due_at", flat=True).iterator()
    }
    DirtyDay.objects.bulk_create(
        [DirtyDay(metric="forwardings", day=day) for day in sorted(days)], batch_size=1000
    )


class Migration(migrations.Migration):

    dependencies = [
        ('hotline', '0005_api_tokens_idempotency'),
        ('reports', '0002_rollup_months'),
        ('cases', '0008_forwarding_referral_shared'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='rollup',
            name='reports_rollup_metric_valid',
        ),
        migrations.RemoveConstraint(
            model_name='rollupmonth',
            name='reports_rollupmonth_metric_valid',
        ),
        migrations.AlterField(
            model_name='dirtyday',
            name='metric',
            field=models.CharField(choices=[('calls', 'Calls (signals), by the day the call started'), ('tips', 'Tips, by the day the tip was received'), ('cases_opened', 'Cases opened, by the day opened'), ('cases_closed', 'Cases closed, by the day closed'), ('victims', 'Potential victims, by the day their case opened'), ('referrals', 'Referrals, by the day sent'), ('outcomes', 'Outcomes, by the day they occurred'), ('forwardings', 'Forwarding deadlines, by the day due')], max_length=16),
        ),
        migrations.AlterField(
            model_name='rollup',
            name='metric',
            field=models.CharField(choices=[('calls', 'Calls (signals), by the day the call started'), ('tips', 'Tips, by the day the tip was received'), ('cases_opened', 'Cases opened, by the day opened'), ('cases_closed', 'Cases closed, by the day closed'), ('victims', 'Potential victims, by the day their case opened'), ('referrals', 'Referrals, by the day sent'), ('outcomes', 'Outcomes, by the day they occurred'), ('forwardings', 'Forwarding deadlines, by the day due')], max_length=16),
        ),
        migrations.AlterField(
            model_name='rollupmonth',
            name='metric',
            field=models.CharField(choices=[('calls', 'Calls (signals), by the day the call started'), ('tips', 'Tips, by the day the tip was received'), ('cases_opened', 'Cases opened, by the day opened'), ('cases_closed', 'Cases closed, by the day closed'), ('victims', 'Potential victims, by the day their case opened'), ('referrals', 'Referrals, by the day sent'), ('outcomes', 'Outcomes, by the day they occurred'), ('forwardings', 'Forwarding deadlines, by the day due')], max_length=16),
        ),
        migrations.AddConstraint(
            model_name='rollup',
            constraint=models.CheckConstraint(condition=models.Q(('metric__in', ['calls', 'tips', 'cases_opened', 'cases_closed', 'victims', 'referrals', 'outcomes', 'forwardings'])), name='reports_rollup_metric_valid', violation_error_message='Choose a valid metric.'),
        ),
        migrations.AddConstraint(
            model_name='rollupmonth',
            constraint=models.CheckConstraint(condition=models.Q(('metric__in', ['calls', 'tips', 'cases_opened', 'cases_closed', 'victims', 'referrals', 'outcomes', 'forwardings'])), name='reports_rollupmonth_metric_valid', violation_error_message='Choose a valid metric.'),
        ),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]
