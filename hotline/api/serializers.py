"""Serializer building blocks shared by every resource."""

from django.db import models
from django.utils import translation
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

    def get_validators(self):
        """DRF's validators of the whole object (unique together, unique for date), worked
        out once per serializer class and shape of its fields (names, sources, which are
        read-only, which have defaults), which is all they depend on: a serializer may make a
        field read-only in __init__. Building them for every request cost a third of
        validating a call; they keep no state between uses. Their messages are in the
        language of the request that built them, which is part of the key."""
        key = (
            type(self),
            translation.get_language(),
            tuple(
                (name, field.source, field.read_only, field.default is serializers.empty)
                for name, field in self.fields.items()
            ),
        )
        validators = _VALIDATORS.get(key)
        if validators is None:
            validators = _VALIDATORS[key] = super().get_validators()
        return list(validators)


# {serializer class: its fields, unbound}, filled on first use.
_FIELDS = {}
# {(serializer class, language, shape of its fields): its validators}, filled on first use.
_VALIDATORS = {}


def _fresh(field):
    """A new, unbound field equal to `field`, as DRF's deepcopy of a declared field makes
    one. A plain field is copied attribute by attribute, with lists and dicts of its own for
    what code may change in place (its validators, error messages and style): its choices
    and querysets are only read or replaced once it is built, and building it anew (as
    DRF's deepcopy does) cost as much as validating the request. A field holding other
    fields (a list's child, a many-relation's child, which it binds) or a nested serializer
    (which keeps state) is built anew."""
    holds_fields = (
        isinstance(field, serializers.BaseSerializer)
        or isinstance(field.__dict__.get("child"), serializers.Field)
        or any(
            isinstance(value, serializers.Field)
            for value in (*field._args, *field._kwargs.values())
        )
    )
    if holds_fields:
        return _rebuilt(field)
    copy = object.__new__(field.__class__)
    copy.__dict__.update(field.__dict__)
    for name in _OWN_CONTAINERS:
        value = copy.__dict__.get(name)
        if value is not None:
            copy.__dict__[name] = value.copy()
    return copy


# A field's attributes that code changes in place (field.validators.append(...)).
_OWN_CONTAINERS = ("_validators", "error_messages", "style")


def _rebuilt(field):
    """A new field made with the arguments `field` was made with, as DRF's deepcopy of a
    field does, but copying only the fields among them (a list's child, a many-relation's
    child): querysets, choices and validators are only read, and copying them deeply cost
    as much as building the fields."""
    args = [_rebuilt(arg) if isinstance(arg, serializers.Field) else arg for arg in field._args]
    kwargs = {
        key: _rebuilt(value) if isinstance(value, serializers.Field) else value
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
