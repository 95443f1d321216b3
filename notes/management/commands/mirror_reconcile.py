"""`manage.py mirror_reconcile`: queue notes the PHP site changed (the scheduled event)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notes.reconcile import mirror_reconcile


class Command(BaseCommand):
    help = (
        "Find notes created, changed, soft-deleted or removed outside Lambridge (new notes, then the next slice"
        " of a rolling pass by primary key) and queue them for the mirror; mirror_drain sends them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full",
            action="store_true",
            help="go on to the end of the table (a whole pass; also builds the note index after a first deploy)",
        )
        parser.add_argument("--seconds", type=float, default=20.0, help="stop after this long (default 20); resumable")

    def handle(self, *args: Any, **options: Any) -> None:
        queued = mirror_reconcile(full=options["full"], max_seconds=options["seconds"])
        self.stdout.write(f"Queued for the mirror: {queued}")
