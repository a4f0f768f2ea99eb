"""`dbt build` (models and every test) on a warehouse of about a million invoices, then after a small
incremental ingest: as scheduled (unit tests excluded, DECISIONS.md S9), and again as a plain build.

The raw warehouse comes from bench.dbt_synthetic (realistic shapes and sizes, both API shapes, fast
to produce). The "small incremental ingest" re-stamps 1,000 invoices with their lines and charges as
freshly synced, which is what a scheduled run that saw 1,000 changed invoices writes.

    python -m bench.dbt_build --invoices 1000000
    python -m bench.dbt_build --target postgres   # the same raw rows copied into a private PostgreSQL 15

On Postgres the raw tables are laid out as dlt's Postgres destination writes them (`data` as jsonb, no
indexes) on a private server (tests/postgres.py) given a real server's memory (POSTGRES_SETTINGS).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]


# the scheduled build the README recommends: data tests on the new data, unit tests in CI (S9)
SCHEDULED = ("--exclude-resource-type", "unit_test")
# a small dedicated server's memory (DuckDB's memory_limit is 3 GB in profiles.yml); durability stays off
POSTGRES_SETTINGS = {"shared_buffers": "2GB", "work_mem": "64MB", "maintenance_work_mem": "256MB",
                     "effective_cache_size": "8GB", "max_wal_size": "8GB"}  # fmt: skip
RAW_COLUMNS = (
    "id text, created bigint, data jsonb, api_version text, state_at bigint, is_deleted boolean, deleted_at bigint, "
    "parent_id text, account_id text, synced_at timestamp with time zone"
)


def dbt_build(warehouse: Path | str, target: Path, extra: tuple[str, ...] = ()) -> tuple[float, int]:
    """`dbt build` on the DuckDB file `warehouse`, or on the Postgres database whose URL it is."""
    where = (
        {"DESTINATION_TYPE": "postgres", "DESTINATION__POSTGRES__CREDENTIALS": warehouse}
        if isinstance(warehouse, str)
        else {"DESTINATION_TYPE": "duckdb", "DUCKDB_PATH": str(warehouse)}
    )
    env = {
        **os.environ,
        **where,
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    exe = Path(sys.executable).with_name("dbt")
    started = time.perf_counter()
    proc = subprocess.run(
        [
            str(exe),
            "build",
            "--project-dir",
            str(ROOT),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if proc.returncode:
        print(proc.stdout[-4000:], proc.stderr[-2000:])
        raise SystemExit(f"dbt build failed ({proc.returncode})")
    return seconds, proc.returncode


def restamp(warehouse: Path, n: int) -> None:
    """n invoices and their lines re-synced the way dlt's merge writes them: deleted and inserted again
    with a new `synced_at` (so they sit together at the end of the table, as after a real run)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"create temp table changed as select id from stripe_raw.invoice using sample {n} rows")
        for table, key in (("invoice", "id"), ("invoice_line_item", "parent_id")):
            con.execute(
                f"create temp table fresh_{table} as select * replace (now() as synced_at) "
                f"from stripe_raw.{table} where {key} in (select id from changed)"
            )
            con.execute(f"delete from stripe_raw.{table} where {key} in (select id from changed)")
            con.execute(f"insert into stripe_raw.{table} select * from fresh_{table}")


def copy_to_postgres(warehouse: Path, url: str) -> dict[str, float]:
    """The synthetic raw schemas copied into Postgres (COPY, csv); seconds per table."""
    import psycopg2

    seconds: dict[str, float] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con, psycopg2.connect(url) as pg, pg.cursor() as cursor:
        cursor.execute("create schema stripe_raw; create schema reference")
        cursor.execute("create table reference.exchange_rate (date date, currency text, rate double precision)")
        tables = [
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'stripe_raw'"
            ).fetchall()
        ]
        for table in [*tables, "exchange_rate"]:
            qualified = "reference.exchange_rate" if table == "exchange_rate" else f"stripe_raw.{table}"
            if table != "exchange_rate":
                cursor.execute(f"create table {qualified} ({RAW_COLUMNS})")
            started = time.perf_counter()
            with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
                con.execute(f"copy (select * from {qualified}) to '{csv.name}' (format csv, header false)")
                with open(csv.name, "rb") as rows:
                    cursor.copy_expert(f"copy {qualified} from stdin with (format csv)", rows)
            seconds[table] = time.perf_counter() - started
        pg.commit()
    pg = psycopg2.connect(url)  # statistics as a server's autovacuum would have them
    try:
        pg.autocommit = True
        pg.cursor().execute("vacuum analyze")
    finally:
        pg.close()
    return seconds


def restamp_postgres(url: str, n: int) -> None:
    """`restamp` on Postgres."""
    import psycopg2

    with psycopg2.connect(url) as pg, pg.cursor() as cursor:
        cursor.execute(f"create temp table changed as select id from stripe_raw.invoice order by random() limit {n}")
        for table, key in (("invoice", "id"), ("invoice_line_item", "parent_id")):
            cursor.execute(
                f"create temp table fresh_{table} as select * from stripe_raw.{table} "
                f"where {key} in (select id from changed); update fresh_{table} set synced_at = now(); "
                f"delete from stripe_raw.{table} where {key} in (select id from changed); "
                f"insert into stripe_raw.{table} select * from fresh_{table}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--target", choices=("duckdb", "postgres"), default="duckdb")
    args = parser.parse_args(argv)
    from bench.dbt_synthetic import generate

    work = Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    warehouse: Path | str = work / "warehouse.duckdb"
    server = None
    try:
        started = time.perf_counter()
        counts = generate(work / "warehouse.duckdb", args.invoices)
        print(f"raw warehouse: {counts} in {time.perf_counter() - started:.0f} s\n")
        if args.target == "postgres":
            from tests.postgres import PostgresServer

            server = PostgresServer(POSTGRES_SETTINGS).start()
            warehouse = server.create_database("bench")
            copied = copy_to_postgres(work / "warehouse.duckdb", warehouse)
            (work / "warehouse.duckdb").unlink()
            print(f"copied into PostgreSQL in {sum(copied.values()):.0f} s\n", flush=True)
        stamp = restamp_postgres if isinstance(warehouse, str) else restamp
        full, _ = dbt_build(warehouse, work / "target")
        peak_full = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        stamp(warehouse, args.changed)
        scheduled, _ = dbt_build(warehouse, work / "target", SCHEDULED)
        stamp(warehouse, args.changed)  # another sample of invoices
        incremental, _ = dbt_build(warehouse, work / "target")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"target {args.target}; peak RSS of dbt (a Postgres server's memory is its own)\n")
    print("| build | seconds | peak RSS (MB) |")
    print("|---|---:|---:|")
    print(f"| full `dbt build` ({args.invoices:,} invoices, all tests) | {full:.1f} | {peak_full:,.0f} |")
    n, flags = f"{args.changed:,}", " ".join(SCHEDULED)
    print(f"| after {n} changed invoices, scheduled build (`{flags}`) | {scheduled:.1f} | {peak:,.0f} |")
    print(f"| after {n} more changed invoices, plain `dbt build` (unit tests too) | {incremental:.1f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
