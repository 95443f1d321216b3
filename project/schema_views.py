"""The public OpenAPI document (/api/schema/) and its Swagger UI page (/api/docs/).

Apart from api/openapi.py because drf-spectacular's views import the schema class (settings'
DEFAULT_SCHEMA_CLASS, which lives there) while their module loads.
"""

from __future__ import annotations

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


class SchemaApi(SpectacularAPIView):
    """GET /api/schema/: the OpenAPI 3 document, JSON unless `?format=yaml` (or an OpenAPI YAML Accept)."""

    # JSON first: DRF answers with the first renderer when the client states no preference.
    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2]


class DocsView(SpectacularSwaggerView):
    """GET /api/docs/: Swagger UI over /api/schema/, its assets served from drf-spectacular-sidecar."""

    url_name = "api-schema"
