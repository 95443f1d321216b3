"""`manage.py import_legacy_media`: the site's photo paths into the bucket, a summary, the site's rows untouched."""

from __future__ import annotations

import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aws.clients import s3_client
from devstack.aws_resources import DevstackResources
from tests.factories import row_hex, site_note, site_user
from tests.uploads.helpers import PNG_BYTES
from uploads.models import LegacyMediaFile

pytestmark = pytest.mark.django_db


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("import_legacy_media", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_sites_photos_are_copied_and_missing_ones_listed(aws_stack: DevstackResources, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    beach, upper_beach, gone = f"uploads/{run}/beach.jpg", f"uploads/{run}/Beach.jpg", f"uploads/{run}/gone.jpg"
    for path, content in ((beach, PNG_BYTES + b"lower"), (upper_beach, PNG_BYTES + b"upper")):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    user_id = site_user()
    notes = [
        site_note(user_id, photo_path=beach),
        # The same photo on two notes is copied once.
        site_note(user_id, photo_path=beach),
        # Another file on the site's disk, though the site's collation calls it equal.
        site_note(user_id, photo_path=upper_beach),
        site_note(user_id, photo_path=gone),
        site_note(user_id, photo_path="../../etc/passwd", deleted=1),
        site_note(user_id, photo_path=None),
        site_note(user_id, photo_path=""),
    ]
    before = {note_id: row_hex("notes", "note_id", note_id) for note_id in notes}

    output = run_command("--source", str(tmp_path), "--no-progress")

    assert "Copied: 2\n" in output
    assert "Already there: 0\n" in output
    assert f"Missing (no such file in the uploads folder): 1\n  {gone}\n" in output
    assert "Unsafe paths (absolute or with '..'; not read): 1\n  ../../etc/passwd\n" in output
    for path, content in ((beach, PNG_BYTES + b"lower"), (upper_beach, PNG_BYTES + b"upper")):
        assert s3_client().get_object(Bucket=aws_stack.bucket, Key=f"legacy/{path}")["Body"].read() == content
    assert set(
        LegacyMediaFile.objects.filter(photo_path__startswith=f"uploads/{run}/").values_list("photo_path", flat=True)
    ) == {
        beach,
        upper_beach,
    }
    assert {note_id: row_hex("notes", "note_id", note_id) for note_id in notes} == before

    # Again, from the uploads folder itself and with the progress bar: nothing new to send.
    output = run_command("--source", str(tmp_path / "uploads"))

    assert "Copied: 0\n" in output
    assert "Already there: 2\n" in output


def test_a_source_that_is_not_a_folder_is_an_error(aws_stack: DevstackResources, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not a folder"):
        run_command("--source", str(tmp_path / "nowhere"))


def test_links_out_of_the_uploads_folder_and_non_images_are_listed(
    aws_stack: DevstackResources, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    (tmp_path / "config.php").write_bytes(b"<?php $password = 'hunter2';")
    folder = tmp_path / "uploads" / run
    folder.mkdir(parents=True)
    (folder / "db.jpg").symlink_to(tmp_path / "config.php")
    (folder / "notes.png").write_bytes(b"not a photo")
    user_id = site_user()
    for photo_path in (f"uploads/{run}/db.jpg", f"uploads/{run}/notes.png", "config.php"):
        site_note(user_id, photo_path=photo_path)

    output = run_command("--source", str(tmp_path), "--no-progress")

    assert f"Outside the uploads folder (a link out of it; not read): 1\n  uploads/{run}/db.jpg\n" in output
    assert f"Not an image (by content; not copied): 1\n  uploads/{run}/notes.png\n" in output
    assert "\n  config.php\n" in output
    assert "hunter2" not in output
