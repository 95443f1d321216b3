"""CloudSearch DefineIndexField data parsed for the local server (the Notes fields are notes/search/schema.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notes.search.schema import NOTES_INDEX_FIELDS

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
