"""legacy_media_import from a real folder into the moto bucket: copies, skips, re-copies, refusals, site rows kept."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from aws.clients import s3_client
from devstack.aws_resources import DevstackResources
from tests.factories import row_hex, site_note, site_user
from tests.uploads.helpers import PNG_BYTES
from uploads.legacy_media import legacy_media_import, legacy_media_keys, safe_path_parts
from uploads.models import LegacyMediaFile

pytestmark = pytest.mark.django_db

JPEG_BYTES = b"\xff\xd8\xff\xe0 not really a jpeg, but the bytes are what counts"


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    """A site's root folder; each test writes its files under a unique uploads/<run>/ folder."""
    (tmp_path / "uploads").mkdir()
    return tmp_path


def site_file(root: Path, photo_path: str, content: bytes) -> str:
    path = root / photo_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return photo_path


def stored(bucket: str, key: str) -> tuple[bytes, str, str]:
    response = s3_client().get_object(Bucket=bucket, Key=key)
    return response["Body"].read(), response["ContentType"], response["ETag"]


def test_site_files_are_copied_with_their_type_and_recorded(aws_stack: DevstackResources, site_root: Path) -> None:
    run = uuid.uuid4().hex[:8]
    beach = site_file(site_root, f"uploads/{run}/2014/03/beach.jpg", JPEG_BYTES)
    cat = site_file(site_root, f"uploads/{run}/Cat Photo.PNG", PNG_BYTES)
    user_id = site_user()
    notes = [site_note(user_id, photo_path=beach), site_note(user_id, photo_path=cat)]
    before = {note_id: row_hex("notes", "note_id", note_id) for note_id in notes}

    report = legacy_media_import(source=site_root, photo_paths=[beach, cat, beach], progress=False)

    assert report.copied == [beach, cat]
    assert report.already_there == report.missing == report.unsafe == report.unreadable == report.replaced == []
    assert stored(aws_stack.bucket, f"legacy/{beach}")[:2] == (JPEG_BYTES, "image/jpeg")
    assert stored(aws_stack.bucket, f"legacy/{cat}")[:2] == (PNG_BYTES, "image/png")
    record = LegacyMediaFile.objects.get(photo_path=beach)
    assert record.key == f"legacy/{beach}"
    assert record.size == len(JPEG_BYTES)
    assert record.sha256 == hashlib.sha256(JPEG_BYTES).hexdigest()
    assert legacy_media_keys(photo_paths=[beach, cat, "uploads/never/imported.jpg"]) == {
        beach: f"legacy/{beach}",
        cat: f"legacy/{cat}",
    }
    assert {note_id: row_hex("notes", "note_id", note_id) for note_id in notes} == before


def test_a_second_run_uploads_nothing_and_a_changed_file_is_sent_again(
    aws_stack: DevstackResources, site_root: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    beach = site_file(site_root, f"uploads/{run}/beach.jpg", JPEG_BYTES)
    cat = site_file(site_root, f"uploads/{run}/cat.png", PNG_BYTES)
    legacy_media_import(source=site_root, photo_paths=[beach, cat], progress=False)
    etag_before = stored(aws_stack.bucket, f"legacy/{cat}")[2]
    imported_before = LegacyMediaFile.objects.get(photo_path=cat).imported_at

    again = legacy_media_import(source=site_root, photo_paths=[beach, cat], progress=False)

    assert again.copied == []
    assert again.already_there == [beach, cat]
    assert stored(aws_stack.bucket, f"legacy/{cat}")[2] == etag_before
    assert LegacyMediaFile.objects.get(photo_path=cat).imported_at == imported_before

    (site_root / beach).write_bytes(JPEG_BYTES + b" retouched")
    changed = legacy_media_import(source=site_root, photo_paths=[beach, cat], progress=False)

    assert changed.copied == changed.replaced == [beach]
    assert changed.already_there == [cat]
    assert stored(aws_stack.bucket, f"legacy/{beach}")[0] == JPEG_BYTES + b" retouched"
    assert (
        LegacyMediaFile.objects.get(photo_path=beach).sha256 == hashlib.sha256(JPEG_BYTES + b" retouched").hexdigest()
    )


def test_an_interrupted_import_carries_on_where_it_stopped(aws_stack: DevstackResources, site_root: Path) -> None:
    run = uuid.uuid4().hex[:8]
    paths = [site_file(site_root, f"uploads/{run}/{n}.png", PNG_BYTES + bytes([n])) for n in range(4)]
    # What a run that died after two files left behind: those two recorded.
    legacy_media_import(source=site_root, photo_paths=paths[:2], progress=False)

    resumed = legacy_media_import(source=site_root, photo_paths=paths, progress=False)

    assert resumed.already_there == paths[:2]
    assert resumed.copied == paths[2:]
    assert set(legacy_media_keys(photo_paths=paths)) == set(paths)


def test_the_uploads_folder_itself_may_be_the_source(aws_stack: DevstackResources, site_root: Path) -> None:
    run = uuid.uuid4().hex[:8]
    beach = site_file(site_root, f"uploads/{run}/beach.jpg", JPEG_BYTES)
    # A path the site wrote relative to its uploads folder, found under the root too.
    relative = f"{run}/cat.png"
    site_file(site_root / "uploads", relative, PNG_BYTES)

    from_uploads = legacy_media_import(source=site_root / "uploads", photo_paths=[beach], progress=False)
    from_root = legacy_media_import(source=site_root, photo_paths=[relative], progress=False)

    assert from_uploads.copied == [beach]
    assert from_root.copied == [relative]
    assert stored(aws_stack.bucket, f"legacy/{beach}")[0] == JPEG_BYTES
    assert stored(aws_stack.bucket, f"legacy/{relative}")[0] == PNG_BYTES


def test_missing_unsafe_and_unreadable_paths_are_listed_not_fatal(
    aws_stack: DevstackResources, site_root: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    good = site_file(site_root, f"uploads/{run}/ok.png", PNG_BYTES)
    # A secret next to the site's root: what "../" paths would reach.
    (site_root / "uploads" / run / "secret.png").write_bytes(b"secret")
    unsafe = [
        f"uploads/{run}/../{run}/secret.png",
        str(site_root / "uploads" / run / "ok.png"),
        "C:\\site\\uploads\\ok.png",
        "uploads/\x00ok.png",
    ]
    missing = f"uploads/{run}/gone.jpg"
    folder = f"uploads/{run}"

    report = legacy_media_import(source=site_root, photo_paths=[good, *unsafe, missing, folder], progress=False)

    assert report.copied == [good]
    assert report.unsafe == unsafe
    assert report.missing == [missing]
    assert report.unreadable == [folder]
    assert report.total == 7
    assert not LegacyMediaFile.objects.filter(photo_path__in=[*unsafe, missing, folder]).exists()


@pytest.mark.parametrize(
    ("photo_path", "parts"),
    [
        ("uploads/2014/03/beach.jpg", ("uploads", "2014", "03", "beach.jpg")),
        ("uploads//2014/./beach.jpg", ("uploads", "2014", "beach.jpg")),
        ("../uploads/a.jpg", None),
        ("uploads/../../a.jpg", None),
        ("/var/www/uploads/a.jpg", None),
        ("D:/uploads/a.jpg", None),
        ("   ", None),
        (".", None),
    ],
)
def test_safe_path_parts(photo_path: str, parts: tuple[str, ...] | None) -> None:
    assert safe_path_parts(photo_path) == parts
