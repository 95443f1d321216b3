"""What the notes API's operation families share: the note as every endpoint shows it, the
writable fields with their limits, the ETag/If-Match version, and the answers to write conflicts."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any, cast

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import DependencyUnavailable, error_body
from api.fields import StrictCharField
from legacy.models import LegacyNote
from legacy.validators import validate_latin1
from notes.errors import NOTE_ID_CONFLICT, PRECONDITION_FAILED
from notes.selectors import NoteView
from notes.services import TAG_MAX_LENGTH, NoteIdTaken, NoteVersionMismatch, tags_clean
from uploads.apis import PhotoNotImageError
from uploads.services import (
    STORAGE_RETRY_AFTER_SECONDS,
    MediaStorageUnavailable,
    UploadNotAttachable,
    UploadNotImage,
    media_url,
)

HEADLINE_MAX_LENGTH = LegacyNote._meta.get_field("headline").max_length or 255
TEXT_MAX_LENGTH = 65_535  # a latin1 TEXT column: one byte per character
TAGS_MAX_COUNT = 50
PHOTO_KEY_MAX_LENGTH = 512


# --- Output ---------------------------------------------------------------------------------


class OwnerOutputSerializer(serializers.Serializer[Any]):
    userId = serializers.IntegerField()
    displayName = serializers.CharField(allow_null=True)


class _NoteListSerializer(serializers.ListSerializer[NoteView]):
    """Notes in a list: the current time zone looked up once for the page, not once per note."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        zone = timezone.get_current_timezone()
        child = cast(NoteOutputSerializer, self.child)
        return [child.note_representation(view, zone) for view in data]


class NoteOutputSerializer(serializers.Serializer[NoteView]):
    """A note as every endpoint shows it."""

    class Meta:
        list_serializer_class = _NoteListSerializer

    noteId = serializers.UUIDField(source="mobile.uuid")
    headline = serializers.CharField(source="note.headline")
    text = serializers.CharField(source="note.body")
    s3Url = serializers.SerializerMethodField()
    photoKey = serializers.SerializerMethodField()
    visibility = serializers.ChoiceField(source="note.visibility", choices=LegacyNote.Visibility.choices)
    tags = serializers.ListField(child=serializers.CharField())
    owner = serializers.SerializerMethodField()
    # None for the site's oldest notes, whose creation date is the zero date.
    createdAt = serializers.DateTimeField(source="note.created_at", allow_null=True)
    updatedAt = serializers.DateTimeField(source="note.updated_at", allow_null=True)
    version = serializers.IntegerField(source="mobile.version")

    def get_s3Url(self, view: NoteView) -> str | None:
        if not view.mobile.photo_key:
            return None
        return media_url(key=view.mobile.photo_key, private=view.is_private)

    def get_photoKey(self, view: NoteView) -> str | None:
        return view.mobile.photo_key or None

    @extend_schema_field(OwnerOutputSerializer)
    def get_owner(self, view: NoteView) -> dict[str, Any]:
        owner = view.owner
        return {"userId": view.note.user_id, "displayName": owner.display_name if owner else None}

    def to_representation(self, view: NoteView) -> dict[str, Any]:
        return self.note_representation(view, timezone.get_current_timezone())

    def note_representation(self, view: NoteView, zone: tzinfo) -> dict[str, Any]:
        """The fields above, written directly: DRF's field-by-field walk (attribute lookups, time zone
        checks per date) was a third of a list request's CPU (SPEC §8's warm-latency row). The fields
        stay the schema; tests/notes/test_note_output.py holds this to DRF's own answer."""
        note, mobile = view.note, view.mobile
        return {
            "noteId": str(mobile.uuid),
            "headline": _text(note.headline),
            "text": _text(note.body),
            "s3Url": self.get_s3Url(view),
            "photoKey": self.get_photoKey(view),
            "visibility": note.visibility,
            "tags": [str(tag) for tag in view.tags],
            "owner": self.get_owner(view),
            "createdAt": _iso_datetime(note.created_at, zone),
            "updatedAt": _iso_datetime(note.updated_at, zone),
            "version": int(mobile.version),
        }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _iso_datetime(value: datetime | None, zone: tzinfo) -> str | None:
    """As DRF's DateTimeField writes it: in the current time zone, ISO 8601, UTC as "Z"."""
    if not value:
        return None
    value = value.astimezone(zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class NoteListOutputSerializer(serializers.Serializer[Any]):
    results = NoteOutputSerializer(many=True)
    nextCursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
    )


def notes_data(views: list[NoteView]) -> Any:
    return NoteOutputSerializer(cast(Any, views), many=True).data


def etag(view: NoteView) -> str:
    return f'"{view.mobile.version}"'


def note_response(view: NoteView, *, status_code: int = status.HTTP_200_OK) -> Response:
    response = Response(NoteOutputSerializer(view).data, status=status_code)
    response["ETag"] = etag(view)
    return response


# --- Input ----------------------------------------------------------------------------------


class NoteFieldsInputSerializer(serializers.Serializer[Any]):
    """What a client may write on a note; every text must fit the site's latin1 columns."""

    headline = StrictCharField(max_length=HEADLINE_MAX_LENGTH, allow_blank=True, validators=[validate_latin1])
    text = StrictCharField(
        max_length=TEXT_MAX_LENGTH, allow_blank=True, trim_whitespace=False, validators=[validate_latin1]
    )
    visibility = serializers.ChoiceField(choices=LegacyNote.Visibility.choices, required=False)
    tags = serializers.ListField(
        child=StrictCharField(max_length=TAG_MAX_LENGTH, allow_blank=False), max_length=TAGS_MAX_COUNT, required=False
    )
    photoKey = StrictCharField(max_length=PHOTO_KEY_MAX_LENGTH, allow_null=True, required=False)

    def validate_tags(self, tags: list[str]) -> list[str]:
        try:
            return tags_clean(tags)
        except Exception as exc:  # django ValidationError → DRF's, with its message
            raise serializers.ValidationError(getattr(exc, "messages", [str(exc)])) from None


class NotePatchInputSerializer(NoteFieldsInputSerializer):
    """PATCH: any subset of the fields; `photoKey: null` removes the photo."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


def photo_key_refused(exc: UploadNotAttachable | MediaStorageUnavailable) -> exceptions.APIException:
    """The answer when the `photoKey` given cannot be attached: 400 on `photoKey` (not the caller's
    finished upload), 400 `photo_not_image` (its bytes are not an image), or 503 + Retry-After (S3
    unreachable: nothing was changed)."""
    if isinstance(exc, MediaStorageUnavailable):
        return DependencyUnavailable(exc.message, retry_after_seconds=STORAGE_RETRY_AFTER_SECONDS)
    if isinstance(exc, UploadNotImage):
        return PhotoNotImageError(exc.message)
    return serializers.ValidationError({"photoKey": [str(exc)]})


def note_id_conflict(exc: NoteIdTaken) -> Response:
    return Response(error_body(NOTE_ID_CONFLICT, str(exc)), status=status.HTTP_409_CONFLICT)


def version_mismatch(exc: NoteVersionMismatch) -> Response:
    response = Response(
        error_body(
            PRECONDITION_FAILED,
            f"The note changed since you read it: it is at version {exc.current.mobile.version}. "
            "Fetch it again, then retry with the new version in If-Match.",
        ),
        status=status.HTTP_412_PRECONDITION_FAILED,
    )
    response["ETag"] = etag(exc.current)
    return response


_IF_MATCH_VERSION = re.compile(r"[0-9]{1,18}")


def if_match_version(request: Request) -> int | None:
    """The version named by If-Match (`"3"`, `3` or `W/"3"`); None when absent or `*`."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("²".isdigit() is true, int("²") fails) and few enough for a version column.
    if not _IF_MATCH_VERSION.fullmatch(value):
        raise exceptions.ValidationError({"If-Match": ['If-Match must name one version, as sent in ETag, e.g. "3".']})
    return int(value)


IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description='The version the change is based on, as sent in `ETag` (e.g. `"3"`): the request fails with 412 '
    "if the note has changed since. Leave it out to write whatever the current version is.",
)
