"""`manage.py infra_apply --stage <stage>`: a stage's stack and search domain, then what the next steps need."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from infra.push_applications import (
    APNS_CREDENTIAL_VARIABLES,
    FCM_CREDENTIAL_VARIABLE,
    PUSH_APPLICATIONS,
    application_name,
    credentials_from_environment,
    push_application_apply,
)
from infra.services import (
    SEARCH_BACKENDS,
    InfraError,
    SearchDomainResult,
    default_search_domain,
    export_lines,
    search_domain_apply,
    stack_apply,
    stack_parameters,
    template_request,
)


class Command(BaseCommand):
    help = (
        "Create or update the CloudFormation stack lambridge-<stage>-infra from infra/template.json (media bucket + "
        "CloudFront, Notes table + stream, Cognito pool, client and staff group, the function's IAM policy; with "
        "--lambda-arn also the stream mapping and the user-migration trigger), then the CloudSearch domain and its "
        "Notes index fields. Idempotent: run it again after any change. Prints the outputs and the `export` lines "
        "for `make package` and the stage's environment."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--stage", required=True, help="The Zappa stage: dev, staging, production.")
        parser.add_argument(
            "--lambda-arn",
            default="",
            help="The Zappa function's ARN (after the first `zappa deploy`): wires the stream mapping and the "
            "migration trigger. Leave out on the first run; once given, give it on every later run too.",
        )
        parser.add_argument("--bucket-name", default="", help="Media bucket name (default: lambridge-media-<stage>).")
        parser.add_argument("--notes-table", default="", help="The DynamoDB table (default: Notes).")
        parser.add_argument("--search-domain", default="", help="CloudSearch domain (default: lambridge-<stage>).")
        parser.add_argument(
            "--cloudfront-public-key-file",
            type=Path,
            help="PEM public key of the pair that signs private photos' URLs; media then requires signed URLs.",
        )
        parser.add_argument(
            "--search-backend",
            choices=SEARCH_BACKENDS,
            default="mysql",
            help="SEARCH_BACKEND of the stage: mysql (default; no AWS resource) or cloudsearch (creates the domain).",
        )
        parser.add_argument("--skip-search", action="store_true", help="Leave the CloudSearch domain alone.")
        parser.add_argument(
            "--cloudsearch-endpoint",
            default=None,
            help="Configuration API endpoint for CloudSearch (the local server); default: AWS.",
        )
        parser.add_argument("--template", default=None, help="Another template file (default: infra/template.json).")

    def handle(self, *args: Any, **options: Any) -> None:
        stage: str = options["stage"]
        search_domain = options["search_domain"] or default_search_domain(stage=stage)
        public_key = ""
        if options["cloudfront_public_key_file"] is not None:
            try:
                public_key = options["cloudfront_public_key_file"].read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise CommandError(f"Cannot read the CloudFront public key: {exc}") from exc
        parameters = stack_parameters(
            stage=stage,
            bucket_name=options["bucket_name"],
            notes_table=options["notes_table"],
            search_domain=search_domain,
            lambda_function_arn=options["lambda_arn"],
            cloudfront_public_key=public_key,
            search_backend=options["search_backend"],
        )
        where = f"the emulator at {settings.AWS_ENDPOINT_URL}" if settings.AWS_ENDPOINT_URL else "AWS"
        self.stdout.write(f"Applying stage {stage} to {where} (region {settings.AWS_REGION}).")
        try:
            stack = stack_apply(
                request=template_request(stage=stage, parameters=parameters, template_path=options["template"]),
                say=self.stdout.write,
            )
            search = (
                None
                if options["skip_search"] or options["search_backend"] != "cloudsearch"
                else search_domain_apply(domain_name=search_domain, endpoint_url=options["cloudsearch_endpoint"])
            )
            push_exports = self._apply_push_applications(stage)
        except InfraError as exc:
            raise CommandError(str(exc)) from exc
        except (ClientError, BotoCoreError) as exc:
            raise CommandError(f"AWS refused or did not answer: {exc}") from exc

        self.stdout.write(self.style.SUCCESS(f"Stack {stack.name}: {stack.action}."))
        for key, value in stack.outputs.items():
            self.stdout.write(f"  {key:<26} {value}")
        if search is not None:
            self._report_search(search)
        self.stdout.write("")
        self.stdout.write("For `make package` and the stage's environment:")
        for line in [*export_lines(outputs=stack.outputs, search=search), *push_exports]:
            self.stdout.write(line)
        if not options["lambda_arn"]:
            self.stdout.write("")
            self.stdout.write(
                "Next: `zappa deploy` (or `zappa update`), then run this again with --lambda-arn <the function's ARN> "
                "to connect the Notes stream and the Cognito user-migration trigger."
            )

    def _apply_push_applications(self, stage: str) -> list[str]:
        """The SNS platform applications whose credentials are in the environment (CloudFormation has
        no resource for them); their `export` lines."""
        exports = []
        for application in PUSH_APPLICATIONS:
            name = application_name(stage=stage, application=application)
            try:
                attributes = credentials_from_environment(application)
            except OSError as exc:
                raise CommandError(f"Cannot read the credentials of {name}: {exc}") from exc
            if attributes is None:
                needed = (
                    ", ".join(APNS_CREDENTIAL_VARIABLES)
                    if application.platform.startswith("APNS")
                    else FCM_CREDENTIAL_VARIABLE
                )
                self.stdout.write(f"SNS platform application {name}: skipped (set {needed} to create it).")
                continue
            arn = push_application_apply(name=name, platform=application.platform, attributes=attributes)
            self.stdout.write(self.style.SUCCESS(f"SNS platform application {name}: {arn}"))
            exports.append(f"export {application.setting}={arn}")
        return exports

    def _report_search(self, search: SearchDomainResult) -> None:
        state = "created" if search.created else "found"
        fields = ", ".join(search.fields_defined) or "none (all up to date)"
        self.stdout.write(self.style.SUCCESS(f"CloudSearch domain {search.name}: {state}; fields defined: {fields}."))
        if search.indexing_started:
            self.stdout.write("  IndexDocuments started.")
        if search.note:
            self.stdout.write(self.style.WARNING(f"  {search.note}"))
