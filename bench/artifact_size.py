"""The Lambda artifact (SPEC §8): zip size ≤ 50 MB and no native library needing a glibc newer than 2.34.

Reads the dev stage's zip that `make package LOCAL=1` makes (the one the cold-start row runs,
built now if this run has not built it yet) with artifact.verify's own checks.
"""

from __future__ import annotations

from bench.results import Row
from bench.stack import Stack

NAME = "artifact"


def run(stack: Stack) -> list[Row]:
    from artifact.verify import LAMBDA_GLIBC, MAX_BYTES, ArtifactRejected, verify_artifact, version_text

    zip_path = stack.lambridge_zip()
    # Limits out of reach here, so the report comes back and the rows below compare it; any other
    # problem verify_artifact finds fails the size row with its list.
    unbounded_glibc = (99, 99)
    problems: list[str] = []
    try:
        report = verify_artifact(zip_path, max_bytes=2**40, max_glibc=unbounded_glibc)
        size, glibc, glibc_file = report.size_bytes, report.highest_glibc, report.highest_glibc_file
    except ArtifactRejected as exc:
        problems = exc.problems
        size, glibc, glibc_file = zip_path.stat().st_size, (), ""
    megabytes = size / 1024 / 1024
    limit = MAX_BYTES / 1024 / 1024
    glibc_number = float(".".join(str(part) for part in glibc[:2])) if glibc else 0.0
    return [
        Row(
            f"Lambda artifact zip size ({zip_path.name})",
            megabytes,
            "MB",
            target=f"<= {limit:.0f} MB",
            passed=size <= MAX_BYTES and not problems,
            details={"bytes": size, "problems": problems},
        ),
        Row(
            "Lambda artifact: highest glibc a native library needs",
            glibc_number,
            "",
            target=f"<= {version_text(LAMBDA_GLIBC)}",
            passed=bool(glibc) and glibc <= LAMBDA_GLIBC,
            details={"glibc": version_text(glibc) if glibc else None, "file": glibc_file},
        ),
    ]
