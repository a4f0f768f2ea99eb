"""Objects → Arrow tables in the D2 layout (pure)."""

from __future__ import annotations

import datetime as dt

import orjson
import pyarrow as pa

from ingestion.stripe.rows import DLT_COLUMN_HINTS, RAW_COLUMNS, RAW_SCHEMA, RowBatch, objects_to_table, table_rows
from tests.ingestion.stripe_mock import CURRENT, LEGACY, fixture

D2 = [
    "id",
    "created",
    "data",
    "api_version",
    "state_at",
    "is_deleted",
    "deleted_at",
    "parent_id",
    "account_id",
    "synced_at",
]


def test_layout_is_d2() -> None:
    assert list(RAW_COLUMNS) == D2
    assert RAW_SCHEMA.field("created").type == pa.int64()
    assert RAW_SCHEMA.field("synced_at").type == pa.timestamp("us", tz="UTC")
    assert DLT_COLUMN_HINTS["data"]["data_type"] == "json"
    assert DLT_COLUMN_HINTS["id"]["primary_key"] is True
    assert DLT_COLUMN_HINTS["state_at"]["dedup_sort"] == "desc"


def test_every_field_survives_both_shapes() -> None:
    objects = [fixture("invoice", CURRENT, id="in_new"), fixture("invoice", LEGACY, id="in_old")]
    objects[0]["metadata"] = {"note": "ünïcødé ✓", "big": 2**53 + 1, "nested": {"a": [1, None, {"b": 1.5}]}}
    table = objects_to_table(objects, api_version="2026-10-28.endive", state_at=123, account_id="acct_1")
    assert table.schema == RAW_SCHEMA
    back = table_rows(table)
    assert [r["data"] for r in back] == objects
    assert "parent" in back[0]["data"] and "subscription" in back[1]["data"]
    assert [r["created"] for r in back] == [o["created"] for o in objects]
    assert {r["account_id"] for r in back} == {"acct_1"}
    assert {r["state_at"] for r in back} == {123}
    assert {r["is_deleted"] for r in back} == {False}


def test_row_batch_per_row_state_and_overrides() -> None:
    batch = RowBatch()
    line = fixture("line_item", id="il_1")
    batch.add(line, api_version="2024-09-30.acacia", state_at=50, created=999, parent_id="in_1")
    batch.add(
        {"id": "cus_1", "object": "customer"},
        api_version=None,
        state_at=60,
        is_deleted=True,
        deleted_at=60,
        data=b'{"id":"cus_1","name":"kept"}',
    )
    synced = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    first, second = table_rows(batch.to_table(synced))
    assert first["created"] == 999 and first["parent_id"] == "in_1" and first["data"] == line
    assert first["api_version"] == "2024-09-30.acacia" and first["account_id"] is None
    assert first["synced_at"] == synced
    assert second["is_deleted"] and second["deleted_at"] == 60 and second["data"] == {"id": "cus_1", "name": "kept"}
    assert second["created"] is None


def test_data_is_compact_json() -> None:
    table = objects_to_table([{"id": "x", "a": 1}], api_version=None, state_at=1)
    assert table.column("data")[0].as_py() == orjson.dumps({"id": "x", "a": 1}).decode()


def test_empty_batch() -> None:
    assert RowBatch().to_table().num_rows == 0
    assert RowBatch().to_table().schema == RAW_SCHEMA


def test_a_page_read_column_wise_gives_the_rows_of_one_object_at_a_time() -> None:
    """I12: a page read column-wise (RawPage) and the per-object path build the same rows, with the
    created floor applied, objects without a string id skipped, and a parent without embedded lines."""
    from ingestion.stripe.client import ListPage, StripeClient
    from ingestion.stripe.context import RunStats, SourceContext
    from ingestion.stripe.pages import PageReader
    from ingestion.stripe.raw_json import RawPage, decode_list
    from ingestion.stripe.settings import select_resources
    from ingestion.stripe.stored import EmptyWarehouse

    def line(i: int) -> dict:
        return {"id": f"il_{i}", "object": "line_item", "amount": i, "created": 7}

    invoices = [
        {"id": "in_new", "object": "invoice", "created": 200, "lines": {"data": [line(1), line(2)], "has_more": False}},
        {"id": 5, "created": 150, "lines": {"data": [line(3)], "has_more": False}},  # no string id: skipped
        {"id": "in_lines_absent", "created": 120},  # not a full object ("object" missing): nothing to page
        {"id": "in_old", "object": "invoice", "created": 50, "lines": {"data": [line(4)], "has_more": False}},
    ]
    body = orjson.dumps({"object": "list", "data": invoices, "has_more": False})
    client = StripeClient("sk_test_x", api_base="http://stripe.invalid")
    ctx = SourceContext(client, EmptyWarehouse(), "p_", "acct_1", 0, 0, 1, 100, 10, RunStats())
    (spec,) = [s for s in select_resources(None) if s.name == "invoice"]
    reader = PageReader(ctx, spec)
    page, _ = decode_list(body, ("lines",))
    assert isinstance(page, RawPage)
    fast = reader.rows(ListPage(page, False, 1000), 100)
    slow = reader.rows(ListPage(list(page), False, 1000), 100)
    tables = {name: batch.to_table() for name, batch in fast.tables.items()}
    for name in ("p_invoice", "p_invoice_line_item"):
        assert tables[name].drop(["synced_at"]).equals(slow.tables[name].to_table().drop(["synced_at"])), name
    rows = table_rows(tables["p_invoice_line_item"])
    assert [(r["id"], r["parent_id"], r["created"], r["account_id"]) for r in rows] == [
        ("il_1", "in_new", 200, "acct_1"),  # lines carry their invoice's `created` (D2)
        ("il_2", "in_new", 200, "acct_1"),
    ]
    assert tables["p_invoice"].column("id").to_pylist() == ["in_new", "in_lines_absent"]
    assert (fast.count, fast.max_created) == (2, 200)
