"""What a Responses archive document is read as: kinds, the place that names an item's conversation,
the `--archive` line format, and the order of copies (hand-written cases)."""

from __future__ import annotations

import pytest

from openai_responses.archive_index import rank
from openai_responses.archive_reader import Found, Problem, objects, place_of


@pytest.mark.parametrize("path, want", [
    ("conversations/conv_abc123/items.json", ("conversation", "conv_abc123")),
    ("conv_abc123-items.jsonl", ("conversation", "conv_abc123")),
    ("conv_abc123_items.json.gz", ("conversation", "conv_abc123")),
    ("export.zip/conv_1/responses/resp_9/input_items.json", ("response", "resp_9")),
    ("/conversations/conv_7/items", ("conversation", "conv_7")),
    ("items.json", None),
    ("conversations/items.json", None),
])
def test_the_last_id_in_the_path_names_an_items_owner(path, want):
    assert place_of(path) == want


def _kinds(doc, path="x.json"):
    return [(o.kind, o.parent) if isinstance(o, Found) else ("problem", o.reason) for o in objects(doc, "", path)]


def test_objects_say_what_they_are_and_items_take_their_place():
    page = {"object": "list", "data": [{"id": "msg_1", "type": "message"}, {"id": "fc_1", "type": "function_call"}]}
    assert _kinds(page, "conv_1/items.json") == [("page", "conv_1"), ("conversation_item", "conv_1"),
                                                  ("conversation_item", "conv_1")]
    assert _kinds(page, "responses/resp_1/input_items.json") == [("input_item", "resp_1"), ("input_item", "resp_1")]
    assert _kinds({"data": [], "has_more": False}, "conv_2.json") == [("page", "conv_2")]  # saved, and empty
    assert _kinds([{"id": "resp_1", "object": "response"}, {"id": "conv_1"}]) == [("response", None),
                                                                                   ("conversation", None)]
    # a page of responses saved under a conversation's folder is not a list of its items
    assert _kinds({"data": [{"id": "resp_1", "object": "response"}]}, "conv_3/responses.json") == [("response", None)]


def test_an_archive_line_names_its_request_path():
    line = {"request_path": "/conversations/conv_5/items", "body": {"object": "list", "data": [{"id": "m", "type": "message"}]}}
    assert _kinds(line, "runsteps-1.jsonl.gz") == [("page", "conv_5"), ("conversation_item", "conv_5")]


def test_what_is_not_a_response_conversation_or_placed_item_is_a_problem():
    got = list(objects([{"object": "thread.run", "id": "run_1"}, 3, {"id": "m", "type": "message"},
                        {"object": "response"}, {"object": "vector_store", "id": "vs_1"}], "line 4", "a.jsonl"))
    assert all(isinstance(o, Problem) for o in got)
    assert [o.where for o in got] == ["line 4 item 1", "line 4 item 2", "line 4 item 3", "line 4 item 4", "line 4 item 5"]
    assert got[0].reason == "an Assistants API object ('thread.run'): load it without --api responses"
    assert [o.other_api for o in got] == [True, False, False, False, False]
    assert "no place" in got[2].reason and "unknown kind 'vector_store'" in got[4].reason
    assert got[3].reason == "a response without a string id"


def test_iso_timestamps_are_read_as_unix_seconds():
    (found,) = objects({"id": "resp_1", "object": "response", "created_at": "2025-06-15T15:06:40Z"}, "", "a.json")
    assert found.obj["created_at"] == 1750000000.0


def test_copies_rank_terminal_then_content_then_time():
    open_, done = {"status": "in_progress", "output": [{}, {}, {}]}, {"status": "completed", "output": []}
    assert rank("response", done) > rank("response", open_)
    more = {"status": "completed", "output": [{"type": "file_search_call", "results": [{}, {}]}], "usage": {}}
    less = {"status": "completed", "output": [{"type": "file_search_call"}], "usage": {}}
    assert rank("response", more) > rank("response", less)
    assert rank("response", {"status": "failed", "created_at": 2}) > rank("response", {"status": "failed", "created_at": 1})
    assert rank("conversation_item", {"status": "completed"}) > rank("conversation_item", {"status": "in_progress"})
