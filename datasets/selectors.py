"""Reads of datasets: a user's list, the records changed since a syncCount, the export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from datasets.models import Dataset, DatasetRecord


def datasets_for_user(*, user_id: int) -> list[Dataset]:
    return list(Dataset.objects.filter(user_id=user_id).order_by("name"))


def dataset_get(*, user_id: int, name: str) -> Dataset | None:
    return Dataset.objects.filter(user_id=user_id, name=name).first()


def dataset_records_since(*, dataset: Dataset, since_sync_count: int) -> list[DatasetRecord]:
    """Records written after ``since_sync_count`` (tombstones included), oldest change first."""
    return list(dataset.records.filter(sync_count__gt=since_sync_count).order_by("sync_count", "key"))


def datasets_export_for_user(*, site_user_id: int) -> Iterator[dict[str, Any]]:
    """Each dataset with its live records, for the account export (a user has at most 20)."""
    for dataset in Dataset.objects.filter(user_id=site_user_id).order_by("name"):
        records = dataset.records.filter(value__isnull=False).order_by("key")
        yield {
            "name": dataset.name,
            "syncCount": dataset.sync_count,
            "updatedAt": dataset.updated_at.isoformat().replace("+00:00", "Z"),
            "records": [
                {"key": record.key, "value": record.value, "syncCount": record.sync_count} for record in records
            ],
        }
