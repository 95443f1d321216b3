"""`manage.py search_reindex`: a few thousand notes into DynamoDB and the search index in batches,
with a progress bar; an interrupted run resumes; whatever is no longer a live note is removed."""

from __future__ import annotations

import uuid
from io import StringIO
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from pytest_django import Settings as SettingsWrapper

from aws.clients import dynamodb_client
from legacy.models import LegacyNote
from notes.mirror import mirror_send
from notes.models import MirrorEntry
from notes.reconcile import mirror_reconcile
from notes.reindex import search_reindex
from notes.search.backend import SearchDocument, search_backend
from notes.selectors import note_views
from tests.factories import legacy_connection, site_note, site_user
from tests.notes.helpers import table_items
from tests.notes.search_helpers import indexed_documents

pytestmark = pytest.mark.django_db

NOTES = 2400
DELETED_EVERY = 10  # every tenth note is soft-deleted


class Interrupted(Exception):
    pass


def insert_site_notes(user_id: int) -> None:
    rows = [
        (user_id, f"Note {n}", f"Body of note {n}", "public" if n % 3 else "private", int(n % DELETED_EVERY == 0))
        for n in range(NOTES)
    ]
    with legacy_connection().cursor() as cursor:
        cursor.executemany(
            "INSERT INTO notes (user_id, headline, body, visibility, deleted, created_at)"
            " VALUES (%s, %s, %s, %s, %s, '2016-01-01 00:00:00')",
            rows,
        )


# slow: bench-style, 2,400 notes through DynamoDB and the index; its scans of moto can outlast the
# clients' 5 s read timeout when two xdist workers share a busy machine.
@pytest.mark.slow
def test_an_interrupted_reindex_resumes_and_leaves_exactly_the_live_notes(table: str, cloudsearch_domain: Any) -> None:
    insert_site_notes(site_user())
    live = NOTES - NOTES // DELETED_EVERY
    stale = str(uuid.uuid4())
    dynamodb_client().put_item(TableName=table, Item={"noteId": {"S": stale}, "version": {"N": "1"}})
    search_backend().index(
        [
            SearchDocument(
                note_id=stale,
                headline="gone",
                text="",
                user_id=1,
                visibility="public",
                updated_at="2016-01-01T00:00:00Z",
            )
        ]
    )
    batches_seen = []

    def interrupt_after_two(count: int) -> None:
        batches_seen.append(count)
        if len(batches_seen) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        search_reindex(batch_size=500, on_progress=interrupt_after_two)
    out, progress = StringIO(), StringIO()
    call_command("search_reindex", "--batch-size", "500", stdout=out, stderr=progress)

    assert "resumed after note" in out.getvalue()
    assert f"Written: {live - 1000} " in out.getvalue()
    assert "removed from the table: 1, from the index: 1" in out.getvalue()
    assert f"{live - 1000}/{live - 1000}" in progress.getvalue()  # tqdm's bar reached its end
    # The noteIds the API shows (derived: reindexing is a read and gave the site's notes no rows).
    live_ids = {str(view.mobile.uuid) for view in note_views(list(LegacyNote.objects.filter(deleted=False)))}
    assert len(live_ids) == live
    assert set(table_items(table)) == live_ids
    assert set(indexed_documents(cloudsearch_domain)) == live_ids
    # The outbox agrees, so neither the drain nor the reconciler sends them all again.
    assert mirror_reconcile() == NOTES // DELETED_EVERY  # the deleted ones, never mirrored: settled by one send
    assert mirror_send().failed == 0
    assert mirror_reconcile() == 0


def test_a_failed_table_write_marks_nothing_sent_and_the_next_run_writes_the_batch(
    table: str, cloudsearch_domain: Any, settings: SettingsWrapper
) -> None:
    user_id = site_user()
    note_ids = [site_note(user_id) for _ in range(3)]
    settings.NOTES_TABLE = f"Notes-missing-{uuid.uuid4().hex[:12]}"  # BatchWriteItem fails: no such table

    with pytest.raises(ClientError):
        search_reindex(restart=True)

    assert not MirrorEntry.objects.filter(legacy_note_id__in=note_ids, sent_at__isnull=False).exists()
    settings.NOTES_TABLE = table
    out = StringIO()
    call_command("search_reindex", "--no-progress", stdout=out)
    assert "resumed after note" not in out.getvalue()  # the failed batch was not recorded as done
    uuids = {str(view.mobile.uuid) for view in note_views(list(LegacyNote.objects.filter(pk__in=note_ids)))}
    assert uuids <= set(table_items(table))
    assert MirrorEntry.objects.filter(legacy_note_id__in=note_ids, sent_at__isnull=False).count() == 3
