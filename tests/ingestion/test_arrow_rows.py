"""Objects → Arrow tables in the D2 layout (pure)."""

from __future__ import annotations

import datetime as dt

import orjson
import pyarrow as pa

from ingestion.arrow_rows import DLT_COLUMN_HINTS, RAW_COLUMNS, RAW_SCHEMA, RowBatch, objects_to_table, table_rows
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
