"""The search endpoints: `GET /api/v1/notes/search` and the reference `GET /notes/search?searchTerm=`.

The read itself is notes/search/selectors.py; these views translate HTTP and its errors.
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import caller_site_user
from api.errors import DependencyUnavailable
from api.fields import query_data
from aws.metrics import MILLISECONDS, metrics_emit
from notes.apis.shared import NoteOutputSerializer
from notes.search.backend import SearchPage, SearchRejected, SearchUnavailable
from notes.search.selectors import notes_search
from notes.selectors import NoteView

logger = logging.getLogger(__name__)

QUERY_MAX_LENGTH = 500
SEARCH_SIZE_DEFAULT = 10
SEARCH_SIZE_MAX = 100
# CloudSearch pages no deeper than start + size = 10,000.
SEARCH_START_MAX = 10_000 - SEARCH_SIZE_MAX
REFERENCE_SEARCH_SIZE = 10
SEARCH_RETRY_AFTER_SECONDS = 5


SEARCH_UNAVAILABLE_MESSAGE = "Search is briefly unavailable; retry after Retry-After seconds."


def _search(*, request: Request, text: str, size: int, start: int, field: str) -> tuple[list[NoteView], SearchPage]:
    """The caller's page of hits; 503 when search is down, 400 (on `field`) when it refused the words."""
    started = time.perf_counter()
    try:
        found = notes_search(user_id=caller_site_user(request).user_id, text=text, size=size, start=start)
    except SearchUnavailable as exc:
        logger.warning("search unavailable: %s", exc)
        raise DependencyUnavailable(
            SEARCH_UNAVAILABLE_MESSAGE, retry_after_seconds=SEARCH_RETRY_AFTER_SECONDS
        ) from None
    except SearchRejected as exc:
        logger.info("search query refused: %s", exc)
        raise exceptions.ValidationError({field: ["This search could not be understood; try other words."]}) from None
    metrics_emit(metrics={"SearchLatency": (round((time.perf_counter() - started) * 1000, 1), MILLISECONDS)})
    return found


# --- GET /api/v1/notes/search ---------------------------------------------------------------


class NoteSearchQuerySerializer(serializers.Serializer[Any]):
    q = serializers.CharField(
        min_length=1, max_length=QUERY_MAX_LENGTH, help_text="Words to find in headlines and texts."
    )
    size = serializers.IntegerField(min_value=1, max_value=SEARCH_SIZE_MAX, default=SEARCH_SIZE_DEFAULT)
    start = serializers.IntegerField(
        min_value=0,
        max_value=SEARCH_START_MAX,
        default=0,
        help_text="How many hits to skip (the next page: start + size).",
    )


class NoteSearchOutputSerializer(serializers.Serializer[Any]):
    results = NoteOutputSerializer(many=True, help_text="The hits, best first.")
    found = serializers.IntegerField(help_text="How many notes matched in all (from the index).")
    start = serializers.IntegerField()


class NoteSearchApi(APIView):
    """`GET /api/v1/notes/search?q=&size=&start=`: full-text search of the caller's notes and public notes."""

    @extend_schema(
        operation_id="notes_search",
        summary="Search notes",
        description="Full-text search in headlines and texts of the caller's own notes and everyone's public "
        "notes, best match first. Only ever those: the words cannot widen it.",
        parameters=[NoteSearchQuerySerializer],
        responses={200: NoteSearchOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        query = NoteSearchQuerySerializer(data=query_data(request.query_params))
        query.is_valid(raise_exception=True)
        params = query.validated_data
        views, page = _search(request=request, text=params["q"], size=params["size"], start=params["start"], field="q")
        return Response(
            {
                "results": NoteOutputSerializer(cast(Any, views), many=True).data,
                "found": page.found,
                "start": page.start,
            }
        )


# --- GET /notes/search?searchTerm= (the reference architecture) -----------------------------


class ReferenceSearchQuerySerializer(serializers.Serializer[Any]):
    searchTerm = serializers.CharField(min_length=1, max_length=QUERY_MAX_LENGTH)


class ReferenceSearchNoteSerializer(serializers.Serializer[NoteView]):
    noteId = serializers.UUIDField(source="mobile.uuid")
    headline = serializers.CharField(source="note.headline")
    text = serializers.CharField(source="note.body")


class ReferenceSearchResponseSerializer(serializers.Serializer[Any]):
    """The reference architecture's search response."""

    success = serializers.BooleanField()
    notes = ReferenceSearchNoteSerializer(many=True)


class ReferenceSearchNotesApi(APIView):
    """`GET /notes/search?searchTerm=`: the reference's search, the best REFERENCE_SEARCH_SIZE hits."""

    @extend_schema(
        operation_id="reference_notes_search",
        summary="Search notes (reference architecture)",
        description=f"The same search as `notes_search`, answering the reference's shape with the best "
        f"{REFERENCE_SEARCH_SIZE} hits.",
        parameters=[ReferenceSearchQuerySerializer],
        responses={200: ReferenceSearchResponseSerializer},
    )
    def get(self, request: Request) -> Response:
        query = ReferenceSearchQuerySerializer(data=query_data(request.query_params))
        query.is_valid(raise_exception=True)
        views, _ = _search(
            request=request,
            text=query.validated_data["searchTerm"],
            size=REFERENCE_SEARCH_SIZE,
            start=0,
            field="searchTerm",
        )
        return Response({"success": True, "notes": ReferenceSearchNoteSerializer(cast(Any, views), many=True).data})
