"""Helpers the notes tests share: the PHP site's own SQL, the noteIds and sync feed the apps see, a
Notes table of the test's own, the scheduled work that carries changes to DynamoDB and the search
index, and the table's items."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_django import Settings as SettingsWrapper

from aws.clients import dynamodb_client
from devstack.aws_resources import DevstackResources, ensure_notes_table
from devstack.stream_poller import StreamPoller
from notes.mirror import mirror_send
from notes.models import MobileNote
from notes.note_ids import site_note_uuid
from notes.reconcile import mirror_reconcile
from tests.factories import legacy_connection
from tests.members import Member


def site(sql: str, *params: Any) -> None:
    """A statement as the PHP site runs it: its own autocommitted write."""
    with legacy_connection().cursor() as cursor:
        cursor.execute(sql, list(params))


def note_id_of(legacy_note_id: int) -> str:
    """The noteId the apps see: stored once Lambridge wrote the note, else derived from the site's id."""
    mobile = MobileNote.objects.filter(legacy_note_id=legacy_note_id).first()
    return str(mobile.uuid if mobile is not None else site_note_uuid(legacy_note_id))


def feed(member: Member, cursor: str | None = None) -> tuple[dict[str, Any], list[str], str]:
    """Every page of the member's changes after ``cursor``: (changed notes by id, deleted ids, cursor)."""
    changed: dict[str, Any] = {}
    deleted: list[str] = []
    while True:
        params = {"pageSize": 2} | ({"since": cursor} if cursor else {})
        page = member.client.get("/api/v1/notes/changes", params).json()
        changed |= {note["noteId"]: note for note in page["notes"]}
        deleted += page["deleted"]
        cursor = page["nextCursor"]
        if not page["hasMore"]:
            return changed, deleted, cursor


def own_notes_table(settings: SettingsWrapper) -> str:
    """A Notes table of the test's own (its contents and stream are only this test's notes)."""
    settings.NOTES_TABLE = f"Notes-{uuid.uuid4().hex[:12]}"
    ensure_notes_table(settings.NOTES_TABLE)
    return str(settings.NOTES_TABLE)


def scheduled_work(settings: SettingsWrapper, tmp_path: Path) -> Callable[[], None]:
    """On a Notes table of the test's own, the scheduled work of the mirror: reconcile (the PHP
    site's writes), drain the outbox, then the stream poller until the stream is read to its end."""
    own_notes_table(settings)
    poller = StreamPoller(state_path=tmp_path / "poller.json")

    def run() -> None:
        mirror_reconcile()
        assert mirror_send().failed == 0
        while poller.poll_once():
            pass

    return run


def table_item(resources: DevstackResources, note_id: str) -> dict[str, Any] | None:
    """The devstack Notes table's item of ``note_id`` (DynamoDB's typed values), or None."""
    item: dict[str, Any] | None = (
        dynamodb_client()
        .get_item(TableName=resources.notes_table, Key={"noteId": {"S": note_id}}, ConsistentRead=True)
        .get("Item")
    )
    return item


def table_items(table: str) -> dict[str, dict[str, Any]]:
    """Every item of the Notes table ``table`` (DynamoDB's typed values), by noteId."""
    paginator = dynamodb_client().get_paginator("scan")
    return {
        item["noteId"]["S"]: item
        for page in paginator.paginate(TableName=table, ConsistentRead=True)
        for item in page["Items"]
    }
