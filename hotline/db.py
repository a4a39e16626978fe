"""Small helpers for declaring database constraints the same way in every model, and for
saving a model with the database checking them (save_validated)."""

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models.constants import LOOKUP_SEP


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


# --- Letting the database check the constraints -------------------------------------------
#
# Model.full_clean() validates every CheckConstraint with a SELECT of its own (in a savepoint),
# and every foreign key with another: about twenty queries for a call, for rules the INSERT
# checks again anyway. save_validated() validates fields (types, lengths, choices, validators)
# in Python as before, skips what the database enforces, and turns the database's refusal of
# a named constraint back into the ValidationError full_clean() would have raised: the
# constraint's own message, on its field.

_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")


def constraint_name(error):
    """The name of the constraint an IntegrityError reports, or None (PostgreSQL and SQLite)."""
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    if name:
        return name
    match = _SQLITE_CHECK.search(str(error))
    return match.group(1) if match else None


def constraint_field(model, constraint):
    """The field a constraint's violation is reported on: the field of a choices_constraint
    (named <app>_<model>_<field>_valid) or the one field a check reads; otherwise none
    (NON_FIELD_ERRORS), as full_clean() reports every constraint."""
    meta = model._meta
    prefix = f"{meta.app_label}_{meta.model_name}_"
    name = constraint.name
    if name.startswith(prefix) and name.endswith("_valid"):
        field = name[len(prefix) : -len("_valid")]
        if any(f.name == field for f in meta.concrete_fields):
            return field
    if isinstance(constraint, models.CheckConstraint):
        fields = {ref.split(LOOKUP_SEP)[0] for ref in constraint.condition.referenced_base_fields}
    else:
        fields = set(constraint.fields)
    return fields.pop() if len(fields) == 1 else NON_FIELD_ERRORS


def constraint_violation(model, error):
    """The ValidationError for an IntegrityError raised by one of `model`'s check constraints,
    or None when the error is about something else."""
    name = constraint_name(error)
    if name is None:
        return None
    for constraint in model._meta.constraints:
        if constraint.name == name and isinstance(constraint, models.CheckConstraint):
            message = ValidationError(
                constraint.get_violation_error_message(),
                code=constraint.violation_error_code or "constraint",
            )
            return ValidationError({constraint_field(model, constraint): [message]})
    return None


def _resolved_relations(instance):
    """Foreign keys whose related row the caller already loaded from the database (a region
    a serializer looked up, the signed-in user): checking that they exist again is a query
    for nothing, and the database's foreign key still guards the row."""
    resolved = []
    for field in instance._meta.concrete_fields:
        if not field.is_relation or not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if (
            related is not None
            and not related._state.adding
            and related.pk is not None
            and getattr(instance, field.attname) == getattr(related, field.target_field.attname)
        ):
            resolved.append(field.name)
    return resolved


def validate_fields(instance, *, exclude=(), validate_unique=True):
    """full_clean() without the queries the database makes redundant: fields, clean() and
    unique constraints as ever; no check-constraint SELECTs (the database checks them on save,
    see save_checked); no existence check for a foreign key whose row is already loaded."""
    exclude = {*exclude, *_resolved_relations(instance)}
    errors = {}
    try:
        instance.full_clean(
            exclude=exclude, validate_unique=validate_unique, validate_constraints=False
        )
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if validate_unique:
        errors = _validate_unique_constraints(instance, exclude | set(errors), errors)
    if errors:
        raise ValidationError(errors)


def _validate_unique_constraints(instance, exclude, errors):
    """Model.validate_constraints() for the unique constraints only: a duplicate is found by a
    SELECT, as before, so that it is reported by field rather than by the INSERT failing."""
    model = type(instance)
    using = router.db_for_write(model, instance=instance)
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint):
            continue
        try:
            constraint.validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                errors.setdefault(constraint.fields[0], []).append(error)
            else:
                errors = error.update_error_dict(errors)
    return errors


def save_checked(instance, *, savepoint=True, **save_kwargs):
    """instance.save(); a named check constraint's refusal becomes its ValidationError, and
    anything else is raised as it is.

    In a savepoint by default, so that the transaction around stays usable after the refusal.
    A service whose own @transaction.atomic surrounds the save and lets the error out (the
    atomic rolls back, to its own savepoint when it is nested in another transaction) may pass
    savepoint=False and spare the two round trips."""
    try:
        with transaction.atomic(savepoint=savepoint):
            instance.save(**save_kwargs)
    except IntegrityError as error:
        violation = constraint_violation(type(instance), error)
        if violation is None:
            raise
        raise violation from error
    return instance


def save_validated(instance, *, exclude=(), validate_unique=True, **save_kwargs):
    """Validate (validate_fields) and save (save_checked): full_clean() + save() with the
    same errors, a handful of queries fewer."""
    validate_fields(instance, exclude=exclude, validate_unique=validate_unique)
    return save_checked(instance, **save_kwargs)
