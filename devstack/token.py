"""`make token`: a fresh demo bearer token from the running local stack (SPEC §7).

The token `make run` prints lasts an hour; this signs the demo user in again against the same
emulated Cognito pool, read from the env file `make run` wrote, and prints only the ID token, so
`TOKEN=$(make -s token)` works in scripts.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from devstack.run import ROOT, env_file

NOT_RUNNING_MESSAGE = "No local stack answers at {where}: start it with `make run` in another shell, then try again."
# What a demo token needs from the env file; without one of them, the stack never wrote it.
REQUIRED_SETTINGS = ("AWS_ENDPOINT_URL", "COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_IDS")


def read_env_file(path: Path) -> dict[str, str]:
    """The NAME=value lines of an env file `make run` wrote (values shell-quoted), comments skipped."""
    settings: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        words = shlex.split(value)
        settings[name.strip()] = words[0] if words else ""
    return settings


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    path = env_file()
    settings = read_env_file(path) if path.is_file() else {}
    if any(not settings.get(name) for name in REQUIRED_SETTINGS):
        raise SystemExit(NOT_RUNNING_MESSAGE.format(where=f"{path} (missing or incomplete)"))
    # The running stack's values win over whatever this shell had.
    os.environ.update(settings)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django
    from botocore.exceptions import BotoCoreError, ClientError

    django.setup()
    from django.conf import settings as django_settings

    from devstack.aws_resources import DevstackResources
    from devstack.run import demo_bearer_token

    resources = DevstackResources(
        bucket=django_settings.AWS_STORAGE_BUCKET_NAME,
        notes_table=django_settings.NOTES_TABLE,
        notes_stream_arn="",
        user_pool_id=django_settings.COGNITO_USER_POOL_ID,
        app_client_id=django_settings.COGNITO_APP_CLIENT_IDS[0],
        region=django_settings.AWS_REGION,
        endpoint_url=django_settings.AWS_ENDPOINT_URL,
    )
    try:
        token = demo_bearer_token(resources)
    except (BotoCoreError, ClientError) as exc:
        reason = exc.response["Error"]["Message"] if isinstance(exc, ClientError) else type(exc).__name__
        raise SystemExit(NOT_RUNNING_MESSAGE.format(where=f"{resources.endpoint_url} ({reason})")) from None
    print(token)


if __name__ == "__main__":
    main()
