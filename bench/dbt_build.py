"""`dbt build` (models and every test) on a warehouse of about a million invoices, then after a small
incremental ingest: as scheduled (unit tests excluded, DECISIONS.md S9), and again as a plain build.

The raw warehouse comes from bench.dbt_synthetic (realistic shapes and sizes, both API shapes, fast
to produce). The "small incremental ingest" re-stamps 1,000 invoices with their lines and charges as
freshly synced, which is what a scheduled run that saw 1,000 changed invoices writes.

    python -m bench.dbt_build --invoices 1000000
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


def dbt_build(warehouse: Path, target: Path, extra: tuple[str, ...] = ()) -> tuple[float, int]:
    env = {
        **os.environ,
        "DUCKDB_PATH": str(warehouse),
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=1_000)
    args = parser.parse_args(argv)
    from bench.dbt_synthetic import generate

    work = Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    warehouse = work / "warehouse.duckdb"
    try:
        started = time.perf_counter()
        counts = generate(warehouse, args.invoices)
        print(f"raw warehouse: {counts} in {time.perf_counter() - started:.0f} s\n")
        full, _ = dbt_build(warehouse, work / "target")
        peak_full = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        restamp(warehouse, args.changed)
        scheduled, _ = dbt_build(warehouse, work / "target", SCHEDULED)
        restamp(warehouse, args.changed)  # another sample of invoices
        incremental, _ = dbt_build(warehouse, work / "target")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| build | seconds | peak RSS (MB) |")
    print("|---|---:|---:|")
    print(f"| full `dbt build` ({args.invoices:,} invoices, all tests) | {full:.1f} | {peak_full:,.0f} |")
    n, flags = f"{args.changed:,}", " ".join(SCHEDULED)
    print(f"| after {n} changed invoices, scheduled build (`{flags}`) | {scheduled:.1f} | {peak:,.0f} |")
    print(f"| after {n} more changed invoices, plain `dbt build` (unit tests too) | {incremental:.1f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
