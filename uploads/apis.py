"""`POST /api/v1/uploads`: a presigned S3 form for one photo, under the caller's own prefix (SPEC §2, §4)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.identity import caller_site_user
from api.errors import UNSUPPORTED_MEDIA_TYPE
from api.fields import StrictCharField
from uploads.errors import PHOTO_NOT_IMAGE, UPLOAD_TOO_LARGE
from uploads.models import Upload
from uploads.services import (
    PresignedUpload,
    UploadEmpty,
    UploadTooLarge,
    UploadTypeNotAllowed,
    upload_presign,
)

CONTENT_TYPE_MAX_LENGTH = Upload._meta.get_field("content_type").max_length or 100
FILENAME_MAX_LENGTH = Upload._meta.get_field("filename").max_length or 255


class UploadTooLargeError(exceptions.APIException):
    """413: more bytes than UPLOAD_MAX_BYTES."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."
    default_code = UPLOAD_TOO_LARGE


class UploadTypeNotAllowedError(exceptions.APIException):
    """415: not one of the allowed image types."""

    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "This type of file cannot be uploaded."
    default_code = UNSUPPORTED_MEDIA_TYPE


class PhotoNotImageError(exceptions.APIException):
    """400: the object at photoKey does not start with an image's bytes (SPEC §4)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The uploaded file is not a photo."
    default_code = PHOTO_NOT_IMAGE


class UploadCreateInputSerializer(serializers.Serializer[Any]):
    contentType = StrictCharField(max_length=CONTENT_TYPE_MAX_LENGTH)
    # Sizes above the limit are the service's to refuse, with 413 rather than a 400.
    contentLength = serializers.IntegerField(min_value=1)
    filename = StrictCharField(max_length=FILENAME_MAX_LENGTH)


class UploadCreateOutputSerializer(serializers.Serializer[PresignedUpload]):
    url = serializers.CharField()
    # The SPEC's name. DRF pops declared fields off the class, so Serializer.fields still works.
    fields = serializers.DictField(child=serializers.CharField())  # type: ignore[assignment]
    key = serializers.CharField()
    expiresAt = serializers.DateTimeField(source="expires_at")


class UploadCreateApi(APIView):
    """A form to POST one photo straight to S3; the key it returns is then attached to a note."""

    @extend_schema(
        operation_id="upload_create",
        summary="Get a presigned S3 form for one photo",
        description="POST the returned `fields` and then the file (as the last form part, named `file`) to `url` "
        "before `expiresAt`; then send `key` as a note's `photoKey`. The form only accepts this exact key, "
        "content type and a size up to the limit.",
        request=UploadCreateInputSerializer,
        responses={201: UploadCreateOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = UploadCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            upload = upload_presign(
                user_id=caller_site_user(request).user_id,
                content_type=data["contentType"],
                content_length=data["contentLength"],
                filename=data["filename"],
            )
        except UploadTypeNotAllowed as exc:
            raise UploadTypeNotAllowedError(exc.message) from exc
        except UploadTooLarge as exc:
            raise UploadTooLargeError(exc.message) from exc
        except UploadEmpty as exc:
            raise serializers.ValidationError({"contentLength": [exc.message]}) from exc
        return Response(UploadCreateOutputSerializer(upload).data, status=status.HTTP_201_CREATED)
