"""`python -m deploy --stage dev` (what `make deploy STAGE=dev` runs): see deploy/steps.py."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The whole first deploy or an update of a stage, idempotent.")
    parser.add_argument("--stage", default="dev", help="The Zappa stage: dev, staging, production.")
    arguments = parser.parse_args(argv)

    # The deploy tool's own small settings: no SECRET_KEY or database needed to deploy.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deploy.settings")
    import django

    django.setup()

    from artifact.build import build
    from artifact.verify import verify_artifact
    from deploy.steps import DeployOptions, deploy, summary
    from deploy.zappa_seam import FunctionInvoker, StaticCollector, ZappaDeployer

    def package(stage: str, values: dict[str, str]) -> Path:
        result = build(stage=stage, environment=values)
        print(verify_artifact(result.zip_path).summary())
        return result.zip_path

    options = DeployOptions(
        stage=arguments.stage,
        environment=dict(os.environ),
        packager=package,
        deployer_factory=lambda stage, settings_path: ZappaDeployer(stage=stage, settings_path=settings_path),
        invoker=FunctionInvoker(),
        collector=StaticCollector(),
    )
    where = os.environ.get("AWS_ENDPOINT_URL") or "AWS"
    print(f"make deploy: stage {arguments.stage} on {where}")
    reports = deploy(options=options, say=lambda line: print(line, flush=True))
    print(summary(reports))
    return 1 if reports and reports[-1].outcome == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
