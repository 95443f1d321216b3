"""The note as every endpoint shows it (NoteOutputSerializer): its hand-written representation is
DRF's field-by-field one, for every kind of note."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone
from rest_framework import serializers

from devstack.aws_resources import DevstackResources
from legacy.models import LegacyNote
from notes.apis.shared import NoteOutputSerializer
from notes.models import MobileNote
from notes.selectors import NoteView, note_views, notes_with_owner_and_tags
from tests.factories import site_insert, site_note, site_user

pytestmark = pytest.mark.django_db


def _drf_representation(view: NoteView) -> dict[str, Any]:
    """What DRF's generic Serializer.to_representation makes of the declared fields."""
    return dict(serializers.Serializer.to_representation(NoteOutputSerializer(), view))


def _site_views() -> list[NoteView]:
    owner = site_user(display_name="Zoë")
    tagged = site_note(owner, visibility="public", updated_at="2020-05-06 07:08:09")
    for tag in ("work", "Ideas", "travel"):
        site_insert("note_tags", note_id=tagged, tag=tag)
    plain = site_note(owner, headline="", body="", visibility="private")
    notes = list(notes_with_owner_and_tags(LegacyNote.objects.filter(pk__in=[tagged, plain])).order_by("pk"))
    return note_views(notes)


def _note_like(view: NoteView, *, owned: bool = True, **changes: Any) -> LegacyNote:
    """The view's note with some columns changed (and its owner row, unless not ``owned``)."""
    columns = ("note_id", "user_id", "headline", "body", "visibility", "created_at", "updated_at")
    note = LegacyNote(**({column: getattr(view.note, column) for column in columns} | changes))
    note.user = view.note.user if owned else None
    return note


def _variants(view: NoteView) -> list[NoteView]:
    """The view as it is, and with a photo (private and public), no dates, naive dates, no owner row."""
    with_photo = MobileNote(uuid=view.mobile.uuid, version=7, photo_key="photos/1/abc.jpg")
    undated = _note_like(view, created_at=None, updated_at=None)
    naive = _note_like(
        view,
        headline="Naive",
        body="dates",
        visibility="public",
        created_at=datetime(2019, 1, 2, 3, 4, 5),  # noqa: DTZ001 - a naive value is the case tested
        updated_at=datetime(2019, 1, 2, 3, 4, 6, 250),  # noqa: DTZ001
    )
    ownerless = _note_like(view, owned=False, headline="x", body="y", visibility="private")
    return [
        view,
        dataclasses.replace(view, mobile=with_photo),
        dataclasses.replace(view, mobile=with_photo, note=naive),
        dataclasses.replace(view, note=undated),
        dataclasses.replace(view, note=ownerless, tags=[]),
    ]


def test_every_kind_of_note_is_shown_as_drfs_fields_would_show_it(aws_stack: DevstackResources) -> None:
    views = [variant for view in _site_views() for variant in _variants(view)]

    for view in views:
        assert NoteOutputSerializer(view).data == _drf_representation(view)
    assert list(NoteOutputSerializer(views, many=True).data) == [_drf_representation(view) for view in views]


def test_dates_follow_the_current_time_zone_as_drfs_would(aws_stack: DevstackResources) -> None:
    view = _site_views()[0]

    with timezone.override("Europe/Paris"):
        shown = NoteOutputSerializer(view).data
        assert shown == _drf_representation(view)
    assert shown["updatedAt"] == "2020-05-06T09:08:09+02:00"
