"""API permissions of the accounts room."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.errors import API_KEY_INVALID
from accounts.services import api_key_is_valid

API_KEY_HEADER = "x-api-key"
# The OpenAPI security scheme of the key.
API_KEY_SCHEME_NAME = "apiKey"


class HasValidApiKey(BasePermission):
    """With API_KEY_REQUIRED, every call also needs an issued, unrevoked `x-api-key`."""

    message = "A valid x-api-key header is required; keys are issued and revoked by staff in the admin."
    code = API_KEY_INVALID

    def has_permission(self, request: Request, view: Any) -> bool:
        return api_key_is_valid(request.headers.get(API_KEY_HEADER))

    def openapi_security_scheme(self) -> tuple[str, dict[str, Any]] | None:
        """The `x-api-key` header as an OpenAPI security scheme, when this deployment requires keys."""
        if not settings.API_KEY_REQUIRED:
            return None
        return API_KEY_SCHEME_NAME, {
            "type": "apiKey",
            "in": "header",
            "name": API_KEY_HEADER,
            "description": "An API key issued by staff in the admin; needed on every call of this "
            "deployment, together with the bearer token.",
        }
