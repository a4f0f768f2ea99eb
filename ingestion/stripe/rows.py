"""The raw tables' rows (DECISIONS.md D2): `RowBatch` → `pyarrow.Table`, and `TableBatcher`, which hands
dlt one Arrow table per ~10,000 rows of a table (I12). Pure: no I/O.

The `data` column holds the bytes Stripe sent (I10) or, for objects read as dicts, orjson's
serialisation, so nothing Stripe sent is dropped and dlt never walks nested fields (the Arrow route
skips dlt's row normalizer).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate
from typing import Any

import dlt
import orjson
import pyarrow as pa

from ingestion.stripe.raw_json import raw_bytes

# D2, in this column order.
RAW_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("created", pa.int64()),
        pa.field("data", pa.string()),
        pa.field("api_version", pa.string()),
        pa.field("state_at", pa.int64()),
        pa.field("is_deleted", pa.bool_()),
        pa.field("deleted_at", pa.int64()),
        pa.field("parent_id", pa.string()),
        pa.field("account_id", pa.string()),
        pa.field("synced_at", pa.timestamp("us", tz="UTC")),
    ]
)
RAW_COLUMNS: tuple[str, ...] = tuple(RAW_SCHEMA.names)
SYNCED_AT_TYPE = RAW_SCHEMA.field("synced_at").type

# dlt column hints for every raw table: JSON `data`, and "latest state wins" when one load holds
# several states of one id (dlt's delete-insert merge keeps the row with the highest `state_at`).
DLT_COLUMN_HINTS: dict[str, dict[str, Any]] = {
    "id": {"data_type": "text", "nullable": False, "primary_key": True},
    "created": {"data_type": "bigint"},
    "data": {"data_type": "json"},
    "api_version": {"data_type": "text"},
    "state_at": {"data_type": "bigint", "dedup_sort": "desc"},
    "is_deleted": {"data_type": "bool"},
    "deleted_at": {"data_type": "bigint"},
    "parent_id": {"data_type": "text"},
    "account_id": {"data_type": "text"},
    "synced_at": {"data_type": "timestamp"},
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def dump(obj: Mapping[str, Any]) -> bytes:
    """The object as compact JSON: the bytes Stripe sent when kept (`RawObject`, I10), else orjson's
    serialisation (it keeps key order and every value)."""
    raw = raw_bytes(obj)
    return orjson.dumps(obj) if raw is None else raw


def string_array(parts: Sequence[bytes | bytearray | memoryview | Any]) -> pa.Array:
    """UTF-8 byte strings (anything with the buffer protocol, e.g. `msgspec.Raw`) → an Arrow string
    array, built from one joined buffer and its offsets instead of element by element."""
    offsets = pa.array([0, *accumulate(map(len, parts))], type=pa.int64())
    if offsets[-1].as_py() >= 2**31:  # one batch of pages never gets near it
        return pa.array([bytes(part) for part in parts], type=pa.large_string()).cast(pa.string())
    array = pa.StringArray.from_buffers(
        len(parts), offsets.cast(pa.int32()).buffers()[1], pa.py_buffer(b"".join(parts))
    )
    array.validate(full=True)  # UTF-8 checked here, as pa.array() would
    return array


class RowBatch:
    """Accumulates raw rows column by column; `to_table()` builds the Arrow table in one go."""

    __slots__ = (
        "_account_id",
        "api_version",
        "created",
        "data",
        "deleted_at",
        "id",
        "is_deleted",
        "parent_id",
        "state_at",
    )

    def __init__(self, account_id: str | None = None) -> None:
        self._account_id = account_id
        self.id: list[str] = []
        self.created: list[int | None] = []
        self.data: list[Any] = []  # bytes, or `msgspec.Raw` slices of a page
        self.api_version: list[str | None] = []
        self.state_at: list[int] = []
        self.is_deleted: list[bool] = []
        self.deleted_at: list[int | None] = []
        self.parent_id: list[str | None] = []

    def __len__(self) -> int:
        return len(self.id)

    def add(
        self,
        obj: Mapping[str, Any],
        *,
        api_version: str | None,
        state_at: int,
        created: int | None = None,
        parent_id: str | None = None,
        is_deleted: bool = False,
        deleted_at: int | None = None,
        data: bytes | None = None,
    ) -> None:
        """Add one object. `created` defaults to the object's own; `data` to `dump(obj)`."""
        self.id.append(obj["id"])
        self.created.append(obj.get("created") if created is None else created)
        self.data.append(dump(obj) if data is None else data)
        self.api_version.append(api_version)
        self.state_at.append(state_at)
        self.is_deleted.append(is_deleted)
        self.deleted_at.append(deleted_at)
        self.parent_id.append(parent_id)

    def extend(
        self,
        ids: Sequence[str],
        created: Sequence[int | None],
        data: Sequence[Any],
        *,
        api_version: str | None,
        state_at: int,
        parent_ids: Sequence[str | None] | None = None,
    ) -> None:
        """Add objects column-wise (a listed page, I12): `data` holds each object's JSON bytes."""
        n = len(ids)
        self.extend_columns(ids, created, data, [api_version] * n, [state_at] * n, parent_ids)

    def extend_columns(
        self,
        ids: Sequence[str],
        created: Sequence[int | None],
        data: Sequence[Any],
        api_versions: Sequence[str | None],
        states_at: Sequence[int],
        parent_ids: Sequence[str | None] | None = None,
    ) -> None:
        """`extend` with a value per row for every column (events: each has its own version and state)."""
        n = len(ids)
        self.id += ids
        self.created += created
        self.data += data
        self.api_version += api_versions
        self.state_at += states_at
        self.is_deleted += [False] * n
        self.deleted_at += [None] * n
        self.parent_id += [None] * n if parent_ids is None else parent_ids

    def absorb(self, other: RowBatch) -> None:
        """Append `other`'s rows (same account): pages are gathered this way and turned into one
        Arrow table per ~10,000 rows, not one per page (I12)."""
        for column in ("id", "created", "data", "api_version", "state_at", "is_deleted", "deleted_at", "parent_id"):
            getattr(self, column).extend(getattr(other, column))

    def to_table(self, synced_at: dt.datetime | None = None) -> pa.Table:
        n = len(self.id)
        synced = synced_at or utc_now()
        return pa.Table.from_arrays(
            [
                pa.array(self.id, type=pa.string()),
                pa.array(self.created, type=pa.int64()),
                string_array(self.data),
                pa.array(self.api_version, type=pa.string()),
                pa.array(self.state_at, type=pa.int64()),
                pa.array(self.is_deleted, type=pa.bool_()),
                pa.array(self.deleted_at, type=pa.int64()),
                pa.array(self.parent_id, type=pa.string()),
                pa.repeat(pa.scalar(self._account_id, type=pa.string()), n),  # one value per batch
                pa.repeat(pa.scalar(synced, type=SYNCED_AT_TYPE), n),
            ],
            schema=RAW_SCHEMA,
        )


def objects_to_table(
    objects: Iterable[Mapping[str, Any]],
    *,
    api_version: str | None,
    state_at: int,
    account_id: str | None = None,
    created: int | None = None,
    parent_id: str | None = None,
    synced_at: dt.datetime | None = None,
) -> pa.Table:
    """Objects sharing one state (one listed page) → a D2 table."""
    batch = RowBatch(account_id)
    for obj in objects:
        batch.add(obj, api_version=api_version, state_at=state_at, created=created, parent_id=parent_id)
    return batch.to_table(synced_at)


def empty_table() -> pa.Table:
    return RAW_SCHEMA.empty_table()


def table_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as dicts with `data` decoded (tests and debugging)."""
    rows = table.to_pylist()
    for row in rows:
        if row.get("data") is not None:
            row["data"] = orjson.loads(row["data"])
    return rows


class TableBatcher:
    """Gathers one resource's rows per table and hands dlt one Arrow table per `batch_rows` rows
    (I12: dlt's per-item cost is paid once per ~10,000 rows, not once per page). `counts` gets the
    rows handed over per table."""

    def __init__(self, batch_rows: int, counts: dict[str, int]) -> None:
        self.batch_rows = batch_rows
        self.counts = counts
        self._pending: dict[str, list[pa.Table | RowBatch]] = defaultdict(list)
        self._pending_rows: dict[str, int] = defaultdict(int)

    def add(self, tables: Mapping[str, pa.Table | RowBatch]) -> Iterator[Any]:
        """Queue rows per table; yields the tables that reached `batch_rows`."""
        for name, part in tables.items():
            rows = part.num_rows if isinstance(part, pa.Table) else len(part)
            if rows == 0:
                continue
            self._pending[name].append(part)
            self._pending_rows[name] += rows
            if self._pending_rows[name] >= self.batch_rows:
                yield from self._flush_table(name)

    def flush(self, force: bool = False) -> Iterator[Any]:
        """Yield every table that reached `batch_rows`, or every queued table when `force`."""
        for name in list(self._pending):
            if force or self._pending_rows[name] >= self.batch_rows:
                yield from self._flush_table(name)

    def _flush_table(self, name: str) -> Iterator[Any]:
        parts = self._pending.pop(name, [])
        self._pending_rows.pop(name, None)
        if not parts:
            return
        batches = [part for part in parts if isinstance(part, RowBatch)]
        tables = [part for part in parts if isinstance(part, pa.Table)]
        if batches:
            for batch in batches[1:]:
                batches[0].absorb(batch)
            tables.append(batches[0].to_table())
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
        self.counts[name] += table.num_rows
        yield dlt.mark.with_table_name(table, name)


class _ExpectedArrowJsonNotice(logging.Filter):
    """dlt warns that our `data` hint (json) differs from the Arrow type (string), and that `dedup_sort`
    does nothing on a first load's `append` (I9): both are the plan."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "when merging arrow schema with dlt schema" in message and "In resource: " in message:
            return False
        return not ('"dedup_sort" column hint' in message and 'write disposition "append"' in message)


_NOTICE_FILTER = _ExpectedArrowJsonNotice()


def quiet_expected_dlt_notices() -> None:
    """Silence dlt's two notices about these hints (above); every other dlt message still shows."""
    dlt_logger = logging.getLogger("dlt")
    if _NOTICE_FILTER not in dlt_logger.filters:
        dlt_logger.addFilter(_NOTICE_FILTER)
