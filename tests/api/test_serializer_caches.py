"""What hotline.api.serializers.ModelSerializer keeps per class instead of building for every
request: the fields (copied for each serializer, which binds and may change its copies) and
the validators of the whole object (per shape of the fields). Each serializer must behave as if
it had built them itself."""

import pytest

import cases.api.serializers  # defines every case serializer
from cases.api.serializers import IdentifierSerializer
from hotline.api.resources import CallSerializer
from hotline.api.serializers import ModelSerializer

CALL = {"channel": "phone", "caller_type": "anonymous", "reason": "not_related"}


def _every_model_serializer(cls=ModelSerializer):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _every_model_serializer(subclass)


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
    fresh = CallSerializer(data={**CALL, "summary": "A longer summary."})
    assert fresh.is_valid(), fresh.errors
    assert fresh.validated_data["channel"] == "phone"


def test_a_field_that_holds_fields_is_built_anew_with_children_of_its_own():
    first, second = IdentifierSerializer(context={}), IdentifierSerializer(context={})
    assert first.fields["party"] is not second.fields["party"]
    case_serializer = cases.api.serializers.CaseSerializer
    one, other = case_serializer(context={}), case_serializer(context={})
    assert one.fields["methods_of_control"].child_relation is not (
        other.fields["methods_of_control"].child_relation
    )
    assert (
        one.fields["methods_of_control"].child_relation.parent is one.fields["methods_of_control"]
    )


@pytest.mark.parametrize(
    "serializer_class", sorted(_every_model_serializer(), key=lambda cls: cls.__name__)
)
def test_kept_validators_are_what_drf_builds(serializer_class):
    serializer = serializer_class(context={})
    built = super(ModelSerializer, serializer).get_validators()
    kept = serializer.get_validators()
    assert [(type(v), vars(v)) for v in kept] == [(type(v), vars(v)) for v in built]
    assert serializer.get_validators() is not kept  # a list of its own each time


@pytest.mark.django_db
def test_validators_are_kept_per_shape_of_the_fields():
    # An identifier being changed has a read-only kind; one being added does not.
    adding = IdentifierSerializer(context={})
    changing = IdentifierSerializer(instance=object.__new__(adding.Meta.model), context={})
    assert changing.fields["kind"].read_only and not adding.fields["kind"].read_only
    adding.get_validators(), changing.get_validators()
    from hotline.api.serializers import _VALIDATORS

    keys = [key for key in _VALIDATORS if key[0] is IdentifierSerializer]
    assert len({key[1] for key in keys}) == 2
