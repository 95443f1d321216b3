"""STATIC_URL → STORAGES["staticfiles"], as a fresh process reads them from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
from django.templatetags.static import static
print(json.dumps({"storage": settings.STORAGES["staticfiles"], "css": static("admin/css/base.css")}))
"""


def _run(**environment: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "STATIC_"))}
    env |= {"DJANGO_SETTINGS_MODULE": "project.settings", "SECRET_KEY": "x"} | environment
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )


def static_settings(**environment: str) -> dict[str, Any]:
    completed = _run(**environment)
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_locally_static_files_stay_on_disk_under_a_relative_url() -> None:
    values = static_settings()

    assert values["storage"] == {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    assert values["css"] == "/static/admin/css/base.css"


def test_an_absolute_cloudfront_url_puts_static_files_in_the_media_buckets_static_folder() -> None:
    values = static_settings(
        STATIC_URL="https://d111111abcdef8.cloudfront.net/static/", AWS_STORAGE_BUCKET_NAME="lambridge-media-dev"
    )

    storage = values["storage"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "lambridge-media-dev"
    assert storage["OPTIONS"]["location"] == "static"
    assert storage["OPTIONS"]["querystring_auth"] is False
    assert storage["OPTIONS"]["endpoint_url"] is None
    assert values["css"] == "https://d111111abcdef8.cloudfront.net/static/admin/css/base.css"


def test_a_static_bucket_of_its_own_and_a_url_with_a_path_before_static() -> None:
    values = static_settings(
        STATIC_URL="https://assets.example.com/lambridge/static/",
        AWS_STORAGE_BUCKET_NAME="photos",
        AWS_STATIC_BUCKET_NAME="lambridge-assets",
    )

    assert values["storage"]["OPTIONS"]["bucket_name"] == "lambridge-assets"
    assert values["css"] == "https://assets.example.com/lambridge/static/admin/css/base.css"


def test_an_absolute_url_not_ending_in_static_is_refused_with_the_reason() -> None:
    completed = _run(STATIC_URL="https://d111111abcdef8.cloudfront.net/assets/")

    assert completed.returncode != 0
    assert "An absolute STATIC_URL must end with /static/" in completed.stderr
