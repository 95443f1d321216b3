"""The steps of `make deploy`, in order; each says what it does, skips what is already done, and
stops the run with the fix when it fails.

    stack → search → secrets → package → role → function → environment → wiring → migrate → static

Names come from the stage and the AWS account, never from a file: the infra stack
`lambridge-<stage>-infra` (Zappa's own API stack is `lambridge-<stage>`), the media bucket
`lambridge-media-<stage>-<account>`, Zappa's code bucket `lambridge-zappa-<account>-<region>`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from artifact.render import UnfilledPlaceholders, write_rendered_settings, zappa_bucket_name
from aws.clients import get_client
from deploy.zappa_seam import Invocation, code_sha256
from infra.definitions import TEMPLATE_PATH
from infra.services import (
    InfraError,
    SearchDomainResult,
    default_search_domain,
    search_domain_apply,
    stack_apply,
    stack_name,
    stack_parameters,
    stage_variables,
    template_request,
)

ROOT: Final = Path(__file__).resolve().parent.parent
DIST: Final = ROOT / "dist"
SSM_PREFIX: Final = "/lambridge/{stage}/"
# Generated on the first deploy when the operator has not put one in SSM.
GENERATED_SECRETS: Final = ("SECRET_KEY",)
# One of these must be in SSM: the function cannot reach MySQL without it.
DATABASE_VARIABLES: Final = ("DATABASE_URL",)
# Stack outputs that are not settings of the app.
NOT_APP_SETTINGS: Final = ("NOTES_STREAM_ARN", "LAMBRIDGE_FUNCTION_POLICY_ARN")
MIGRATE_CHECK: Final = "migrate --check"
MIGRATE: Final = "migrate --noinput"
# Operator-supplied values the package step reads from the environment.
OPERATOR_VARIABLES: Final = (
    "VPC_SUBNET_IDS",
    "VPC_SECURITY_GROUP_IDS",
    "CLOUDSEARCH_DOCUMENT_ENDPOINT",
    "CLOUDSEARCH_SEARCH_ENDPOINT",
    "CLOUDSEARCH_DOMAIN_ARN",
    "ZAPPA_S3_BUCKET",
    # A user pool made outside the stack (or an emulator without Cognito in CloudFormation); the
    # stack's own outputs win when it has them.
    "COGNITO_USER_POOL_ID",
    "COGNITO_APP_CLIENT_IDS",
)


# Optional template parameters, from the environment of make deploy (absent: the template's
# default, so keep them in the stage's deploy environment once set).
STACK_PARAMETER_VARIABLES: Final = {
    "ALARM_EMAIL": "AlarmEmail",
    "METRICS_NAMESPACE": "MetricsNamespace",
    "HOSTED_UI_DOMAIN_PREFIX": "HostedUiDomainPrefix",
    "OAUTH_CALLBACK_URLS": "OAuthCallbackUrls",
    "OAUTH_LOGOUT_URLS": "OAuthLogoutUrls",
    "APPLE_SERVICES_ID": "AppleServicesId",
    "APPLE_TEAM_ID": "AppleTeamId",
    "APPLE_KEY_ID": "AppleKeyId",
    "APPLE_PRIVATE_KEY": "ApplePrivateKey",
    "GOOGLE_CLIENT_ID": "GoogleClientId",
    "GOOGLE_CLIENT_SECRET": "GoogleClientSecret",
    "FACEBOOK_APP_ID": "FacebookAppId",
    "FACEBOOK_APP_SECRET": "FacebookAppSecret",
    "CLOUDFRONT_PUBLIC_KEY": "CloudFrontPublicKey",
}


class StepFailed(Exception):
    """A step could not finish; `fix` says what the operator does before running make deploy again."""

    def __init__(self, message: str, *, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


class Deployer(Protocol):
    @property
    def function_name(self) -> str: ...

    def ensure_role(self) -> bool: ...
    def function(self) -> dict[str, Any] | None: ...
    def deploy(self, *, zip_path: Path, environment: dict[str, str]) -> None: ...
    def update(self, *, zip_path: Path, environment: dict[str, str]) -> None: ...
    def api_host(self) -> str: ...


class Invoker(Protocol):
    def manage(self, *, function_name: str, command: str) -> Invocation: ...


class Collector(Protocol):
    def collect(self, *, environment: dict[str, str]) -> tuple[int, int]: ...


@dataclass
class DeployOptions:
    """What a run deploys, and the seams it uses (the real ones by default; tests swap emulator-sized ones)."""

    stage: str
    environment: Mapping[str, str]
    # (stage, values) -> (the verified zip, whether it was built now rather than reused)
    packager: Callable[[str, dict[str, str]], tuple[Path, bool]]
    deployer_factory: Callable[[str, Path], Deployer]
    invoker: Invoker
    collector: Collector
    template_path: Path = TEMPLATE_PATH
    settings_source: Path = ROOT / "zappa_settings.json"
    search_domain: str = ""  # default lambridge-<stage>
    search_endpoint: str | None = None  # CloudSearch's configuration API elsewhere (the local server)
    # Put into SSM when missing (an emulator run: the local DATABASE_URL), like the generated secrets.
    seed_secrets: dict[str, str] = field(default_factory=dict)
    # Without CloudFront, static files are served from the bucket at <this>/<bucket>/static/ (emulators).
    bucket_url_base: str = ""

    @property
    def search_domain_name(self) -> str:
        return self.search_domain or default_search_domain(stage=self.stage)


@dataclass
class DeployState:
    """What the steps learn and hand on."""

    account: str = ""
    region: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    search: SearchDomainResult | None = None
    secrets: dict[str, str] = field(default_factory=dict)
    zip_path: Path | None = None
    settings_path: Path | None = None
    deployer: Deployer | None = None
    function_arn: str = ""


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    run: Callable[[DeployOptions, DeployState], str]  # returns "done: …" or "skipped: …"


def _deployer(state: DeployState) -> Deployer:
    if state.deployer is None:
        raise StepFailed("No Zappa settings loaded (the role step did not run).", fix="Run make deploy again.")
    return state.deployer


def _aws_fix(exc: Exception) -> StepFailed:
    return StepFailed(
        f"AWS refused or did not answer: {exc}",
        fix="Check the credentials (AWS_PROFILE or AWS_* variables), AWS_REGION, and that AWS_ENDPOINT_URL is "
        "unset unless you mean the local emulator; then run make deploy again.",
    )


# --- 1. stack -------------------------------------------------------------------------------


def step_stack(options: DeployOptions, state: DeployState) -> str:
    identity = get_client("sts").get_caller_identity()
    state.account = identity["Account"]
    state.region = get_client("lambda").meta.region_name
    function_arn = _existing_function_arn(options)
    parameters = _parameters(options, state, function_arn=function_arn)
    try:
        result = stack_apply(
            request=template_request(
                stage=options.stage, parameters=parameters, template_path=str(options.template_path)
            )
        )
    except InfraError as exc:
        raise StepFailed(
            str(exc),
            fix="Read the failures above (a name taken, a limit, a permission), change the parameters or the "
            "template, and run make deploy again; a stack stuck in ROLLBACK_COMPLETE must be deleted first.",
        ) from None
    state.outputs = result.outputs
    state.function_arn = function_arn
    return (
        f"skipped: stack {result.name} already as wanted"
        if result.action == "unchanged"
        else f"done: stack {result.name} {result.action}"
    )


def _existing_function_arn(options: DeployOptions) -> str:
    try:
        found = get_client("lambda").get_function(FunctionName=f"lambridge-{options.stage}")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return ""
        raise
    return str(found["Configuration"]["FunctionArn"])


def _parameters(options: DeployOptions, state: DeployState, *, function_arn: str) -> dict[str, str]:
    optional = {
        parameter: options.environment[variable]
        for variable, parameter in STACK_PARAMETER_VARIABLES.items()
        if options.environment.get(variable)
    }
    return optional | stack_parameters(
        stage=options.stage,
        # S3 names are global: the account keeps two companies' "dev" apart.
        bucket_name=options.environment.get("MEDIA_BUCKET_NAME") or f"lambridge-media-{options.stage}-{state.account}",
        notes_table=options.environment.get("NOTES_TABLE", ""),
        search_domain=options.search_domain_name,
        lambda_function_arn=function_arn,
    )


# --- 2. search ------------------------------------------------------------------------------


def step_search(options: DeployOptions, state: DeployState) -> str:
    backend = options.environment.get("SEARCH_BACKEND", "cloudsearch")
    if backend != "cloudsearch":
        return f"skipped: SEARCH_BACKEND={backend} needs no search domain"
    try:
        state.search = search_domain_apply(domain_name=options.search_domain_name, endpoint_url=options.search_endpoint)
    except (ClientError, BotoCoreError) as exc:
        raise StepFailed(
            f"The CloudSearch domain could not be created or read: {exc}",
            fix="CloudSearch is closed to new AWS accounts: set SEARCH_BACKEND=mysql in the environment of "
            "make deploy (and in SSM) to skip it, or check the account's CloudSearch access.",
        ) from None
    if not (state.search.document_endpoint and state.search.search_endpoint):
        raise StepFailed(
            state.search.note or "The search domain has no endpoints yet.",
            fix="Wait about 10 minutes for AWS to create the domain, then run make deploy again.",
        )
    if state.search.created or state.search.fields_defined:
        return f"done: domain {state.search.name}, fields defined: {', '.join(state.search.fields_defined) or 'none'}"
    return f"skipped: domain {state.search.name} and its fields already as wanted"


# --- 3. secrets -----------------------------------------------------------------------------


def step_secrets(options: DeployOptions, state: DeployState) -> str:
    ssm = get_client("ssm")
    prefix = SSM_PREFIX.format(stage=options.stage)
    found: dict[str, str] = {}
    paginator = ssm.get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=prefix, WithDecryption=True):
        for parameter in page["Parameters"]:
            found[parameter["Name"].removeprefix(prefix)] = parameter["Value"]
    created = []
    for name, value in options.seed_secrets.items():
        if name not in found and value:
            ssm.put_parameter(Name=f"{prefix}{name}", Value=value, Type="SecureString")
            found[name] = value
            created.append(name)
    for name in GENERATED_SECRETS:
        if name not in found:
            value = secrets.token_urlsafe(50)
            ssm.put_parameter(Name=f"{prefix}{name}", Value=value, Type="SecureString")
            found[name] = value
            created.append(name)
    missing = [name for name in DATABASE_VARIABLES if name not in found]
    if missing:
        raise StepFailed(
            f"SSM has no {', '.join(missing)} under {prefix}.",
            fix=f"aws ssm put-parameter --type SecureString --name {prefix}DATABASE_URL --value "
            "'mysql://<user>@<rds-proxy-host>:3306/<database>' (put the username/password in a Secrets Manager "
            f"secret and its ARN in {prefix}DATABASE_SECRET_ARN, or the password in the URL), then run make "
            "deploy again.",
        )
    state.secrets = found
    names = ", ".join(sorted(found))
    return f"done: put {', '.join(created)}; found {names}" if created else f"skipped: found {names}"


# --- 4. package -----------------------------------------------------------------------------


def step_package(options: DeployOptions, state: DeployState) -> str:
    values = {
        **{name: options.environment[name] for name in OPERATOR_VARIABLES if options.environment.get(name)},
        **stage_variables(outputs=state.outputs, search=state.search),
        "ZAPPA_S3_BUCKET": options.environment.get("ZAPPA_S3_BUCKET")
        or zappa_bucket_name(account=state.account, region=state.region),
    }
    try:
        state.settings_path = write_rendered_settings(
            options.settings_source,
            DIST / f"zappa_settings.{options.stage}.json",
            stage=options.stage,
            environment=values,
        )
        state.zip_path, built = options.packager(options.stage, values)
    except UnfilledPlaceholders as exc:
        raise StepFailed(
            str(exc), fix=f"export {' '.join(f'{name}=…' for name in exc.names)} and run make deploy again."
        ) from None
    except Exception as exc:
        raise StepFailed(
            f"The package could not be built or verified: {exc}",
            fix="Fix what the message names (make package STAGE=… alone shows the same), then run make deploy again.",
        ) from None
    if not built:
        return f"skipped: {state.zip_path.name} is newer than every source and has these settings"
    return f"done: {state.zip_path.name} built and verified"


# --- 5. role --------------------------------------------------------------------------------


def step_role(options: DeployOptions, state: DeployState) -> str:
    if state.settings_path is None:
        raise StepFailed("No rendered settings (the package step did not run).", fix="Run make deploy again.")
    try:
        state.deployer = options.deployer_factory(options.stage, state.settings_path)
        changed = state.deployer.ensure_role()
    except (ClientError, BotoCoreError) as exc:
        raise StepFailed(
            f"Zappa's execution role could not be created or updated: {exc}",
            fix="Deploy with credentials allowed iam:CreateRole/PutRolePolicy/GetRole on lambridge-* roles "
            "(an administrator for the first deploy), then run make deploy again.",
        ) from None
    name = f"{state.deployer.function_name}-ZappaLambdaExecutionRole"
    return f"done: role {name} and its policy written" if changed else f"skipped: role {name} already as wanted"


# --- 6. function ----------------------------------------------------------------------------


def function_environment(state: DeployState, *, api_host: str = "") -> dict[str, str]:
    """What the function's environment must hold: the stack's values, the search endpoints, the SSM
    secrets and the API's host in ALLOWED_HOSTS."""
    variables = {
        name: value
        for name, value in stage_variables(outputs=state.outputs, search=state.search).items()
        if name not in NOT_APP_SETTINGS
    }
    variables |= state.secrets
    hosts = [host for host in state.secrets.get("ALLOWED_HOSTS", "").split(",") if host]
    if api_host and api_host not in hosts:
        hosts.insert(0, api_host)
    if hosts:
        variables["ALLOWED_HOSTS"] = ",".join(hosts)
    return variables


def step_function(options: DeployOptions, state: DeployState) -> str:
    deployer, zip_path = _deployer(state), state.zip_path
    if zip_path is None:
        raise StepFailed("No package (the package step did not run).", fix="Run make deploy again.")
    environment = function_environment(state)
    try:
        configuration = deployer.function()
        if configuration is None:
            deployer.deploy(zip_path=zip_path, environment=environment)
            outcome = f"done: zappa deploy {options.stage} -z {zip_path.name} created {deployer.function_name}"
        elif configuration.get("CodeSha256") != code_sha256(zip_path):
            deployer.update(zip_path=zip_path, environment=environment)
            outcome = f"done: zappa update {options.stage} -z {zip_path.name}"
        else:
            outcome = f"skipped: {deployer.function_name} already runs {zip_path.name}"
        configuration = deployer.function()
    except (ClientError, BotoCoreError, RuntimeError) as exc:
        raise StepFailed(
            f"Zappa could not deploy the function: {exc}",
            fix="Read Zappa's output above; `zappa status` and `zappa tail` with -s "
            f"dist/zappa_settings.{options.stage}.json show the function's state. Then run make deploy again.",
        ) from None
    if configuration is None:
        raise StepFailed(
            "Zappa finished but the function does not exist.",
            fix="Run make deploy again; if it "
            "repeats, deploy once by hand with the printed zappa command to see Zappa's error.",
        )
    state.function_arn = str(configuration["FunctionArn"]).split(":$")[0]
    return outcome


# --- 7. environment -------------------------------------------------------------------------


def step_environment(options: DeployOptions, state: DeployState) -> str:
    deployer = _deployer(state)
    client = get_client("lambda")
    current = client.get_function_configuration(FunctionName=deployer.function_name).get("Environment", {})
    variables: dict[str, str] = dict(current.get("Variables", {}))
    wanted = function_environment(state, api_host=deployer.api_host())
    if all(variables.get(name) == value for name, value in wanted.items()):
        return f"skipped: the function's {len(variables)} variables already as wanted"
    try:
        client.update_function_configuration(
            FunctionName=deployer.function_name, Environment={"Variables": {**variables, **wanted}}
        )
        client.get_waiter("function_updated_v2").wait(FunctionName=deployer.function_name)
    except (ClientError, BotoCoreError) as exc:
        raise _aws_fix(exc) from None
    changed = sorted(name for name, value in wanted.items() if variables.get(name) != value)
    return f"done: set {', '.join(changed)}"  # names only: values may be secrets


# --- 8. wiring ------------------------------------------------------------------------------


def step_wiring(options: DeployOptions, state: DeployState) -> str:
    lambda_client = get_client("lambda")
    stream_arn = state.outputs.get("NotesStreamArn", "")
    owned = _stack_mapping_id(options.stage)
    removed = 0
    # Zappa 0.61-0.63 creates the stream mapping without StartingPosition (AWS refuses it; an
    # emulator may not): only the stack's mapping, with TRIM_HORIZON, may exist.
    for mapping in lambda_client.list_event_source_mappings(FunctionName=state.function_arn)["EventSourceMappings"]:
        if mapping.get("EventSourceArn") == stream_arn and mapping["UUID"] != owned:
            lambda_client.delete_event_source_mapping(UUID=mapping["UUID"])
            removed += 1
    try:
        result = stack_apply(
            request=template_request(
                stage=options.stage,
                parameters=_parameters(options, state, function_arn=state.function_arn),
                template_path=str(options.template_path),
            )
        )
    except (InfraError, ClientError, BotoCoreError, ResponseParserError) as exc:
        # (an emulator answers some refusals in a shape botocore cannot parse)
        raise StepFailed(
            f"The stack could not wire the function: {exc}",
            fix="An existing mapping on the Notes stream or a trigger set by hand can block it: remove it "
            "(aws lambda list-event-source-mappings), then run make deploy again.",
        ) from None
    state.outputs = result.outputs
    note = f" ({removed} mapping without StartingPosition removed)" if removed else ""
    if result.action == "unchanged" and not removed:
        return "skipped: stream mapping and migration trigger already wired"
    return f"done: stream mapping and migration trigger wired to {state.function_arn}{note}"


def _stack_mapping_id(stage: str) -> str:
    """The stream mapping the stack owns ("" before the function is wired)."""
    paginator = get_client("cloudformation").get_paginator("list_stack_resources")
    for page in paginator.paginate(StackName=stack_name(stage=stage)):
        for resource in page["StackResourceSummaries"]:
            if resource["LogicalResourceId"] == "NotesStreamMapping":
                return str(resource.get("PhysicalResourceId", ""))
    return ""


# --- 9. migrate -----------------------------------------------------------------------------


def step_migrate(options: DeployOptions, state: DeployState) -> str:
    deployer = _deployer(state)
    check = options.invoker.manage(function_name=deployer.function_name, command=MIGRATE_CHECK)
    if check.ok:
        return "skipped: every migration already applied"
    result = options.invoker.manage(function_name=deployer.function_name, command=MIGRATE)
    if not result.ok:
        raise StepFailed(
            f"migrate failed in the function:\n{result.detail}",
            fix="A database that does not answer: check DATABASE_URL / DATABASE_SECRET_ARN in SSM and the "
            "function's VPC (subnets, security group admitted by RDS on 3306). A failing migration: fix it, "
            "then run make deploy again.",
        )
    return "done: migrations applied (our tables only; the site's are never migrated)"


# --- 10. static -----------------------------------------------------------------------------


def step_static(options: DeployOptions, state: DeployState) -> str:
    variables = stage_variables(outputs=state.outputs, search=state.search)
    static_url = options.environment.get("STATIC_URL") or variables.get("STATIC_URL", "")
    if not static_url and options.bucket_url_base and variables.get("AWS_STORAGE_BUCKET_NAME"):
        static_url = f"{options.bucket_url_base}/{variables['AWS_STORAGE_BUCKET_NAME']}/static/"
    if not static_url:
        raise StepFailed(
            "No STATIC_URL: the stack has no CloudFront distribution output.",
            fix="Check the stack's MediaDistributionDomain output (or export STATIC_URL), then run make deploy again.",
        )
    environment = {
        "STATIC_URL": static_url,
        "AWS_STORAGE_BUCKET_NAME": variables.get("AWS_STORAGE_BUCKET_NAME", ""),
        "AWS_REGION": state.region,
    }
    try:
        copied, unmodified = options.collector.collect(environment=environment)
    except RuntimeError as exc:
        raise StepFailed(
            f"collectstatic failed:\n{exc}",
            fix="Check s3:PutObject on the media bucket for your credentials, then run make deploy again.",
        ) from None
    if copied == 0:
        return f"skipped: {unmodified} static files already in the bucket"
    return f"done: {copied} static files uploaded ({unmodified} unmodified)"


STEPS: Final = (
    Step(
        "stack", "CloudFormation stack: bucket + CDN, Notes table + stream, user pool, alarms, IAM policy", step_stack
    ),
    Step("search", "CloudSearch domain and its Notes index fields", step_search),
    Step("secrets", "The stage's secrets in SSM Parameter Store (/lambridge/<stage>/)", step_secrets),
    Step("package", "The verified Lambda zip (make package)", step_package),
    Step("role", "Zappa's execution role with the least-privilege policy", step_role),
    Step("function", "zappa deploy (first time) or zappa update, with the verified zip", step_function),
    Step("environment", "The function's environment: stack values, secrets, ALLOWED_HOSTS", step_environment),
    Step("wiring", "The Notes stream mapping (StartingPosition) and the Cognito migration trigger", step_wiring),
    Step("migrate", "Database migrations, run inside the function", step_migrate),
    Step("static", "Admin CSS/JS into the bucket (collectstatic)", step_static),
)


@dataclass(frozen=True)
class StepReport:
    name: str
    outcome: str  # "done", "skipped" or "failed"
    detail: str


def deploy(*, options: DeployOptions, say: Callable[[str], None]) -> list[StepReport]:
    """Run every step in order; stop at the first failure. Returns what each step did."""
    state = DeployState()
    reports: list[StepReport] = []
    for number, step in enumerate(STEPS, start=1):
        say(f"[{number}/{len(STEPS)}] {step.name}: {step.title}")
        try:
            result = step.run(options, state)
        except StepFailed as exc:
            say(f"    FAILED: {exc}\n    Fix: {exc.fix}")
            reports.append(StepReport(step.name, "failed", f"{exc}\nFix: {exc.fix}"))
            return reports
        except Exception as exc:  # an operator's tool: a clear stop, never a traceback
            failure = (
                _aws_fix(exc)
                if isinstance(exc, ClientError | BotoCoreError)
                else StepFailed(
                    f"{type(exc).__name__}: {exc}",
                    fix="Read the error above; after fixing its cause run make deploy again.",
                )
            )
            say(f"    FAILED: {failure}\n    Fix: {failure.fix}")
            reports.append(StepReport(step.name, "failed", f"{failure}\nFix: {failure.fix}"))
            return reports
        outcome, _, detail = result.partition(": ")
        say(f"    {outcome}: {detail}")
        reports.append(StepReport(step.name, outcome, detail))
    return reports


def summary(reports: list[StepReport]) -> str:
    """One line: how many steps ran, were skipped, or where it stopped."""
    if reports and reports[-1].outcome == "failed":
        return (
            f"make deploy stopped at step '{reports[-1].name}'; fix it and run make deploy again "
            "(what is done is skipped)."
        )
    done = sum(report.outcome == "done" for report in reports)
    return f"make deploy finished: {done} steps changed something, {len(reports) - done} already as wanted."


def as_json(reports: list[StepReport]) -> str:
    return json.dumps([report.__dict__ for report in reports], indent=2)
