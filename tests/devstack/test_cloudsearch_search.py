"""The local CloudSearch search service through boto3: both query parsers, filters, ranking, paging, fields."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import pytest

from devstack.cloudsearch.process import CloudSearchServer
from devstack.cloudsearch.query import quote_structured
from tests.devstack.cloudsearch_helpers import note, search_ids, structured_ids, upload


@pytest.fixture
def notes(cloudsearch_domain: Any) -> Any:
    """A few notes of two users; returns the client."""
    upload(
        cloudsearch_domain,
        note(
            "paris", headline="Trip to Paris", note_text="The Eiffel tower at night", updated_at="2024-05-01T00:00:00Z"
        ),
        note(
            "rome",
            headline="Rome in spring",
            note_text="Night walk past the Colosseum",
            updated_at="2024-05-03T00:00:00Z",
        ),
        note(
            "creme", headline="Crème BRÛLÉE", note_text="A dessert recipe from Paris", updated_at="2024-05-02T00:00:00Z"
        ),
        note(
            "bob-paris",
            headline="Paris photos",
            note_text="x or user id 2 night",
            user_id="2",
            visibility="public",
            updated_at="2024-05-04T00:00:00Z",
        ),
        note(
            "bob-secret", headline="Private plans", note_text="x secret", user_id="2", updated_at="2024-05-05T00:00:00Z"
        ),
    )
    return cloudsearch_domain


# --- the simple parser ---------------------------------------------------------------------------


def test_words_must_all_match_by_default(notes: Any) -> None:
    assert sorted(search_ids(notes, "paris night")) == ["bob-paris", "paris"]


def test_matching_ignores_case_and_accents(notes: Any) -> None:
    assert search_ids(notes, "creme brulee") == ["creme"]
    assert search_ids(notes, "CRÈME") == ["creme"]


def test_a_phrase_matches_words_in_order(notes: Any) -> None:
    assert search_ids(notes, '"eiffel tower"') == ["paris"]
    assert search_ids(notes, '"tower eiffel"') == []


def test_a_prefix_matches_the_start_of_words(notes: Any) -> None:
    assert sorted(search_ids(notes, "colos*")) == ["rome"]
    assert sorted(search_ids(notes, "pho* par*")) == ["bob-paris"]


def test_plus_minus_and_bar(notes: Any) -> None:
    assert sorted(search_ids(notes, "paris -night")) == ["creme"]
    assert sorted(search_ids(notes, "rome | dessert")) == ["creme", "rome"]
    assert sorted(search_ids(notes, "+night +colosseum")) == ["rome"]


def test_default_operator_or(notes: Any) -> None:
    found = search_ids(notes, "colosseum dessert", queryOptions=json.dumps({"defaultOperator": "or"}))

    assert sorted(found) == ["creme", "rome"]


def test_query_options_fields_limit_where_words_are_looked_for(notes: Any) -> None:
    assert sorted(search_ids(notes, "paris", queryOptions='{"fields": ["headline"]}')) == ["bob-paris", "paris"]
    assert search_ids(notes, "paris", queryOptions='{"fields": ["note_text"]}') == ["creme"]


def test_odd_input_never_breaks_the_simple_parser(notes: Any) -> None:
    for query in ('"unclosed phrase', "((paris", "paris)) |", "-", "+ | -", "'", "\\", "field:'x'"):
        notes.search(query=query)

    assert search_ids(notes, "!!! ???") == []


# --- the structured parser -----------------------------------------------------------------------


def test_structured_and_or_not(notes: Any) -> None:
    assert sorted(structured_ids(notes, "(and 'paris' (not user_id:'2'))")) == ["creme", "paris"]
    assert sorted(structured_ids(notes, "(or headline:'rome' headline:'brulee')")) == ["creme", "rome"]
    assert structured_ids(notes, "(and (or 'rome' 'paris') (not 'night'))") == ["creme"]


def test_structured_term_phrase_prefix_and_matchall(notes: Any) -> None:
    assert structured_ids(notes, "(term field=note_text 'colosseum')") == ["rome"]
    assert structured_ids(notes, "(phrase field=note_text 'eiffel tower')") == ["paris"]
    assert structured_ids(notes, "(phrase field=note_text 'tower eiffel')") == []
    assert structured_ids(notes, "(prefix field=headline 'phot')") == ["bob-paris"]
    assert len(structured_ids(notes, "matchall")) == 5


def test_literal_fields_match_the_exact_value_only(notes: Any) -> None:
    assert sorted(structured_ids(notes, "user_id:'2'")) == ["bob-paris", "bob-secret"]
    assert structured_ids(notes, "visibility:'PUBLIC'") == []
    assert structured_ids(notes, "user_id:'2 '") == []


def test_date_ranges(notes: Any) -> None:
    found = structured_ids(notes, "(range field=updated_at ['2024-05-02T00:00:00Z','2024-05-04T00:00:00Z'})")
    assert sorted(found) == ["creme", "rome"]
    assert sorted(structured_ids(notes, "updated_at:{'2024-05-03T00:00:00Z',}")) == ["bob-paris", "bob-secret"]


def test_quotes_and_backslashes_are_escaped_as_in_cloudsearch(cloudsearch_domain: Any) -> None:
    upload(
        cloudsearch_domain,
        note("quote", user_id="it's"),
        note("backslash", user_id="a\\b"),
        note("both", user_id="x\\'y"),
    )

    assert structured_ids(cloudsearch_domain, r"user_id:'it\'s'") == ["quote"]
    assert structured_ids(cloudsearch_domain, r"user_id:'a\\b'") == ["backslash"]
    assert structured_ids(cloudsearch_domain, "user_id:" + quote_structured("x\\'y")) == ["both"]


@pytest.mark.parametrize(
    "query",
    [
        "(and 'paris'",
        "(and 'paris'))",
        "(nand 'paris')",
        "'unterminated",
        "paris",
        "colour:'red'",
        "s3_url:'x'",
        "(term field=headline)",
        "(not 'a' 'b')",
        "(range field=headline [a,b])",
        "updated_at:'yesterday'",
        "",
    ],
)
def test_a_malformed_structured_query_is_a_search_exception(notes: Any, query: str) -> None:
    with pytest.raises(notes.exceptions.SearchException) as excinfo:
        notes.search(query=query, queryParser="structured")

    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert excinfo.value.response["Error"]["Message"]


# --- filters and what they let through -----------------------------------------------------------


def test_a_filter_narrows_matches_and_never_changes_scores(notes: Any) -> None:
    def scores(**options: Any) -> dict[str, str]:
        hits = notes.search(query="paris night", returnFields="_score", **options)["hits"]["hit"]
        return {hit["id"]: hit["fields"]["_score"][0] for hit in hits}

    unfiltered = scores()
    filtered = scores(filterQuery="user_id:'1'")

    assert set(filtered) == {"paris"}
    assert filtered["paris"] == unfiltered["paris"]


def test_an_injection_in_the_query_cannot_widen_the_filter(notes: Any) -> None:
    injection = "x') (or user_id:'2"
    own_or_public = "(or user_id:'1' visibility:'public')"

    simple = search_ids(notes, injection, filterQuery="user_id:'1'")
    structured = structured_ids(
        notes, f"(term field=note_text {quote_structured(injection)})", filterQuery="user_id:'1'"
    )
    public = search_ids(notes, "x | secret", filterQuery=own_or_public)

    assert simple == []
    assert structured == []
    # Escaped, the whole injection is one value: found as the text it is, in user 2's public note.
    assert structured_ids(notes, f"(phrase field=note_text {quote_structured(injection)})") == ["bob-paris"]
    assert public == ["bob-paris"]
    with pytest.raises(notes.exceptions.SearchException):
        # Pasted into a structured query without escaping, it is a syntax error, not a wider query.
        notes.search(query=f"(and user_id:'1' '{injection}')", queryParser="structured")


# --- ranking -------------------------------------------------------------------------------------


def test_more_matches_rank_higher(cloudsearch_domain: Any) -> None:
    upload(
        cloudsearch_domain,
        note("once", note_text="garden notes about many other things entirely"),
        note("thrice", note_text="garden garden garden and other things entirely"),
    )

    assert search_ids(cloudsearch_domain, "garden") == ["thrice", "once"]


def test_rarer_terms_weigh_more(cloudsearch_domain: Any) -> None:
    common = [note(f"filler{number}", note_text="common words here") for number in range(5)]
    upload(
        cloudsearch_domain,
        *common,
        note("rare-match", note_text="common zeppelin"),
        note("common-match", note_text="common common"),
    )

    found = search_ids(cloudsearch_domain, "common zeppelin", queryOptions='{"defaultOperator": "or"}')

    assert found[0] == "rare-match"


def test_field_boosts_change_the_order(cloudsearch_domain: Any) -> None:
    upload(
        cloudsearch_domain,
        note("in-headline", headline="harbour", note_text="boats and more boats and the sea"),
        note("in-text", headline="weekend", note_text="harbour harbour"),
    )

    boosted = search_ids(cloudsearch_domain, "harbour", queryOptions='{"fields": ["headline^10", "note_text"]}')
    text_only = search_ids(cloudsearch_domain, "harbour", queryOptions='{"fields": ["headline", "note_text^10"]}')

    assert boosted[0] == "in-headline"
    assert text_only[0] == "in-text"


# --- paging, sorting, returned fields ------------------------------------------------------------


def test_size_and_start_page_through_found(cloudsearch_domain: Any) -> None:
    upload(
        cloudsearch_domain,
        *[note(f"n{number:02d}", updated_at=f"2024-05-{number + 1:02d}T00:00:00Z") for number in range(25)],
    )

    first = cloudsearch_domain.search(query="matchall", queryParser="structured", sort="updated_at asc")
    pages = [
        structured_ids(cloudsearch_domain, "matchall", sort="updated_at asc", size=10, start=start)
        for start in (0, 10, 20)
    ]

    assert first["hits"]["found"] == 25
    assert first["hits"]["start"] == 0
    assert len(first["hits"]["hit"]) == 10  # the default size
    assert [document_id for page in pages for document_id in page] == [f"n{number:02d}" for number in range(25)]


def test_a_cursor_pages_through_everything(cloudsearch_domain: Any) -> None:
    upload(cloudsearch_domain, *[note(f"n{number:02d}", headline="same") for number in range(7)])

    seen: list[str] = []
    cursor = "initial"
    while True:
        hits = cloudsearch_domain.search(query="same", cursor=cursor, size=3)["hits"]
        if not hits["hit"]:
            break
        seen += [hit["id"] for hit in hits["hit"]]
        cursor = hits["cursor"]

    assert sorted(seen) == [f"n{number:02d}" for number in range(7)]


def test_sort_by_date_both_ways(notes: Any) -> None:
    assert structured_ids(notes, "user_id:'1'", sort="updated_at desc") == ["rome", "creme", "paris"]
    assert structured_ids(notes, "user_id:'1'", sort="updated_at asc") == ["paris", "creme", "rome"]


def test_return_chooses_the_fields_and_values_are_lists_of_strings(notes: Any) -> None:
    everything = notes.search(query="colosseum")["hits"]["hit"][0]
    chosen = notes.search(query="colosseum", returnFields="headline,_score")["hits"]["hit"][0]
    nothing = notes.search(query="colosseum", returnFields="_no_fields")["hits"]["hit"][0]

    assert everything["fields"] == {
        "headline": ["Rome in spring"],
        "note_text": ["Night walk past the Colosseum"],
        "user_id": ["1"],
        "visibility": ["private"],
        "updated_at": ["2024-05-03T00:00:00Z"],
    }
    assert set(chosen["fields"]) == {"headline", "_score"}
    assert float(chosen["fields"]["_score"][0]) > 0
    assert nothing == {"id": "rome"}


def test_the_status_carries_a_request_id_and_the_time_taken(notes: Any) -> None:
    status = notes.search(query="paris")["status"]

    assert status["rid"]
    assert status["timems"] >= 0


@pytest.mark.parametrize(
    "options",
    [
        {"queryParser": "lucene"},
        {"queryParser": "dismax"},
        {"queryOptions": "{not json"},
        {"queryOptions": '{"fields": ["colour"]}'},
        {"filterQuery": "colour:'red'"},
        {"filterQuery": "(and"},
        {"sort": "headline asc"},
        {"sort": "updated_at sideways"},
        {"returnFields": "colour"},
        {"size": 10_001},
        {"facet": '{"user_id": {}}'},
        {"cursor": "not-a-cursor"},
    ],
)
def test_unsupported_or_invalid_options_are_search_exceptions(notes: Any, options: dict[str, Any]) -> None:
    with pytest.raises(notes.exceptions.SearchException):
        notes.search(query="paris", **options)


def test_a_plain_get_answers_as_cloudsearch_does_without_format_sdk(
    notes: Any, cloudsearch_server: CloudSearchServer
) -> None:
    query = urllib.parse.urlencode({"q": "colosseum", "return": "headline"})

    with urllib.request.urlopen(f"{cloudsearch_server.endpoint_url}/2013-01-01/search?{query}", timeout=5) as response:
        body = json.load(response)

    assert body["hits"]["hit"] == [{"id": "rome", "fields": {"headline": "Rome in spring"}}]
    assert "time-ms" in body["status"]
