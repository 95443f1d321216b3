"""`manage.py search_reindex`: rebuild DynamoDB and the search index from MySQL (SPEC §7)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from notes.reindex import DEFAULT_BATCH_SIZE, live_note_count, search_reindex


class Command(BaseCommand):
    help = (
        "Write every live note to the DynamoDB mirror and the search index in batches, then remove what MySQL no"
        " longer has. Resumes an interrupted run unless --restart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Notes per batch.")
        parser.add_argument(
            "--restart", action="store_true", help="Start from the first note, not where a run stopped."
        )
        parser.add_argument("--no-progress", action="store_true", help="Do not draw a progress bar.")

    def handle(self, *args: Any, batch_size: int, restart: bool, no_progress: bool, **options: Any) -> None:
        total = live_note_count(restart=restart)
        with tqdm(total=total, unit="note", disable=no_progress, file=self.stderr) as bar:
            report = search_reindex(batch_size=batch_size, restart=restart, on_progress=bar.update)
        resumed = f" (resumed after note {report.resumed_after_note_id})" if report.resumed_after_note_id else ""
        rate = report.written / report.seconds if report.seconds else 0.0
        self.stdout.write(
            f"Written: {report.written}{resumed} in {report.seconds:.1f} s ({rate:.0f} notes/s); removed from the"
            f" table: {report.removed_from_table}, from the index: {report.removed_from_index}"
        )
