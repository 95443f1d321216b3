"""SnapStart hooks: registered with the runtime's hook module when present; before the snapshot no
database connection stays open, after a restore each copy has its own randomness and clients."""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable, Iterator

import pytest
from django.db import connection

from aws.clients import s3_client
from project import snapstart

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lambda_runtime_hooks() -> Iterator[dict[str, list[Callable[[], None]]]]:
    """The Lambda runtime's `snapshot_restore_py` API (register_before_snapshot/after_restore)."""
    registered: dict[str, list[Callable[[], None]]] = {"before": [], "after": []}
    module = types.ModuleType(snapstart.RUNTIME_HOOKS_MODULE)
    module.register_before_snapshot = registered["before"].append  # type: ignore[attr-defined]
    module.register_after_restore = registered["after"].append  # type: ignore[attr-defined]
    sys.modules[snapstart.RUNTIME_HOOKS_MODULE] = module
    yield registered
    del sys.modules[snapstart.RUNTIME_HOOKS_MODULE]


def test_outside_lambda_nothing_is_registered() -> None:
    assert snapstart.register() is False


def test_the_hooks_close_connections_and_renew_what_copies_must_not_share(
    lambda_runtime_hooks: dict[str, list[Callable[[], None]]],
) -> None:
    assert snapstart.register() is True
    (before,), (after,) = lambda_runtime_hooks["before"], lambda_runtime_hooks["after"]
    connection.ensure_connection()

    before()
    assert connection.connection is None
    client = s3_client()
    random.seed(42)
    snapshot_draw = random.random()
    random.seed(42)

    after()

    assert random.random() != snapshot_draw
    assert s3_client() is not client
    assert connection.connection is None
