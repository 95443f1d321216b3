"""One EMF metrics line per request (count, latency, status class) and one for the process's cold start."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from aws.metrics import COUNT, MILLISECONDS, metrics_emit

_cold = True


class RequestMetricsMiddleware:
    """Measures every request as the client sees it: `Requests`, `Latency`, `Status2xx`…`Status5xx`;
    the first request of a process also counts `ColdStart`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        global _cold
        started = time.perf_counter()
        response = self.get_response(request)
        status_class = f"{response.status_code // 100}xx"
        metrics: dict[str, tuple[float, str]] = {
            "Requests": (1, COUNT),
            "Latency": (round((time.perf_counter() - started) * 1000, 1), MILLISECONDS),
            # Every class is written, 0 or 1, so an alarm's rate (5xx / Requests) has data points.
            **{f"Status{kind}xx": (int(status_class == f"{kind}xx"), COUNT) for kind in (2, 3, 4, 5)},
        }
        if _cold:
            _cold = False
            metrics["ColdStart"] = (1, COUNT)
        match = request.resolver_match
        metrics_emit(
            metrics=metrics,
            properties={
                "route": f"/{match.route}" if match and match.route else "(unmatched)",
                "method": request.method,
                "status": response.status_code,
            },
        )
        return response
