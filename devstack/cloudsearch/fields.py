"""The Notes search domain's index fields (SPEC §5), as CloudSearch DefineIndexField data, and their parsing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _text_field(name: str) -> dict[str, Any]:
    """A full-text field in English, returned and highlighted in results."""
    return {
        "IndexFieldName": name,
        "IndexFieldType": "text",
        "TextOptions": {
            "ReturnEnabled": True,
            "SortEnabled": False,
            "HighlightEnabled": True,
            "AnalysisScheme": "_en_default_",
        },
    }


def _literal_field(name: str, *, search_enabled: bool) -> dict[str, Any]:
    """An exact-match string field, returned in results, neither sorted nor faceted."""
    return {
        "IndexFieldName": name,
        "IndexFieldType": "literal",
        "LiteralOptions": {
            "SearchEnabled": search_enabled,
            "ReturnEnabled": True,
            "SortEnabled": False,
            "FacetEnabled": False,
        },
    }


# Each entry is exactly the `IndexField` argument of boto3's
# `cloudsearch.define_index_field(DomainName=..., IndexField=...)`, so infra/ can create the real
# domain's fields from this list and the local server reads the same list.
NOTES_INDEX_FIELDS: list[dict[str, Any]] = [
    _text_field("headline"),
    _text_field("note_text"),
    # Shown in results only: nobody searches by photo URL.
    _literal_field("s3_url", search_enabled=False),
    # The fq that confines a caller to their own (and public) notes filters on these two.
    _literal_field("user_id", search_enabled=True),
    _literal_field("visibility", search_enabled=True),
    {
        "IndexFieldName": "updated_at",
        "IndexFieldType": "date",
        "DateOptions": {"SearchEnabled": True, "ReturnEnabled": True, "SortEnabled": True, "FacetEnabled": False},
    },
]

FIELD_TYPES = (
    "int",
    "double",
    "literal",
    "text",
    "date",
    "int-array",
    "double-array",
    "literal-array",
    "text-array",
    "date-array",
)
# CloudSearch: a letter first, then lower-case letters, digits and underscores; 3-64 characters
# in the console, but the API accepts shorter names, so only the shape is checked.
FIELD_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_FIELD_NAMES = frozenset({"score", "_score", "_id"})


class IndexFieldError(ValueError):
    """An index field definition CloudSearch would refuse."""


def options_key(field_type: str) -> str:
    """The name of the options member for a field type: "text-array" -> "TextArrayOptions"."""
    return "".join(part.capitalize() for part in field_type.split("-")) + "Options"


@dataclass(frozen=True)
class IndexField:
    """One index field with CloudSearch's defaults filled in."""

    name: str
    type: str
    search_enabled: bool
    return_enabled: bool
    sort_enabled: bool
    default_value: str | None
    definition: dict[str, Any]

    @property
    def base_type(self) -> str:
        """The type without "-array": what a single value is."""
        return self.type.removesuffix("-array")

    @property
    def is_array(self) -> bool:
        return self.type.endswith("-array")

    @property
    def is_text(self) -> bool:
        return self.base_type == "text"


def parse_index_field(definition: dict[str, Any]) -> IndexField:
    """An IndexField from one DefineIndexField `IndexField` structure; IndexFieldError if invalid."""
    if not isinstance(definition, dict):
        raise IndexFieldError("An index field must be an object with IndexFieldName and IndexFieldType.")
    name = definition.get("IndexFieldName")
    field_type = definition.get("IndexFieldType")
    if not isinstance(name, str) or not FIELD_NAME_PATTERN.match(name) or name in RESERVED_FIELD_NAMES:
        raise IndexFieldError(
            f"Invalid index field name {name!r}: start with a letter, then a-z, 0-9 and _ (at most 64)."
        )
    if field_type not in FIELD_TYPES:
        raise IndexFieldError(f"Field {name}: IndexFieldType must be one of {', '.join(FIELD_TYPES)}.")
    options = definition.get(options_key(field_type)) or {}
    if not isinstance(options, dict):
        raise IndexFieldError(f"Field {name}: {options_key(field_type)} must be an object.")
    is_text = field_type.startswith("text")
    # CloudSearch's defaults: every option on, except sort on array fields; text is always searchable.
    default = options.get("DefaultValue")
    return IndexField(
        name=name,
        type=field_type,
        search_enabled=True if is_text else bool(options.get("SearchEnabled", True)),
        return_enabled=bool(options.get("ReturnEnabled", True)),
        sort_enabled=bool(options.get("SortEnabled", not field_type.endswith("-array"))),
        default_value=None if default is None else str(default),
        definition=definition,
    )


def parse_index_fields(definitions: list[dict[str, Any]]) -> dict[str, IndexField]:
    """Index fields by name; IndexFieldError on an invalid or repeated one."""
    fields: dict[str, IndexField] = {}
    for definition in definitions:
        field = parse_index_field(definition)
        if field.name in fields:
            raise IndexFieldError(f"Field {field.name} is defined twice.")
        fields[field.name] = field
    return fields


def load_index_fields(path: Path | None = None) -> dict[str, IndexField]:
    """The fields in a JSON file holding a list like NOTES_INDEX_FIELDS, or the Notes fields."""
    if path is None:
        return parse_index_fields(NOTES_INDEX_FIELDS)
    definitions = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(definitions, list):
        raise IndexFieldError(f"{path} must hold a JSON list of IndexField objects.")
    return parse_index_fields(definitions)
