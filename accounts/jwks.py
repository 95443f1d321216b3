"""The user pool's signing keys (JWKS): fetched on first need, kept for the process, refetched rarely.

Cognito rotates keys seldom, so the keys are cached for the life of the process (a warm Lambda
makes no JWKS request). An unknown `kid` may mean a rotation, so it triggers a refetch, but at
most once per REFETCH_INTERVAL_SECONDS: a flood of tokens with random `kid`s cannot turn us into
a request amplifier against Cognito, nor stall our workers behind the fetch.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import ClassVar, Final

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.conf import settings
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import PyJWTError

from accounts.errors import CognitoUnavailableError, JWKSFetchError

# moto (the local emulator, reached through COGNITO_JWKS_URL) routes an unsigned GET of
# /<poolId>/.well-known/jwks.json by this header and answers 500 without it; real Cognito ignores
# it. Kept here rather than imported from devstack: accounts must not depend on the local stack.
EMULATOR_JWKS_HEADERS: Final = {"X-Amz-Target": "AWSCognitoIdentityProviderService.GetJsonWebKeys"}

# A real JWKS is about 1 KB; anything much bigger is not one.
MAX_JWKS_BYTES: Final = 64 * 1024

KeyMap = Mapping[str, RSAPublicKey]


def issuer_url() -> str:
    """The `iss` every token of the configured pool carries (also where real Cognito serves its JWKS).

    The region is the pool id's prefix (`us-east-1_AbC` lives in us-east-1, as Cognito and moto
    both name it), so a pool in another region than the function still verifies; AWS_REGION only
    when the id has no prefix.
    """
    pool_id: str = settings.COGNITO_USER_POOL_ID
    if not pool_id:
        raise CognitoUnavailableError("COGNITO_USER_POOL_ID is not set, so no token can be verified.")
    region = pool_id.split("_", 1)[0] if "_" in pool_id else settings.AWS_REGION
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def jwks_url() -> str:
    """Where the pool's keys are: COGNITO_JWKS_URL (emulators) or the issuer's well-known URL."""
    override: str = settings.COGNITO_JWKS_URL
    if override:
        return override
    return f"{issuer_url()}/.well-known/jwks.json"


def jwks_request_headers() -> dict[str, str]:
    """Headers of the JWKS request; the emulator's routing header only when COGNITO_JWKS_URL is set."""
    headers = {"Accept": "application/json", "User-Agent": "lambridge-jwks/1"}
    if settings.COGNITO_JWKS_URL:
        headers.update(EMULATOR_JWKS_HEADERS)
    return headers


def parse_jwks(document: bytes) -> dict[str, RSAPublicKey]:
    """The RSA signing keys of a JWKS document by `kid`; keys we cannot use are skipped.

    Raises JWKSFetchError when the document is not a JWKS or holds no usable key.
    """
    try:
        data = json.loads(document)
    except ValueError as exc:
        raise JWKSFetchError("The JWKS answer is not JSON.") from exc
    entries = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise JWKSFetchError("The JWKS answer has no 'keys' list.")
    keys: dict[str, RSAPublicKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            continue
        # Keys meant for encryption, or for another algorithm, never verify our tokens.
        if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") != "RS256":
            continue
        try:
            key = RSAAlgorithm.from_jwk(entry)
        except (PyJWTError, ValueError, TypeError):
            continue
        if isinstance(key, RSAPublicKey):
            keys[kid] = key
    if not keys:
        raise JWKSFetchError("The JWKS answer holds no usable RS256 signing key.")
    return keys


def fetch_jwks(url: str, *, timeout_seconds: float) -> dict[str, RSAPublicKey]:
    """The keys at `url`, fetched once. Raises JWKSFetchError (never hangs past the timeout)."""
    if not url.startswith(("https://", "http://")):
        raise JWKSFetchError("The JWKS URL must be http(s).")
    request = urllib.request.Request(url, headers=jwks_request_headers())  # noqa: S310 (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:  # noqa: S310
            document = response.read(MAX_JWKS_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise JWKSFetchError(f"The JWKS endpoint answered HTTP {exc.code}.") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise JWKSFetchError(f"The JWKS endpoint could not be reached ({type(exc).__name__}).") from exc
    if len(document) > MAX_JWKS_BYTES:
        raise JWKSFetchError("The JWKS answer is too large.")
    return parse_jwks(document)


class JWKSCache:
    """The pool's keys by `kid`, thread-safe; one instance per process (see `jwks_cache`).

    A known `kid` is answered without locking or network. An unknown one refetches the JWKS when
    the last fetch (successful or not) is at least REFETCH_INTERVAL_SECONDS old; otherwise it is
    simply unknown. `clock` and `fetcher` can be swapped in tests (e.g. a fake monotonic clock).
    """

    REFETCH_INTERVAL_SECONDS: ClassVar[float] = 10.0
    # A Lambda request has seconds to live: connect + read must fail fast when Cognito is away.
    TIMEOUT_SECONDS: ClassVar[float] = 3.0

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        fetcher: Callable[..., dict[str, RSAPublicKey]] = fetch_jwks,
        timeout_seconds: float | None = None,
    ) -> None:
        self._clock = clock
        self._fetcher = fetcher
        self._timeout_seconds = self.TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
        self._lock = threading.Lock()
        self._keys: KeyMap | None = None
        self._url: str | None = None
        # (url, keys) swapped in one assignment, so the lock-free read never pairs keys with the wrong pool.
        self._snapshot: tuple[str, KeyMap] | None = None
        self._last_fetch_at: float | None = None
        self.fetch_count = 0

    def get_key(self, kid: str) -> RSAPublicKey | None:
        """The public key for `kid`, or None when the pool does not have it.

        Raises JWKSFetchError when the keys are needed, may be fetched, and the fetch fails.
        """
        url = jwks_url()
        snapshot = self._snapshot
        if snapshot is not None and snapshot[0] == url and kid in snapshot[1]:
            return snapshot[1][kid]
        with self._lock:
            if self._url != url:
                # Settings changed (tests, another pool): what we hold belongs to another pool.
                self._forget()
                self._url = url
            if self._keys is not None and kid in self._keys:
                # Another thread fetched while we waited for the lock.
                return self._keys[kid]
            if not self._may_fetch():
                if self._keys is None:
                    raise JWKSFetchError("The JWKS fetch failed moments ago; not retrying yet.")
                return None
            return self._fetch(url).get(kid)

    def seconds_until_refetch(self) -> float:
        """How long until an unknown `kid` may trigger another fetch (0 when it may now)."""
        with self._lock:
            if self._last_fetch_at is None:
                return 0.0
            return max(0.0, self._last_fetch_at + self.REFETCH_INTERVAL_SECONDS - self._clock())

    def reset(self) -> None:
        """Forget the keys, the rate limit and the fetch count (tests, benchmarks)."""
        with self._lock:
            self._forget()
            self._url = None
            self.fetch_count = 0

    def _may_fetch(self) -> bool:
        if self._last_fetch_at is None:
            return True
        return self._clock() - self._last_fetch_at >= self.REFETCH_INTERVAL_SECONDS

    def _fetch(self, url: str) -> KeyMap:
        # Counted and timed before the request: a failing endpoint is rate-limited too.
        self._last_fetch_at = self._clock()
        self.fetch_count += 1
        keys = dict(self._fetcher(url, timeout_seconds=self._timeout_seconds))
        # Replaced whole, never mutated: readers outside the lock see the old or the new map.
        self._keys = keys
        self._snapshot = (url, keys)
        return keys

    def _forget(self) -> None:
        self._snapshot = None
        self._keys = None
        self._last_fetch_at = None

    def __repr__(self) -> str:
        count = len(self._keys) if self._keys is not None else 0
        return f"<JWKSCache url={self._url!r} keys={count} fetches={self.fetch_count}>"


# The process-wide cache every verification uses unless told otherwise.
jwks_cache: Final = JWKSCache()


def get_signing_key(kid: str) -> RSAPublicKey | None:
    """The pool's public key for `kid` from the process-wide cache (None when unknown)."""
    return jwks_cache.get_key(kid)


def fetch_count() -> int:
    """How many JWKS fetches this process made since start or the last reset()."""
    return jwks_cache.fetch_count


def reset() -> None:
    """Empty the process-wide cache (tests and benchmarks start from a cold process this way)."""
    jwks_cache.reset()


__all__ = [
    "EMULATOR_JWKS_HEADERS",
    "JWKSCache",
    "fetch_count",
    "fetch_jwks",
    "get_signing_key",
    "issuer_url",
    "jwks_cache",
    "jwks_request_headers",
    "jwks_url",
    "parse_jwks",
    "reset",
]
