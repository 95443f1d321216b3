"""A stand-in for Lambda's python3.12 runtime: the unzipped artifact, a fresh isolated interpreter, real events.

`invoke(runtime, event)` runs `handler.lambda_handler(event, context)` from the artifact in a NEW
`python -I -S -B` process whose sys.path is only the artifact's folder plus a folder with the
libraries the runtime provides (boto3 and its dependencies, copied from the dev virtualenv), with
LD_LIBRARY_PATH=<artifact>/lib as Lambda sets it, and no bytecode written (/var/task is read-only).
Nothing of the dev virtualenv or of this checkout is importable there.

Event builders give the payloads API Gateway (REST v1, HTTP API v2), EventBridge schedules and
Cognito send, shaped as AWS documents them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

# What Lambda's python runtime has on sys.path besides the function's code (/var/runtime).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
RESULT_MARKER = "@@lambda-result@@"
FUNCTION_NAME = "lambridge-dev"
STAGE = "dev"
EXECUTE_API_HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"
CUSTOM_DOMAIN = "api.lambridge.example"
SOURCE_IP = "203.0.113.9"
INVOKE_TIMEOUT_SECONDS = 120

# Runs inside the fresh interpreter: sys.path as on Lambda, one event from stdin, the result (or the
# error as Lambda reports it) after a marker on stdout; tracebacks go to stderr like Lambda's logs.
BOOTSTRAP = f"""
import json, os, sys, time, traceback
task_root, runtime_root = sys.argv[1], sys.argv[2]
sys.path[:0] = [task_root, runtime_root]
os.chdir(task_root)
event = json.loads(sys.stdin.read())

class Context:
    function_name = {FUNCTION_NAME!r}
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + function_name
    memory_limit_in_mb = "1024"
    aws_request_id = "smoke-test"
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "smoke"
    def get_remaining_time_in_millis(self):
        return 30000

started = time.perf_counter()
try:
    import handler
    outcome = {{"result": handler.lambda_handler(event, Context())}}
except BaseException as exc:
    traceback.print_exc()
    outcome = {{"errorType": type(exc).__name__, "errorMessage": str(exc)}}
outcome["seconds"] = time.perf_counter() - started
libraries = [line.split()[-1] for line in open("/proc/self/maps") if "libmariadb" in line]
outcome["libmariadb"] = sorted(set(libraries))
sys.stdout.flush()
sys.stdout.write("\\n" + {RESULT_MARKER!r} + json.dumps(outcome, default=str) + "\\n")
"""


@dataclass(frozen=True)
class LambdaRuntime:
    """An unzipped artifact plus the runtime's own libraries, and the environment its function gets."""

    task_root: Path
    runtime_root: Path
    environment: Mapping[str, str]


@dataclass(frozen=True)
class Invocation:
    result: Any
    error_type: str | None
    error_message: str | None
    stdout: str
    stderr: str
    seconds: float
    wall_seconds: float
    libmariadb: list[str]

    @property
    def output(self) -> str:
        """Everything the process wrote: what CloudWatch would hold."""
        return self.stdout + self.stderr


def unzip_artifact(zip_path: Path, target: Path) -> Path:
    """The zip extracted as Lambda extracts it into /var/task (file modes kept)."""
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            extracted = Path(archive.extract(info, target))
            mode = info.external_attr >> 16
            if mode and not info.is_dir():
                extracted.chmod(mode)
    return target


def runtime_libraries(target: Path) -> Path:
    """A folder holding only what Lambda's runtime provides (boto3 & co.), copied from this interpreter's."""
    target.mkdir(parents=True, exist_ok=True)
    site_packages = Path(boto3.__file__).resolve().parent.parent
    for name in RUNTIME_PROVIDED:
        source = site_packages / name
        if not source.exists():
            raise FileNotFoundError(f"{source} is missing: the runtime's libraries are copied from the dev venv")
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
        else:
            shutil.copy2(source, target / name)
    return target


def lambda_environment(task_root: Path, **variables: str) -> dict[str, str]:
    """The variables Lambda sets for a function, plus the function's own (`variables`)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LD_LIBRARY_PATH": str(task_root / "lib"),
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION_NAME,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "HOME": str(task_root.parent),
        **variables,
    }


def invoke(
    runtime: LambdaRuntime, event: Mapping[str, Any], *, python: str | None = None, flags: Sequence[str] = ()
) -> Invocation:
    """One cold invocation of the artifact's handler with `event`, in a fresh isolated process
    (`flags`: more interpreter options, e.g. ("-X", "importtime"))."""
    command = [python or sys.executable, "-I", "-S", "-B", *flags, "-c", BOOTSTRAP]
    command += [str(runtime.task_root), str(runtime.runtime_root)]
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=dict(runtime.environment),
        cwd=runtime.task_root,
        timeout=INVOKE_TIMEOUT_SECONDS,
        check=False,
    )
    wall_seconds = time.perf_counter() - started
    before, marker, after = completed.stdout.rpartition(RESULT_MARKER)
    if not marker:
        raise AssertionError(
            f"the handler process died (exit {completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    outcome = json.loads(after)
    return Invocation(
        result=outcome.get("result"),
        error_type=outcome.get("errorType"),
        error_message=outcome.get("errorMessage"),
        stdout=before,
        stderr=completed.stderr,
        seconds=float(outcome["seconds"]),
        wall_seconds=wall_seconds,
        libmariadb=list(outcome["libmariadb"]),
    )


# --- Events ---------------------------------------------------------------------------------


def _request_id() -> str:
    return str(uuid.uuid4())


def rest_api_event(
    path: str,
    *,
    host: str = EXECUTE_API_HOST,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    stage: str = STAGE,
) -> dict[str, Any]:
    """API Gateway REST API (payload 1.0) proxy event. On the execute-api host `path` has no stage
    (requestContext.path has it); behind a custom domain neither has."""
    all_headers = {
        "Host": host,
        "Accept": "application/json",
        "User-Agent": "Lambridge-iOS/1.0",
        "X-Forwarded-For": SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    on_execute_api = host.endswith(".amazonaws.com")
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {name: [value] for name, value in query.items()} if query else None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "resourceId": "abcdef",
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": f"/{stage}{path}" if on_execute_api else path,
            "stage": stage,
            "domainName": host,
            "requestId": _request_id(),
            "requestTimeEpoch": int(time.time() * 1000),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": SOURCE_IP, "userAgent": all_headers["User-Agent"]},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def http_api_event(
    path: str,
    *,
    host: str = EXECUTE_API_HOST,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    stage: str = STAGE,
) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) event for a named stage: rawPath starts with the stage."""
    all_headers = {
        "host": host,
        "accept": "application/json",
        "user-agent": "Lambridge-Android/1.0",
        "x-forwarded-for": SOURCE_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        **{name.lower(): value for name, value in (headers or {}).items()},
    }
    raw_path = f"/{stage}{path}"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": host,
            "domainPrefix": host.split(".", 1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": SOURCE_IP,
                "userAgent": all_headers["user-agent"],
            },
            "requestId": _request_id(),
            "routeKey": "$default",
            "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": False,
    }


def scheduled_event(function: str, *, project: str = FUNCTION_NAME) -> dict[str, Any]:
    """The EventBridge event of a Zappa `events` schedule: the rule's name ends in -<module.function>."""
    return {
        "version": "0",
        "id": _request_id(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{project}-{function}"],
        "detail": {},
    }


def user_migration_event(
    *, user_pool_id: str, client_id: str, username: str, password: str, source: str = "UserMigration_Authentication"
) -> dict[str, Any]:
    """Cognito's user-migration trigger event (the password in clear, as Cognito sends it)."""
    return {
        "version": "1",
        "triggerSource": source,
        "region": "us-east-1",
        "userPoolId": user_pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "request": {"password": password, "validationData": None, "clientMetadata": None},
        "response": {
            "userAttributes": None,
            "finalUserStatus": None,
            "messageAction": None,
            "desiredDeliveryMediums": None,
            "forceAliasCreation": None,
            "enableSMSMFA": None,
        },
    }


def json_body(response: Mapping[str, Any]) -> Any:
    """The decoded JSON body of an API Gateway response the handler returned."""
    return json.loads(response["body"])


def header(response: Mapping[str, Any], name: str) -> str | None:
    """A response header, whatever its case."""
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None
