"""Financial leads (docs/linking.md): transaction clues on payment accounts, a new table; and
the financial-institution partner type in the forwarding rules' check of organisation types."""

import cases.models
import django.db.models.deletion
import hotline.crypto
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_forwarding_referral_shared"),
        ("hotline", "0006_partner_type_financial_institution"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TransactionClue",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "direction",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("received", "Paid into the account"),
                            ("sent", "Paid out of the account"),
                        ],
                        help_text="Empty when not known.",
                        max_length=8,
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(blank=True, decimal_places=2, max_digits=14, null=True),
                ),
                (
                    "currency",
                    models.CharField(
                        blank=True,
                        help_text="ISO 4217, e.g. USD; with an amount only.",
                        max_length=3,
                        validators=[cases.models.validate_currency_code],
                    ),
                ),
                (
                    "occurred_on",
                    models.DateField(
                        blank=True,
                        help_text="The day of the payment, or the first of several.",
                        null=True,
                    ),
                ),
                (
                    "occurred_until",
                    models.DateField(
                        blank=True,
                        help_text="For several payments: the day of the last one.",
                        null=True,
                    ),
                ),
                ("note", hotline.crypto.EncryptedTextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["identifier", "occurred_on", "pk"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="forwardingrule",
            name="cases_forwardingrule_organisation_type_valid",
        ),
        migrations.AlterField(
            model_name="forwarding",
            name="organisation_type",
            field=models.CharField(
                choices=[
                    ("NGO", "NGO"),
                    ("LawEnforcement", "Law enforcement"),
                    ("HealthServiceOrganisation", "Health service organisation"),
                    ("CentralGovernmentOrganisation", "Central government organisation"),
                    ("LocalGovernmentOrganisation", "Local government organisation"),
                    ("ImmigrationService", "Immigration service"),
                    ("LegalService", "Legal service"),
                    ("CorporateBusiness", "Corporate business"),
                    ("SchoolOrCollege", "School or college"),
                    ("FinancialInstitution", "Financial institution"),
                ],
                max_length=40,
            ),
        ),
        migrations.AlterField(
            model_name="forwardingrule",
            name="organisation_type",
            field=models.CharField(
                choices=[
                    ("NGO", "NGO"),
                    ("LawEnforcement", "Law enforcement"),
                    ("HealthServiceOrganisation", "Health service organisation"),
                    ("CentralGovernmentOrganisation", "Central government organisation"),
                    ("LocalGovernmentOrganisation", "Local government organisation"),
                    ("ImmigrationService", "Immigration service"),
                    ("LegalService", "Legal service"),
                    ("CorporateBusiness", "Corporate business"),
                    ("SchoolOrCollege", "School or college"),
                    ("FinancialInstitution", "Financial institution"),
                ],
                max_length=40,
            ),
        ),
        migrations.AddConstraint(
            model_name="forwardingrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "organisation_type__in",
                        [
                            "NGO",
                            "LawEnforcement",
                            "HealthServiceOrganisation",
                            "CentralGovernmentOrganisation",
                            "LocalGovernmentOrganisation",
                            "ImmigrationService",
                            "LegalService",
                            "CorporateBusiness",
                            "SchoolOrCollege",
                            "FinancialInstitution",
                        ],
                    )
                ),
                name="cases_forwardingrule_organisation_type_valid",
                violation_error_message="Choose a valid organisation type.",
            ),
        ),
        migrations.AddField(
            model_name="transactionclue",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="transactionclue",
            name="identifier",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="transaction_clues",
                to="cases.identifier",
            ),
        ),
        migrations.AddConstraint(
            model_name="transactionclue",
            constraint=models.CheckConstraint(
                condition=models.Q(("direction__in", ["received", "sent", ""])),
                name="cases_transactionclue_direction_valid",
                violation_error_message="Choose a valid direction.",
            ),
        ),
        migrations.AddConstraint(
            model_name="transactionclue",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__isnull", True), ("amount__gt", 0), _connector="OR"),
                name="cases_transactionclue_amount_positive",
                violation_error_message="An amount is more than zero.",
            ),
        ),
        migrations.AddConstraint(
            model_name="transactionclue",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("amount__isnull", True), ("currency", "")),
                    models.Q(("amount__isnull", False), ("currency__regex", "^[A-Z]{3}$")),
                    _connector="OR",
                ),
                name="cases_transactionclue_amount_has_currency",
                violation_error_message="An amount has its currency, and only an amount.",
            ),
        ),
        migrations.AddConstraint(
            model_name="transactionclue",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("occurred_until__isnull", True),
                    models.Q(
                        ("occurred_on__isnull", False),
                        ("occurred_until__gte", models.F("occurred_on")),
                    ),
                    _connector="OR",
                ),
                name="cases_transactionclue_dates_in_order",
                violation_error_message="A range of dates starts with its first day and ends on or after it.",
            ),
        ),
        migrations.AddConstraint(
            model_name="transactionclue",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("amount__isnull", False), ("occurred_on__isnull", False), _connector="OR"
                ),
                name="cases_transactionclue_says_something",
                violation_error_message="A transaction clue has an amount, a date or both.",
            ),
        ),
    ]
