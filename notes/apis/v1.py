"""The v1 notes API (SPEC §2): list, create, detail, update, delete. Views translate HTTP; reads are
notes/selectors.py, writes notes/services.py."""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import caller_site_user
from api.fields import StrictUUIDField, query_data
from api.openapi import error_responses
from legacy.models import LegacyNote
from legacy.validators import validate_latin1
from notes.apis.shared import (
    IF_MATCH_PARAMETER,
    NoteFieldsInputSerializer,
    NoteListOutputSerializer,
    NoteOutputSerializer,
    NotePatchInputSerializer,
    attachable_photo,
    etag,
    if_match_version,
    note_id_conflict,
    note_response,
    notes_data,
    version_mismatch,
)
from notes.cursors import InvalidCursor, list_cursor, list_position
from notes.selectors import NOTE_LIST_SCOPES, NoteListFilters, NoteView, note_get_owned, note_get_visible, note_list
from notes.services import (
    TAG_MAX_LENGTH,
    UNSET,
    NoteIdTaken,
    NoteVersionMismatch,
    note_create,
    note_soft_delete,
    note_update,
)

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 100


class NoteCreateInputSerializer(NoteFieldsInputSerializer):
    noteId = StrictUUIDField(
        required=False, help_text="A UUID chosen by the app (offline creation); the server picks one if absent."
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
        before = _list_before(params.get("cursor"))
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
        next_cursor = list_cursor(before_note_id=views[-1].note.note_id) if has_more else None
        return Response({"results": notes_data(views), "nextCursor": next_cursor})

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
        photo_key = attachable_photo(request, data.get("photoKey"))
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
            return note_id_conflict(exc)
        response = note_response(
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
        if request.headers.get("If-None-Match") == etag(view):
            not_modified = Response(status=status.HTTP_304_NOT_MODIFIED)
            not_modified["ETag"] = etag(view)
            return not_modified
        return note_response(view)

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
        expected_version = if_match_version(request)
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
                photo_key = attachable_photo(request, photo_key)
            changes["photo_key"] = photo_key
        try:
            updated = note_update(view=view, expected_version=expected_version, **changes)
        except NoteVersionMismatch as exc:
            return version_mismatch(exc)
        return note_response(updated)

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
            note_soft_delete(view=view, expected_version=if_match_version(request))
        except NoteVersionMismatch as exc:
            return version_mismatch(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _list_before(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return list_position(cursor)
    except InvalidCursor as exc:
        raise exceptions.ValidationError({"cursor": [str(exc)]}) from None
