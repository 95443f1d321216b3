"""Lambridge's own push tables: the devices that registered for push, and staff broadcasts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Platform(models.TextChoices):
    """The SNS platform application a device's endpoint lives in."""

    IOS = "ios", "iOS (APNs)"
    IOS_SANDBOX = "ios_sandbox", "iOS development build (APNs sandbox)"
    ANDROID = "android", "Android (FCM)"


class Device(models.Model):
    """One app install that can receive pushes: its token and the SNS platform endpoint made for it.

    The row also carries the device's silent-sync outbox: `sync_pending_since` is set (in the
    transaction of a note write) when the device should be told its owner's notes changed, and
    cleared when the push is sent; the sender keeps one push per device per interval.
    """

    # The API's `deviceId`; a new one when the token changes hands.
    device_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    # The site's `users.user_id` (another database may hold that table: no foreign key).
    site_user_id = models.PositiveIntegerField()
    platform = models.CharField(max_length=16, choices=Platform.choices)
    # The APNs/FCM token: a secret of the device, never logged, never exported.
    token = models.TextField()
    # sha256 of platform and token: the unique key (a token can be longer than an index allows).
    token_digest = models.CharField(max_length=64, unique=True)
    endpoint_arn = models.CharField(max_length=512, blank=True, default="")
    # The endpoint's subscription to SNS_BROADCAST_TOPIC_ARN (empty: not subscribed).
    subscription_arn = models.CharField(max_length=512, blank=True, default="")
    # False once SNS reported the endpoint disabled (the app was uninstalled or the token expired).
    enabled = models.BooleanField(default=True)
    locale = models.CharField(max_length=35, blank=True, default="")
    app_version = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    # Silent sync push outbox (see the class docstring).
    sync_pending_since = models.DateTimeField(null=True, blank=True)
    last_sync_push_at = models.DateTimeField(null=True, blank=True)
    sync_attempts = models.PositiveIntegerField(default=0)
    sync_next_attempt_at = models.DateTimeField(null=True, blank=True)
    sync_last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["site_user_id", "last_seen_at"], name="push_device_user_seen"),
            models.Index(fields=["sync_pending_since"], name="push_device_sync_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} device {self.device_id} of user {self.site_user_id}"


class Broadcast(models.Model):
    """A notification staff send to every device (the topic) or to the devices of chosen users.

    Made as a draft (its payload can be previewed), then sent in batches: progress is saved after
    each batch, so a send cut short (a Lambda timeout) is finished by `push_drain`.
    """

    class Audience(models.TextChoices):
        ALL = "all", "Every device (the broadcast topic)"
        USERS = "users", "The devices of selected site users"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (not sent)"
        SENDING = "sending", "Sending"
        DONE = "done", "Sent"
        FAILED = "failed", "Failed"

    title = models.CharField(max_length=100)
    body = models.TextField(max_length=1000)
    deep_link = models.CharField(max_length=500, blank=True, default="")
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.USERS)
    site_user_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Devices to reach when sending began, and how it went so far.
    endpoints_total = models.PositiveIntegerField(default=0)
    endpoints_reached = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    endpoints_disabled = models.PositiveIntegerField(default=0)
    # Devices with a larger primary key are still to be sent to (the batches go in key order).
    cursor = models.PositiveBigIntegerField(default=0)
    # Whoever sends holds this lease; another sender (the drain) waits until it runs out.
    lease_until = models.DateTimeField(null=True, blank=True)
    topic_message_id = models.CharField(max_length=100, blank=True, default="")
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"
