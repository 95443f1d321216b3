"""Every API route answers with and without a trailing slash, the same way (SPEC §2), never by redirect.

Django's APPEND_SLASH answers a missing slash with a 301, which many HTTP clients follow as a GET (a
POST is lost) and which DEBUG turns into a 500 for a POST. Instead, before URL resolution, a path
of the API that does not resolve but resolves with the slash added or removed is served as that
one. Routes are declared once, without the slash (the form the OpenAPI document lists); routes
added later get the other form for free.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver

# The API's paths; the admin keeps Django's own slash handling.
API_PREFIXES = ("/api/", "/notes")


def _resolves(path: str, urlconf: str | None) -> bool:
    try:
        get_resolver(urlconf).resolve(path)
    except Resolver404:
        return False
    return True


def other_slash_form(path: str) -> str:
    return path[:-1] if path.endswith("/") else f"{path}/"


class SlashAgnosticApiMiddleware:
    """Serves `/api/v1/notes/` as `/api/v1/notes` (and the reverse) when only one of them is a route."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(API_PREFIXES) and path != "/":
            urlconf = getattr(request, "urlconf", None)
            if not _resolves(path, urlconf) and _resolves(other_slash_form(path), urlconf):
                request.path_info = other_slash_form(path)
        return self.get_response(request)
