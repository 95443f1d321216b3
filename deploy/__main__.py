"""`python -m deploy --stage dev` (what `make deploy STAGE=dev` runs): see deploy/steps.py."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploy.steps import DeployOptions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The whole first deploy or an update of a stage, idempotent.")
    parser.add_argument("--stage", default="dev", help="The Zappa stage: dev, staging, production.")
    arguments = parser.parse_args(argv)

    # The deploy tool's own small settings: no SECRET_KEY or database needed to deploy.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deploy.settings")
    import django

    django.setup()

    from artifact.build import artifact_path, build, is_up_to_date
    from artifact.verify import verify_artifact
    from deploy.steps import deploy, summary
    from deploy.zappa_seam import FunctionInvoker, StaticCollector, ZappaDeployer

    def package(stage: str, values: dict[str, str]) -> tuple[Path, bool]:
        zip_path = artifact_path(stage)
        built_with = zip_path.with_suffix(".settings.json")
        rendered = (zip_path.parent / f"zappa_settings.{stage}.json").read_text(encoding="utf-8")
        # Reused only when no source changed since and it was built from the very same settings.
        if is_up_to_date(zip_path) and built_with.is_file() and built_with.read_text(encoding="utf-8") == rendered:
            verify_artifact(zip_path)
            return zip_path, False
        result = build(stage=stage, environment=values)
        print(verify_artifact(result.zip_path).summary())
        built_with.write_text(rendered, encoding="utf-8")
        return result.zip_path, True

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    from deploy.steps import DeployOptions

    options = DeployOptions(
        stage=arguments.stage,
        environment=dict(os.environ),
        packager=package,
        deployer_factory=lambda stage, settings_path: ZappaDeployer(stage=stage, settings_path=settings_path),
        invoker=FunctionInvoker(),
        collector=StaticCollector(),
    )
    if endpoint:
        _use_emulator(options, endpoint=endpoint)
    where = endpoint or "AWS"
    print(f"make deploy: stage {arguments.stage} on {where}")
    reports = deploy(options=options, say=lambda line: print(line, flush=True))
    print(summary(reports))
    return 1 if reports and reports[-1].outcome == "failed" else 0


def _use_emulator(options: DeployOptions, *, endpoint: str) -> None:
    """The same steps against the local emulators (deploy/emulator.py says what is bridged and why)."""
    from django.conf import settings

    from deploy.emulator import (
        LOCAL_SEARCH_DOMAIN,
        EmulatorZappaDeployer,
        LocalManage,
        emulator_environment,
        write_emulator_template,
    )
    from deploy.steps import DIST

    options.environment = emulator_environment(dict(options.environment), region=settings.AWS_REGION)
    options.template_path = write_emulator_template(DIST / "template.emulator.json")
    options.deployer_factory = lambda stage, path: EmulatorZappaDeployer(stage=stage, settings_path=path)
    options.invoker = LocalManage()
    options.search_domain = LOCAL_SEARCH_DOMAIN
    options.search_endpoint = options.environment.get("CLOUDSEARCH_DOCUMENT_ENDPOINT") or None
    options.seed_secrets = {
        "DATABASE_URL": options.environment.get("DATABASE_URL", "mysql://root@127.0.0.1:3306/lambridge")
    }
    options.bucket_url_base = endpoint


if __name__ == "__main__":
    sys.exit(main())
