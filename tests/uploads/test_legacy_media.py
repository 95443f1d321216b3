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


SITE_SECRET = b"<?php $db_password = 'hunter2'; // config.php"


def in_bucket(bucket: str, key: str) -> bool:
    listed = s3_client().list_objects_v2(Bucket=bucket, Prefix=key)
    return any(item["Key"] == key for item in listed.get("Contents", []))


def test_files_outside_the_uploads_folder_are_never_read_even_through_links(
    aws_stack: DevstackResources, site_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    run = uuid.uuid4().hex[:8]
    (site_root / "config.php").write_bytes(SITE_SECRET)
    # An image outside the uploads folder is refused too: the folder is the boundary, not the type.
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "photo.png").write_bytes(PNG_BYTES)
    folder = site_root / "uploads" / run
    folder.mkdir()
    (folder / "config.jpg").symlink_to(site_root / "config.php")
    (folder / "relative.png").symlink_to(Path("..") / ".." / "config.php")
    (folder / "outside.png").symlink_to(elsewhere / "photo.png")
    (folder / "etc").symlink_to("/etc")
    (folder / "ok.png").write_bytes(PNG_BYTES)
    # A link that stays inside the folder is fine.
    (folder / "alias.png").symlink_to(folder / "ok.png")
    outside = [
        f"uploads/{run}/config.jpg",
        f"uploads/{run}/relative.png",
        f"uploads/{run}/outside.png",
        f"uploads/{run}/etc/passwd",
        f"uploads/{run}/etc/hostname",
    ]
    # Names the site's root file: there is no such file in the uploads folder.
    missing = ["config.php", "uploads/config.php"]
    unsafe = ["uploads/../config.php", str(site_root / "config.php")]
    inside = [f"uploads/{run}/ok.png", f"uploads/{run}/alias.png"]

    for source in (site_root, site_root / "uploads"):
        LegacyMediaFile.objects.filter(photo_path__in=inside).delete()
        report = legacy_media_import(source=source, photo_paths=[*outside, *missing, *unsafe, *inside], progress=False)

        assert report.outside == outside
        assert report.missing == missing
        assert report.unsafe == unsafe
        assert report.copied == inside
    for photo_path in [*outside, *missing, *unsafe]:
        assert not in_bucket(aws_stack.bucket, f"legacy/{photo_path}")
    assert not LegacyMediaFile.objects.filter(photo_path__in=[*outside, *missing, *unsafe]).exists()


def test_the_uploads_folder_may_itself_be_a_link(aws_stack: DevstackResources, tmp_path: Path) -> None:
    run = uuid.uuid4().hex[:8]
    volume = tmp_path / "volume"
    (volume / run).mkdir(parents=True)
    (volume / run / "ok.png").write_bytes(PNG_BYTES)
    site = tmp_path / "site"
    site.mkdir()
    (site / "uploads").symlink_to(volume)

    report = legacy_media_import(source=site, photo_paths=[f"uploads/{run}/ok.png"], progress=False)

    assert report.copied == [f"uploads/{run}/ok.png"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("config.jpg", SITE_SECRET),
        ("notes.png", b"just some text"),
        ("paper.jpg", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 a pdf"),
        ("page.gif", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("archive.jpg", b"PK\x03\x04 a zip"),
        ("movie.heic", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00"),
        ("sound.webp", b"RIFF\x10\x00\x00\x00WAVEfmt "),
        ("empty.png", b""),
        ("almost.png", PNG_BYTES[:7]),
    ],
)
def test_files_that_are_not_images_by_content_are_reported_not_sent(
    aws_stack: DevstackResources, site_root: Path, name: str, content: bytes
) -> None:
    photo_path = site_file(site_root, f"uploads/{uuid.uuid4().hex[:8]}/{name}", content)

    report = legacy_media_import(source=site_root, photo_paths=[photo_path], progress=False)

    assert report.not_image == [photo_path]
    assert report.copied == []
    assert not in_bucket(aws_stack.bucket, f"legacy/{photo_path}")
    assert not LegacyMediaFile.objects.filter(photo_path=photo_path).exists()


def test_a_photo_is_stored_with_the_type_its_bytes_show(aws_stack: DevstackResources, site_root: Path) -> None:
    # A PNG the site saved as ".jpg": browsers are told the truth.
    photo_path = site_file(site_root, f"uploads/{uuid.uuid4().hex[:8]}/renamed.jpg", PNG_BYTES)

    legacy_media_import(source=site_root, photo_paths=[photo_path], progress=False)

    assert stored(aws_stack.bucket, f"legacy/{photo_path}")[:2] == (PNG_BYTES, "image/png")
