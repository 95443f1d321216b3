"""Lambridge settings, all read from the environment (SPEC §6) with safe local defaults.

The same file serves `make run`, the tests and every Lambda stage: a stage differs only by its
environment variables, so nothing exists only in production. A `.env` file in the project root
is read when present (it is never committed; `.env.example` lists every variable).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from project.settings_builders import database_from_url, s3_storages

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Values already in the real environment win over the file.
    env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Core -----------------------------------------------------------------------------------

# Off unless asked for: a forgotten variable must never expose debug pages on a real stage.
DEBUG = env.bool("DEBUG", default=False)

# A throwaway key is fine for local work; a real stage must set its own.
_LOCAL_SECRET_KEY = "local-development-only-not-a-secret"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_LOCAL_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

# Lambda stages list their API Gateway / custom domains here.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
# The PHP site's address (e.g. https://www.example.com): the admin's "View site" link and the preview
# of a note's site photo (SITE_URL/photo_path). Empty: no link, no site preview.
SITE_URL = env.str("SITE_URL", default="")

INSTALLED_APPS = [
    # django.contrib.admin with our AdminSite ("View site" → SITE_URL, project/admin_site.py).
    "project.admin_site.LambridgeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "project",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI's JS/CSS as static files: /api/docs/ loads nothing from a CDN.
    "drf_spectacular_sidecar",
    "legacy",
    "accounts",
    "notes",
    "uploads",
    "push",
    "datasets",
]
# Apps for a developer's or operator's machine, never a Lambda stage: the local stack's commands
# (`devstack`) and the CloudFormation template with `infra_apply` (`infra`). `make run`, the tests
# and an operator running `infra_apply` set DEV_APPS=true.
DEV_APPS = env.bool("DEV_APPS", default=False)
if DEV_APPS:
    INSTALLED_APPS += ["devstack", "infra"]

MIDDLEWARE = [
    # First: every later log line of the request carries its id, and its own line measures it all.
    "project.logs.RequestLogMiddleware",
    # CloudWatch metrics (EMF lines) for every request, the cold start included.
    "project.request_metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body: DRF's parsers would otherwise accept any size.
    "project.error_pages.ApiBodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before CommonMiddleware: an API path answers in both slash forms, never with APPEND_SLASH's 301.
    "project.slashes.SlashAgnosticApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Cognito staff are checked against Cognito again every few minutes (SPEC §3); after messages.
    "accounts.middleware.CognitoStaffRecheckMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # templates/admin/index.html: the dashboard on the admin's first page; base_site.html extends
        # Django's own with the mirror's failure banner on every page.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- HTTPS and sessions -----------------------------------------------------------------------

# On Lambda (Zappa sets SERVERTYPE before Django loads) every request arrives over HTTPS through API
# Gateway: cookies are secure-only, browsers are told to stay on HTTPS, and a plain-HTTP request is
# redirected. Locally (runserver, gunicorn in the benchmarks, the tests) there is no TLS.
HTTPS_ONLY = env.bool("HTTPS_ONLY", default=os.environ.get("SERVERTYPE") == "AWS Lambda")
SECURE_SSL_REDIRECT = HTTPS_ONLY
# API Gateway terminates TLS and says so in X-Forwarded-Proto (Zappa also marks its environ https).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS_ONLY else None
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
# A year, as `check --deploy` expects; 0 (off) locally, where there is no HTTPS to insist on.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS_ONLY)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS_ONLY)
# Admin sessions last a working day, not Django's two weeks, and end with the browser.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=10 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# How often a Cognito staff member's admin session is checked against Cognito (enabled, in `staff`).
COGNITO_STAFF_RECHECK_SECONDS = env.int("COGNITO_STAFF_RECHECK_SECONDS", default=300)

# --- Databases ------------------------------------------------------------------------------

# Django's MySQL backend, but every table Lambridge creates is InnoDB utf8mb4 (project/mysql).
MYSQL_ENGINE = "project.mysql"
# utf8mb4 on the wire (latin1 columns are converted by the server); strict mode so text a latin1
# column cannot hold is refused instead of silently becoming "?"; UTC so TIMESTAMP columns read
# the same whatever the server's zone. No NO_ZERO_DATE: the site's rows hold zero dates.
MYSQL_INIT_COMMAND = (
    "SET sql_mode='STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', time_zone='+00:00'"
)


# A database that is down or unreachable must give a quick 503, never a hung request: bounded waits
# to connect and for each answer (Lambda's own timeout is 30 s).
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
DATABASE_READ_TIMEOUT = env.int("DATABASE_READ_TIMEOUT", default=20)
# Lambda reuses a process for many requests; keep the connection (checked before each use).
DATABASE_CONN_MAX_AGE = env.int("DATABASE_CONN_MAX_AGE", default=60)
# A Secrets Manager secret {"username", "password"} for every MySQL database (RDS writes and
# rotates it); read at the first connection and again when MySQL refuses the cached password.
# Empty: the URLs carry the credentials.
DATABASE_SECRET_ARN = env.str("DATABASE_SECRET_ARN", default="")


# Every DATABASES entry gets these (project/settings_builders.py, database_from_url).
DATABASE_OPTIONS: dict[str, Any] = {
    "engine": MYSQL_ENGINE,
    "init_command": MYSQL_INIT_COMMAND,
    "connect_timeout": DATABASE_CONNECT_TIMEOUT,
    "read_timeout": DATABASE_READ_TIMEOUT,
    "conn_max_age": DATABASE_CONN_MAX_AGE,
    "secret_arn": DATABASE_SECRET_ARN,
}

DATABASE_URL = env.str("DATABASE_URL", default="mysql://root@127.0.0.1:3306/lambridge")
DATABASES: dict[str, dict[str, Any]] = {"default": database_from_url(DATABASE_URL, **DATABASE_OPTIONS)}

# The site's tables may live in another database; the router (legacy/router.py) sends the legacy
# models there and keeps every migration away from it.
LEGACY_DATABASE_URL = env.str("LEGACY_DATABASE_URL", default="")
if LEGACY_DATABASE_URL:
    DATABASES["legacy"] = database_from_url(LEGACY_DATABASE_URL, **DATABASE_OPTIONS)
LEGACY_DATABASE_ALIAS = "legacy" if LEGACY_DATABASE_URL else "default"

DATABASE_ROUTERS = ["legacy.router.LegacyRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- API ------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Cognito first: DRF takes the 401 challenge (WWW-Authenticate) from the first class.
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.identity.SiteUserAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.HasValidApiKey",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "api.openapi.LambridgeAutoSchema",
    # Rates come from API_THROTTLE_RATE_* below (the classes read them per request).
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.SiteUserRateThrottle",
        "api.throttling.AnonymousRateThrottle",
    ],
    # X-Forwarded-For is the client's to write (and Zappa copies it into REMOTE_ADDR): the anonymous
    # throttle keys on API Gateway's source IP instead (api/throttling.py client_ip).
    "NUM_PROXIES": 0,
}

# Requests per user (signed-in calls) and per IP (anonymous calls), as "<count>/<sec|min|hour|day>".
API_THROTTLE_RATE_USER = env.str("API_THROTTLE_RATE_USER", default="1200/min")
API_THROTTLE_RATE_ANON = env.str("API_THROTTLE_RATE_ANON", default="120/min")

# Throttle counters live here. The local-memory default counts per process, i.e. per Lambda
# container: a global limit needs a shared cache (CACHE_URL=rediscache://... to ElastiCache, with
# `redis` added to requirements) or API Gateway usage plans in front.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# The OpenAPI document (/api/schema/) and Swagger UI (/api/docs/); conventions in api/openapi.py.
SPECTACULAR_SETTINGS = {
    "TITLE": "Lambridge API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (BASE_DIR / "project" / "openapi_description.md").read_text(encoding="utf-8"),
    # Separate request and response components (e.g. read-only fields only in responses), as
    # client generators expect.
    "COMPONENT_SPLIT_REQUEST": True,
    # Our views build their serializers themselves (no generic views making PATCH partial), so
    # the schema shows an input serializer as written: optional fields say required=False.
    "COMPONENT_SPLIT_PATCH": False,
    # Tags and path handling see /api/v1/me as "me".
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Generated clients start from these (without any, they default to http://localhost); apps set
    # their own stage's URL at run time.
    "SERVERS": [
        {
            "url": "https://{apiHost}",
            "description": "A deployed stage: its custom domain, or API Gateway's host and stage path.",
            "variables": {"apiHost": {"default": "api.example.com"}},
        },
        {"url": "http://127.0.0.1:8000", "description": "The local stack (`make run`)."},
    ],
    "LICENSE": {"name": "Proprietary"},
    # One enum component each, reused by every body and filter that takes it (generated clients
    # get one Visibility type, not one per field).
    "ENUM_NAME_OVERRIDES": {
        "Visibility": "legacy.models.LegacyNote.Visibility",
        "NoteListScope": "notes.selectors.NOTE_LIST_SCOPES",
    },
    # The schema views document nothing themselves.
    "SERVE_INCLUDE_SCHEMA": False,
    # Public: the document and its page need neither a token nor an API key.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True, "displayOperationId": True},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.openapi_contract.reuse_enum_components",
        "api.openapi.add_error_code_table",
    ],
}

# --- Auth, i18n, static ---------------------------------------------------------------------

# Staff sign into the admin with their site password, or as members of the Cognito group
# `staff` with their Cognito password (accounts/backends.py); Django's own staff accounts keep
# working through ModelBackend.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.SitePasswordBackend",
    "accounts.backends.CognitoStaffBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Relative locally (runserver serves it). A Lambda stage sets an absolute URL (the CloudFront
# domain + /static/, or the bucket's): Zappa puts the stage in SCRIPT_NAME on execute-api hosts,
# and a relative STATIC_URL would get that prefix, so the admin's CSS would point at the function.
STATIC_URL = env.str("STATIC_URL", default="/static/")
STATIC_ROOT = BASE_DIR / "staticfiles"
# With an absolute STATIC_URL, collectstatic uploads to this bucket under static/; empty: the media bucket.
AWS_STATIC_BUCKET_NAME = env.str("AWS_STATIC_BUCKET_NAME", default="")

# Django's own errors answer in the API's JSON shape on API paths (project/error_pages.py).
CSRF_FAILURE_VIEW = "project.error_pages.csrf_failure"

# --- AWS ------------------------------------------------------------------------------------

AWS_REGION = env.str("AWS_REGION", default="us-east-1")
# Set to the local emulator (moto server) in development and tests; empty on AWS. boto3 reads
# the same variable natively; aws/clients.py passes it explicitly so settings overrides work.
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="")
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="lambridge-media")
# CloudFront domain in front of the bucket; media URLs use it when set.
MEDIA_CDN_DOMAIN = env.str("MEDIA_CDN_DOMAIN", default="")
COGNITO_USER_POOL_ID = env.str("COGNITO_USER_POOL_ID", default="")
COGNITO_APP_CLIENT_IDS = env.list("COGNITO_APP_CLIENT_IDS", default=[])
# Only for emulators, whose JWKS lives elsewhere than the issuer URL says.
COGNITO_JWKS_URL = env.str("COGNITO_JWKS_URL", default="")
# Take claims from API Gateway's Cognito authorizer as already verified; only when the function is
# reachable solely through that gateway.
COGNITO_TRUST_GATEWAY_AUTHORIZER = env.bool("COGNITO_TRUST_GATEWAY_AUTHORIZER", default=False)
# Clock skew tolerated on exp/nbf/iat: covers NTP-synced Lambda hosts without letting an expired
# token live noticeably longer.
COGNITO_TOKEN_LEEWAY_SECONDS = env.int("COGNITO_TOKEN_LEEWAY_SECONDS", default=30)
NOTES_TABLE = env.str("NOTES_TABLE", default="Notes")
CLOUDSEARCH_DOCUMENT_ENDPOINT = env.str("CLOUDSEARCH_DOCUMENT_ENDPOINT", default="")
CLOUDSEARCH_SEARCH_ENDPOINT = env.str("CLOUDSEARCH_SEARCH_ENDPOINT", default="")
# Which search engine indexes and searches notes (notes/search): `mysql` (a FULLTEXT table in this
# database; works in every AWS account, so the default) or `cloudsearch` (closed to new customers).
SEARCH_BACKEND = env.str("SEARCH_BACKEND", default="mysql")
# The reference puts the API behind API Gateway keys; this makes the app require them too.
API_KEY_REQUIRED = env.bool("API_KEY_REQUIRED", default=False)
# Send a changed note to DynamoDB right after the write commits; off, only `mirror_drain` sends
# (the scheduled event), e.g. to keep AWS calls out of API requests entirely.
MIRROR_SEND_ON_COMMIT = env.bool("MIRROR_SEND_ON_COMMIT", default=True)
# Change data capture (notes/cdc.py): follow the site's row-based binlog, so its writes reach the
# mirror within a minute without scanning `notes`. Needs log_bin, binlog_format=ROW and the
# REPLICATION SLAVE + REPLICATION CLIENT privileges; off, the reconciler is the only way.
CDC_ENABLED = env.bool("CDC_ENABLED", default=False)
# A replication client's server id must be unique among the server's replicas; 0 derives one from
# the database's name (staging and production on one server then differ).
CDC_CLIENT_SERVER_ID = env.int("CDC_CLIENT_SERVER_ID", default=0)
# How long one scheduled run reads the binlog before it stops (Lambda's timeout is 30 s).
CDC_MAX_SECONDS = env.float("CDC_MAX_SECONDS", default=20.0)
# How long a write waits for another write to the same note (its MySQL named lock) before the API
# answers 503 with Retry-After: writes hold it only for their database work, never for AWS calls.
NOTE_LOCK_TIMEOUT_SECONDS = env.int("NOTE_LOCK_TIMEOUT_SECONDS", default=10)
# /readyz answers 503 when a note change has waited (or kept failing) longer than this to reach
# DynamoDB: the drain runs every minute, so 15 minutes is an outage, not a slow send.
READY_MIRROR_MAX_AGE_SECONDS = env.int("READY_MIRROR_MAX_AGE_SECONDS", default=900)

# --- Push (SNS mobile push, push/) -----------------------------------------------------------
# The SNS platform applications devices register in (empty: that platform is not offered), and
# the topic every endpoint is subscribed to for staff broadcasts to all devices.
SNS_APNS_APPLICATION_ARN = env.str("SNS_APNS_APPLICATION_ARN", default="")
SNS_APNS_SANDBOX_APPLICATION_ARN = env.str("SNS_APNS_SANDBOX_APPLICATION_ARN", default="")
SNS_FCM_APPLICATION_ARN = env.str("SNS_FCM_APPLICATION_ARN", default="")
SNS_BROADCAST_TOPIC_ARN = env.str("SNS_BROADCAST_TOPIC_ARN", default="")

# --- Media ---------------------------------------------------------------------------------

# Photos only: a phone photo is a few MB; anything bigger is a mistake or abuse.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# What the apps and staff may upload: the image types phones produce (HEIC/HEIF from iPhones).
UPLOAD_ALLOWED_CONTENT_TYPES = env.list(
    "UPLOAD_ALLOWED_CONTENT_TYPES",
    default=["image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif"],
)
# Long enough for a slow mobile upload to start, short enough that a leaked form is soon useless.
UPLOAD_URL_EXPIRES_SECONDS = env.int("UPLOAD_URL_EXPIRES_SECONDS", default=900)
# Signed photo URLs (S3 or CloudFront) outlive an app session's screen, not a shared link's week.
MEDIA_URL_EXPIRES_SECONDS = env.int("MEDIA_URL_EXPIRES_SECONDS", default=3600)
# GET /api/v1/me/export answers a document up to this size itself; a larger one is written to the
# media bucket (exports/, removed after a day by the template's lifecycle rule) and the answer is a
# 303 to a presigned URL: a Lambda response cannot exceed 6 MB.
EXPORT_INLINE_MAX_BYTES = env.int("EXPORT_INLINE_MAX_BYTES", default=5 * 1024 * 1024)
EXPORT_URL_EXPIRES_SECONDS = env.int("EXPORT_URL_EXPIRES_SECONDS", default=900)
# CloudFront key pair that signs URLs of private photos; empty = no CloudFront signing.
CLOUDFRONT_KEY_ID = env.str("CLOUDFRONT_KEY_ID", default="")
# PEM text; multiline=True turns the "\n" escapes environment variables usually carry into newlines.
CLOUDFRONT_PRIVATE_KEY = env.str("CLOUDFRONT_PRIVATE_KEY", default="", multiline=True)


STORAGES = s3_storages(
    bucket=AWS_STORAGE_BUCKET_NAME,
    region=AWS_REGION,
    endpoint_url=AWS_ENDPOINT_URL,
    url_expires_seconds=MEDIA_URL_EXPIRES_SECONDS,
    static_url=STATIC_URL,
    static_bucket=AWS_STATIC_BUCKET_NAME,
)

# --- Logging --------------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "json": one object per line for CloudWatch Logs Insights (every stage); "plain" reads better in a
# terminal. Both blank anything shaped like a token, password or signature (project/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
# CloudWatch embedded-metric-format lines (aws/metrics.py): their namespace; METRICS_LOG_LEVEL=WARNING
# turns them off (e.g. in a terminal).
METRICS_NAMESPACE = env.str("METRICS_NAMESPACE", default="Lambridge")
METRICS_LOG_LEVEL = env.str("METRICS_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "project.logs.JsonFormatter"},
        "plain": {"()": "project.logs.RedactingFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "metrics": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
        # EMF lines as they are, on stdout: CloudWatch reads them as metrics (aws/metrics.py).
        "metrics": {"class": "logging.StreamHandler", "formatter": "metrics", "stream": "ext://sys.stdout"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # botocore at DEBUG prints request bodies and signed headers: keep it quiet whatever LOG_LEVEL.
    "loggers": {
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        # Django's own console handler (DEBUG only) printed every django record a second time.
        "django": {"handlers": [], "level": "INFO"},
        # RequestLogMiddleware writes one line per request (status and duration included): runserver's
        # own line repeated it, and django.request added a third, with a traceback for every 403.
        # 5xx answers still get theirs.
        "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.request": {"level": "ERROR"},
        "lambridge.metrics": {"handlers": ["metrics"], "level": METRICS_LOG_LEVEL, "propagate": False},
    },
}
