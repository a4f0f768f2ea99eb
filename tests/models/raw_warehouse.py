"""Write Stripe objects into a DuckDB file in the raw layout of DECISIONS.md D2.

Pure helpers for the model tests: no dbt, no network. The scenario modules build the objects.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

RAW_SCHEMA = "stripe_raw"
RAW_TABLES = (
    "charge",
    "customer",
    "invoice",
    "invoice_line_item",
    "price",
    "product",
    "subscription",
    "subscription_item",
    "balance_transaction",
    "dispute",
    "payout",
    "credit_note",
    "refund",
    "event",
)

_DDL = """
create table if not exists {schema}.{table} (
    id varchar, created bigint, data json, api_version varchar, state_at bigint,
    is_deleted boolean, deleted_at bigint, parent_id varchar, account_id varchar,
    synced_at timestamp with time zone, _dlt_load_id varchar, _dlt_id varchar
)
"""


@dataclass
class RawRow:
    table: str
    obj: dict[str, Any]
    api_version: str
    parent_id: str | None = None
    account_id: str | None = None
    is_deleted: bool = False
    deleted_at: int | None = None
    state_at: int | None = None


@dataclass
class RawAccount:
    """Objects to load, per raw table, in load order."""

    rows: list[RawRow] = field(default_factory=list)
    rates: list[tuple[dt.date, str, float]] = field(default_factory=list)

    def add(self, table: str, obj: dict[str, Any], api_version: str, **kwargs: Any) -> dict[str, Any]:
        self.rows.append(RawRow(table, obj, api_version, **kwargs))
        return obj


def write(
    path: str,
    account: RawAccount,
    prefix: str = "",
    tables: Iterable[str] = RAW_TABLES,
    synced: dt.datetime = dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
) -> None:
    """Create the raw tables (if missing) and merge the account's rows on id, as dlt's merge does."""
    con = duckdb.connect(path)
    try:
        con.execute(f"create schema if not exists {RAW_SCHEMA}")
        for table in tables:
            con.execute(_DDL.format(schema=RAW_SCHEMA, table=prefix + table))
        for i, row in enumerate(account.rows):
            con.execute(f"delete from {RAW_SCHEMA}.{prefix}{row.table} where id = ?", [row.obj["id"]])
            con.execute(
                f"insert into {RAW_SCHEMA}.{prefix}{row.table} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    row.obj["id"],
                    row.obj.get("created"),
                    json.dumps(row.obj),
                    row.api_version,
                    row.state_at or row.obj.get("created"),
                    row.is_deleted,
                    row.deleted_at,
                    row.parent_id,
                    row.account_id,
                    synced,
                    "1",
                    f"dlt{i}",
                ],
            )
        if account.rates:
            con.execute("create schema if not exists reference")
            con.execute("create table if not exists reference.exchange_rate (date date, currency varchar, rate double)")
            con.executemany("insert into reference.exchange_rate values (?, ?, ?)", account.rates)
    finally:
        con.close()
