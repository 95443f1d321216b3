"""`manage.py cdc_follow`: read the site's binlog and send the notes it changed (the scheduled event)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notes.cdc import CdcUnavailable, cdc_run


class Command(BaseCommand):
    help = (
        "Read the site's row-based binlog from the saved position, record every note it changed in the"
        " outbox and send them. Without --follow it stops at the end of the log or after --seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seconds", type=float, default=20.0, help="stop after this long (default 20)")
        parser.add_argument("--follow", action="store_true", help="wait for new events until --seconds pass")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = cdc_run(max_seconds=options["seconds"], blocking=options["follow"])
        except CdcUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if result.healed:
            self.stdout.write(f"No usable position ({result.healed}): reconciled {result.reconciled} notes first")
        self.stdout.write(
            f"Read {result.events} row events up to {result.position}; notes recorded {result.notes_recorded},"
            f" sent {result.sent}, failed {result.failed}"
        )
