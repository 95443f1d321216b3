"""The v1 notes API (SPEC §2): list, create, detail, update, delete, offline sync, and the
reference `POST /notes`. Views translate HTTP; reads are notes/selectors.py, writes notes/services.py.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, cast

from django.core import signing
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import caller_site_user
from legacy.models import LegacyNote
from legacy.validators import validate_latin1
from notes.selectors import (
    NOTE_LIST_SCOPES,
    SYNC_START,
    NoteListFilters,
    NoteView,
    SyncPosition,
    note_changes,
    note_get_owned,
    note_get_visible,
    note_list,
)
from notes.services import (
    TAG_MAX_LENGTH,
    UNSET,
    NoteIdTaken,
    NoteVersionMismatch,
    note_create,
    note_soft_delete,
    note_update,
    tags_clean,
)
from project.api_errors import NOTE_ID_CONFLICT, PRECONDITION_FAILED, error_body
from project.api_fields import StrictCharField, StrictUUIDField, query_data
from project.openapi import error_responses
from uploads.apis import MediaStorageUnavailableError, PhotoNotImageError
from uploads.services import (
    MediaStorageUnavailable,
    UploadNotAttachable,
    UploadNotImage,
    media_url,
    upload_check_attachable,
)

HEADLINE_MAX_LENGTH = LegacyNote._meta.get_field("headline").max_length or 255
TEXT_MAX_LENGTH = 65_535  # a latin1 TEXT column: one byte per character
TAGS_MAX_COUNT = 50
PHOTO_KEY_MAX_LENGTH = 512
PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100
SYNC_PAGE_SIZE_DEFAULT = 100
SYNC_PAGE_SIZE_MAX = 500
_CURSOR_SALT = "notes.cursor"


# --- Output ---------------------------------------------------------------------------------


class OwnerOutputSerializer(serializers.Serializer[Any]):
    userId = serializers.IntegerField()
    displayName = serializers.CharField(allow_null=True)


class NoteOutputSerializer(serializers.Serializer[NoteView]):
    """A note as every endpoint shows it."""

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


class NoteListOutputSerializer(serializers.Serializer[Any]):
    results = NoteOutputSerializer(many=True)
    nextCursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
    )


class NoteChangesOutputSerializer(serializers.Serializer[Any]):
    notes = NoteOutputSerializer(many=True, help_text="Changed or new notes: upsert them by noteId.")
    deleted = serializers.ListField(child=serializers.UUIDField(), help_text="noteIds to remove.")
    nextCursor = serializers.CharField(help_text="Pass as `since` next time; keep it across app launches.")
    hasMore = serializers.BooleanField(help_text="More changes are waiting: call again at once with nextCursor.")


def _notes_data(views: list[NoteView]) -> Any:
    return NoteOutputSerializer(cast(Any, views), many=True).data


def _etag(view: NoteView) -> str:
    return f'"{view.mobile.version}"'


def _note_response(view: NoteView, *, status_code: int = status.HTTP_200_OK) -> Response:
    response = Response(NoteOutputSerializer(view).data, status=status_code)
    response["ETag"] = _etag(view)
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


class NoteCreateInputSerializer(NoteFieldsInputSerializer):
    noteId = StrictUUIDField(
        required=False, help_text="A UUID chosen by the app (offline creation); the server picks one if absent."
    )


def _attachable_photo(request: Request, photo_key: str | None) -> str:
    """The photo key to store ("" for none), once it is known to be the caller's upload."""
    if not photo_key:
        return ""
    try:
        upload_check_attachable(user_id=caller_site_user(request).user_id, key=photo_key)
    except UploadNotImage as exc:
        raise PhotoNotImageError(exc.message) from None
    except MediaStorageUnavailable as exc:
        raise MediaStorageUnavailableError(exc.message) from None
    except UploadNotAttachable as exc:
        raise serializers.ValidationError({"photoKey": [str(exc)]}) from None
    return photo_key


def _note_id_conflict(exc: NoteIdTaken) -> Response:
    return Response(error_body(NOTE_ID_CONFLICT, str(exc)), status=status.HTTP_409_CONFLICT)


def _version_mismatch(exc: NoteVersionMismatch) -> Response:
    response = Response(
        error_body(
            PRECONDITION_FAILED,
            f"The note changed since you read it: it is at version {exc.current.mobile.version}. "
            "Fetch it again, then retry with the new version in If-Match.",
        ),
        status=status.HTTP_412_PRECONDITION_FAILED,
    )
    response["ETag"] = _etag(exc.current)
    return response


_IF_MATCH_VERSION = re.compile(r"[0-9]{1,18}")


def _if_match_version(request: Request) -> int | None:
    """The version named by If-Match (`"3"`, `3` or `W/"3"`); None when absent or `*`."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("²".isdigit() is true, int("²") fails) and few enough for a version column.
    if not _IF_MATCH_VERSION.fullmatch(value):
        raise exceptions.ValidationError({"If-Match": ['If-Match must name one version, as sent in ETag, e.g. "3".']})
    return int(value)


# --- Cursors --------------------------------------------------------------------------------


def _cursor_dumps(payload: dict[str, Any]) -> str:
    return signing.dumps(payload, salt=_CURSOR_SALT, compress=True)


def _cursor_loads(cursor: str, kind: str) -> dict[str, Any]:
    try:
        payload = signing.loads(cursor, salt=_CURSOR_SALT)
    except signing.BadSignature:
        payload = None
    if not isinstance(payload, dict) or payload.get("k") != kind:
        raise exceptions.ValidationError({"cursor": ["This cursor is not valid here; start again without one."]})
    return payload


def _list_position(cursor: str) -> int:
    """The note id a list cursor continues before."""
    try:
        return int(_cursor_loads(cursor, "list")["before"])
    except (KeyError, TypeError, ValueError):
        raise exceptions.ValidationError({"cursor": ["This cursor is not valid."]}) from None


def _sync_cursor(position: SyncPosition) -> str:
    return _cursor_dumps(
        {
            "k": "sync",
            "t": position.updated_at.isoformat(),
            "id": position.note_id,
            "s": position.started.isoformat() if position.started else None,
        }
    )


def _sync_position(cursor: str) -> SyncPosition:
    payload = _cursor_loads(cursor, "sync")
    try:
        return SyncPosition(
            updated_at=datetime.fromisoformat(payload["t"]),
            note_id=int(payload["id"]),
            started=datetime.fromisoformat(payload["s"]) if payload.get("s") else None,
        )
    except (KeyError, TypeError, ValueError):
        raise exceptions.ValidationError({"since": ["This cursor is not valid."]}) from None


# --- Endpoints ------------------------------------------------------------------------------


IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description='The version the change is based on, as sent in `ETag` (e.g. `"3"`): the request fails with 412 '
    "if the note has changed since. Leave it out to write whatever the current version is.",
)


class NoteListQuerySerializer(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=NOTE_LIST_SCOPES, default="own")
    # No tag outside latin1 exists, and such text must not reach the query (MySQL refuses the mix).
    tag = serializers.CharField(max_length=TAG_MAX_LENGTH, required=False, validators=[validate_latin1])
    visibility = serializers.ChoiceField(choices=LegacyNote.Visibility.choices, required=False)
    updatedSince = serializers.DateTimeField(required=False)
    pageSize = serializers.IntegerField(min_value=1, max_value=PAGE_SIZE_MAX, default=PAGE_SIZE_DEFAULT)
    cursor = serializers.CharField(required=False)


class NoteListCreateApi(APIView):
    """`GET /api/v1/notes/` (the caller's notes, or everyone's public ones) and `POST` (create)."""

    @extend_schema(
        operation_id="notes_list",
        summary="List notes",
        description="The caller's notes (`scope=own`, private and public) or everyone's public notes "
        "(`scope=public`), newest first, one page at a time.",
        parameters=[NoteListQuerySerializer],
        responses={200: NoteListOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        query = NoteListQuerySerializer(data=query_data(request.query_params))
        query.is_valid(raise_exception=True)
        params = query.validated_data
        before = _list_position(params["cursor"]) if params.get("cursor") else None
        filters = NoteListFilters(
            scope=params["scope"],
            tag=params.get("tag"),
            visibility=params.get("visibility"),
            updated_since=params.get("updatedSince"),
        )
        page_size = params["pageSize"]
        views = note_list(
            user_id=caller_site_user(request).user_id, filters=filters, before_note_id=before, limit=page_size + 1
        )
        has_more = len(views) > page_size
        views = views[:page_size]
        next_cursor = _cursor_dumps({"k": "list", "before": views[-1].note.note_id}) if has_more else None
        return Response({"results": _notes_data(views), "nextCursor": next_cursor})

    @extend_schema(
        operation_id="note_create",
        summary="Create a note",
        description="Idempotent on `noteId`: repeating a create answers 200 with the note as it is; 201 "
        "when it is new. The answer carries `ETag` (the version) and `Location`.",
        request=NoteCreateInputSerializer,
        responses={
            201: NoteOutputSerializer,
            200: NoteOutputSerializer,
            **error_responses((409, "The noteId belongs to another user's note, or to a deleted note.")),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = NoteCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        photo_key = _attachable_photo(request, data.get("photoKey"))
        try:
            result = note_create(
                owner=caller_site_user(request),
                note_uuid=data.get("noteId"),
                headline=data["headline"],
                text=data["text"],
                visibility=data.get("visibility", LegacyNote.Visibility.PRIVATE),
                tags=data.get("tags", []),
                photo_key=photo_key,
            )
        except NoteIdTaken as exc:
            return _note_id_conflict(exc)
        response = _note_response(
            result.view, status_code=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )
        response["Location"] = reverse("note-detail", args=[result.view.mobile.uuid])
        return response


class NoteDetailApi(APIView):
    """`GET`, `PATCH`, `PUT`, `DELETE /api/v1/notes/{noteId}`: anything not theirs to see is 404."""

    def _visible(self, request: Request, note_id: uuid.UUID) -> NoteView:
        view = note_get_visible(user_id=caller_site_user(request).user_id, note_uuid=note_id)
        if view is None:
            raise exceptions.NotFound("No note with this noteId.")
        return view

    def _owned(self, request: Request, note_id: uuid.UUID) -> NoteView:
        view = note_get_owned(user_id=caller_site_user(request).user_id, note_uuid=note_id)
        if view is None:
            raise exceptions.NotFound("No note with this noteId.")
        return view

    @extend_schema(
        operation_id="note_get",
        summary="Read a note",
        description="The caller's own note or anyone's public note. With `If-None-Match` equal to the "
        "note's `ETag` the answer is 304 without a body.",
        responses={200: NoteOutputSerializer, 304: None, **error_responses(404)},
    )
    def get(self, request: Request, note_id: uuid.UUID) -> Response:
        view = self._visible(request, note_id)
        if request.headers.get("If-None-Match") == _etag(view):
            not_modified = Response(status=status.HTTP_304_NOT_MODIFIED)
            not_modified["ETag"] = _etag(view)
            return not_modified
        return _note_response(view)

    @extend_schema(
        operation_id="note_update",
        summary="Change parts of a note",
        request=NotePatchInputSerializer,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: NoteOutputSerializer, **error_responses(404, 412)},
    )
    def patch(self, request: Request, note_id: uuid.UUID) -> Response:
        return self._update(request, note_id, partial=True)

    @extend_schema(
        operation_id="note_replace",
        summary="Replace a note",
        description="Fields left out go back to their defaults (private, no tags, no photo).",
        request=NoteFieldsInputSerializer,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: NoteOutputSerializer, **error_responses(404, 412)},
    )
    def put(self, request: Request, note_id: uuid.UUID) -> Response:
        return self._update(request, note_id, partial=False)

    def _update(self, request: Request, note_id: uuid.UUID, *, partial: bool) -> Response:
        view = self._owned(request, note_id)
        expected_version = _if_match_version(request)
        serializer = (NotePatchInputSerializer if partial else NoteFieldsInputSerializer)(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if partial:
            changes: dict[str, Any] = {
                "headline": data.get("headline", UNSET),
                "text": data.get("text", UNSET),
                "visibility": data.get("visibility", UNSET),
                "tags": data.get("tags", UNSET),
            }
        else:
            # PUT replaces the note: what is left out goes back to its default.
            changes = {
                "headline": data["headline"],
                "text": data["text"],
                "visibility": data.get("visibility", LegacyNote.Visibility.PRIVATE),
                "tags": data.get("tags", []),
            }
        if "photoKey" in data or not partial:
            photo_key = data.get("photoKey") or ""
            if photo_key and photo_key != view.mobile.photo_key:
                photo_key = _attachable_photo(request, photo_key)
            changes["photo_key"] = photo_key
        try:
            updated = note_update(view=view, expected_version=expected_version, **changes)
        except NoteVersionMismatch as exc:
            return _version_mismatch(exc)
        return _note_response(updated)

    @extend_schema(
        operation_id="note_delete",
        summary="Delete a note",
        description="Soft delete, as the site does: the note disappears from the site and the apps.",
        parameters=[IF_MATCH_PARAMETER],
        responses={204: None, **error_responses(404, 412)},
    )
    def delete(self, request: Request, note_id: uuid.UUID) -> Response:
        view = self._owned(request, note_id)
        try:
            note_soft_delete(view=view, expected_version=_if_match_version(request))
        except NoteVersionMismatch as exc:
            return _version_mismatch(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NoteChangesQuerySerializer(serializers.Serializer[Any]):
    since = serializers.CharField(required=False, help_text="nextCursor of the previous call; absent: from the start.")
    pageSize = serializers.IntegerField(min_value=1, max_value=SYNC_PAGE_SIZE_MAX, default=SYNC_PAGE_SIZE_DEFAULT)


class NoteChangesApi(APIView):
    """`GET /api/v1/notes/changes?since=<cursor>`: offline sync of the caller's own notes.

    Apply `notes` (upsert by noteId) and `deleted` (remove by noteId), keep `nextCursor`, and call
    again at once while `hasMore`. A note may come again in a later call; apply it again.
    """

    @extend_schema(
        operation_id="notes_changes",
        summary="Offline sync: what changed since a cursor",
        parameters=[NoteChangesQuerySerializer],
        responses={200: NoteChangesOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        query = NoteChangesQuerySerializer(data=query_data(request.query_params))
        query.is_valid(raise_exception=True)
        since = _sync_position(query.validated_data["since"]) if query.validated_data.get("since") else SYNC_START
        page = note_changes(
            user_id=caller_site_user(request).user_id, since=since, limit=query.validated_data["pageSize"]
        )
        return Response(
            {
                "notes": _notes_data(page.changed),
                "deleted": [str(note_uuid) for note_uuid in page.deleted],
                "nextCursor": _sync_cursor(page.next_position),
                "hasMore": page.has_more,
            }
        )


class CreateNoteRequestSerializer(serializers.Serializer[Any]):
    """The reference architecture's `CreateNoteRequest`."""

    noteId = StrictUUIDField()
    headline = StrictCharField(max_length=HEADLINE_MAX_LENGTH, allow_blank=True, validators=[validate_latin1])
    text = StrictCharField(
        max_length=TEXT_MAX_LENGTH, allow_blank=True, trim_whitespace=False, validators=[validate_latin1]
    )


class CreateNoteResponseSerializer(serializers.Serializer[Any]):
    """The reference architecture's `CreateNoteResponse`."""

    success = serializers.BooleanField()


class ReferenceCreateNoteApi(APIView):
    """`POST /notes`: the reference's create, answering `CreateNoteResponse` {"success": true}.

    Same rules as the v1 create (idempotent on noteId, a private note without tags).
    """

    @extend_schema(
        operation_id="reference_note_create",
        summary="Create a note (reference architecture)",
        request=CreateNoteRequestSerializer,
        responses={200: CreateNoteResponseSerializer, **error_responses(409)},
    )
    def post(self, request: Request) -> Response:
        serializer = CreateNoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            note_create(
                owner=caller_site_user(request), note_uuid=data["noteId"], headline=data["headline"], text=data["text"]
            )
        except NoteIdTaken as exc:
            return _note_id_conflict(exc)
        return Response({"success": True})
