"""`make deploy` against the local emulators (AWS_ENDPOINT_URL set, e.g. `make run`'s moto): the same
steps with what moto cannot do bridged, so a clean clone can rehearse a deploy end to end.

- moto's CloudFormation has no CloudFront or Cognito: the stack is the real template without those
  resources and whatever names them (the devstack's pool stands in: COGNITO_USER_POOL_ID);
- moto's Lambda cannot run a function: `migrate` runs here, as `manage.py`, with the function's
  environment as Lambda would give it;
- Zappa meets two gaps: moto answers AddPermission with 200 where AWS answers 201 (Zappa checks for
  201), and has no ListFunctionUrlConfigs (`zappa update` calls it last);
- the local CloudSearch server serves one domain, "notes".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

from aws.clients import get_client
from deploy.zappa_seam import FUNCTION_SETTINGS_MODULE, ROOT, Invocation, ZappaDeployer
from infra.definitions import TEMPLATE_PATH, load_template

# Resource types moto's CloudFormation lacks.
UNSUPPORTED_TYPES: Final = ("AWS::CloudFront::", "AWS::Cognito::")
LOCAL_SEARCH_DOMAIN: Final = "notes"


def emulator_template(source: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template without what moto cannot create, and without what names those resources."""
    template = load_template(source)
    gone = {name for name, spec in template["Resources"].items() if spec["Type"].startswith(UNSUPPORTED_TYPES)}

    def names_gone(value: Any) -> bool:
        text = json.dumps(value)
        return any(f'"{name}"' in text or f"${{{name}" in text for name in gone)

    # The function's policy stays, without its statements on the pool.
    statements = template["Resources"]["FunctionPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    statements[:] = [statement for statement in statements if not names_gone(statement)]
    while True:
        more = {name for name, spec in template["Resources"].items() if name not in gone and names_gone(spec)}
        if not more:
            break
        gone |= more
    template["Resources"] = {name: spec for name, spec in template["Resources"].items() if name not in gone}
    template["Outputs"] = {name: spec for name, spec in template["Outputs"].items() if not names_gone(spec)}
    return template


def write_emulator_template(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(emulator_template(), indent=2), encoding="utf-8")
    return target


def _created_as_aws_answers(parsed: dict[str, Any], **_: Any) -> None:
    parsed["ResponseMetadata"]["HTTPStatusCode"] = 201


class EmulatorZappaDeployer(ZappaDeployer):
    """Zappa as is, with moto's two gaps bridged (see the module's docstring)."""

    def prepare(self, cli: Any) -> None:
        cli.zappa.lambda_client.meta.events.register("after-call.lambda.AddPermission", _created_as_aws_answers)
        cli.zappa.delete_lambda_function_url = lambda function_arn: None


class LocalManage:
    """`manage.py <command>` here, with the deployed function's environment (what the function would run)."""

    def manage(self, *, function_name: str, command: str) -> Invocation:
        configuration = get_client("lambda").get_function_configuration(FunctionName=function_name)
        variables = configuration.get("Environment", {}).get("Variables", {})
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": FUNCTION_SETTINGS_MODULE, **variables}
        completed = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *command.split(" ")],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        detail = (completed.stdout + completed.stderr).strip()[-2000:]
        return Invocation(ok=completed.returncode == 0, detail=detail)


def emulator_environment(environment: dict[str, str], *, region: str) -> dict[str, str]:
    """Values an emulator run needs and an operator would give on AWS (VPC, the search domain's ARN)."""
    return {
        "VPC_SUBNET_IDS": "subnet-local",
        "VPC_SECURITY_GROUP_IDS": "sg-local",
        "CLOUDSEARCH_DOMAIN_ARN": f"arn:aws:cloudsearch:{region}:123456789012:domain/{LOCAL_SEARCH_DOMAIN}",
        **environment,
    }
