"""zappa_settings.json with its `REPLACE_WITH_<NAME>` placeholders filled from the environment.

The committed file cannot hold what only exists once infra/ has run (the stream ARN, the pool id,
the bucket, the VPC); `make package` renders a copy with them and hands that to `zappa package -s`.
A stage with an unfilled placeholder is refused: Zappa would otherwise bake the literal text into
the artifact and the stream's records would be silently dropped (the handler routes them by the
exact ARN). `local=True` (tests, the benchmark) fills what is missing with harmless local values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"REPLACE_WITH_([A-Z0-9_]+)")
# arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
STREAM_ARN = re.compile(r"arn:aws[a-z-]*:dynamodb:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):table/[^/]+/stream/.+")
# doc-<domain>-<id>.<region>.cloudsearch.amazonaws.com, as CLOUDSEARCH_DOCUMENT_ENDPOINT holds it
CLOUDSEARCH_ENDPOINT = re.compile(r"(?:https?://)?doc-(?P<domain>[a-z][a-z0-9-]*)-[a-z0-9]+\.(?P<region>[a-z0-9-]+)\.")
# Placeholders computed from another variable: an error message names the variable to set.
DERIVED_FROM = {
    "AWS_REGION": "NOTES_STREAM_ARN",
    "AWS_ACCOUNT_ID": "NOTES_STREAM_ARN",
    "NOTES_TABLE_ARN": "NOTES_STREAM_ARN",
    "COGNITO_USER_POOL_ARN": "COGNITO_USER_POOL_ID",
    "CLOUDSEARCH_DOMAIN_ARN": "CLOUDSEARCH_DOCUMENT_ENDPOINT",
    "ZAPPA_S3_BUCKET": "NOTES_STREAM_ARN",
}
# The IAM statement only a `cloudsearch` stage needs; other stages ship without it, so a new account
# (CloudSearch is closed to new customers) is never asked for a domain it cannot create.
SEARCH_DOMAIN_SID = "SearchDomain"
# The one stage that may log at DEBUG or run Zappa's debug mode (SPEC §9: debug is off outside dev).
DEBUG_ALLOWED_STAGES = frozenset({"dev"})
LOCAL_ACCOUNT = "123456789012"
LOCAL_REGION = "us-east-1"


class UnfilledPlaceholders(Exception):
    """The stage still has placeholders; the message names the environment variables to set."""

    def __init__(self, stage: str, names: list[str]) -> None:
        self.names = sorted({DERIVED_FROM.get(name, name) for name in names})
        variables = " ".join(f"{name}=..." for name in self.names)
        super().__init__(
            f"Stage '{stage}' cannot be packaged: set {variables} (infra/ prints them), or package with "
            "LOCAL=1 (--local) for an artifact that only runs against the local stack."
        )


class UnsafeStageLogging(ValueError):
    """The stage would log raw events (Zappa's handler logs each event at DEBUG: migration-trigger
    passwords, tokens) or run Zappa's debug mode."""

    def __init__(self, stage: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            f"Stage '{stage}' cannot be packaged: {'; '.join(problems)}. Zappa's handler logs every raw event"
            ' (passwords of the user-migration trigger, tokens) at DEBUG; set "debug": false and'
            ' "log_level" to INFO or WARNING in zappa_settings.json.'
        )


def check_stage_logging(config: Mapping[str, Any], *, stage: str) -> None:
    """Raise UnsafeStageLogging unless the stage's effective settings keep raw events out of the logs.

    `debug` and `log_level` must be written down for every stage (Zappa's defaults are debug on and
    DEBUG); outside DEBUG_ALLOWED_STAGES they must be false and not DEBUG, and so must the app's own
    DEBUG and LOG_LEVEL environment variables.
    """
    problems: list[str] = []
    if config.get("debug") is not False:
        if "debug" not in config:
            problems.append('"debug" is not set (Zappa then turns it on)')
        elif stage not in DEBUG_ALLOWED_STAGES:
            problems.append(f'"debug" is {json.dumps(config.get("debug"))}')
    log_level = config.get("log_level")
    if not isinstance(log_level, str):
        problems.append('"log_level" is not set (Zappa then logs at DEBUG)')
    elif log_level.strip().upper() in {"DEBUG", "NOTSET"} and stage not in DEBUG_ALLOWED_STAGES:
        problems.append(f'"log_level" is {log_level}')
    environment = config.get("environment_variables") or {}
    if stage not in DEBUG_ALLOWED_STAGES:
        if str(environment.get("LOG_LEVEL", "")).strip().upper() in {"DEBUG", "NOTSET"}:
            problems.append(f"LOG_LEVEL is {environment['LOG_LEVEL']}")
        if str(environment.get("DEBUG", "")).strip().lower() in {"1", "true", "yes", "on"}:
            problems.append(f"DEBUG is {environment['DEBUG']}")
    if problems:
        raise UnsafeStageLogging(stage, problems)


def stage_config(settings: Mapping[str, Any], stage: str) -> dict[str, Any]:
    """The stage's effective settings, `extends` resolved as Zappa resolves it (the child wins key by key)."""
    if stage not in settings:
        raise KeyError(f"No stage '{stage}' in zappa_settings.json (stages: {', '.join(settings)}).")
    config = dict(settings[stage])
    parent = config.pop("extends", None)
    if parent is None:
        return config
    return stage_config(settings, parent) | config


def zappa_bucket_name(*, account: str, region: str) -> str:
    """The bucket Zappa uploads code to: one per account and region, shared by the stages."""
    return f"lambridge-zappa-{account}-{region}"


def derived_values(values: Mapping[str, str]) -> dict[str, str]:
    """Values computed from the ones infra/ exports, so the operator sets as few variables as possible."""
    derived: dict[str, str] = {}
    stream_arn = values.get("NOTES_STREAM_ARN", "")
    match = STREAM_ARN.fullmatch(stream_arn)
    region = values.get("AWS_REGION") or (match["region"] if match else "")
    account = values.get("AWS_ACCOUNT_ID") or (match["account"] if match else "")
    if region:
        derived["AWS_REGION"] = region
    if account:
        derived["AWS_ACCOUNT_ID"] = account
    if account and region:
        # Where Zappa uploads the zip: S3 names are global, so the account and region are in it.
        derived["ZAPPA_S3_BUCKET"] = zappa_bucket_name(account=account, region=region)
    if match:
        derived["NOTES_TABLE_ARN"] = stream_arn.split("/stream/", 1)[0]
    pool_id = values.get("COGNITO_USER_POOL_ID", "")
    if pool_id and region and account:
        derived["COGNITO_USER_POOL_ARN"] = f"arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}"
    endpoint = CLOUDSEARCH_ENDPOINT.match(values.get("CLOUDSEARCH_DOCUMENT_ENDPOINT", ""))
    if endpoint and account:
        derived["CLOUDSEARCH_DOMAIN_ARN"] = (
            f"arn:aws:cloudsearch:{endpoint['region']}:{account}:domain/{endpoint['domain']}"
        )
    return derived | {name: value for name, value in values.items() if value and name in derived}


def local_value(name: str) -> str:
    """A stand-in for an unset placeholder in a local artifact: well-formed, and pointing at nothing real."""
    if name.endswith("_ARN"):
        kind = name.removesuffix("_ARN").lower().replace("_", "-")
        return f"arn:aws:local:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{kind}/local"
    if name == "AWS_REGION":
        return LOCAL_REGION
    if name == "AWS_ACCOUNT_ID":
        return LOCAL_ACCOUNT
    return f"local-{name.lower().replace('_', '-')}"


def placeholders_in(value: Any) -> set[str]:
    """The names of every `REPLACE_WITH_<NAME>` inside `value` (any JSON value)."""
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(placeholders_in(item) for item in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(placeholders_in(item) for item in value)) if value else set()
    return set()


def fill(value: Any, values: Mapping[str, str]) -> Any:
    """`value` with every placeholder replaced; a list item that is exactly one placeholder of a
    comma-separated value becomes several items (VPC_SUBNET_IDS=subnet-a,subnet-b)."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), value)
    if isinstance(value, dict):
        return {key: fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        filled: list[Any] = []
        for item in value:
            whole = PLACEHOLDER.fullmatch(item) if isinstance(item, str) else None
            if whole and whole[1] in values:
                filled.extend(part.strip() for part in values[whole[1]].split(",") if part.strip())
            else:
                filled.append(fill(item, values))
        return filled
    return value


def search_backend_of(config: Mapping[str, Any], environment: Mapping[str, str]) -> str:
    """The stage's SEARCH_BACKEND: the environment's, else the stage's own, else the app's default."""
    stage_value = str(config.get("environment_variables", {}).get("SEARCH_BACKEND", ""))
    return environment.get("SEARCH_BACKEND") or stage_value or "mysql"


def without_unused_search_domain(
    settings: Mapping[str, Any], *, stage: str, environment: Mapping[str, str]
) -> dict[str, Any]:
    """`settings` with the stage's SearchDomain statement dropped unless it searches with CloudSearch,
    and the stage's SEARCH_BACKEND set to the one it was packaged for."""
    config = stage_config(settings, stage)
    backend = search_backend_of(config, environment)
    own = dict(settings[stage])
    own["environment_variables"] = dict(config.get("environment_variables", {})) | {"SEARCH_BACKEND": backend}
    if backend != "cloudsearch" and "extra_permissions" in config:
        own["extra_permissions"] = [
            statement for statement in config["extra_permissions"] if statement.get("Sid") != SEARCH_DOMAIN_SID
        ]
    return dict(settings) | {stage: own}


def render_settings(
    settings: Mapping[str, Any], *, stage: str, environment: Mapping[str, str], local: bool = False
) -> dict[str, Any]:
    """The whole settings file with the placeholders filled; raises UnfilledPlaceholders when the
    stage needs a value the environment does not give (unless `local`), and UnsafeStageLogging
    when the stage would log raw events."""
    settings = without_unused_search_domain(settings, stage=stage, environment=environment)
    config = stage_config(settings, stage)
    check_stage_logging(config, stage=stage)
    needed = placeholders_in(config)
    values = {name: environment[name] for name in needed if environment.get(name)}
    values |= derived_values({**values, **{name: value for name, value in environment.items() if value}})
    missing = sorted(name for name in needed if name not in values)
    if missing and not local:
        raise UnfilledPlaceholders(stage, missing)
    for name in missing:
        values[name] = local_value(name)
    values |= derived_values(values)
    rendered: dict[str, Any] = fill(dict(settings), values)
    return rendered


def write_rendered_settings(
    source: Path, target: Path, *, stage: str, environment: Mapping[str, str], local: bool = False
) -> Path:
    """Render `source` (zappa_settings.json) into `target` for `stage`; returns `target`."""
    settings = json.loads(source.read_text(encoding="utf-8"))
    rendered = render_settings(settings, stage=stage, environment=environment, local=local)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(rendered, indent=4) + "\n", encoding="utf-8")
    return target
