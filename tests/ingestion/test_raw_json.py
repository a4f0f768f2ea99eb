"""List pages kept as the bytes Stripe sent (DECISIONS.md I10)."""

from __future__ import annotations

import json

import orjson
import pytest

from ingestion.arrow_rows import dump
from ingestion.raw_json import DecodeError, RawObject, decode_list
from ingestion.resources import SubList

INVOICE = {
    "id": "in_1",
    "object": "invoice",
    "created": 1_780_000_000,
    "description": "Plan, monthly: \u00e9t\u00e9",
    "lines": {"object": "list", "data": [{"id": "il_1", "amount": 5}, {"id": "il_2", "amount": 1.5}], "has_more": True},
}


def test_a_compact_page_keeps_each_object_byte_for_byte() -> None:
    body = b'{"object":"list","data":[' + orjson.dumps(INVOICE) + b',{"id":"ch_1","created":5}],"has_more":false}'
    objects, has_more = decode_list(body)
    assert has_more is False
    assert [o.id for o in objects] == ["in_1", "ch_1"]
    assert objects[0].created == 1_780_000_000
    assert dump(objects[0]) == orjson.dumps(INVOICE)
    assert objects[0]["description"] == INVOICE["description"]  # anything else decodes on use
    assert objects[1].get("missing", 7) == 7


def test_a_pretty_printed_page_is_stored_compact() -> None:
    body = json.dumps({"object": "list", "data": [INVOICE], "has_more": True}, indent=2, ensure_ascii=False).encode()
    objects, has_more = decode_list(body)
    assert has_more is True
    assert dump(objects[0]) == orjson.dumps(INVOICE)


def test_embedded_lists_decode_only_on_demand() -> None:
    (invoice,), _ = decode_list(b'{"data":[' + orjson.dumps(INVOICE) + b"]}")
    lines = SubList("lines", "invoice_line_item", "/v1/invoices/{id}/lines")
    items, more = lines.embedded(invoice)
    assert more is True
    assert [dump(i) for i in items] == [orjson.dumps(line) for line in INVOICE["lines"]["data"]]
    assert SubList("items", "x", "/x").embedded(invoice) is None  # absent
    assert RawObject.decode(b'{"id":"x","lines":"not a list"}').embedded("lines") is None


def test_truncated_and_other_shapes() -> None:
    with pytest.raises(DecodeError):
        decode_list(b'{"object":"list","data":[{"id":"a"},{"id":')
    assert decode_list(b'{"error":{"message":"no"}}') is None
    assert decode_list(b'{"data":["not an object"]}') is None
