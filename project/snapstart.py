"""Lambda SnapStart runtime hooks: what is safe to keep in the snapshot, and what to redo after a restore.

SnapStart snapshots the initialized process once and starts many functions from it. Before the
snapshot: load everything import-heavy (URLs, views, serializers, boto3's service models) and close
database connections, which must never be shared between restored copies. After a restore: reseed
`random` (each copy would otherwise draw the same numbers), and drop boto3 clients and database
connections so each copy opens its own sockets. Outside Lambda the hooks are simply not registered.
"""

from __future__ import annotations

import logging
import random

from django.db import connections

logger = logging.getLogger(__name__)

# The Lambda Python runtime's module for SnapStart hooks; absent everywhere else.
RUNTIME_HOOKS_MODULE = "snapshot_restore_py"


def before_snapshot() -> None:
    """Warm what is safe to share, then close every database connection."""
    from django.urls import get_resolver

    from aws.clients import dynamodb_client, s3_client

    get_resolver().url_patterns  # noqa: B018 - imports every view, serializer and service
    # Making a client reads botocore's service model from disk (slow); no network call.
    s3_client()
    dynamodb_client()
    connections.close_all()


def after_restore() -> None:
    """Make this copy its own: fresh randomness, fresh sockets."""
    from aws.clients import reset_clients

    random.seed()
    reset_clients()
    connections.close_all()


def register() -> bool:
    """Register the hooks with the Lambda runtime when it offers them; True if registered."""
    try:
        hooks = __import__(RUNTIME_HOOKS_MODULE)
    except ImportError:
        return False
    hooks.register_before_snapshot(before_snapshot)
    hooks.register_after_restore(after_restore)
    logger.info("SnapStart hooks registered")
    return True
