"""Offline sync (SPEC §2): `GET /api/v1/notes/changes?since=<cursor>`, what changed since a cursor."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import caller_site_user
from api.fields import query_data
from notes.apis.shared import NoteOutputSerializer, notes_data
from notes.cursors import SYNC_START, InvalidCursor, SyncPosition, sync_cursor, sync_position
from notes.selectors import note_changes

SYNC_PAGE_SIZE_DEFAULT = 100
SYNC_PAGE_SIZE_MAX = 500


class NoteChangesOutputSerializer(serializers.Serializer[Any]):
    notes = NoteOutputSerializer(many=True, help_text="Changed or new notes: upsert them by noteId.")
    deleted = serializers.ListField(child=serializers.UUIDField(), help_text="noteIds to remove.")
    nextCursor = serializers.CharField(help_text="Pass as `since` next time; keep it across app launches.")
    hasMore = serializers.BooleanField(help_text="More changes are waiting: call again at once with nextCursor.")


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
        since = _since(query.validated_data.get("since"))
        page = note_changes(
            user_id=caller_site_user(request).user_id, since=since, limit=query.validated_data["pageSize"]
        )
        return Response(
            {
                "notes": notes_data(page.changed),
                "deleted": [str(note_uuid) for note_uuid in page.deleted],
                "nextCursor": sync_cursor(page.next_position),
                "hasMore": page.has_more,
            }
        )


# `since` is what a mobile developer passes back: the error says what it must be.
SINCE_NOT_VALID_MESSAGE = (
    "`since` must be the `nextCursor` of a previous /api/v1/notes/changes response (an opaque string, kept"
    " as is); leave it out to start from the beginning."
)


def _since(cursor: str | None) -> SyncPosition:
    if not cursor:
        return SYNC_START
    try:
        return sync_position(cursor)
    except InvalidCursor:
        raise exceptions.ValidationError({"since": [SINCE_NOT_VALID_MESSAGE]}) from None
