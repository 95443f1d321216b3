"""API permissions of the accounts room."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.services import api_key_is_valid

API_KEY_HEADER = "x-api-key"
API_KEY_INVALID = "api_key_invalid"


class HasValidApiKey(BasePermission):
    """With API_KEY_REQUIRED, every call also needs an issued, unrevoked `x-api-key`."""

    message = "A valid x-api-key header is required; keys are issued and revoked by staff in the admin."
    code = API_KEY_INVALID

    def has_permission(self, request: Request, view: Any) -> bool:
        return api_key_is_valid(request.headers.get(API_KEY_HEADER))
