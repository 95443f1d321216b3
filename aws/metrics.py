"""CloudWatch metrics as embedded-metric-format (EMF) log lines: one JSON line each, no API call.

Lambda sends stdout to CloudWatch Logs, which turns every line shaped like this into metrics in
METRICS_NAMESPACE: no PutMetricData round trip inside a request, nothing to batch or flush, and
the line costs microseconds. A few lines of our own rather than AWS Lambda Powertools: the format
is small and stable, and Powertools would add its import to every cold start.

Every metric carries one dimension, `Function` (the Lambda function's name, "local" elsewhere),
so that the alarms in infra/template.json can tell the stages apart.
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Final

from django.conf import settings

# Its own logger: settings.LOGGING writes its records as they are (the raw JSON line) to stdout,
# without the JSON request-log wrapping, which CloudWatch would not read as EMF.
METRICS_LOGGER_NAME: Final = "lambridge.metrics"
FUNCTION_DIMENSION: Final = "Function"
LOCAL_FUNCTION_NAME: Final = "local"

COUNT: Final = "Count"
MILLISECONDS: Final = "Milliseconds"
SECONDS: Final = "Seconds"

logger = logging.getLogger(METRICS_LOGGER_NAME)


def function_name() -> str:
    """The Lambda function's name (Lambda sets it in the environment), or "local"."""
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or LOCAL_FUNCTION_NAME


def metrics_emit(*, metrics: dict[str, tuple[float, str]], properties: dict[str, object] | None = None) -> None:
    """Write one EMF line with `metrics` ({name: (value, unit)}); `properties` are searchable, not metrics."""
    if not metrics or not logger.isEnabledFor(logging.INFO):
        return
    document: dict[str, object] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": settings.METRICS_NAMESPACE,
                    "Dimensions": [[FUNCTION_DIMENSION]],
                    "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()],
                }
            ],
        },
        FUNCTION_DIMENSION: function_name(),
        **(properties or {}),
        **{name: value for name, (value, _) in metrics.items()},
    }
    logger.info(json.dumps(document, separators=(",", ":"), default=str))
