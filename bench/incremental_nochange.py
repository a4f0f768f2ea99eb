"""A scheduled run when nothing changed: how long `dlt pipeline stripe run` takes after a backfill.

Serves the fake account (no latency), backfills it into a fresh DuckDB, then times N further runs
with no new objects and no new events (the common case of an hourly schedule), and one run after
`advance(1)` (a day of new business). `--breakdown` times the parts of every no-change run (wall
and this process's CPU): where each 100 ms goes (DECISIONS.md I15).

    python -m bench.incremental_nochange --size demo --runs 3 --breakdown
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# (module, attribute, label): the parts of a run `--breakdown` times, in the order they run
PARTS = [
    ("ingestion.pipeline", "open_warehouse", "open the warehouse (one DuckDB connection, D5)"),
    ("ingestion.pipeline", "make_pipeline", "dlt pipeline objects (stripe, and reference when it runs)"),
    ("ingestion.pipeline", "_restore_state", "dlt state synced with the warehouse"),
    ("ingestion.pipeline", "stripe_source", "the source: client, account check (GET /v1/account, witness)"),
    ("ingestion.pipeline", "_run_pipelined", "the Stripe dlt run (extract / normalize / load below)"),
    ("ingestion.pipeline", "load_reference_rates", "ECB reference rates (reference.exchange_rate)"),
    ("ingestion.pipeline", "load_product_analytics", "persons and groups files (none configured)"),
]


class Breakdown:
    """Wall and CPU seconds of the `PARTS` of each run, and dlt's steps of the Stripe run."""

    def __init__(self) -> None:
        self.parts: dict[str, list[tuple[float, float]]] = {}
        self.current: dict[str, tuple[float, float]] = {}
        self.steps: dict[str, float] = {}  # dlt's steps of the last Stripe run
        self._depth = 0

    def install(self) -> None:
        import importlib

        for module_name, attribute, label in PARTS:
            module = importlib.import_module(module_name)
            setattr(module, attribute, self._timed(getattr(module, attribute), label))

    def _timed(self, func: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth:  # inside another part (the reference rates make their own pipeline)
                return func(*args, **kwargs)
            wall, cpu = time.perf_counter(), time.process_time()
            self._depth += 1
            try:
                return func(*args, **kwargs)
            finally:
                self._depth -= 1
                w, c = self.current.get(label, (0.0, 0.0))
                self.current[label] = (w + time.perf_counter() - wall, c + time.process_time() - cpu)
                trace = getattr(args[0], "last_trace", None) if func.__name__ == "_run_pipelined" else None
                for step in trace.steps if trace is not None else []:
                    if step.finished_at is not None:
                        self.steps[step.step] = (step.finished_at - step.started_at).total_seconds()

        return timed

    def end_run(self, total: float, total_cpu: float) -> None:
        steps = {f"  dlt {k}": (v, 0.0) for k, v in self.steps.items() if k != "run"}
        for label, (wall, cpu) in {**self.current, **steps}.items():
            self.parts.setdefault(label, []).append((wall, cpu))
        counted = list(self.current.values())
        rest = total - sum(w for w, _ in counted)
        self.parts.setdefault("the rest (imports on first use, row counts, summary)", []).append(
            (rest, total_cpu - sum(c for _, c in counted))
        )
        self.parts.setdefault("total", []).append((total, total_cpu))
        self.current, self.steps = {}, {}

    def print(self) -> None:
        print("\nwhere a no-change run's time goes (median over the runs; dlt steps inside the Stripe run)\n")
        print("| part | wall ms | CPU ms (this process) |")
        print("|---|---:|---:|")
        for label, values in self.parts.items():
            wall = statistics.median([w for w, _ in values]) * 1000
            cpu = statistics.median([c for _, c in values]) * 1000
            cells = f"{wall:.0f} | {cpu:.0f}" if not label.startswith("  ") else f"{wall:.0f} |"
            print(f"| {label} | {cells} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="demo", choices=["small", "demo", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--breakdown", action="store_true", help="time the parts of each no-change run")
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
            breakdown = Breakdown() if args.breakdown else None
            if breakdown is not None:
                breakdown.install()
            for i in range(args.runs):
                started, cpu = time.perf_counter(), time.process_time()
                result = pipeline.run(api_base=server.base_url, **options)
                seconds = time.perf_counter() - started
                rows.append((f"no change #{i + 1}", seconds, result.total_rows, result.stats.requests))
                if breakdown is not None:
                    breakdown.end_run(seconds, time.process_time() - cpu)
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
    if args.breakdown and breakdown is not None:
        breakdown.print()


if __name__ == "__main__":
    main()
