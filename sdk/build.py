"""`make sdk`: the OpenAPI document, its Redocly lint and the TypeScript, Kotlin and Swift clients in
dist/sdk/, failing on any lint problem or generator warning (a warning is a rough edge an app
developer would meet as a renamed type or an unreachable header)."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sdk.tools import REDOCLY_CONFIG, REPO, SDK_DIR, node_tool, openapi_generator, tool_environment, write_schema

DEFAULT_OUT = REPO / "dist" / "sdk"

# The generators and the options mobile teams would pass; enumUnknownDefaultCase keeps a client
# built today decoding an error code or enum value added tomorrow.
OPENAPI_GENERATORS: dict[str, tuple[str, dict[str, str]]] = {
    "kotlin": (
        "kotlin",
        {
            "packageName": "com.lambridge.client",
            "groupId": "com.lambridge",
            "artifactId": "lambridge-client",
            "enumUnknownDefaultCase": "true",
        },
    ),
    "swift": (
        "swift6",
        {"projectName": "LambridgeClient", "enumUnknownDefaultCase": "true"},
    ),
}

# What counts as a warning in each tool's output.
_GENERATOR_WARNING = re.compile(r"\b(WARN|ERROR)\b")
_TYPESCRIPT_WARNING = re.compile(r"⚠|\bwarn(ing)?\b|\berror\b", re.IGNORECASE)

TS_INDEX = """\
// A typed client for the Lambridge API: openapi-fetch over the types openapi-typescript generated.
import createClient, { type ClientOptions } from "openapi-fetch";
import type { paths } from "./schema.js";

export type * from "./schema.js";

export function createLambridgeClient(options: ClientOptions & { baseUrl: string }) {
  return createClient<paths>(options);
}
"""


@dataclass
class Report:
    """What each step said that a client developer would have to look at."""

    lint_problems: list[str] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.lint_problems and not any(self.warnings.values())


def _run(command: list[str], *, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=tool_environment(), capture_output=True, text=True, check=False)


def lint(document: Path) -> list[str]:
    """Redocly's recommended rules: every error and warning, one line each (empty when clean)."""
    result = _run([node_tool("redocly"), "lint", str(document), "--config", str(REDOCLY_CONFIG), "--format=stylish"])
    problems = [line.strip() for line in result.stdout.splitlines() if re.search(r"\b(error|warning)\b", line)]
    problems = [line for line in problems if not re.match(r"^(❌|✅|Woohoo|You have)", line)]
    if result.returncode != 0 and not problems:
        problems = [f"redocly lint exited {result.returncode}: {result.stdout}{result.stderr}".strip()]
    return problems


def generate_typescript(document: Path, out: Path) -> list[str]:
    """openapi-typescript types + an openapi-fetch client factory, checked by `tsc --strict`; returns
    the warnings and compile errors."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    result = _run([node_tool("openapi-typescript"), str(document), "--output", str(out / "schema.d.ts")])
    if result.returncode != 0:
        raise RuntimeError(f"openapi-typescript failed:\n{result.stdout}{result.stderr}")
    (out / "index.ts").write_text(TS_INDEX, encoding="utf-8")
    (out / "package.json").write_text(json.dumps(_ts_package(), indent=2) + "\n", encoding="utf-8")
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if _TYPESCRIPT_WARNING.search(line)]
    return warnings + _typescript_compile_errors(out)


def _ts_package() -> dict[str, object]:
    """The generated client's package.json: openapi-fetch at the version the tests drove."""
    tools = json.loads((SDK_DIR / "package.json").read_text(encoding="utf-8"))
    return {
        "name": "@lambridge/client",
        "private": True,
        "type": "module",
        "main": "index.ts",
        "types": "index.ts",
        "dependencies": {"openapi-fetch": tools["devDependencies"]["openapi-fetch"]},
    }


def _typescript_compile_errors(out: Path) -> list[str]:
    """`tsc --strict --noEmit` over the client, resolving openapi-fetch from sdk/node_modules."""
    link = out / "node_modules"
    link.symlink_to(SDK_DIR / "node_modules", target_is_directory=True)
    try:
        result = _run(
            [
                node_tool("tsc"),
                "--noEmit",
                "--strict",
                "--target",
                "ES2022",
                "--module",
                "NodeNext",
                "--moduleResolution",
                "NodeNext",
                "--lib",
                "ES2022,DOM",
                str(out / "index.ts"),
            ],
            cwd=out,
        )
    finally:
        link.unlink()
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def generate_with_openapi_generator(document: Path, out: Path, *, generator: str, options: dict[str, str]) -> list[str]:
    """One OpenAPI Generator client; returns its WARN/ERROR lines."""
    if out.exists():
        shutil.rmtree(out)
    properties = ",".join(f"{key}={value}" for key, value in options.items())
    result = _run(
        [
            *openapi_generator(),
            "generate",
            "--input-spec",
            str(document),
            "--generator-name",
            generator,
            "--output",
            str(out),
            "--additional-properties",
            properties,
        ]
    )
    if result.returncode != 0:
        raise RuntimeError(f"openapi-generator {generator} failed:\n{result.stdout}{result.stderr}")
    output = result.stdout + result.stderr
    return [line for line in output.splitlines() if _GENERATOR_WARNING.search(line)]


def build(out: Path, *, document: Path | None = None) -> Report:
    """Everything `make sdk` makes, into `out`; the document is generated from the code unless given."""
    out.mkdir(parents=True, exist_ok=True)
    schema = out / "openapi.json"
    if document is None:
        write_schema(schema)
    elif document.resolve() != schema.resolve():
        shutil.copyfile(document, schema)
    report = Report(lint_problems=lint(schema))
    report.warnings["typescript"] = generate_typescript(schema, out / "typescript")
    for name, (generator, options) in OPENAPI_GENERATORS.items():
        report.warnings[name] = generate_with_openapi_generator(
            schema, out / name, generator=generator, options=options
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the clients go (default dist/sdk)")
    parser.add_argument("--document", type=Path, help="an OpenAPI document to use instead of the code's")
    arguments = parser.parse_args(argv)
    report = build(arguments.out, document=arguments.document)
    print(f"OpenAPI document: {arguments.out / 'openapi.json'}")
    print(f"Redocly lint: {len(report.lint_problems)} problems")
    for line in report.lint_problems:
        print(f"  {line}")
    for name, warnings in report.warnings.items():
        print(f"{name}: {arguments.out / name} ({len(warnings)} warnings)")
        for line in warnings:
            print(f"  {line}")
    return 0 if report.clean else 1


if __name__ == "__main__":
    sys.exit(main())
