"""A scheduled run when nothing changed: how long `dlt pipeline stripe run` takes after a backfill.

Serves the fake account (no latency), backfills it into a fresh DuckDB, then times N further runs
with no new objects and no new events (the common case of an hourly schedule), and one run after
`advance(1)` (a day of new business).

    python -m bench.incremental_nochange --size demo --runs 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="demo", choices=["small", "demo", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("CI", "1")

    from fake_stripe.account import load_account
    from fake_stripe.server import FakeStripeServer
    from ingestion import pipeline

    work = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    account = load_account(args.size, args.seed)
    options = dict(
        pipelines_dir=str(work / "pipelines"),
        duckdb_file=str(work / "bench.duckdb"),
        progress=False,
        api_key="sk_test_fake",
    )
    rows = []
    try:
        with FakeStripeServer(account, port=0) as server:
            started = time.perf_counter()
            first = pipeline.run(api_base=server.base_url, **options)
            rows.append(("backfill", time.perf_counter() - started, first.total_rows, first.stats.requests))
            for i in range(args.runs):
                started = time.perf_counter()
                result = pipeline.run(api_base=server.base_url, **options)
                rows.append(
                    (f"no change #{i + 1}", time.perf_counter() - started, result.total_rows, result.stats.requests)
                )
            server.advance(1)
            started = time.perf_counter()
            result = pipeline.run(api_base=server.base_url, **options)
            rows.append(
                ("after advance(1 day)", time.perf_counter() - started, result.total_rows, result.stats.requests)
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"fake account {args.size} (seed {args.seed}), no latency, FX reference reload included\n")
    print("| run | seconds | rows written | requests |")
    print("|---|---:|---:|---:|")
    for name, seconds, n, requests in rows:
        print(f"| {name} | {seconds:.2f} | {n} | {requests} |")


if __name__ == "__main__":
    main()
