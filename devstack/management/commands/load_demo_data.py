"""`manage.py load_demo_data`: fill the site's legacy tables with demo rows (once) and print what they hold."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from devstack.demo_data import (
    DEFAULT_NOTES,
    DEFAULT_SEED,
    DEFAULT_USERS,
    DEMO_ACCOUNTS,
    LegacyTablesMissingError,
    demo_data_summary,
    load_demo_data,
)


class Command(BaseCommand):
    help = (
        "Fill the legacy tables (users, notes, note_tags, login_audit) with demo data written as the PHP "
        "site would. Does nothing when `users` already holds rows, unless --replace. For local stacks only: "
        "--replace deletes every row of those tables."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=DEFAULT_USERS, help="Users, demo accounts included.")
        parser.add_argument("--notes", type=int, default=DEFAULT_NOTES, help="Notes, the demo user's included.")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="The same seed gives the same rows.")
        parser.add_argument("--replace", action="store_true", help="Delete every legacy row first.")
        parser.add_argument(
            "--database", default=None, help="Database alias (default: settings.LEGACY_DATABASE_ALIAS)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"] or settings.LEGACY_DATABASE_ALIAS
        try:
            before = demo_data_summary(using=alias)
            summary = load_demo_data(
                using=alias,
                users=options["users"],
                notes=options["notes"],
                seed=options["seed"],
                replace=options["replace"],
            )
        except (LegacyTablesMissingError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if before.users and not options["replace"]:
            self.stdout.write(f"Database {alias!r} already holds {before.users} users: nothing loaded (--replace).")
        else:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded into database {alias!r}."))
        self.stdout.write(summary.describe())
        for account in DEMO_ACCOUNTS:
            role = "staff" if account.is_admin else f"{account.hashing} user"
            self.stdout.write(f"  {role:<12} {account.username} / {account.password}  ({account.email})")
