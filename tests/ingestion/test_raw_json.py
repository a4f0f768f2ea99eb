"""List pages kept as the bytes Stripe sent (DECISIONS.md I10)."""

from __future__ import annotations

import json

import orjson
import pyarrow as pa
import pytest

from ingestion.stripe.raw_json import DecodeError, RawObject, RawPage, decode_list
from ingestion.stripe.rows import dump, string_array
from ingestion.stripe.settings import SubList

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


def test_a_page_is_read_column_wise_with_its_embedded_lists() -> None:
    """I12: objects, heads and embedded elements in whole-page passes, equal to reading each object."""
    other = {"id": "in_2", "created": 5, "lines": None}
    third = {"id": "in_3", "created": 6, "lines": {"data": [{"id": "il_3", "created": 9}], "has_more": False}}
    body = b'{"data":[' + b",".join(orjson.dumps(o) for o in (INVOICE, other, third)) + b'],"has_more":true}'
    page, has_more = decode_list(body, ("lines",))
    assert isinstance(page, RawPage) and has_more is True
    assert [bytes(raw) for raw in page.raws] == [orjson.dumps(o) for o in (INVOICE, other, third)]
    assert [(h.id, h.created) for h in page.heads] == [("in_1", 1_780_000_000), ("in_2", 5), ("in_3", 6)]
    lines = page.embedded["lines"]
    assert lines.present == [True, False, True] and lines.has_more == [True, False, False]
    assert lines.starts == [0, 2, 2, 3]
    assert [h.id for h in lines.heads] == ["il_1", "il_2", "il_3"] and lines.heads[2].created == 9
    assert [bytes(raw) for raw in lines.raws] == [
        orjson.dumps(x) for x in [*INVOICE["lines"]["data"], third["lines"]["data"][0]]
    ]
    # as a sequence it still yields RawObjects, built on access
    assert page[-1].id == "in_3" and dump(page[0]) == orjson.dumps(INVOICE) and len(page[0:2]) == 2


@pytest.mark.parametrize(
    "data",
    [
        b'[{"id":"a","lines":"not a list"}]',  # an embedded field of another shape
        b'[{"id":"a","lines":{"data":["not an object"]}}]',  # elements that are not objects
        b'[{"id":"a","created":"yesterday"}]',  # a head of another type is still read (Any)
    ],
)
def test_pages_of_other_shapes_fall_back_to_one_object_at_a_time(data: bytes) -> None:
    objects, _ = decode_list(b'{"data":' + data + b"}", ("lines",))
    assert [o.id for o in objects] == ["a"]


def test_string_array_is_built_from_one_buffer_and_checks_utf8() -> None:
    assert string_array([b"ab", b"", "\u00e9".encode(), bytearray(b"{}")]).to_pylist() == [
        "ab",
        "",
        "\u00e9",
        "{}",
    ]
    with pytest.raises(pa.ArrowInvalid):
        string_array([b"\xff"])
    assert string_array([]).to_pylist() == []
