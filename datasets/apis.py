"""`/api/v1/datasets/`: per-user key/value datasets synced across devices (SPEC §11).

A device pulls what changed since its last syncCount (GET with `sinceSyncCount`) and pushes its
own changes conditional on the syncCount it saw (PATCH); a push is applied whole or not at all,
and a conflict answers 409 with the server's records so the app can merge and push again.
"""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import caller_site_user
from api.errors import error_body
from api.fields import StrictCharField, query_data
from api.openapi import error_responses
from datasets.errors import DATASET_CONFLICT
from datasets.models import KEY_MAX_LENGTH, Dataset, DatasetRecord
from datasets.selectors import dataset_get, dataset_records_since, datasets_for_user
from datasets.services import (
    MAX_RECORDS_PER_DATASET,
    DatasetConflict,
    DatasetLimitExceeded,
    RecordChange,
    dataset_delete,
    dataset_name_is_valid,
    dataset_records_push,
)

NAME_RULE = "Dataset names are 1 to 128 characters of A-Z, a-z, 0-9, '_', '.', ':' and '-'."


def _utf8_encodable(value: str | None) -> None:
    # JSON may carry lone surrogates ("\ud800"), which no database column can store.
    if value is not None:
        try:
            value.encode()
        except UnicodeEncodeError:
            raise serializers.ValidationError("Must be valid Unicode text (no lone surrogates).") from None


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer and nothing else: DRF's IntegerField would take "1" or true."""

    default_error_messages = {"not_an_integer": "Must be a JSON integer."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_an_integer")
        return int(super().to_internal_value(data))


# --- Output ---------------------------------------------------------------------------------


class DatasetSummarySerializer(serializers.Serializer[Dataset]):
    name = serializers.CharField()
    syncCount = serializers.IntegerField(source="sync_count")
    recordCount = serializers.IntegerField(source="record_count", help_text="Live records (deleted ones not counted).")
    sizeBytes = serializers.IntegerField(source="size_bytes", help_text="UTF-8 bytes of keys and values; ≤ 1 MB.")
    updatedAt = serializers.DateTimeField(source="updated_at")


class DatasetRecordOutputSerializer(serializers.Serializer[DatasetRecord]):
    key = serializers.CharField()
    value = serializers.CharField(allow_null=True, help_text="null: the record was deleted.")
    syncCount = serializers.IntegerField(source="sync_count", help_text="The dataset's syncCount of its last change.")


class DatasetRecordsOutputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    syncCount = serializers.IntegerField(help_text="Keep it: pull from it next time, push based on it.")
    records = DatasetRecordOutputSerializer(many=True)


@extend_schema_field({"$ref": "#/components/schemas/DatasetUpdateErrorCode"})
class DatasetUpdateErrorCodeField(serializers.CharField):
    """The code of a push's error: in the OpenAPI document, the operation's own code enum."""


class DatasetConflictErrorSerializer(serializers.Serializer[Any]):
    code = DatasetUpdateErrorCodeField()
    message = serializers.CharField()


# Declared after the class: an attribute named `fields` would hide the serializer's own `fields`.
DatasetConflictErrorSerializer._declared_fields["fields"] = serializers.DictField(
    child=serializers.ListField(child=serializers.CharField())
)


class DatasetConflictOutputSerializer(serializers.Serializer[Any]):
    """409: the error, and the server's current state of the keys in conflict."""

    error = DatasetConflictErrorSerializer()
    syncCount = serializers.IntegerField(help_text="The dataset's current syncCount.")
    records = DatasetRecordOutputSerializer(many=True, help_text="The server's version of each conflicting key.")


def _records_body(name: str, sync_count: int, records: list[DatasetRecord]) -> dict[str, Any]:
    return {
        "name": name,
        "syncCount": sync_count,
        "records": DatasetRecordOutputSerializer(cast(Any, records), many=True).data,
    }


# --- Input ----------------------------------------------------------------------------------


class DatasetRecordInputSerializer(serializers.Serializer[Any]):
    key = StrictCharField(max_length=KEY_MAX_LENGTH, allow_blank=False, trim_whitespace=False)
    value = StrictCharField(allow_null=True, allow_blank=True, trim_whitespace=False)
    syncCount = StrictIntegerField(
        min_value=0,
        required=False,
        help_text="The record's syncCount the device last saw (0 for a new key); defaults to the push's syncCount.",
    )

    def validate_key(self, key: str) -> str:
        _utf8_encodable(key)
        return key

    def validate_value(self, value: str | None) -> str | None:
        _utf8_encodable(value)
        return value


class DatasetPatchInputSerializer(serializers.Serializer[Any]):
    syncCount = StrictIntegerField(min_value=0, help_text="The dataset's syncCount the device last pulled.")
    records = DatasetRecordInputSerializer(many=True, max_length=MAX_RECORDS_PER_DATASET)  # type: ignore[call-arg]

    def validate_records(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = [record["key"] for record in records]
        if len(set(keys)) != len(keys):
            raise serializers.ValidationError("Each key may appear once in a push.")
        return records


class DatasetQuerySerializer(serializers.Serializer[Any]):
    sinceSyncCount = serializers.IntegerField(
        min_value=0, default=0, help_text="The syncCount of the last pull; 0 (default) for everything."
    )


def _valid_name(name: str) -> str:
    if not dataset_name_is_valid(name):
        raise exceptions.ValidationError({"name": [NAME_RULE]})
    return name


# --- Endpoints ------------------------------------------------------------------------------


class DatasetListApi(APIView):
    """`GET /api/v1/datasets/`: the caller's datasets."""

    @extend_schema(
        operation_id="datasets_list",
        summary="List my datasets",
        responses={200: DatasetSummarySerializer(many=True)},
        tags=["datasets"],
    )
    def get(self, request: Request) -> Response:
        datasets = datasets_for_user(user_id=caller_site_user(request).user_id)
        return Response(DatasetSummarySerializer(cast(Any, datasets), many=True).data)


NAME_PARAMETER = OpenApiParameter("name", location=OpenApiParameter.PATH, description=NAME_RULE)


class DatasetDetailApi(APIView):
    """`GET`, `PATCH`, `DELETE /api/v1/datasets/{name}`."""

    @extend_schema(
        operation_id="dataset_get",
        summary="Pull a dataset's changes",
        description="Records written after `sinceSyncCount` (deleted ones with `value: null`), oldest change "
        "first, and the dataset's syncCount. 404 when the dataset does not exist (never created, or deleted: "
        "drop the local copy).",
        parameters=[NAME_PARAMETER, DatasetQuerySerializer],
        responses={
            200: DatasetRecordsOutputSerializer,
            **error_responses(404),
        },
        tags=["datasets"],
    )
    def get(self, request: Request, name: str) -> Response:
        _valid_name(name)
        query = DatasetQuerySerializer(data=query_data(request.query_params))
        query.is_valid(raise_exception=True)
        dataset = dataset_get(user_id=caller_site_user(request).user_id, name=name)
        if dataset is None:
            raise exceptions.NotFound("You have no dataset with this name.")
        records = dataset_records_since(dataset=dataset, since_sync_count=query.validated_data["sinceSyncCount"])
        return Response(_records_body(dataset.name, dataset.sync_count, records))

    @extend_schema(
        operation_id="dataset_update",
        summary="Push changes to a dataset",
        description="Applies every record or none (the dataset is created by its first push). `value: null` "
        "deletes a record. A record conflicts when the server's copy changed after the syncCount the device "
        "based it on (the record's `syncCount`, else the push's): then 409 `dataset_conflict` with the "
        "server's current records for those keys; merge them and push again with their syncCounts. On "
        "success the dataset's syncCount goes up by one and each pushed record carries it. Limits (400, "
        "code naming the limit): 20 datasets per user (`too_many_datasets`), 1 MB per dataset "
        "(`dataset_too_large`), 1,024 records (`too_many_records`), keys of at most 128 characters and "
        "names as in the path (`validation_error`).",
        parameters=[NAME_PARAMETER],
        request=DatasetPatchInputSerializer,
        responses={
            200: DatasetRecordsOutputSerializer,
            409: OpenApiResponse(
                DatasetConflictOutputSerializer,
                description="Records changed since the device's syncCount.",
            ),
        },
        tags=["datasets"],
    )
    def patch(self, request: Request, name: str) -> Response:
        _valid_name(name)
        serializer = DatasetPatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes = [
            RecordChange(
                key=record["key"], value=record["value"], base_sync_count=record.get("syncCount", data["syncCount"])
            )
            for record in data["records"]
        ]
        try:
            result = dataset_records_push(user_id=caller_site_user(request).user_id, name=name, changes=changes)
        except DatasetLimitExceeded as exc:
            return Response(error_body(exc.code, exc.message), status=status.HTTP_400_BAD_REQUEST)
        except DatasetConflict as exc:
            body = error_body(
                DATASET_CONFLICT,
                f"{len(exc.records)} record(s) changed since your syncCount: merge the records sent along, "
                "then push again with their syncCounts.",
            )
            body.update(
                syncCount=exc.dataset.sync_count,
                records=DatasetRecordOutputSerializer(cast(Any, exc.records), many=True).data,
            )
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(_records_body(name, result.dataset.sync_count, result.records))

    @extend_schema(
        operation_id="dataset_delete",
        summary="Delete a dataset",
        parameters=[NAME_PARAMETER],
        responses={204: None, **error_responses(404)},
        tags=["datasets"],
    )
    def delete(self, request: Request, name: str) -> Response:
        _valid_name(name)
        if not dataset_delete(user_id=caller_site_user(request).user_id, name=name):
            raise exceptions.NotFound("You have no dataset with this name.")
        return Response(status=status.HTTP_204_NO_CONTENT)
