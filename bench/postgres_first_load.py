"""First load of a fake account into DuckDB and into PostgreSQL, alternately: rows/s on the same account.

The fake Stripe server runs in its own process with no latency (as `bench.ingestion_backfill`); each run
loads everything (Stripe, no FX) into a fresh DuckDB file or a fresh database on a private PostgreSQL
server (tests/postgres.py, the memory of bench.dbt_build's). Runs alternate between the destinations
(the machine's speed swings), and min / median / max are reported per destination.

    python -m bench.postgres_first_load --size demo --runs 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from bench.dbt_build import POSTGRES_SETTINGS
from bench.ingestion_backfill import _free_port, _wait_ready


def load_once(base_url: str, api_key: str, destination: str, server: object) -> tuple[int, float]:
    """(rows, seconds) of one first load into a fresh warehouse of `destination`."""
    from ingestion import pipeline
    from tests.postgres import postgres_env

    work = Path(tempfile.mkdtemp(prefix="bench-first-load-"))
    env = postgres_env(server.create_database("load")) if destination == "postgres" else {}  # type: ignore[attr-defined]
    try:
        with mock.patch.dict(os.environ, env):
            started = time.perf_counter()
            result = pipeline.run(
                pipelines_dir=str(work / "pipelines"),
                duckdb_file=str(work / "bench.duckdb"),
                destination=destination,
                load_fx=False,
                progress=False,
                api_key=api_key,
                api_base=base_url,
            )
            return result.total_rows, time.perf_counter() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="demo", choices=["small", "demo", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="runs per destination, alternating")
    args = parser.parse_args(argv)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("CI", "1")
    from tests.postgres import PostgresServer

    port, api_key = _free_port(), "sk_test_bench"
    command = [sys.executable, "-m", "cli", "fake-stripe", "serve", "--size", args.size, "--seed", str(args.seed),
               "--port", str(port), "--api-key", api_key, "--latency-ms", "0"]  # fmt: skip
    fake = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    postgres = PostgresServer(POSTGRES_SETTINGS).start()
    results: dict[str, list[tuple[int, float]]] = {"duckdb": [], "postgres": []}
    try:
        _wait_ready(base_url, fake)
        for _ in range(args.runs):
            for destination in results:
                results[destination].append(load_once(base_url, api_key, destination, postgres))
                rows, seconds = results[destination][-1]
                print(f"{destination}: {rows:,} rows in {seconds:.1f} s", flush=True)
    finally:
        fake.terminate()
        fake.wait(timeout=30)
        postgres.stop()
    print(f"\nfake account {args.size} (seed {args.seed}), no latency, {args.runs} runs each, alternating\n")
    print("| destination | rows | seconds (min / median / max) | rows/s (at the median) |")
    print("|---|---:|---:|---:|")
    for destination, runs in results.items():
        seconds = sorted(s for _, s in runs)
        median = statistics.median(seconds)
        print(
            f"| {destination} | {runs[0][0]:,} | {seconds[0]:.1f} / {median:.1f} / {seconds[-1]:.1f} | "
            f"{runs[0][0] / median:,.0f} |"
        )


if __name__ == "__main__":
    main()
