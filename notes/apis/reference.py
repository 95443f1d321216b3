"""The reference architecture's `POST /notes` (SPEC §2), answering `CreateNoteResponse`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import caller_site_user
from api.fields import StrictCharField, StrictUUIDField
from api.openapi import error_responses
from legacy.validators import validate_latin1
from notes.apis.shared import HEADLINE_MAX_LENGTH, TEXT_MAX_LENGTH, note_id_conflict
from notes.services import NoteIdTaken, note_create


class CreateNoteRequestSerializer(serializers.Serializer[Any]):
    """The reference architecture's `CreateNoteRequest`."""

    noteId = StrictUUIDField()
    headline = StrictCharField(max_length=HEADLINE_MAX_LENGTH, allow_blank=True, validators=[validate_latin1])
    text = StrictCharField(
        max_length=TEXT_MAX_LENGTH, allow_blank=True, trim_whitespace=False, validators=[validate_latin1]
    )


class CreateNoteResponseSerializer(serializers.Serializer[Any]):
    """The reference architecture's `CreateNoteResponse`."""

    success = serializers.BooleanField()


class ReferenceCreateNoteApi(APIView):
    """`POST /notes`: the reference's create, answering `CreateNoteResponse` {"success": true}.

    Same rules as the v1 create (idempotent on noteId, a private note without tags).
    """

    @extend_schema(
        operation_id="reference_note_create",
        summary="Create a note (reference architecture)",
        request=CreateNoteRequestSerializer,
        responses={200: CreateNoteResponseSerializer, **error_responses(409)},
    )
    def post(self, request: Request) -> Response:
        serializer = CreateNoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            note_create(
                owner=caller_site_user(request), note_uuid=data["noteId"], headline=data["headline"], text=data["text"]
            )
        except NoteIdTaken as exc:
            return note_id_conflict(exc)
        return Response({"success": True})
