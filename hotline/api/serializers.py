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
