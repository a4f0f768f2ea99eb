"""`make bench`: run every benchmark and print its markdown table (copy the figures into README.md).

Each benchmark is its own module so one can be re-run alone; this runs them in sequence, each in a
fresh process, and reports peak memory (max RSS of the process and its children) beside its table.

    python -m bench.run                 # everything (the large account is generated once, ~10 min)
    python -m bench.run normalizer      # one of them
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

BENCHMARKS: dict[str, list[str]] = {
    # Arrow fast path vs dlt's default normalizer on the same pages
    "normalizer": ["bench.normalizer_paths", "--objects", "100000"],
    # backfill of the large fake account, no latency, the default (adaptive) client pace
    "backfill": ["bench.ingestion_backfill", "--size", "large", "--latency-ms", "0", "--slices", "8"],
    # backfill with Stripe-like latency and a 100 req/s server limit (429 above it), adaptive pace (I15)
    "backfill-latency": [
        "bench.ingestion_backfill",
        "--size",
        "large",
        "--latency-ms",
        "100",
        "--server-rate-limit",
        "100",
        "--slices",
        "24",
    ],
    # the client's pace alone under 100 ms latency and a 100 req/s limit: adaptive vs a fixed cap (I15)
    "limiter": ["bench.adaptive_limiter", "--rounds", "3", "--seconds", "30"],
    # the demo account's first load, each run a fresh process (I15)
    "demo-first-load": ["bench.demo_first_load", "--runs", "5"],
    # against dlt's verified stripe_analytics source, same account and resources, alternating (I15)
    "peer": ["bench.peer_stripe_analytics", "--size", "demo", "--pairs", "5"],
    # `stripe-revenue --help` and `dlt pipeline stripe run --help` from a cold process (I15)
    "cold-start": ["bench.cold_start", "--runs", "7"],
    # a scheduled run when nothing changed, on the demo account
    "incremental": ["bench.incremental_nochange", "--size", "demo", "--runs", "5", "--breakdown"],
    # dbt build (with tests) on a warehouse of about a million invoices, then after a small increment
    "dbt": ["bench.dbt_build"],
    # the same on PostgreSQL 15 (a private server, the same synthetic raw rows): beside DuckDB's (issue 19)
    "dbt-postgres": ["bench.dbt_build", "--target", "postgres"],
    # first load of the large fake account into DuckDB and into Postgres, alternating (issue 19)
    "first-load-postgres": ["bench.postgres_first_load", "--size", "large", "--runs", "1"],
    # the demo account on local Spark from a parquet lake, beside DuckDB (issue 20; needs .venv-spark)
    "spark": ["bench.spark_build", "--size", "demo"],
    # the dashboard page of the demo account: size, and first render in headless Chromium
    "dashboard": ["bench.dashboard_page", "--runs", "7"],
    # the webhook receiver: 20,000 signed events from 32 connections, then the next run applies them
    "webhooks": ["bench.webhook_receiver", "burst", "--events", "20000", "--connections", "32"],
    # 1,000 idle or stalled connections held: the delay they add to valid deliveries
    "webhooks-stalled": ["bench.webhook_receiver", "stalled", "--idle", "500", "--stalled-bodies", "500"],
    # the receiver's memory under a 10-minute burst at 2,000 events/s
    "webhooks-soak": ["bench.webhook_receiver", "soak", "--minutes", "10"],
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    for name in names:
        command = [sys.executable, "-m", *BENCHMARKS[name]]
        print(f"\n## {name}\n\n`python -m {' '.join(BENCHMARKS[name])}`\n", flush=True)
        started = time.perf_counter()
        rc = subprocess.call(command)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"\n({time.perf_counter() - started:.0f} s wall, peak RSS of a child process {peak:,.0f} MB, exit {rc})",
            flush=True,
        )
        if rc:
            return rc
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
