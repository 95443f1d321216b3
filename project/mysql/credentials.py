"""MySQL credentials from a Secrets Manager secret (DATABASE_SECRET_ARN), cached, re-read after a rotation.

RDS rotates a managed master password every 7 days; a password copied into the environment goes
stale then. The secret is read once per process (the first connection) and kept; when MySQL
refuses the cached password (error 1045), the engine asks for a fresh copy once and reconnects.
Only connection set-up calls this, never a query, so no AWS call happens under a lock or inside
a transaction.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from aws.clients import secretsmanager_client

# MySQL's ER_ACCESS_DENIED_ERROR: wrong user or password.
ACCESS_DENIED = 1045

_lock = threading.Lock()
_cache: dict[str, DatabaseCredentials] = {}


class DatabaseSecretError(RuntimeError):
    """The secret cannot be read or holds no username/password; the message says which and why."""


@dataclass(frozen=True)
class DatabaseCredentials:
    username: str
    password: str


def database_credentials(*, secret_arn: str, refresh: bool = False) -> DatabaseCredentials:
    """The username and password in `secret_arn`: the cached copy, or a fresh one with `refresh`."""
    with _lock:
        cached = _cache.get(secret_arn)
    if cached is not None and not refresh:
        return cached
    fresh = _read_secret(secret_arn)
    with _lock:
        _cache[secret_arn] = fresh
    return fresh


def forget_database_credentials() -> None:
    """Drop every cached secret (tests; a process that changed AWS settings)."""
    with _lock:
        _cache.clear()


def _read_secret(secret_arn: str) -> DatabaseCredentials:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = secretsmanager_client().get_secret_value(SecretId=secret_arn)
    except (ClientError, BotoCoreError) as exc:
        # The message names the secret and the AWS error, never a value.
        raise DatabaseSecretError(f"Cannot read the database secret {secret_arn}: {exc}") from None
    try:
        document = json.loads(value.get("SecretString") or "")
        credentials = DatabaseCredentials(username=str(document["username"]), password=str(document["password"]))
    except (ValueError, KeyError, TypeError):
        raise DatabaseSecretError(
            f"The database secret {secret_arn} must be JSON with 'username' and 'password' (as RDS writes it)."
        ) from None
    return credentials
