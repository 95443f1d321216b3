"""An example of every request and response body of the API, by component name, for the OpenAPI
document (Swagger UI, generated clients' docs, Redocly checks each against its schema). A component
without one here makes schema generation warn, so a new endpoint brings its examples along."""

from __future__ import annotations

from typing import Any

_NOTE_ID = "3f1c2a9e-8d4b-4f6a-9b2e-5c7d1e0a4b68"
_PHOTO_KEY = "uploads/1042/7d0c5b2e4f1a4c3b9e8d6a5f4b3c2d1e/beach.png"

NOTE: dict[str, Any] = {
    "noteId": _NOTE_ID,
    "headline": "Beach walk",
    "text": "Low tide at six; bring the good camera.",
    "s3Url": f"https://media.example.com/{_PHOTO_KEY}?Expires=1767225600&Signature=...&Key-Pair-Id=K2EXAMPLE",
    "photoKey": _PHOTO_KEY,
    "visibility": "private",
    "tags": ["beach", "weekend"],
    "owner": {"userId": 1042, "displayName": "Alice"},
    "createdAt": "2026-11-28T09:15:00Z",
    "updatedAt": "2026-11-30T18:02:11Z",
    "version": 3,
}

# The signed-in user as GET /api/v1/me shows it (the export's profile adds to it).
_ME: dict[str, Any] = {
    "userId": 1042,
    "email": "alice@example.com",
    "username": "alice",
    "displayName": "Alice",
    "status": "active",
    "isAdmin": False,
    "createdAt": "2014-03-02T10:00:00Z",
}

EXAMPLES: dict[str, Any] = {
    # Responses
    "Note": NOTE,
    "NotePage": {"results": [NOTE], "nextCursor": "eyJrIjoibGlzdCIsImJlZm9yZSI6NDIxfQ:1vQx2p:abc"},
    "NoteChanges": {
        "notes": [NOTE],
        "deleted": ["0b9d6c1e-2f3a-4c5d-8e7f-9a0b1c2d3e4f"],
        "nextCursor": "eJyrVspWslIqLU4tUrJSMjQwMNRRKi1OLYrPTFGyUrI0MNBRKspPSS1KTXHLzClRsgIAnNcO5Q:1vQx2p:def",
        "hasMore": False,
    },
    "NoteSearchResults": {"results": [NOTE], "found": 1, "start": 0},
    "Me": _ME,
    "PresignedUpload": {
        "url": "https://lambridge-media.s3.amazonaws.com/",
        "fields": {
            "Content-Type": "image/png",
            "key": _PHOTO_KEY,
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "x-amz-credential": "AKIAEXAMPLE/20261201/us-east-1/s3/aws4_request",
            "x-amz-date": "20261201T101500Z",
            "policy": "eyJleHBpcmF0aW9uIjogIi4uLiJ9",
            "x-amz-signature": "0123456789abcdef",
        },
        "key": _PHOTO_KEY,
        "expiresAt": "2026-12-01T10:30:00Z",
    },
    "CreateNoteResponse": {"success": True},
    "ReferenceSearchResponse": {
        "success": True,
        "notes": [{"noteId": _NOTE_ID, "headline": "Beach walk", "text": "Low tide at six; bring the good camera."}],
    },
    "DatasetSummary": {
        "name": "settings",
        "syncCount": 3,
        "recordCount": 2,
        "sizeBytes": 24,
        "updatedAt": "2026-11-30T18:02:11Z",
    },
    "DatasetRecords": {
        "name": "settings",
        "syncCount": 3,
        "records": [{"key": "theme", "value": "dark", "syncCount": 3}, {"key": "font", "value": None, "syncCount": 2}],
    },
    "Device": {
        "deviceId": "6a1f0c3e-2b4d-4e8f-9a7b-1c2d3e4f5a6b",
        "platform": "ios",
        "createdAt": "2026-11-28T09:15:00Z",
    },
    "ExportDocument": {
        "format": 1,
        "exportedAt": "2026-12-01T21:00:00Z",
        "profile": _ME
        | {
            "createdAt": "2015-06-01T10:00:00Z",
            "lastLogin": None,
            "cognito": {"sub": "8f1c0e4e-3b0a-4c57-9d7e-2b1f5c2d9a10", "linkedAt": "2026-11-30T08:00:00Z"},
        },
        "notes": [
            {
                "noteId": _NOTE_ID,
                "headline": "Beach walk",
                "text": "Low tide at six.",
                "visibility": "private",
                "tags": ["beach"],
                "createdAt": "2026-11-28T09:15:00Z",
                "updatedAt": "2026-11-30T18:02:11Z",
                "deleted": False,
                "version": 3,
                "photoKey": None,
                "s3Url": None,
                "sitePhotoPath": None,
            }
        ],
        "datasets": [
            {"name": "settings", "syncCount": 3, "records": [{"key": "theme", "value": "dark", "syncCount": 3}]}
        ],
        "devices": [
            {
                "deviceId": "6a1f0c3e-2b4d-4e8f-9a7b-1c2d3e4f5a6b",
                "platform": "ios",
                "enabled": True,
                "locale": "en_GB",
                "appVersion": "2.4.0",
                "createdAt": "2026-11-28T09:15:00Z",
                "lastSeenAt": "2026-11-30T18:02:11Z",
            }
        ],
    },
    # A dataset push's 409: the error, and the server's records for the keys in conflict.
    "DatasetConflict": {
        "error": {
            "code": "dataset_conflict",
            "message": "1 record(s) changed since your syncCount: merge the server's records, then push again.",
            "fields": {},
        },
        "syncCount": 5,
        "records": [{"key": "theme", "value": "light", "syncCount": 5}],
    },
    # Requests
    "DatasetPatchRequest": {"syncCount": 3, "records": [{"key": "theme", "value": "dark", "syncCount": 2}]},
    "DeviceRegisterRequest": {"platform": "ios", "token": "a" * 64, "locale": "en_GB", "appVersion": "2.4.0"},
    "NoteCreateRequest": {
        "noteId": _NOTE_ID,
        "headline": "Beach walk",
        "text": "Low tide at six; bring the good camera.",
        "visibility": "private",
        "tags": ["beach", "weekend"],
        "photoKey": _PHOTO_KEY,
    },
    "NotePatchRequest": {"headline": "Beach walk at dawn", "tags": ["beach"]},
    "NoteReplaceRequest": {"headline": "Beach walk", "text": "Low tide at six.", "visibility": "public", "tags": []},
    "MeUpdateRequest": {"displayName": "Alice Example"},
    "UploadCreateRequest": {"contentType": "image/png", "contentLength": 48213, "filename": "beach.png"},
    "CreateNoteRequest": {"noteId": _NOTE_ID, "headline": "Beach walk", "text": "Low tide at six."},
}
