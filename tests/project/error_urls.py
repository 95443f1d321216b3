"""Test URLconf: the project's routes plus views that fail, to see what clients get back."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from project.urls import handler400, handler403, handler404, handler500
from project.urls import urlpatterns as project_urlpatterns

SECRET_DETAIL = "db password hunter2 in /srv/app/notes/services.py"


class BrokenApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise RuntimeError(SECRET_DETAIL)


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


def form_view(request: HttpRequest) -> HttpResponse:
    # A plain Django view: CSRF-protected, unlike DRF's.
    return HttpResponse("posted")


def forbidden_view(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(SECRET_DETAIL)


urlpatterns = [
    path("api/v1/test-broken", BrokenApi.as_view()),
    path("api/test-broken-plain", broken_view),
    path("api/test-forbidden-plain", forbidden_view),
    path("api/test-csrf-protected", form_view),
    path("notes/test-broken", broken_view),
    path("test-broken", broken_view),
    *project_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
