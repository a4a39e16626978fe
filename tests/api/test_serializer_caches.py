"""What hotline.api.serializers.ModelSerializer keeps per class instead of building for every
request: the fields (copied for each serializer, which binds and may change its copies) and
the validators of the whole object (per language and shape of the fields). Each serializer
must behave as if it had built them itself. (test_fast_paths.py: a field narrowed in
__init__ stays that serializer's.)"""

import pytest
from django.utils import translation
from rest_framework import serializers

import cases.api.serializers  # defines every case serializer
from hotline.api.resources import CallSerializer
from hotline.api.serializers import _VALIDATORS, ModelSerializer
from hotline.models import Call, Code

CALL = {"channel": "phone", "caller_type": "anonymous", "reason": "not_related"}


def _every_model_serializer(cls=ModelSerializer):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _every_model_serializer(subclass)


class _CallWithTags(ModelSerializer):
    # A list field without a `child` argument: its child is the class's default, bound to it.
    tags = serializers.ListField(required=False)

    class Meta:
        model = Call
        fields = ["channel", "caller_type", "reason", "tags"]


class _CodeSerializer(ModelSerializer):
    # Code's (list, code) unique constraint has a message translated into Spanish.
    class Meta:
        model = Code
        fields = ["list", "code", "label"]


def test_each_serializer_binds_fields_of_its_own():
    first, second = CallSerializer(data=CALL), CallSerializer(data=CALL)
    for name, field in first.fields.items():
        assert field is not second.fields[name]
        assert field.parent is first and second.fields[name].parent is second
        assert field.field_name == name


def test_a_field_changed_on_one_serializer_is_unchanged_on_the_next():
    changed = CallSerializer(data=CALL)
    changed.fields["channel"].read_only = True
    changed.fields["summary"].max_length = 3

    def refuse(value):
        raise serializers.ValidationError("refused by the first serializer")

    changed.fields["summary"].validators.append(refuse)
    changed.fields["reason"].error_messages["invalid_choice"] = "changed in place"
    changed.fields["channel"].style["base_template"] = "changed.html"

    fresh = CallSerializer(data={**CALL, "summary": "A longer summary."})
    assert fresh.is_valid(), fresh.errors
    assert fresh.validated_data["channel"] == "phone"
    assert refuse not in fresh.fields["summary"].validators
    assert "base_template" not in fresh.fields["channel"].style
    wrong = CallSerializer(data={**CALL, "reason": "nonsense"})
    assert not wrong.is_valid()
    assert str(wrong.errors["reason"][0]) != "changed in place"


def test_a_field_that_holds_fields_is_built_anew_with_children_of_its_own():
    one, other = _CallWithTags(data=CALL), _CallWithTags(data=CALL)
    assert one.fields["tags"].child is not other.fields["tags"].child
    assert one.fields["tags"].child.parent is one.fields["tags"]
    case_serializer = cases.api.serializers.CaseSerializer
    first, second = case_serializer(context={}), case_serializer(context={})
    relation, other_relation = (
        first.fields["methods_of_control"].child_relation,
        second.fields["methods_of_control"].child_relation,
    )
    assert relation is not other_relation
    assert relation.parent is first.fields["methods_of_control"]


@pytest.mark.parametrize(
    "serializer_class",
    sorted([*_every_model_serializer(), _CodeSerializer], key=lambda cls: cls.__name__),
)
def test_kept_validators_are_what_drf_builds(serializer_class):
    serializer = serializer_class(context={})
    built = super(ModelSerializer, serializer).get_validators()
    kept = serializer.get_validators()
    assert [(type(v), vars(v)) for v in kept] == [(type(v), vars(v)) for v in built]
    assert serializer.get_validators() is not kept  # a list of its own each time


def test_kept_validators_speak_the_language_of_the_request():
    def messages(language):
        with translation.override(language):
            serializer = _CodeSerializer(context={})
            kept = [validator.message for validator in serializer.get_validators()]
            built = [
                validator.message
                for validator in super(ModelSerializer, serializer).get_validators()
            ]
        assert kept == built
        return kept

    # Spanish first, so that a cache keyed without the language would answer in Spanish.
    spanish, english = messages("es"), messages("en")
    assert len(spanish) == 1 and spanish != english
    assert english == ["This list already has this code."]


def test_validators_are_kept_per_shape_of_the_fields():
    from cases.api.serializers import IdentifierSerializer

    # An identifier being changed has a read-only kind; one being added does not.
    adding = IdentifierSerializer(context={})
    changing = IdentifierSerializer(instance=object.__new__(adding.Meta.model), context={})
    assert changing.fields["kind"].read_only and not adding.fields["kind"].read_only
    adding.get_validators(), changing.get_validators()
    shapes = {key[2] for key in _VALIDATORS if key[0] is IdentifierSerializer}
    assert len(shapes) == 2
