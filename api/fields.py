"""Serializer fields shared by the APIs' input serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A JSON string and nothing else: DRF's CharField would turn `0` or `1.5` into "0" or "1.5".

    An app sending a number where the contract says string has a bug; storing its number as text
    would hide it.
    """

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return str(super().to_internal_value(data))


class StrictUUIDField(serializers.UUIDField):
    """A UUID written as a JSON string: DRF's UUIDField would take `false` or `5` as UUID(int=…)."""

    default_error_messages = {"not_a_string": "Must be a UUID string, e.g. 3f2b8c3e-9a1d-4c47-8e2b-5d0c6f1a7e90."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


def query_data(query_params: Any) -> dict[str, str]:
    """A request's query string for an input serializer, one value per name.

    As a plain dict rather than DRF's QueryDict, so `?visibility=` is an empty value the serializer
    refuses, not (as with HTML forms) a parameter left out.
    """
    return dict(query_params.items())
