"""Django settings for `python -m deploy`: only what aws/clients.py reads.

The deploy tool signs nothing and opens no database, so it needs no SECRET_KEY or DATABASE_URL
(the function gets its own from SSM); the project's settings would insist on them.
"""

from __future__ import annotations

import environ

env = environ.Env()

SECRET_KEY = "deploy-tool-signs-nothing"  # noqa: S105 - never used to sign: no sessions, no app
AWS_REGION = env.str("AWS_REGION", default=env.str("AWS_DEFAULT_REGION", default="us-east-1"))
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="")
INSTALLED_APPS: list[str] = []
USE_TZ = True
