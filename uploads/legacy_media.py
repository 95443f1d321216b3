"""Copies the PHP site's old upload folder into the media bucket: resumable, idempotent, read-only on the site."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from io import BufferedReader
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils import timezone

from aws.clients import s3_client
from uploads.images import IMAGE_HEAD_BYTES, image_type_of
from uploads.models import LegacyMediaFile

LEGACY_KEY_ROOT = "legacy"
# The folder the site's `photo_path` values start with ("uploads/2014/03/beach.jpg").
SITE_UPLOADS_FOLDER = "uploads"
# Enough paths per `IN (...)` to keep queries few without building huge statements.
LOOKUP_CHUNK = 1000
# "C:/..." or "C:\..." from a site that once ran on Windows: absolute there, unsafe here.
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass
class LegacyMediaReport:
    """What one run did, path by path (each list holds `photo_path` values)."""

    # Sent to the bucket in this run: new files, and files changed since their last import.
    copied: list[str] = field(default_factory=list)
    # The part of `copied` that had been imported before with other content.
    replaced: list[str] = field(default_factory=list)
    # Recorded earlier with the same size and SHA-256: not sent again.
    already_there: list[str] = field(default_factory=list)
    # No such file in the uploads folder (a file elsewhere on the site counts as missing: never read).
    missing: list[str] = field(default_factory=list)
    # Absolute, or climbing out with "..": never read.
    unsafe: list[str] = field(default_factory=list)
    # A link (the file or a folder on its way) that resolves outside the uploads folder: never read.
    outside: list[str] = field(default_factory=list)
    # There, but could not be read (permissions, a folder where a file should be...).
    unreadable: list[str] = field(default_factory=list)
    # Read, but its first bytes are no image (a PHP file, a text, a PDF...): never sent.
    not_image: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return (
            len(self.copied)
            + len(self.already_there)
            + len(self.missing)
            + len(self.unsafe)
            + len(self.outside)
            + len(self.unreadable)
            + len(self.not_image)
        )


def legacy_media_key(parts: tuple[str, ...]) -> str:
    """The bucket key of a site file: "legacy/" + its path under the site's root."""
    return "/".join((LEGACY_KEY_ROOT, *parts))


def safe_path_parts(photo_path: str) -> tuple[str, ...] | None:
    """The path's segments ("." and empty ones dropped), or None when it is absolute or climbs with ".."."""
    if not photo_path.strip() or "\x00" in photo_path or _WINDOWS_DRIVE.match(photo_path):
        return None
    path = PurePosixPath(photo_path)
    if path.is_absolute() or ".." in path.parts:
        return None
    parts = tuple(part for part in path.parts if part not in {"", "."})
    return parts or None


def uploads_root(source: Path) -> Path:
    """The site's uploads folder, links resolved: `source`/uploads when the site's root was given, else `source`."""
    root = Path(os.path.realpath(source))
    nested = root / SITE_UPLOADS_FOLDER
    # The uploads folder may itself be a link (to a data volume): the operator's choice, followed.
    return Path(os.path.realpath(nested)) if nested.is_dir() else root


def _site_file(root: Path, parts: tuple[str, ...]) -> tuple[Path | None, bool]:
    """(the real path of the file `parts` names inside the uploads folder `root`, or None; whether a
    candidate existed but resolved outside `root`).

    `parts` may start with the uploads folder's own name ("uploads/2014/a.jpg", as the site stores
    it) or not ("2014/a.jpg"). Links are resolved before the check, so a link to "../config.php"
    or to "/etc" is outside, wherever it sits.
    """
    candidates = [root.joinpath(*parts[1:])] if parts[0] == SITE_UPLOADS_FOLDER and len(parts) > 1 else []
    candidates.append(root.joinpath(*parts))
    outside = False
    for candidate in candidates:
        if not os.path.lexists(candidate):
            continue
        real = Path(os.path.realpath(candidate))
        if real != root and root in real.parents:
            return real, False
        outside = True
    return None, outside


def _recorded(photo_paths: list[str]) -> dict[str, tuple[int, str]]:
    """(size, sha256) of each path already imported."""
    recorded: dict[str, tuple[int, str]] = {}
    for start in range(0, len(photo_paths), LOOKUP_CHUNK):
        chunk = photo_paths[start : start + LOOKUP_CHUNK]
        for path, size, sha256 in LegacyMediaFile.objects.filter(photo_path__in=chunk).values_list(
            "photo_path", "size", "sha256"
        ):
            recorded[path] = (size, sha256)
    return recorded


def legacy_media_import(*, source: Path, photo_paths: Iterable[str], progress: bool = True) -> LegacyMediaReport:
    """Copy each site file named in `photo_paths` from `source` into the bucket under "legacy/<photo_path>".

    `source` is the site's root (holding "uploads/...") or the uploads folder itself. Only files
    inside the uploads folder after resolving links are read (a `photo_path` naming "config.php"
    or a link out of the folder is reported, never read), and only images by their first bytes
    are sent (the rest is reported as not_image). A file already recorded with the same size and
    SHA-256 is skipped without uploading; a changed one is uploaded again. Each file is recorded
    (LegacyMediaFile) right after its upload, outside any transaction, so an interrupted run loses
    nothing and the next run carries on. Missing files and refused paths are listed in the report,
    never fatal; S3 errors stop the run (run it again). Reads the site's files only; the site's
    `photo_path` column is never written.
    """
    paths = list(dict.fromkeys(photo_paths))
    recorded = _recorded(paths)
    report = LegacyMediaReport()
    bucket = settings.AWS_STORAGE_BUCKET_NAME
    root = uploads_root(source)
    s3 = s3_client()
    for photo_path in _progress(paths, enabled=progress):
        parts = safe_path_parts(photo_path)
        if parts is None:
            report.unsafe.append(photo_path)
            continue
        site_file, outside = _site_file(root, parts)
        if site_file is None:
            (report.outside if outside else report.missing).append(photo_path)
            continue
        try:
            # A folder, a FIFO or a device is no photo (and opening a FIFO would wait forever).
            if not os.path.isfile(site_file):
                raise IsADirectoryError(photo_path)
            # Opened once, by its resolved path: what is checked is what is sent.
            handle = site_file.open("rb")
        except OSError:
            report.unreadable.append(photo_path)
            continue
        with handle:
            try:
                content_type = image_type_of(handle.read(IMAGE_HEAD_BYTES))
                size, sha256 = _fingerprint(handle)
            except OSError:
                report.unreadable.append(photo_path)
                continue
            if content_type is None:
                report.not_image.append(photo_path)
                continue
            previous = recorded.get(photo_path)
            if previous == (size, sha256):
                report.already_there.append(photo_path)
                continue
            key = legacy_media_key(parts)
            handle.seek(0)
            # Outside the OSError handling above: an S3 timeout (an OSError too) must stop the run, not
            # pass for an unreadable file.
            s3.put_object(
                Bucket=bucket,
                Key=key,
                Body=handle,
                # The type its bytes show, not its name: a ".jpg" that is a PNG is served as a PNG.
                ContentType=content_type,
                # Lets anyone check a copy against the site's file later without downloading it.
                Metadata={"sha256": sha256},
            )
        LegacyMediaFile.objects.update_or_create(
            photo_path=photo_path,
            defaults={"key": key, "size": size, "sha256": sha256, "imported_at": timezone.now()},
        )
        report.copied.append(photo_path)
        if previous is not None:
            report.replaced.append(photo_path)
    return report


def _fingerprint(handle: BufferedReader) -> tuple[int, str]:
    """(size, SHA-256 hex) of an open file's whole content."""
    handle.seek(0)
    sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    return handle.tell(), sha256


def _progress(paths: list[str], *, enabled: bool) -> Iterator[str]:
    # Imported here: only the import command shows progress, and every API request imports this
    # module (notes.mobile reads legacy_media_keys), so tqdm would add to each Lambda cold start.
    from tqdm import tqdm

    yield from tqdm(paths, total=len(paths), unit="file", desc="site uploads → S3", disable=not enabled)


def legacy_media_keys(*, photo_paths: Iterable[str]) -> dict[str, str]:
    """The bucket key of each of `photo_paths` that has been imported (others are left out)."""
    paths = list(dict.fromkeys(photo_paths))
    keys: dict[str, str] = {}
    for start in range(0, len(paths), LOOKUP_CHUNK):
        chunk = paths[start : start + LOOKUP_CHUNK]
        keys.update(LegacyMediaFile.objects.filter(photo_path__in=chunk).values_list("photo_path", "key"))
    return keys
