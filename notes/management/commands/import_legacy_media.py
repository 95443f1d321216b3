"""`manage.py import_legacy_media --source <dir>`: copies the site's old uploads into the media bucket (SPEC §4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from legacy.models import LegacyNote
from notes.services import notes_attach_legacy_photos
from uploads.legacy_media import LegacyMediaReport, legacy_media_import

# Paths listed one per line under a heading; beyond this many, a count of the rest.
LISTED_PATHS_MAX = 50


def site_photo_paths() -> Iterator[str]:
    """Every distinct non-empty `notes.photo_path`, exactly as stored (read-only).

    Deduplicated here, not with SQL DISTINCT: the site's collation ignores case, and on the site's
    disk "Beach.jpg" and "beach.jpg" are two files.
    """
    notes = LegacyNote.objects.exclude(photo_path__isnull=True).exclude(photo_path="").order_by()
    for photo_path in dict.fromkeys(notes.values_list("photo_path", flat=True).iterator(chunk_size=2000)):
        if photo_path:
            yield photo_path


class Command(BaseCommand):
    help = (
        "Copy the files named by the site's notes.photo_path into the media bucket under legacy/. Resumable"
        " and idempotent: unchanged files already copied are skipped. Reads only images inside the uploads folder;"
        " missing, outside and non-image files are listed, not fatal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            required=True,
            type=Path,
            help="The site's root folder (holding uploads/...) or its uploads folder itself.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, source: Path, no_progress: bool, **options: Any) -> None:
        if not source.is_dir():
            raise CommandError(f"--source {source} is not a folder; give the site's root or its uploads folder.")
        photo_paths = list(site_photo_paths())
        self.stdout.write(
            f"{len(photo_paths)} distinct photo paths in the site's notes; copying from {source}"
            f" to s3://{settings.AWS_STORAGE_BUCKET_NAME}/legacy/"
        )
        report = legacy_media_import(source=source, photo_paths=photo_paths, progress=not no_progress)
        self._summary(report)
        attached = notes_attach_legacy_photos()
        self.stdout.write(f"Notes given their copied photo: {attached}")

    def _summary(self, report: LegacyMediaReport) -> None:
        replaced = f" ({len(report.replaced)} changed since the last run)" if report.replaced else ""
        self.stdout.write(self.style.SUCCESS(f"Copied: {len(report.copied)}{replaced}"))
        self.stdout.write(f"Already there: {len(report.already_there)}")
        self._listed("Missing (no such file in the uploads folder)", report.missing)
        self._listed("Unsafe paths (absolute or with '..'; not read)", report.unsafe)
        self._listed("Outside the uploads folder (a link out of it; not read)", report.outside)
        self._listed("Unreadable (permissions, or not a file)", report.unreadable)
        self._listed("Not an image (by content; not copied)", report.not_image)

    def _listed(self, heading: str, paths: list[str]) -> None:
        line = f"{heading}: {len(paths)}"
        self.stdout.write(self.style.WARNING(line) if paths else line)
        for path in paths[:LISTED_PATHS_MAX]:
            self.stdout.write(f"  {path}")
        if len(paths) > LISTED_PATHS_MAX:
            self.stdout.write(f"  … and {len(paths) - LISTED_PATHS_MAX} more")
