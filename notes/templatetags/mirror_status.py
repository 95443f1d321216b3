"""`{% mirror_banner %}`: a warning on every admin page while note changes fail to reach DynamoDB."""

from __future__ import annotations

import logging
from typing import Any

from django import template
from django.db import DatabaseError
from django.urls import reverse
from django.utils.html import format_html

from notes.mirror_status import mirror_failing_count

logger = logging.getLogger(__name__)
register = template.Library()


@register.simple_tag(takes_context=True)
def mirror_banner(context: dict[str, Any]) -> str:
    """The banner for signed-in staff when sends fail; nothing otherwise (one indexed COUNT)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_staff):
        return ""
    try:
        failing = mirror_failing_count()
    except DatabaseError:
        logger.warning("mirror banner: the outbox could not be read")
        return ""
    if not failing:
        return ""
    return format_html(
        '<ul class="messagelist" id="mirror-banner"><li class="error">{} note change{} failing to reach DynamoDB: '
        'see <a href="{}">Mirror status</a>.</li></ul>',
        failing,
        "s are" if failing != 1 else " is",
        reverse("admin:mirror-status"),
    )
