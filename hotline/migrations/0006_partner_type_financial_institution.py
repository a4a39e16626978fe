"""The partner organisation type FinancialInstitution, which HTCDS 2.0 lacks (see
hotline/models/people.py): the choices and their database check."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("hotline", "0005_api_tokens_idempotency"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="partnerorganisation",
            name="hotline_partnerorganisation_type_valid",
        ),
        migrations.AlterField(
            model_name="partnerorganisation",
            name="type",
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
            model_name="partnerorganisation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "type__in",
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
                name="hotline_partnerorganisation_type_valid",
                violation_error_message="Choose a valid type.",
            ),
        ),
    ]
