"""The demo account's first load (what `make demo` does first), each run a fresh Python process.

Serves the demo account (own process, no latency) and runs `ingestion.pipeline.run` (all resources,
no FX, as the benchmark of the source alone) into a fresh DuckDB, `--runs` times. Reports the run's
own time (`in-run`: `pipeline.run` from call to return, imports of the run's modules included, as
in a fresh `stripe-revenue run`) and the whole process (spawn to exit). With `--group-rows` the
variants alternate: the first load's dlt runs formed by `Backfill.next_group` with that many rows
(the default, I15), and `0`: a dlt run as soon as a listing has rows, close to I11's run per resource.

    python -m bench.demo_first_load --runs 5
    python -m bench.demo_first_load --runs 5 --group-rows 50000 0
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ingestion_backfill import _free_port, _wait_ready

API_KEY = "sk_test_bench"


def _child(api_base: str, group_rows: int | None) -> None:
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("CI", "1")
    from ingestion import pipeline

    if group_rows is not None:  # a variant: the Backfill the pipeline builds gets this `group_rows`
        original = pipeline.Backfill

        def backfill() -> object:
            return original(group_rows=group_rows)

        pipeline.Backfill = backfill  # type: ignore[assignment,misc]
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        result = pipeline.run(
            pipelines_dir=str(Path(tmp) / "pipelines"),
            duckdb_file=str(Path(tmp) / "demo.duckdb"),
            load_fx=False,
            progress=False,
            api_key=API_KEY,
            api_base=api_base,
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": result.total_rows, "dlt_runs": len(result.stats.runs)}))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _spread(values: list[float], fmt: str) -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--group-rows", type=int, nargs="*", default=None, help="variants, alternating")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api-base", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.api_base, args.group_rows[0] if args.group_rows else None)
        return
    port = _free_port()
    command = [sys.executable, "-m", "cli", "fake-stripe", "serve", "--size", "demo", "--seed", str(args.seed)]
    command += ["--port", str(port), "--api-key", API_KEY]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api_base = f"http://127.0.0.1:{port}"
    variants: list[int | None] = list(args.group_rows) if args.group_rows else [None]
    runs: dict[int | None, list[dict[str, float]]] = {v: [] for v in variants}
    try:
        _wait_ready(api_base, server)
        for _ in range(args.runs):
            for variant in variants:
                child = [sys.executable, "-m", "bench.demo_first_load", "--child", "--api-base", api_base]
                if variant is not None:
                    child += ["--group-rows", str(variant)]
                started, cpu = time.perf_counter(), _children_cpu()
                done = subprocess.run(child, check=True, capture_output=True, text=True)
                measured = json.loads(done.stdout.strip().splitlines()[-1])
                measured["process"] = time.perf_counter() - started
                measured["process_cpu"] = _children_cpu() - cpu
                runs[variant].append(measured)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"demo account (seed {args.seed}), all resources, no FX, no latency, {args.runs} fresh processes each\n")
    print("(CPU: of the loading process alone, all threads; the fake server runs in its own process)\n")
    print("| dlt runs formed by | dlt runs | rows | in-run s | rows/s (in-run) | in-run CPU s | process s (CPU s) |")
    print("|---|---:|---:|---|---|---|---|")
    for variant, measured in runs.items():
        label = "default (group_rows=50,000)" if variant is None else f"group_rows={variant:,}"
        seconds = [m["seconds"] for m in measured]
        rates = [m["rows"] / m["seconds"] for m in measured]
        print(
            f"| {label} | {_spread([m['dlt_runs'] for m in measured], '{:.0f}')} | {int(measured[0]['rows'])} | "
            f"{_spread(seconds, '{:.2f}')} | {_spread(rates, '{:,.0f}')} | "
            f"{_spread([m['cpu'] for m in measured], '{:.2f}')} | "
            f"{_spread([m['process'] for m in measured], '{:.2f}')} "
            f"({_spread([m['process_cpu'] for m in measured], '{:.2f}')}) |"
        )


if __name__ == "__main__":
    main()
