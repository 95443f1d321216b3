"""Warm latency (SPEC §8): `GET /api/v1/notes?pageSize=50` through the Zappa handler vs the hand-written baseline.

Both run in this process through the same LambdaHandler (bench/inprocess.py), on the same user's
50 notes: Lambridge with a real Cognito ID token (JWKS cached after the warm-up, as in a warm
container), the baseline view (bench/baseline.py) without authentication, as the SPEC allows. After
a warm-up whose answers are checked to be the same JSON, the two alternate (which goes first
flips every pair, so drift and cache effects hit both alike) and the medians' ratio is compared
with the target.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench.inprocess import body, call, expect_status, get_event, timed_call, zappa_handler
from bench.results import Row
from bench.stack import BASELINE_PATH, Stack

NAME = "warm"
TARGET_RATIO = 1.3
PAGE_SIZE = 50
WARMUP = 50
DEFAULT_ITERATIONS = 400


def events(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.users[0]
    page = {"pageSize": str(PAGE_SIZE)}
    api = get_event("/api/v1/notes", token=user.id_token, query=page)
    baseline = get_event(BASELINE_PATH, query=page | {"userId": str(user.user_id)})
    return api, baseline


def check_same_answer(handler: Any, api: dict[str, Any], baseline: dict[str, Any]) -> None:
    api_body = body(expect_status(call(handler, api), 200, "GET /api/v1/notes"))
    baseline_body = body(expect_status(call(handler, baseline), 200, "the baseline view"))
    if len(api_body["results"]) != PAGE_SIZE:
        raise RuntimeError(f"the bench user has {len(api_body['results'])} notes on the page, not {PAGE_SIZE}")
    if api_body != baseline_body:
        raise RuntimeError("the baseline view's JSON differs from the API's: the comparison would not be fair")


def run(stack: Stack, *, iterations: int = DEFAULT_ITERATIONS) -> list[Row]:
    handler = zappa_handler()
    api, baseline = events(stack)
    for _ in range(WARMUP):
        call(handler, api)
        call(handler, baseline)
    check_same_answer(handler, api, baseline)
    api_seconds: list[float] = []
    baseline_seconds: list[float] = []
    for n in range(iterations):
        order = ((api, api_seconds), (baseline, baseline_seconds))
        for event, samples in order if n % 2 == 0 else reversed(order):
            elapsed, response = timed_call(handler, event)
            expect_status(response, 200, event["path"])
            samples.append(elapsed)
    api_median = statistics.median(api_seconds)
    baseline_median = statistics.median(baseline_seconds)
    ratio = api_median / baseline_median
    details = {
        "iterations": iterations,
        "warmup": WARMUP,
        "pageSize": PAGE_SIZE,
        "apiP90Ms": round(statistics.quantiles(api_seconds, n=10)[-1] * 1000, 3),
        "baselineP90Ms": round(statistics.quantiles(baseline_seconds, n=10)[-1] * 1000, 3),
    }
    return [
        Row(f"warm GET /api/v1/notes/?pageSize={PAGE_SIZE}, median (N={iterations})", api_median * 1000, "ms"),
        Row(
            f"warm hand-written Django view, same query and JSON, median (N={iterations})", baseline_median * 1000, "ms"
        ),
        Row(
            "warm list latency ratio (API / hand-written view), through the Zappa handler",
            ratio,
            "x",
            target=f"<= {TARGET_RATIO}x",
            passed=ratio <= TARGET_RATIO,
            details=details,
        ),
    ]
