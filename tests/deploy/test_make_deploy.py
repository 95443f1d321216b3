"""`make deploy` against moto over HTTP: the whole sequence twice (the second run changes nothing),
an update, and a forced failure at every step stopping with the fix.

Real: our CloudFormation template (minus what moto lacks: CloudFront, Cognito), IAM, Lambda, API
Gateway, EventBridge, SSM, S3, collectstatic as a subprocess, and Zappa's own deploy/update code.
Seams (documented in docs/deploy.md): deploy/emulator.py's, as `make deploy` uses them against the
local emulators (moto's two gaps in Zappa's calls bridged), plus a small deterministic zip instead of
the real build (built and verified in tests/artifact, minutes long) and `migrate` run in-process
against the test database (moto's Lambda cannot run a function).
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from pytest_django import Settings as SettingsWrapper

from artifact.render import UnfilledPlaceholders
from aws.clients import get_client, reset_clients, s3_client
from deploy.emulator import LOCAL_SEARCH_DOMAIN, EmulatorZappaDeployer, emulator_template
from deploy.steps import STEPS, DeployOptions, StepReport, deploy
from deploy.zappa_seam import Invocation, StaticCollector
from devstack.cloudsearch.process import CloudSearchServer
from devstack.local_server import free_port
from devstack.moto_server import MotoServer
from tests.infra.test_infra_apply import empty_search_server

__all__ = ["empty_search_server"]  # the module-scoped local CloudSearch server, used as a fixture here

pytestmark = pytest.mark.slow  # `make deploy` end to end, twice, and once failing at each step

ROOT = Path(__file__).resolve().parent.parent.parent


class InProcessManage:
    """What `zappa manage <stage> <command>` runs, run here against the test database."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    def manage(self, *, function_name: str, command: str) -> Invocation:
        self.commands.append(command)
        out = io.StringIO()
        try:
            call_command(*command.split(" "), stdout=out)
        except SystemExit as exc:
            return Invocation(ok=False, detail=f"exit {exc.code}: {out.getvalue()}")
        return Invocation(ok=True, detail=out.getvalue())


class SmallPackage:
    """A deterministic little zip standing in for `make package` (same values → same bytes)."""

    def __init__(self, dist: Path) -> None:
        self.dist = dist
        self.values: list[dict[str, str]] = []
        self.release = "1"

    def __call__(self, stage: str, values: dict[str, str]) -> tuple[Path, bool]:
        self.values.append(values)
        path = self.dist / f"lambridge-{stage}.zip"
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            for name, text in {
                "handler.py": "def lambda_handler(event, context):\n    return {}\n",
                "values.json": json.dumps(values, sort_keys=True) + self.release,
            }.items():
                zipped.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text)
        data = archive.getvalue()
        if path.is_file() and hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
            return path, False
        path.write_bytes(data)
        return path, True


@pytest.fixture
def moto_env(moto_server: MotoServer, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Our clients (settings) and Zappa's own boto3 session (environment) both on moto."""
    settings.AWS_ENDPOINT_URL = moto_server.endpoint_url
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    reset_clients()
    yield moto_server.endpoint_url
    reset_clients()


class Stage:
    """One fresh stage in moto, with everything an operator would have given make deploy."""

    def __init__(self, tmp_path: Path, endpoint: str, search: CloudSearchServer) -> None:
        self.name = f"t{uuid.uuid4().hex[:8]}"
        # Cognito is not in moto's CloudFormation: a pool of the stage's own stands in for the
        # stack's (Zappa rewrites its triggers, so never the session's shared devstack pool).
        cognito = get_client("cognito-idp")
        pool_id = cognito.create_user_pool(PoolName=f"lambridge-{self.name}")["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="lambridge-mobile")[
            "UserPoolClient"
        ]["ClientId"]
        self.endpoint = endpoint
        settings = json.loads((ROOT / "zappa_settings.json").read_text(encoding="utf-8"))
        # A stage of its own per test (function, stacks, role and bucket names all follow it).
        settings[self.name] = {"extends": "dev"}
        self.settings_source = tmp_path / "zappa_settings.json"
        self.settings_source.write_text(json.dumps(settings), encoding="utf-8")
        self.template_path = tmp_path / "template.json"
        self.template_path.write_text(json.dumps(emulator_template()), encoding="utf-8")
        self.package = SmallPackage(tmp_path)
        self.invoker = InProcessManage()
        self.search = search
        self.bucket = f"lambridge-media-{self.name}-123456789012"
        self.environment = {
            "NOTES_TABLE": f"Notes-{self.name}",
            "ALARM_EMAIL": "ops@example.com",
            "VPC_SUBNET_IDS": "subnet-0aaa,subnet-0bbb",
            "VPC_SECURITY_GROUP_IDS": "sg-0ccc",
            "COGNITO_USER_POOL_ID": pool_id,
            "COGNITO_APP_CLIENT_IDS": client_id,
            "CLOUDSEARCH_DOMAIN_ARN": f"arn:aws:cloudsearch:us-east-1:123456789012:domain/{LOCAL_SEARCH_DOMAIN}",
            # No CloudFront in moto: static files are served from the bucket itself.
            "STATIC_URL": f"{endpoint}/{self.bucket}/static/",
        }

    def put_secret(self, name: str, value: str) -> None:
        get_client("ssm").put_parameter(
            Name=f"/lambridge/{self.name}/{name}", Value=value, Type="SecureString", Overwrite=True
        )

    def options(self, **changes: Any) -> DeployOptions:
        options = DeployOptions(
            stage=self.name,
            environment=self.environment,
            packager=self.package,
            deployer_factory=lambda stage, path: EmulatorZappaDeployer(stage=stage, settings_path=path),
            invoker=self.invoker,
            collector=StaticCollector(),
            template_path=self.template_path,
            settings_source=self.settings_source,
            search_domain=LOCAL_SEARCH_DOMAIN,
            search_endpoint=self.search.endpoint_url,
        )
        for name, value in changes.items():
            setattr(options, name, value)
        return options

    def run(self, **changes: Any) -> tuple[list[StepReport], str]:
        lines: list[str] = []
        reports = deploy(options=self.options(**changes), say=lines.append)
        return reports, "\n".join(lines)


@pytest.fixture
def stage(tmp_path: Path, moto_env: str, empty_search_server: CloudSearchServer, transactional_db: None) -> Stage:
    new = Stage(tmp_path, moto_env, empty_search_server)
    new.put_secret("DATABASE_URL", "mysql://lambridge@db.internal:3306/lambridge")
    return new


def _outcomes(reports: list[StepReport]) -> dict[str, str]:
    return {report.name: report.outcome for report in reports}


def test_a_first_deploy_then_a_second_run_that_changes_nothing(stage: Stage) -> None:
    first, first_text = stage.run()
    second, second_text = stage.run()

    function = get_client("lambda").get_function_configuration(FunctionName=f"lambridge-{stage.name}")
    variables = function["Environment"]["Variables"]
    stream_arn = get_client("dynamodb").describe_table(TableName=f"Notes-{stage.name}")["Table"].get("LatestStreamArn")
    table_stream = get_client("cloudformation").describe_stacks(StackName=f"lambridge-{stage.name}-infra")["Stacks"][0][
        "Outputs"
    ]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in table_stream}
    parameters = {
        parameter["ParameterKey"]: parameter["ParameterValue"]
        for parameter in get_client("cloudformation").describe_stacks(StackName=f"lambridge-{stage.name}-infra")[
            "Stacks"
        ][0]["Parameters"]
    }
    mappings = get_client("lambda").list_event_source_mappings(FunctionName=function["FunctionArn"])[
        "EventSourceMappings"
    ]
    static = s3_client().head_object(Bucket=stage.bucket, Key="static/admin/css/base.css")

    assert _outcomes(first) == {
        **{step.name: "done" for step in STEPS},
        "migrate": "skipped",  # the test database is migrated already
    }, first_text
    assert {report.outcome for report in second} == {"skipped"}, second_text
    assert len(second) == len(STEPS)
    # Names derived from the stage and the account; the zip's settings name them.
    assert stage.package.values[0]["AWS_STORAGE_BUCKET_NAME"] == stage.bucket
    assert stage.package.values[0]["ZAPPA_S3_BUCKET"] == "lambridge-zappa-123456789012-us-east-1"
    assert stage.package.values[0]["NOTES_STREAM_ARN"] == outputs["NotesStreamArn"]
    assert stream_arn is not None
    # The environment: generated SECRET_KEY, the operator's DATABASE_URL, the stack's values, the API host.
    assert len(variables["SECRET_KEY"]) > 50
    assert variables["DATABASE_URL"] == "mysql://lambridge@db.internal:3306/lambridge"
    assert variables["NOTES_TABLE"] == outputs["NotesTableName"]
    assert ".execute-api.us-east-1.amazonaws.com" in variables["ALLOWED_HOSTS"]
    # One mapping on the stream: the stack's, with its StartingPosition.
    stream_mappings = [mapping for mapping in mappings if mapping["EventSourceArn"] == outputs["NotesStreamArn"]]
    assert len(stream_mappings) == 1
    assert stream_mappings[0]["StartingPosition"] == "TRIM_HORIZON"
    assert static["ContentType"] == "text/css"
    # Optional template parameters come from make deploy's environment (moto's CloudFormation does
    # not create the e-mail subscription itself; cfn-lint checks that resource).
    assert parameters["AlarmEmail"] == "ops@example.com"
    assert outputs["OperatorAlarmsTopicArn"].endswith(f"lambridge-{stage.name}-alarms")
    assert variables["SECRET_KEY"] not in first_text + second_text
    assert stage.invoker.commands.count("migrate --check") == 2


def test_a_new_package_is_an_update_and_only_that_step_runs(stage: Stage) -> None:
    stage.run()
    stage.package.release = "2"

    reports, text = stage.run()

    outcomes = _outcomes(reports)
    assert outcomes["package"] == "done", text
    assert outcomes["function"] == "done", text
    assert "zappa update" in text
    assert {outcomes[name] for name in ("stack", "role", "environment", "wiring", "static")} == {"skipped"}


class RefusingRole(EmulatorZappaDeployer):
    def ensure_role(self) -> bool:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "PutRolePolicy")


class FailingZappa(EmulatorZappaDeployer):
    def deploy(self, *, zip_path: Path, environment: dict[str, str]) -> None:
        raise RuntimeError("Zappa stopped (exit status 1)")


class NoApi(EmulatorZappaDeployer):
    def api_host(self) -> str:
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "DescribeStackResource")


class MissingFunctionArn(EmulatorZappaDeployer):
    def function(self) -> dict[str, Any] | None:
        found = super().function()
        if found is not None:
            found = {**found, "FunctionArn": found["FunctionArn"].replace("lambridge-", "gone-")}
        return found


class RefusingMigrations(InProcessManage):
    def manage(self, *, function_name: str, command: str) -> Invocation:
        return Invocation(ok=False, detail='OperationalError: (2003, "Can\'t connect to MySQL server")')


def _closed() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.mark.parametrize(
    ("failing", "fix"),
    [
        ("stack", "AWS_ENDPOINT_URL is unset unless"),
        ("search", "SEARCH_BACKEND=mysql"),
        ("secrets", "aws ssm put-parameter --type SecureString --name /lambridge/"),
        ("package", "export VPC_SUBNET_IDS="),
        ("role", "iam:CreateRole"),
        ("function", "zappa status"),
        ("environment", "Check the credentials"),
        ("wiring", "aws lambda list-event-source-mappings"),
        ("migrate", "DATABASE_URL / DATABASE_SECRET_ARN"),
        ("static", "s3:PutObject"),
    ],
)
def test_a_failure_at_each_step_stops_there_with_the_fix(
    stage: Stage, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch, failing: str, fix: str
) -> None:
    changes: dict[str, Any] = {}
    if failing == "stack":
        settings.AWS_ENDPOINT_URL = _closed()
    elif failing == "search":
        changes["search_endpoint"] = _closed()
    elif failing == "secrets":
        get_client("ssm").delete_parameter(Name=f"/lambridge/{stage.name}/DATABASE_URL")
    elif failing == "package":
        changes["environment"] = {k: v for k, v in stage.environment.items() if k != "VPC_SUBNET_IDS"}
    elif failing in ("role", "function", "environment", "wiring"):
        seam = {"role": RefusingRole, "function": FailingZappa, "environment": NoApi, "wiring": MissingFunctionArn}
        changes["deployer_factory"] = lambda name, path: seam[failing](stage=name, settings_path=path)
    elif failing == "migrate":
        changes["invoker"] = RefusingMigrations()
    elif failing == "static":
        # The bucket named by the stack does not take the upload (here: the endpoint is gone).
        changes["environment"] = {**stage.environment, "STATIC_URL": f"{_closed()}/{stage.bucket}/static/"}

        class ClosedCollector(StaticCollector):
            def collect(self, *, environment: dict[str, str]) -> tuple[int, int]:
                monkeypatch.setenv("AWS_ENDPOINT_URL", _closed())
                return super().collect(environment=environment)

        changes["collector"] = ClosedCollector()

    reports, text = stage.run(**changes)

    assert reports[-1].name == failing, text
    assert reports[-1].outcome == "failed"
    assert [report.name for report in reports] == [step.name for step in STEPS][: len(reports)]
    assert fix in reports[-1].detail
    assert f"Fix: {fix}" in text or fix in text


def test_the_package_step_names_what_is_missing_as_make_package_does() -> None:
    error = UnfilledPlaceholders("dev", ["VPC_SUBNET_IDS"])

    assert "VPC_SUBNET_IDS=..." in str(error)
