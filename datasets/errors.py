"""Error codes of the datasets API, registered with the shared registry (api/errors.py); tests reuse them."""

from __future__ import annotations

from typing import Final

from api.error_codes import register_error_codes

# A pushed record changed on the server since the syncCount the device based it on.
DATASET_CONFLICT: Final = "dataset_conflict"
# The limits (SPEC §11), each with its own code so the app can tell the user which.
TOO_MANY_DATASETS: Final = "too_many_datasets"
DATASET_TOO_LARGE: Final = "dataset_too_large"
TOO_MANY_RECORDS: Final = "too_many_records"

# Only a push (PATCH) answers them: other operations' documented codes stay their own.
register_error_codes(
    {
        TOO_MANY_DATASETS: (400, "A user has at most 20 datasets: delete one before creating another."),
        DATASET_TOO_LARGE: (400, "A dataset holds at most 1 MB (1,048,576 bytes of UTF-8 keys and values)."),
        TOO_MANY_RECORDS: (400, "A dataset holds at most 1,024 records (deleted ones do not count)."),
        DATASET_CONFLICT: (
            409,
            "Records changed since your syncCount: merge the server's `records` sent along, then retry.",
        ),
    },
    only_operations=["dataset_update"],
)
