"""The API's JSON parser: DRF's, with a body nested too deeply answered as a 400, not a 500."""

from __future__ import annotations

from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

NESTED_TOO_DEEPLY_MESSAGE = "JSON parse error - the body is nested too deeply."


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser; `[[[[...` deeper than Python's recursion limit is a parse error (400)."""

    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json's C decoder gives up cleanly at the recursion limit; nothing was half-built.
            raise ParseError(NESTED_TOO_DEEPLY_MESSAGE) from None
