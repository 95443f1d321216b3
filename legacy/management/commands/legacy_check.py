"""`manage.py legacy_check`: reports drift between the site's live schema and legacy/models.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from legacy.drift import check_legacy_schema


class Command(BaseCommand):
    help = "Compare the live legacy tables with what the models expect; exit non-zero on drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--database",
            default=settings.LEGACY_DATABASE_ALIAS,
            help="Database alias holding the site's tables (default: %(default)s).",
        )

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        connection = connections[database]
        if connection.vendor != "mysql":
            raise CommandError(f"legacy_check compares MySQL schemas; database '{database}' is {connection.vendor}.")
        name = connection.settings_dict["NAME"]
        self.stdout.write(f"Comparing the legacy tables in `{name}` (alias '{database}') with legacy/models.py\n")
        reports = check_legacy_schema(connection)
        for report in reports:
            engine = f" ({report.engine})" if report.engine else ""
            status = self.style.ERROR("DRIFT") if report.problems else self.style.SUCCESS("ok")
            self.stdout.write(f"{report.table}{engine}: {status}")
            for problem in report.problems:
                self.stdout.write(f"  ✗ {problem}")
            for note in report.notes:
                self.stdout.write(f"  · {note}")
        problems = sum(len(report.problems) for report in reports)
        if problems:
            raise CommandError(
                f"{problems} difference(s) between the site's schema and the models. Update legacy/models.py"
                " and legacy/sql/legacy_schema.sql to match the site, or undo the change on the site."
            )
        self.stdout.write(self.style.SUCCESS(f"\nAll {len(reports)} legacy tables match the models."))
