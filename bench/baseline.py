"""The warm-latency baseline: a hand-written Django view answering `GET /api/v1/notes/`'s JSON from the same query.

SPEC §8 compares the API's list with "a hand-written Django view returning the same JSON from the
same query": a plain function view, no DRF, no serializers, no authentication (the user id comes
in the query string), the same two SQL queries as the API's selector (the notes with owner and
tags, then their MobileNote rows) and the same JSON built with dicts and JsonResponse. As a
ROOT_URLCONF it is Lambridge's URL map plus this one route, so the baseline runs behind the same
middleware, in the same process, through the same Zappa handler.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core import signing
from django.http import HttpRequest, JsonResponse
from django.urls import path

from bench.stack import BASELINE_PATH
from legacy.models import LegacyNote, LegacyUser
from notes.mobile import mobile_notes_derive
from notes.selectors import notes_with_owner_and_tags
from project.urls import handler400, handler403, handler404, handler500
from project.urls import urlpatterns as lambridge_urlpatterns
from uploads.services import media_url

_CURSOR_SALT = "notes.cursor"  # the API's, so both answers carry the same nextCursor


def _iso(value: datetime | None) -> str | None:
    if not value:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def baseline_note_list(request: HttpRequest) -> JsonResponse:
    user_id = int(request.GET["userId"])
    page_size = int(request.GET.get("pageSize", "20"))
    queryset = LegacyNote.objects.filter(user_id=user_id, deleted=False)
    notes = list(notes_with_owner_and_tags(queryset).order_by("-note_id")[: page_size + 1])
    has_more = len(notes) > page_size
    notes = notes[:page_size]
    # The API's mobile side of each note: its MobileNote row, or derived for a note the site wrote.
    mobiles = mobile_notes_derive(notes)
    results: list[dict[str, Any]] = []
    for note in notes:
        mobile = mobiles[note.note_id]
        owner: LegacyUser | None = note.user  # type: ignore[assignment]  # the site's row may be gone
        results.append(
            {
                "noteId": str(mobile.uuid),
                "headline": note.headline,
                "text": note.body,
                "s3Url": media_url(key=mobile.photo_key, private=note.visibility == "private")
                if mobile.photo_key
                else None,
                "photoKey": mobile.photo_key or None,
                "visibility": note.visibility,
                "tags": sorted(getattr(note, "tag_list", None) or [], key=str.casefold),
                "owner": {"userId": note.user_id, "displayName": owner.display_name if owner else None},
                "createdAt": _iso(note.created_at),
                "updatedAt": _iso(note.updated_at),
                "version": mobile.version,
            }
        )
    next_cursor = (
        signing.dumps({"k": "list", "before": notes[-1].note_id}, salt=_CURSOR_SALT, compress=True)
        if has_more
        else None
    )
    # The bytes DRF's JSONRenderer writes: compact, UTF-8.
    return JsonResponse(
        {"results": results, "nextCursor": next_cursor},
        json_dumps_params={"separators": (",", ":"), "ensure_ascii": False},
    )


urlpatterns = [path(BASELINE_PATH.strip("/") + "/", baseline_note_list), *lambridge_urlpatterns]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
