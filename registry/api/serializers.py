"""Serializer base: validation is written once, in the model's clean(); the API calls
full_clean() so the admin, forms and API agree."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.serializers import as_serializer_error

from registry.api.formats import EmailField, SlugField, StringField, URLField


class ModelSerializer(serializers.ModelSerializer):
    """DRF's model serializer with the registry's string fields: text only (no number taken as
    text) and URLs checked against the pattern the OpenAPI document states."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StringField,
        models.TextField: StringField,
        models.SlugField: SlugField,
        models.EmailField: EmailField,
        models.URLField: URLField,
    }


class RegistrySerializer(ModelSerializer):
    """A model serializer that runs the model's full_clean() before saving.

    Each resource also has a brief serializer (a few identifying fields), used when it is
    nested in another and on `?brief=1`.
    """

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        m2m = {f.name for f in model._meta.many_to_many}
        plain = {key: value for key, value in attrs.items() if key not in m2m and not isinstance(value, list)}
        instance = self.instance or model()
        if self.instance is not None:
            # Validate a copy so a refused update leaves the instance as it was.
            instance = model.objects.get(pk=self.instance.pk)
        for key, value in plain.items():
            setattr(instance, key, value)
        try:
            instance.full_clean(exclude=self.full_clean_exclude(), validate_unique=True)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(as_serializer_error(exc)) from exc
        return attrs

    def full_clean_exclude(self) -> list[str]:
        """Fields the model validates that this serializer sets elsewhere (e.g. in a service)."""
        return []
