"""The Media settings as a fresh process reads them from the environment (escaped PEM newlines, STORAGES)."""

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
from django.conf import settings
print(json.dumps({
    "pem": settings.CLOUDFRONT_PRIVATE_KEY,
    "types": settings.UPLOAD_ALLOWED_CONTENT_TYPES,
    "max": settings.UPLOAD_MAX_BYTES,
    "storages": settings.STORAGES,
}))
"""


def settings_with(**environment: str) -> dict[str, Any]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CLOUDFRONT_", "UPLOAD_"))}
    env |= {"DJANGO_SETTINGS_MODULE": "project.settings", "SECRET_KEY": "x"} | environment
    completed = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_defaults_and_an_escaped_pem_from_one_line_of_environment() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\\nMIIB\\n-----END RSA PRIVATE KEY-----\\n"

    values = settings_with(CLOUDFRONT_PRIVATE_KEY=pem, AWS_ENDPOINT_URL="http://127.0.0.1:5000")

    assert values["pem"] == "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"
    assert values["max"] == 10 * 1024 * 1024
    assert values["types"] == ["image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif"]
    media = values["storages"]["default"]
    assert media["BACKEND"] == "uploads.storage.MediaStorage"
    assert media["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:5000"
    assert media["OPTIONS"]["addressing_style"] == "path"
    assert media["OPTIONS"]["signature_version"] == "s3v4"
    assert media["OPTIONS"]["file_overwrite"] is False
    assert media["OPTIONS"]["default_acl"] is None
    assert values["storages"]["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_on_aws_the_storage_uses_boto3s_own_endpoint() -> None:
    values = settings_with(AWS_STORAGE_BUCKET_NAME="photos-prod", AWS_REGION="eu-west-1", AWS_ENDPOINT_URL="")

    options = values["storages"]["default"]["OPTIONS"]
    assert options["bucket_name"] == "photos-prod"
    assert options["region_name"] == "eu-west-1"
    assert options["endpoint_url"] is None
    assert options["addressing_style"] is None
