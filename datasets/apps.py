"""App config of the datasets room: per-user key/value datasets synced across devices (SPEC §11)."""

from __future__ import annotations

from django.apps import AppConfig

# Where datasets come in an account deletion and an export (accounts/lifecycle.py).
DATASETS_ORDER = 40


class DatasetsConfig(AppConfig):
    name = "datasets"
    verbose_name = "Datasets"

    def ready(self) -> None:
        from accounts.lifecycle import register_user_data
        from datasets import errors  # noqa: F401 - registers the API's error codes
        from datasets.selectors import datasets_export_for_user
        from datasets.services import datasets_delete_for_user

        register_user_data(
            section="datasets", order=DATASETS_ORDER, erase=datasets_delete_for_user, export=datasets_export_for_user
        )
