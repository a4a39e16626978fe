"""Serializer building blocks shared by every resource."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


def _no_surrogates(value):
    # A lone surrogate (valid JSON, "\ud800") cannot be stored as UTF-8: refuse it as bad
    # input rather than fail in the database.
    if isinstance(value, str) and any("\ud800" <= char <= "\udfff" for char in value):
        raise serializers.ValidationError(_("This text contains characters that are not valid."))


class TextField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(_no_surrogates)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
    }
    serializer_choice_field = serializers.ChoiceField

    def get_fields(self):
        """DRF's fields for the model, worked out once per serializer class from the model's
        metadata (a fifth of the cost of a POST when done on every request) and copied for
        each serializer, as DRF copies the declared fields: every serializer binds fields of its
        own. What they are depends only on the class, never on the instance or the context
        (a serializer that narrows a field's queryset does so on its copy, in __init__)."""
        cls = type(self)
        prototype = _FIELDS.get(cls)
        if prototype is None:
            prototype = _FIELDS[cls] = super().get_fields()
        return {name: _fresh(field) for name, field in prototype.items()}


# {serializer class: its fields, unbound}, filled on first use.
_FIELDS = {}


def _fresh(field):
    """A new field made with the arguments `field` was made with, as DRF's deepcopy of a
    field does, but copying only the fields among them (a list's child, a many-relation's
    child), which get bound: querysets, choices and validators are only read, and copying
    them deeply cost as much as building the fields."""
    args = [_fresh(arg) if isinstance(arg, serializers.Field) else arg for arg in field._args]
    kwargs = {
        key: _fresh(value) if isinstance(value, serializers.Field) else value
        for key, value in field._kwargs.items()
    }
    return field.__class__(*args, **kwargs)


class CodeField(serializers.SlugRelatedField):
    """A reference-data row by its code (a region "US-TX", an industry "agriculture")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 100:
            self.fail("invalid")
        _no_surrogates(data)
        return super().to_internal_value(data)
