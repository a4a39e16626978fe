"""Small helpers for declaring database constraints the same way in every model."""

from django.db import models


def choices_constraint(field, choices, *, allow_blank=False, allow_null=False):
    """A CHECK constraint that keeps `field` inside its choices in the database itself.

    Django validates choices only in forms; this makes bulk inserts, raw SQL and the shell obey
    them too.
    """
    values = list(choices.values)
    if allow_blank:
        values.append("")
    condition = models.Q(**{f"{field}__in": values})
    if allow_null:
        condition |= models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(
        condition=condition,
        name=f"%(app_label)s_%(class)s_{field}_valid",
        violation_error_message=f"Choose a valid {field.replace('_', ' ')}.",
    )


class AppendOnlyQuerySet(models.QuerySet):
    """For tables that are only ever appended to: bulk updates and deletes through the ORM are
    refused, as the model refuses them one row at a time."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only: they cannot be changed.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only: they cannot be deleted.")
