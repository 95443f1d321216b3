"""`manage.py migrate`, except that the site's own database is never migrated.

The router already refuses every operation there, but Django would still create its
`django_migrations` bookkeeping table in the site's database; this stops that too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.commands import migrate


class Command(migrate.Command):
    def handle(self, *args: Any, **options: Any) -> None:
        database = options["database"]
        if database != "default" and database == settings.LEGACY_DATABASE_ALIAS:
            if options["verbosity"] >= 1:
                self.stdout.write(f"Nothing to migrate in '{database}': the site's database is never migrated.")
            return
        super().handle(*args, **options)
