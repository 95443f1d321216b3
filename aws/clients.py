"""The one place that creates boto3 clients: cached per process, pointed at AWS_ENDPOINT_URL."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config

# boto3 and botocore are imported when the first client is made, not at import: loading them costs
# ~0.1 s of a Lambda cold start, and many requests (a notes list without photos) never need AWS.

# A Lambda request has seconds to live and a local emulator may be down: fail fast instead of
# hanging. "standard" retries back off between attempts; MAX_ATTEMPTS counts the first one.
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_ATTEMPTS = 2
# A check a user waits for (HEAD and a 32-byte read of a just-uploaded photo) moves almost no data:
# one quick attempt, then the caller answers 503 + Retry-After instead of holding the request.
QUICK_CONNECT_TIMEOUT_SECONDS = 1
QUICK_READ_TIMEOUT_SECONDS = 2
QUICK_MAX_ATTEMPTS = 1

_lock = threading.Lock()
_session: boto3.session.Session | None = None
_clients: dict[tuple[str, str, str, bool], Any] = {}


def client_config(service_name: str, *, endpoint_url: str = "", quick: bool = False) -> Config:
    """The botocore Config every client of ours gets: short timeouts, few retries (`quick`: shorter, one try)."""
    from botocore.config import Config

    options: dict[str, Any] = {
        "connect_timeout": QUICK_CONNECT_TIMEOUT_SECONDS if quick else CONNECT_TIMEOUT_SECONDS,
        "read_timeout": QUICK_READ_TIMEOUT_SECONDS if quick else READ_TIMEOUT_SECONDS,
        "retries": {"total_max_attempts": QUICK_MAX_ATTEMPTS if quick else MAX_ATTEMPTS, "mode": "standard"},
    }
    if service_name == "s3":
        # Presigned URLs and POSTs otherwise fall back to the deprecated SigV2 in us-east-1.
        options["signature_version"] = "s3v4"
        if endpoint_url:
            # Emulators answer on one host:port; virtual-hosted "bucket.127.0.0.1" cannot resolve.
            options["s3"] = {"addressing_style": "path"}
    return Config(**options)


def _shared_session() -> boto3.session.Session:
    # Loading botocore's data is the slow part of making a client; one Session shares it.
    global _session
    if _session is None:
        import boto3

        _session = boto3.session.Session()
    return _session


def get_client(service_name: str) -> Any:
    """A boto3 client for `service_name`, created on first use and then reused by the process.

    Clients are keyed on the endpoint and region read from settings at call time, so a settings
    override (tests, the devstack) gets its own client. Creating one makes no network call.
    """
    return _cached_client(service_name, settings.AWS_ENDPOINT_URL or "")


def _cached_client(service_name: str, endpoint_url: str, *, quick: bool = False) -> Any:
    region: str = settings.AWS_REGION
    key = (service_name, endpoint_url, region, quick)
    client = _clients.get(key)
    if client is not None:
        return client
    # Sessions are not thread-safe; clients are. Create under the lock, use without it.
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _shared_session().client(
                service_name,
                endpoint_url=endpoint_url or None,
                region_name=region,
                config=client_config(service_name, endpoint_url=endpoint_url, quick=quick),
            )
            _clients[key] = client
    return client


def s3_client() -> Any:
    """The S3 client (media bucket, presigned uploads)."""
    return get_client("s3")


def s3_quick_client() -> Any:
    """An S3 client for small checks a user waits for (photo attach): one attempt, short timeouts."""
    return _cached_client("s3", settings.AWS_ENDPOINT_URL or "", quick=True)


def dynamodb_client() -> Any:
    """The DynamoDB client (the notes mirror table)."""
    return get_client("dynamodb")


def dynamodbstreams_client() -> Any:
    """The DynamoDB Streams client (the local stream poller)."""
    return get_client("dynamodbstreams")


def cognito_idp_client() -> Any:
    """The Cognito user-pools client."""
    return get_client("cognito-idp")


def sns_client() -> Any:
    """The SNS client (push notifications)."""
    return get_client("sns")


def secretsmanager_client() -> Any:
    """The Secrets Manager client (the database credentials, DATABASE_SECRET_ARN)."""
    return get_client("secretsmanager")


def cloudsearch_domain_client(endpoint_url: str) -> Any:
    """The client for one CloudSearch domain's document or search endpoint (upload_documents, search).

    The domain API has no regional endpoint, so it is always explicit: an URL, or a bare host as
    the console shows it (CLOUDSEARCH_DOCUMENT_ENDPOINT / CLOUDSEARCH_SEARCH_ENDPOINT), which
    gets https://.
    """
    if "://" not in endpoint_url:
        endpoint_url = f"https://{endpoint_url}"
    return _cached_client("cloudsearchdomain", endpoint_url)


def cloudsearch_client(endpoint_url: str | None = None) -> Any:
    """The CloudSearch configuration client (domains, index fields); `endpoint_url` for the local server,
    which moto does not provide."""
    if endpoint_url is None:
        return get_client("cloudsearch")
    return _cached_client("cloudsearch", endpoint_url)


def reset_clients() -> None:
    """Forget every cached client and the session, e.g. after tests change AWS settings or credentials."""
    global _session
    with _lock:
        _clients.clear()
        _session = None
