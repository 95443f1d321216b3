"""The admin's CSS and JS on a Lambda stage: /admin/login/ through the real Zappa handler names absolute static
URLs (under the execute-api stage prefix and on a custom domain), served from the private bucket that collectstatic
filled, through the local stand-in for CloudFront (devstack/cdn.py) as the distribution serves them on AWS."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from pytest_django.fixtures import SettingsWrapper
from zappa.cli import ZappaCLI
from zappa.handler import LambdaHandler

from aws.clients import s3_client
from devstack.aws_resources import DevstackResources
from devstack.cdn import LocalCdn
from devstack.moto_server import MotoServer
from project.settings_builders import s3_storages

# A request through the handler may touch the database (sessions, users), as on Lambda; Zappa's
# WSGI path closes connections after each request, so the test cannot hold one transaction open.
pytestmark = pytest.mark.django_db(transaction=True)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STAGE = "dev"
EXECUTE_API_HOST = "abc123defg.execute-api.us-east-1.amazonaws.com"
CUSTOM_DOMAIN = "api.lambridge.example.com"
ASSET_PATTERN = re.compile(r'<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src)="([^"]+)"')
FORM_ACTION_PATTERN = re.compile(r'<form[^>]*action="([^"]+)"')
_COLLECTED: set[tuple[str, str]] = set()


def zappa_settings_module_text(stage: str) -> str:
    """The `zappa_settings` module `zappa package` writes into the artifact for `stage`, from zappa_settings.json."""
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings(str(PROJECT_ROOT / "zappa_settings.json"))
    text: str = cli.get_zappa_settings_string()
    return text


@pytest.fixture
def zappa_handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaHandler]:
    """Zappa's LambdaHandler loading a settings module generated as `zappa package` does, in this process."""
    text = zappa_settings_module_text(STAGE)
    assert "DJANGO_SETTINGS='project.settings'" in text
    module_name = f"zappa_settings_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module_name}.py").write_text(text, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    # The handler copies the stage's environment_variables into os.environ; give them back afterwards.
    saved_environment = dict(os.environ)
    # A process holds one handler (a singleton): start from none and leave none behind.
    LambdaHandler._LambdaHandler__instance = None  # type: ignore[attr-defined]
    LambdaHandler.settings = None
    try:
        yield LambdaHandler(module_name)
    finally:
        LambdaHandler._LambdaHandler__instance = None  # type: ignore[attr-defined]
        LambdaHandler.settings = None
        os.environ.clear()
        os.environ.update(saved_environment)


@pytest.fixture
def static_on_cdn(aws_stack: DevstackResources, moto_server: MotoServer, settings: SettingsWrapper) -> Iterator[str]:
    """STATIC_URL as infra_apply prints it (the distribution's domain + /static/), with the settings
    project/settings.py derives from it, after collectstatic into the moto bucket."""
    with LocalCdn(s3=s3_client(), bucket=aws_stack.bucket) as cdn:
        static_url = f"{cdn.url}/static/"
        settings.STATIC_URL = static_url
        settings.STORAGES = s3_storages(
            bucket=aws_stack.bucket,
            region=settings.AWS_REGION,
            endpoint_url=moto_server.endpoint_url,
            url_expires_seconds=settings.MEDIA_URL_EXPIRES_SECONDS,
            static_url=static_url,
        )
        settings.ALLOWED_HOSTS = [EXECUTE_API_HOST, CUSTOM_DOMAIN]
        # The session's moto keeps the files: upload them once (a few seconds), not for every test.
        if (moto_server.endpoint_url, aws_stack.bucket) not in _COLLECTED:
            call_command("collectstatic", interactive=False, verbosity=0)
            _COLLECTED.add((moto_server.endpoint_url, aws_stack.bucket))
        yield static_url


def rest_api_event(*, host: str, path: str, stage_in_path: bool) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event for GET `path`, as it arrives on `host`."""
    headers = {
        "Host": host,
        "Accept": "text/html",
        "User-Agent": "Mozilla/5.0",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.strip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": "GET",
            "path": f"/{STAGE}{path}" if stage_in_path else path,
            "stage": STAGE,
            "domainName": host,
            "apiId": "abc123defg",
            "accountId": "123456789012",
            "requestId": str(uuid.uuid4()),
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def _fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # our own local servers
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), b""


def _assert_assets_are_served(html: str, static_url: str) -> None:
    assets = ASSET_PATTERN.findall(html)
    stylesheets = [url for url in assets if url.endswith(".css")]
    assert "admin/css/base.css" in {url.removeprefix(static_url) for url in stylesheets}, assets
    assert any(url.endswith(".js") for url in assets), assets
    for url in assets:
        assert url.startswith(static_url), url
        status, content_type, body = _fetch(url)
        local = finders.find(url.removeprefix(static_url))
        assert status == 200, url
        assert local is not None, url
        assert body == Path(local).read_bytes(), url
        if url.endswith(".css"):
            assert content_type.startswith("text/css"), (url, content_type)


def test_login_page_under_the_stage_prefix_names_absolute_static_urls_the_distribution_serves(
    zappa_handler: LambdaHandler, static_on_cdn: str
) -> None:
    event = rest_api_event(host=EXECUTE_API_HOST, path="/admin/login/", stage_in_path=True)

    response = zappa_handler.handler(event, None)

    assert response["statusCode"] == 200, response.get("body", "")[:500]
    html = response["body"]
    # The page itself knows its stage prefix (the form posts back under /dev) ...
    assert FORM_ACTION_PATTERN.findall(html) == [f"/{STAGE}/admin/login/"]
    # ... but its CSS and JS do not get it: they live in the bucket.
    _assert_assets_are_served(html, static_on_cdn)
    assert f"/{STAGE}/static/" not in html


def test_login_page_on_a_custom_domain_names_the_same_absolute_static_urls(
    zappa_handler: LambdaHandler, static_on_cdn: str
) -> None:
    event = rest_api_event(host=CUSTOM_DOMAIN, path="/admin/login/", stage_in_path=False)

    response = zappa_handler.handler(event, None)

    assert response["statusCode"] == 200, response.get("body", "")[:500]
    html = response["body"]
    assert FORM_ACTION_PATTERN.findall(html) == ["/admin/login/"]
    _assert_assets_are_served(html, static_on_cdn)


def test_collectstatic_put_the_files_under_static_with_a_cache_lifetime(
    static_on_cdn: str, aws_stack: DevstackResources
) -> None:
    head = s3_client().head_object(Bucket=aws_stack.bucket, Key="static/admin/css/base.css")

    assert head["CacheControl"] == "public, max-age=3600"
    assert head["ContentType"].startswith("text/css")


def test_the_bucket_itself_stays_private_only_the_distribution_reads_it(
    static_on_cdn: str, aws_stack: DevstackResources, moto_server: MotoServer
) -> None:
    direct, _, _ = _fetch(f"{moto_server.endpoint_url}/{aws_stack.bucket}/static/admin/css/base.css")
    through_cdn, _, _ = _fetch(f"{static_on_cdn}admin/css/base.css")
    missing, _, _ = _fetch(f"{static_on_cdn}admin/css/no-such-file.css")

    assert direct == 403
    assert through_cdn == 200
    assert missing == 404
