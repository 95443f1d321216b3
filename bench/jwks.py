"""JWKS fetches (SPEC §8): none on warm authenticated requests, at most one per 10 s under a flood of unknown `kid`s.

Counted by accounts.jwks.fetch_count() in this process, through the Zappa handler. Warm: the cache
is emptied, one request fetches the pool's keys (as a cold container does), then WARM_REQUESTS
authenticated requests of several users must fetch nothing. Flood: for FLOOD_SECONDS, requests
with tokens signed by moto's key (as real ones are) but each naming a random `kid` the pool does
not have, as an attacker or a key rotation would send; every one must be refused (401) and the
keys refetched at most once per 10 s.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

from bench.inprocess import call, expect_status, get_event, zappa_handler
from bench.results import Row
from bench.stack import Stack

NAME = "jwks"
WARM_REQUESTS = 1000
FLOOD_SECONDS = 10.0
FLOOD_TOKENS = 300
MAX_FLOOD_FETCHES_PER_10_SECONDS = 1


def unknown_kid_tokens(stack: Stack, count: int) -> list[str]:
    """Valid-looking ID tokens of the pool (moto's key, right iss/aud) with random, unknown `kid`s."""
    from tests.accounts.cognito_helpers import id_token_claims, mint_token

    return [
        mint_token(id_token_claims(stack.resources), headers={"kid": f"rotated-{uuid.uuid4().hex}"})
        for _ in range(count)
    ]


def warm_fetches(handler: Any, stack: Stack, *, requests: int) -> int:
    from accounts import jwks

    jwks.reset()
    events = [get_event("/api/v1/me", token=user.id_token) for user in stack.users]
    expect_status(call(handler, events[0]), 200, "GET /api/v1/me")  # the cold fetch
    before = jwks.fetch_count()
    for event in itertools.islice(itertools.cycle(events), requests):
        expect_status(call(handler, event), 200, "GET /api/v1/me")
    return jwks.fetch_count() - before


def flood(handler: Any, tokens: list[str], *, seconds: float) -> tuple[int, int, float]:
    """(fetches, requests, elapsed seconds) of a flood of unknown-kid tokens lasting `seconds`."""
    from accounts import jwks

    before = jwks.fetch_count()
    started = time.monotonic()
    requests = 0
    for token in itertools.cycle(tokens):
        if time.monotonic() - started >= seconds:
            break
        expect_status(call(handler, get_event("/api/v1/me", token=token)), 401, "an unknown-kid token")
        requests += 1
    return jwks.fetch_count() - before, requests, time.monotonic() - started


def run(stack: Stack) -> list[Row]:
    handler = zappa_handler()
    warm = warm_fetches(handler, stack, requests=WARM_REQUESTS)
    tokens = unknown_kid_tokens(stack, FLOOD_TOKENS)
    fetches, requests, elapsed = flood(handler, tokens, seconds=FLOOD_SECONDS)
    per_10_seconds = fetches / (elapsed / 10.0)
    return [
        Row(
            f"JWKS fetches over {WARM_REQUESTS} warm authenticated requests ({len(stack.users)} users)",
            warm,
            "fetches",
            target="0",
            passed=warm == 0,
            details={"requests": WARM_REQUESTS, "users": len(stack.users)},
        ),
        Row(
            f"JWKS fetches per 10 s under an unknown-kid flood ({requests} requests in {elapsed:.1f} s, all 401)",
            per_10_seconds,
            "fetches/10 s",
            target=f"<= {MAX_FLOOD_FETCHES_PER_10_SECONDS}",
            passed=per_10_seconds <= MAX_FLOOD_FETCHES_PER_10_SECONDS,
            details={"fetches": fetches, "requests": requests, "seconds": round(elapsed, 3)},
        ),
    ]
