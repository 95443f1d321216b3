"""Cold start through the Zappa handler (SPEC §8): Lambridge's artifact against a minimal Django+DRF hello app.

Each sample is a NEW isolated interpreter (artifact.runtime: the unzipped zip, the runtime's boto3,
no bytecode written, as on Lambda's read-only /var/task) that imports the zip's handler and serves
its first request: Lambridge an authenticated `GET /api/v1/notes/?pageSize=50` (a bench user's real
Cognito ID token from the moto server, JWKS fetched over HTTP, the bench's MariaDB database, see
bench/stack.py), the hello app `GET /hello/`. Both are packaged by
`zappa package` from the same build virtualenv. Samples alternate, so drift hits both alike; the
medians' ratio is compared with the target. When it misses, one more Lambridge start runs under
`-X importtime` and the slowest imports are listed.
"""

from __future__ import annotations

import json
import shutil
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artifact.build import DIST, ROOT, add_bytecode, zappa_package
from artifact.render import render_settings, stage_config
from artifact.runtime import (
    EXECUTE_API_HOST,
    Invocation,
    LambdaRuntime,
    invoke,
    json_body,
    lambda_environment,
    rest_api_event,
    runtime_libraries,
    unzip_artifact,
)
from bench.results import Row
from bench.stack import WORK_DIR, Stack

NAME = "cold"
TARGET_RATIO = 1.2
DEFAULT_RUNS = 10
BENCH_NOTES = 50
HELLO_STAGE = "bench"
IMPORTTIME_TOP = 12


@dataclass(frozen=True)
class Prepared:
    lambridge: LambdaRuntime
    hello: LambdaRuntime
    id_token: str


def hello_settings() -> dict[str, Any]:
    """Zappa settings of the hello app: Lambridge's dev stage minus what only Lambridge has (the same
    runtime, log level, exclusions), so both zips come out of the same recipe."""
    committed = json.loads((ROOT / "zappa_settings.json").read_text())
    dev = stage_config(render_settings(committed, stage="dev", environment={}, local=True), "dev")
    keep = ("runtime", "aws_region", "memory_size", "timeout_seconds", "debug", "log_level", "exclude", "exclude_glob")
    config = {name: dev[name] for name in keep}
    config |= {
        "django_settings": "hello_app.settings",
        "project_name": "hello",
        "s3_bucket": "hello-bench",
        "use_precompiled_packages": False,
    }
    return {HELLO_STAGE: config}


def build_hello(output: Path) -> Path:
    """bench/hello_app zipped by `zappa package` from a folder of its own, with the build virtualenv."""
    project = DIST / "hello-project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(Path(__file__).resolve().parent / "hello_app", project / "hello_app")
    settings_path = project / "zappa_settings.json"
    settings_path.write_text(json.dumps(hello_settings(), indent=4))
    zappa_package(stage=HELLO_STAGE, settings_path=settings_path, output=output, project_dir=project)
    add_bytecode(output)
    return output


def prepare(stack: Stack, *, work: Path) -> Prepared:
    resources = stack.resources
    lambridge_zip = stack.lambridge_zip()
    hello_zip = build_hello(DIST / "hello-bench.zip")
    shutil.rmtree(work, ignore_errors=True)
    runtime_root = runtime_libraries(work / "runtime")
    lambridge_root = unzip_artifact(lambridge_zip, work / "lambridge")
    hello_root = unzip_artifact(hello_zip, work / "hello")
    shared = {
        "SECRET_KEY": "bench-only-not-a-secret",
        "AWS_REGION": resources.region,
        "AWS_DEFAULT_REGION": resources.region,
        "AWS_ACCESS_KEY_ID": stack.environment["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": stack.environment["AWS_SECRET_ACCESS_KEY"],
    }
    lambridge_variables = shared | {
        "DATABASE_URL": stack.database_url,
        "ALLOWED_HOSTS": EXECUTE_API_HOST,
        "AWS_ENDPOINT_URL": resources.endpoint_url,
        "COGNITO_APP_CLIENT_IDS": resources.app_client_id,
        "COGNITO_JWKS_URL": resources.jwks_url,
    }
    return Prepared(
        lambridge=LambdaRuntime(
            lambridge_root, runtime_root, lambda_environment(lambridge_root, **lambridge_variables)
        ),
        hello=LambdaRuntime(hello_root, runtime_root, lambda_environment(hello_root, **shared)),
        id_token=stack.users[0].id_token,
    )


def _checked(invocation: Invocation, what: str) -> Invocation:
    response = invocation.result
    if invocation.error_type or not isinstance(response, Mapping) or response.get("statusCode") != 200:
        detail = invocation.error_message or (response or {}).get("body") if isinstance(response, Mapping) else ""
        raise RuntimeError(f"{what} did not answer 200: {invocation.error_type} {detail}\n{invocation.stderr[-2000:]}")
    return invocation


def slowest_imports(stderr: str, top: int = IMPORTTIME_TOP) -> list[dict[str, Any]]:
    """The top-level imports with the largest cumulative time from `-X importtime` output."""
    rows: list[dict[str, Any]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if not cumulative.isdigit():
            continue
        raw_name = line.rsplit("|", 1)[1]
        depth = (len(raw_name) - len(raw_name.lstrip(" ")) - 1) // 2
        rows.append({"module": name, "cumulativeMs": int(cumulative) / 1000, "depth": depth})
    top_level = [row for row in rows if row["depth"] <= 1]
    return sorted(top_level, key=lambda row: row["cumulativeMs"], reverse=True)[:top]


def measure(prepared: Prepared, *, runs: int) -> list[Row]:
    lambridge_event = rest_api_event(
        "/api/v1/notes/", headers={"Authorization": f"Bearer {prepared.id_token}"}, query={"pageSize": str(BENCH_NOTES)}
    )
    hello_event = rest_api_event("/hello/")
    # One untimed start each: the OS file cache and first-request rows (links, note ids) settle.
    _checked(invoke(prepared.lambridge, lambridge_event), "Lambridge")
    _checked(invoke(prepared.hello, hello_event), "the hello app")
    lambridge: list[float] = []
    hello: list[float] = []
    for _ in range(runs):
        hello.append(_checked(invoke(prepared.hello, hello_event), "the hello app").wall_seconds)
        first = _checked(invoke(prepared.lambridge, lambridge_event), "Lambridge")
        if len(json_body(first.result)["results"]) != BENCH_NOTES:
            raise RuntimeError(f"Lambridge did not list the bench user's {BENCH_NOTES} notes: {first.result}")
        lambridge.append(first.wall_seconds)
    lambridge_median, hello_median = statistics.median(lambridge), statistics.median(hello)
    ratio = lambridge_median / hello_median
    details: dict[str, Any] = {
        "runs": runs,
        "lambridgeSeconds": [round(value, 4) for value in lambridge],
        "helloSeconds": [round(value, 4) for value in hello],
    }
    if ratio > TARGET_RATIO:
        profiled = invoke(prepared.lambridge, lambridge_event, flags=("-X", "importtime"))
        details["slowestImports"] = slowest_imports(profiled.stderr)
    return [
        Row("cold start: Lambridge, import + first authenticated GET /api/v1/notes/", lambridge_median, "s"),
        Row("cold start: Django+DRF hello, import + first GET /hello/", hello_median, "s"),
        Row(
            "cold start ratio (Lambridge / hello), through the Zappa handler",
            ratio,
            "x",
            target=f"<= {TARGET_RATIO}x",
            passed=ratio <= TARGET_RATIO,
            details=details,
        ),
    ]


def run(stack: Stack, *, runs: int = DEFAULT_RUNS) -> list[Row]:
    rows = measure(prepare(stack, work=WORK_DIR / "runtime"), runs=runs)
    for row in rows:
        for entry in row.details.get("slowestImports", []):
            print(f"  slow import: {entry['module']:<40} {entry['cumulativeMs']:8.1f} ms")
    return rows
