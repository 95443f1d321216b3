"""Writes to datasets: a push of records applied all or nothing, conditional on what the device
saw (SPEC §11), deleting a dataset, and deleting them all with the account.

A push locks the dataset's row (SELECT ... FOR UPDATE, InnoDB) for its transaction, so two devices
pushing at once are applied one after the other: the second sees the first's counts and gets a
conflict instead of overwriting it. Nothing here calls the network.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from django.db import IntegrityError, transaction

from datasets.errors import DATASET_TOO_LARGE, TOO_MANY_DATASETS, TOO_MANY_RECORDS
from datasets.models import NAME_MAX_LENGTH, Dataset, DatasetRecord

MAX_DATASETS_PER_USER: Final = 20
MAX_DATASET_BYTES: Final = 1024 * 1024
MAX_RECORDS_PER_DATASET: Final = 1024
NAME_PATTERN: Final = re.compile(rf"[A-Za-z0-9_.:-]{{1,{NAME_MAX_LENGTH}}}")
# Two first pushes creating one dataset at once: the loser retries once and finds the winner's row.
_CREATE_ATTEMPTS = 2


@dataclass(frozen=True)
class RecordChange:
    """One record as a device pushes it: `value` None deletes it; `base_sync_count` is the record's
    syncCount the device last saw (0 for a key it never had)."""

    key: str
    value: str | None
    base_sync_count: int


class DatasetLimitExceeded(Exception):
    """A push or a new dataset would go over one of the limits; `code` names which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class DatasetConflict(Exception):
    """Records changed on the server after the syncCounts the device pushed them with."""

    def __init__(self, dataset: Dataset, records: list[DatasetRecord]) -> None:
        super().__init__(f"{len(records)} record(s) changed since the device's syncCount.")
        self.dataset = dataset
        self.records = records


def dataset_name_is_valid(name: str) -> bool:
    return bool(NAME_PATTERN.fullmatch(name))


def record_size(key: str, value: str | None) -> int:
    """What a record counts towards the 1 MB: its key and value in UTF-8; a tombstone nothing."""
    return 0 if value is None else len(key.encode()) + len(value.encode())


@dataclass(frozen=True)
class DatasetPushResult:
    dataset: Dataset
    records: list[DatasetRecord]


def dataset_records_push(*, user_id: int, name: str, changes: Sequence[RecordChange]) -> DatasetPushResult:
    """Apply ``changes`` to the user's dataset ``name`` (created if new), all of them or none.

    Raises DatasetConflict (nothing written) when the server's copy of a pushed key is newer
    than the syncCount the device based it on, and DatasetLimitExceeded when the result would
    break a limit. On success the dataset's syncCount goes up by one and every pushed record
    carries it. ``changes`` must have distinct keys (the API checks).
    """
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            with transaction.atomic():
                dataset = _locked_dataset(user_id=user_id, name=name, create=bool(changes))
                if dataset is None:  # an empty push to a dataset that does not exist
                    return DatasetPushResult(dataset=Dataset(user_id=user_id, name=name), records=[])
                return _apply(dataset, changes)
        except IntegrityError:
            # Another push created the dataset between our look and our insert.
            if attempt == _CREATE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _locked_dataset(*, user_id: int, name: str, create: bool) -> Dataset | None:
    dataset = Dataset.objects.select_for_update().filter(user_id=user_id, name=name).first()
    if dataset is not None or not create:
        return dataset
    # Lock the user's existing datasets while counting them, so two new ones cannot both be the 20th.
    # In key order, so two such pushes take the locks in the same order (no deadlock).
    existing = list(
        Dataset.objects.select_for_update().filter(user_id=user_id).order_by("pk").values_list("pk", flat=True)
    )
    if len(existing) >= MAX_DATASETS_PER_USER:
        raise DatasetLimitExceeded(
            TOO_MANY_DATASETS,
            f"You already have {MAX_DATASETS_PER_USER} datasets, the most a user may have: delete one first.",
        )
    return Dataset.objects.create(user_id=user_id, name=name)


def _apply(dataset: Dataset, changes: Sequence[RecordChange]) -> DatasetPushResult:
    if not changes:
        return DatasetPushResult(dataset=dataset, records=[])
    keys = [change.key for change in changes]
    current = {record.key: record for record in DatasetRecord.objects.filter(dataset=dataset, key__in=keys)}
    conflicts = [
        current[change.key]
        for change in changes
        if change.key in current and current[change.key].sync_count > change.base_sync_count
    ]
    if conflicts:
        raise DatasetConflict(dataset, sorted(conflicts, key=lambda record: record.key))
    record_count = dataset.record_count
    size = dataset.size_bytes
    for change in changes:
        old = current.get(change.key)
        old_value = old.value if old is not None else None
        record_count += (change.value is not None) - (old_value is not None)
        size += record_size(change.key, change.value) - record_size(change.key, old_value)
    if record_count > MAX_RECORDS_PER_DATASET:
        raise DatasetLimitExceeded(
            TOO_MANY_RECORDS,
            f"A dataset holds at most {MAX_RECORDS_PER_DATASET} records; this change would make {record_count}.",
        )
    if size > MAX_DATASET_BYTES:
        raise DatasetLimitExceeded(
            DATASET_TOO_LARGE,
            f"A dataset holds at most 1 MB ({MAX_DATASET_BYTES} bytes of keys and values in UTF-8); "
            f"this change would make {size}.",
        )
    dataset.sync_count += 1
    dataset.record_count = record_count
    dataset.size_bytes = size
    dataset.save(update_fields=["sync_count", "record_count", "size_bytes", "updated_at"])
    written: list[DatasetRecord] = []
    for change in changes:
        record = current.get(change.key) or DatasetRecord(dataset=dataset, key=change.key)
        record.value = change.value
        record.sync_count = dataset.sync_count
        record.save()
        written.append(record)
    return DatasetPushResult(dataset=dataset, records=written)


def dataset_delete(*, user_id: int, name: str) -> bool:
    """Delete the user's dataset ``name`` with its records; False when there is none."""
    deleted, _ = Dataset.objects.filter(user_id=user_id, name=name).delete()
    return bool(deleted)


def datasets_delete_for_user(*, site_user_id: int) -> int:
    """Every dataset of the user (account deletion); how many. Idempotent."""
    count = Dataset.objects.filter(user_id=site_user_id).count()
    Dataset.objects.filter(user_id=site_user_id).delete()
    return count
