"""What the serializers of every resource share.

Input serializers are strict (``StrictSerializer``): unknown fields are an error (a typo must
not be silently ignored), and so are values of the wrong JSON type. Output serializers build
plain dicts from rows the selectors already joined, and leave out what the caller may not see.
"""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import serializers

from recruitment.models import Organisation
from recruitment.parsing import MAX_ID, parse_id


def _json_type_error(field, value) -> str | None:
    """Why ``value`` (from a JSON body) has the wrong type for ``field``; None when it fits.

    DRF coerces on its own: 42 becomes "42" for a CharField, "7" becomes 7 for an
    IntegerField and "yes" becomes True for a BooleanField. The API promises JSON types
    instead (docs/api.md, "Errors"): a wrong type is a 400 naming the field."""
    if value is None or isinstance(field, serializers.JSONField | serializers.FileField):
        return None  # null: the field's allow_null decides
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else _("Must be true or false.")
    if isinstance(field, serializers.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else _("Must be a whole number.")
    if isinstance(field, serializers.ListField | serializers.MultipleChoiceField):
        if not isinstance(value, list):
            return _("Must be a list.")
        child = getattr(field, "child", None)
        errors = [_json_type_error(child, item) for item in value] if child else []
        return next((e for e in errors if e), None)
    if isinstance(field, serializers.Serializer | serializers.DictField):
        return None if isinstance(value, dict) else _("Must be an object.")
    if isinstance(
        field,
        serializers.CharField
        | serializers.ChoiceField
        | serializers.DateField
        | serializers.DateTimeField
        | serializers.RelatedField,
    ):
        return None if isinstance(value, str) else _("Must be a string.")
    return None


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know, naming them, and values of the wrong JSON type
    (``_json_type_error``). Multipart form fields are text by nature and keep DRF's
    parsing (e.g. ``apply_valid_rows=true`` of a CSV upload)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
            if not isinstance(data, QueryDict):
                wrong = {
                    name: [error]
                    for name, value in data.items()
                    if (error := _json_type_error(self.fields[name], value))
                }
                if wrong:
                    raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


# A PATCH body: at least one field to change. (No docstring of its own: a serializer's
# docstring, or its nearest base's, is its description in the OpenAPI document.)
class ChangeSerializer(StrictSerializer):
    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Send at least one field to change."))
        return attrs


class IdField(serializers.IntegerField):
    """An id in a request body: the one id parser's rule (1 to the bigint maximum)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        number = parse_id(data)
        if number is None:
            raise serializers.ValidationError(
                _("Give an id: a whole number from 1 up (digits only).")
            )
        return number


class OrganisationCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        kwargs.setdefault("queryset", Organisation.objects.filter(is_active=True))
        super().__init__(**kwargs)


def iso_date(value) -> str | None:
    """A date or datetime as ISO 8601 text (null for none)."""
    return value.isoformat() if value else None


def validated(serializer_class, data, **context) -> dict:
    """``data`` checked by ``serializer_class`` (an input serializer): its validated data, or
    a 400 problem naming the fields."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
