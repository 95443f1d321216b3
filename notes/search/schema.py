"""The Notes search index's fields (SPEC §5): owned by the notes room, read by infra/ (which creates
the real CloudSearch domain's fields) and by the local CloudSearch server in devstack/."""

from __future__ import annotations

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
