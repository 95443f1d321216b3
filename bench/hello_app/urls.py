"""The hello app's one route."""

from __future__ import annotations

from django.urls import path
from hello_app.views import HelloApi

urlpatterns = [path("hello/", HelloApi.as_view())]
