"""How the accounts room's authentication appears in the OpenAPI document (api/openapi.py).

Imported by AccountsConfig.ready(): drf-spectacular finds an extension by its class being defined.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

BEARER_SCHEME_NAME = "cognitoBearer"


class CognitoBearerScheme(OpenApiAuthenticationExtension):
    """The API's authentication (accounts.identity.SiteUserAuthentication) as an HTTP bearer scheme."""

    target_class = "accounts.identity.SiteUserAuthentication"
    name = BEARER_SCHEME_NAME

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Cognito user-pool ID token or access token of one of the app's clients: "
            "`Authorization: Bearer <token>`.",
        }
