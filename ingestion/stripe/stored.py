"""What the destination already holds, read back so event-derived states never overwrite newer ones (I2).

Used during extraction (DECISIONS.md D2: "latest `state_at` wins" across loads; dlt's merge only
orders duplicates inside one load). Goes through the pipeline's own `sql_client()`, so it works on
any SQL destination dlt supports, not only DuckDB. A table that does not exist yet reads as empty.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_CHUNK = 500


@dataclass(frozen=True)
class StoredRow:
    id: str
    created: int | None
    data: bytes | None
    api_version: str | None
    state_at: int | None
    parent_id: str | None


def mark_deleted(batch: Any, row: StoredRow, state_at: int, deleted_at: int | None) -> None:
    """A stored row written again to `batch` (a `RowBatch`), marked deleted: its last known data is
    kept (I4)."""
    batch.add(
        {"id": row.id},
        api_version=row.api_version,
        state_at=state_at,
        created=row.created,
        parent_id=row.parent_id,
        is_deleted=True,
        deleted_at=deleted_at,
        data=row.data,
    )


class Warehouse(Protocol):
    def stored_states(self, table: str, ids: Sequence[str]) -> dict[str, int | None]:
        """`state_at` of the rows with these ids (absent ids are not in the result)."""
        ...

    def stored_rows(self, table: str, ids: Sequence[str]) -> dict[str, StoredRow]: ...

    def live_rows(self, table: str, *, created_gte: int | None = None) -> Iterator[StoredRow]:
        """Rows not marked deleted (optionally only those with `created >= created_gte`)."""
        ...

    def live_children(self, table: str, parent_ids: Sequence[str]) -> list[StoredRow]:
        """Rows not marked deleted whose `parent_id` is one of `parent_ids`."""
        ...

    def has_rows(self, table: str) -> bool:
        """Whether the table exists and holds at least one row."""
        ...


class EmptyWarehouse:
    """A destination with nothing in it (first runs, unit tests)."""

    def stored_states(self, table: str, ids: Sequence[str]) -> dict[str, int | None]:
        return {}

    def stored_rows(self, table: str, ids: Sequence[str]) -> dict[str, StoredRow]:
        return {}

    def live_rows(self, table: str, *, created_gte: int | None = None) -> Iterator[StoredRow]:
        return iter(())

    def live_children(self, table: str, parent_ids: Sequence[str]) -> list[StoredRow]:
        return []

    def has_rows(self, table: str) -> bool:
        return False


_ROW_COLUMNS = "id, created, data, api_version, state_at, parent_id"


def _as_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    import orjson

    return orjson.dumps(value)


def _row(values: Sequence[Any]) -> StoredRow:
    id_, created, data, api_version, state_at, parent_id = values
    return StoredRow(
        id=id_,
        created=None if created is None else int(created),
        data=_as_bytes(data),
        api_version=api_version,
        state_at=None if state_at is None else int(state_at),
        parent_id=parent_id,
    )


class DltWarehouse:
    """Reads the destination of the pipeline currently running (or of `pipeline`)."""

    def __init__(self, pipeline: Any = None) -> None:
        self._pipeline = pipeline

    def _get_pipeline(self) -> Any:
        if self._pipeline is not None:
            return self._pipeline
        import dlt

        return dlt.current.pipeline()

    def _query(self, table: str, select: str, where: str, args: Sequence[Any], suffix: str = "") -> list[Sequence[Any]]:
        from dlt.destinations.exceptions import DatabaseUndefinedRelation, DestinationUndefinedEntity

        pipeline = self._get_pipeline()
        if pipeline is None or pipeline.destination is None:
            return []
        try:
            with pipeline.sql_client() as client:
                qualified = client.make_qualified_table_name(table)
                sql = f"SELECT {select} FROM {qualified} WHERE {where}{suffix}"
                return list(client.execute_sql(sql, *args) or [])
        except (DatabaseUndefinedRelation, DestinationUndefinedEntity):
            return []

    def stored_states(self, table: str, ids: Sequence[str]) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            for id_, state_at in self._query(table, "id, state_at", f"id IN ({marks})", chunk):
                previous = out.get(id_)
                value = None if state_at is None else int(state_at)
                if previous is None or (value is not None and value > previous):
                    out[id_] = value
        return out

    def stored_rows(self, table: str, ids: Sequence[str]) -> dict[str, StoredRow]:
        out: dict[str, StoredRow] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            for values in self._query(table, _ROW_COLUMNS, f"id IN ({marks})", chunk):
                row = _row(values)
                out[row.id] = row
        return out

    def live_rows(self, table: str, *, created_gte: int | None = None) -> Iterator[StoredRow]:
        where = "(is_deleted IS NULL OR NOT is_deleted)"
        args: list[Any] = []
        if created_gte:
            where += " AND created >= %s"
            args.append(created_gte)
        for values in self._query(table, _ROW_COLUMNS, where, args):
            yield _row(values)

    def live_children(self, table: str, parent_ids: Sequence[str]) -> list[StoredRow]:
        out: list[StoredRow] = []
        unique = list(dict.fromkeys(parent_ids))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            where = f"parent_id IN ({marks}) AND (is_deleted IS NULL OR NOT is_deleted)"
            out.extend(_row(values) for values in self._query(table, _ROW_COLUMNS, where, chunk))
        return out

    def has_rows(self, table: str) -> bool:
        return bool(self._query(table, "1", "TRUE", [], " LIMIT 1"))

    def tables_with_rows(self, tables: Sequence[str]) -> set[str]:
        """Which of `tables` exist and hold a row: one connection and one catalog query for all (a
        connection per table cost ~25 ms each on a first run, I15), then one `LIMIT 1` per table found."""
        pipeline = self._get_pipeline()
        if pipeline is None or pipeline.destination is None or not tables:
            return set()
        try:
            return self._tables_with_rows(pipeline, tables)
        except Exception:  # a destination without this catalog view: ask table by table, as before
            return {table for table in tables if self.has_rows(table)}

    def _tables_with_rows(self, pipeline: Any, tables: Sequence[str]) -> set[str]:
        found: set[str] = set()
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                return found
            marks = ", ".join(["%s"] * len(tables))
            existing = client.execute_sql(
                f"SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name IN ({marks})",
                client.dataset_name,
                *tables,
            )
            for (name,) in existing or []:
                if client.execute_sql(f"SELECT 1 FROM {client.make_qualified_table_name(name)} LIMIT 1"):
                    found.add(name)
        return found
