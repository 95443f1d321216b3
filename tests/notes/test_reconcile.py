"""The reconciler (notes/reconcile.py): primary-key chunks, a tail for new notes, a rolling pass with
a saved cursor for edits of old ones, and the site's hard deletes."""

from __future__ import annotations

import pytest

from devstack.aws_resources import DevstackResources
from notes.mirror import mirror_send
from notes.models import MirrorEntry, MirrorState
from notes.reconcile import CURSOR_MARK, TAIL_MARK, mirror_reconcile
from tests.factories import site_note
from tests.members import Member
from tests.notes.helpers import note_id_of, site, table_item

pytestmark = pytest.mark.django_db


def mirrored(resources: DevstackResources, legacy_note_id: int) -> bool:
    return table_item(resources, note_id_of(legacy_note_id)) is not None


def settled(*note_ids: int) -> None:
    """Every note sent once, as the first run and the drain leave them."""
    mirror_reconcile()
    assert mirror_send().failed == 0
    assert not MirrorEntry.objects.filter(legacy_note_id__in=note_ids, sent_updated_at__isnull=True).exists()


def test_a_note_the_site_deletes_outright_leaves_the_table(aws_stack: DevstackResources, alice: Member) -> None:
    kept, removed = site_note(alice.user_id), site_note(alice.user_id)
    alice.client.get("/api/v1/notes/")  # the apps saw both
    settled(kept, removed)
    assert mirrored(aws_stack, removed)

    site("DELETE FROM notes WHERE note_id = %s", removed)

    assert mirror_reconcile() == 1
    assert mirror_send().failed == 0
    assert not mirrored(aws_stack, removed)
    assert mirrored(aws_stack, kept)


def test_new_notes_are_found_by_the_tail_at_once(aws_stack: DevstackResources, alice: Member) -> None:
    settled(site_note(alice.user_id))
    tail = int(MirrorState.objects.get(name=TAIL_MARK).value)

    new = site_note(alice.user_id)

    # Even when the rolling pass checks nothing this run.
    assert mirror_reconcile(slice_rows=0) == 1
    assert int(MirrorState.objects.get(name=TAIL_MARK).value) == new > tail


def test_an_edit_of_an_old_note_is_found_within_one_pass_of_bounded_runs(alice: Member) -> None:
    notes = [site_note(alice.user_id) for _ in range(5)]
    settled(*notes)
    MirrorState.objects.filter(name=CURSOR_MARK).delete()
    site(
        "UPDATE notes SET headline = 'Edited on the site', updated_at = updated_at + INTERVAL 1 SECOND"
        " WHERE note_id = %s",
        notes[-1],
    )

    # Two notes a run: the edit of the last note is found by the third run, not before.
    found = [mirror_reconcile(slice_rows=2, chunk_rows=2) for _ in range(3)]

    assert found == [0, 0, 1]
    assert MirrorState.objects.get(name=CURSOR_MARK).value == "0"  # the pass starts over next time


def test_the_cursor_survives_between_runs(alice: Member) -> None:
    notes = [site_note(alice.user_id) for _ in range(4)]
    settled(*notes)
    MirrorState.objects.filter(name=CURSOR_MARK).delete()

    mirror_reconcile(slice_rows=2, chunk_rows=2)

    assert MirrorState.objects.get(name=CURSOR_MARK).value == str(notes[1])
