"""Where a backfill's time goes: dlt's extract, normalize and load timed apart, with the CPU seconds of
the client and of the fake Stripe server during extraction.

Serves the fake account in its own process (as `bench.ingestion_backfill` does), or uses a server
already running (`--api-base`, then `--server-pid` adds its CPU). `--resources` narrows the run.

    python -m bench.backfill_phases --size large --resources charge
    python -m bench.backfill_phases --api-base http://127.0.0.1:12111 --api-key sk_test_fake --resources invoice
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.ingestion_backfill import _free_port, _wait_ready


def _process_cpu(pid: int | None) -> float:
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(api_base: str, api_key: str, server_pid: int | None, resources: str | None, slices: int) -> dict[str, Any]:
    from ingestion.pipeline import make_pipeline
    from ingestion.stripe import RunStats, stripe_source

    work = Path(tempfile.mkdtemp(prefix="bench-phases-"))
    try:
        pipeline = make_pipeline(pipelines_dir=str(work / "pipelines"), duckdb_file=str(work / "bench.duckdb"))
        stats = RunStats()
        options: dict[str, Any] = {"api_key": api_key, "api_base": api_base, "backfill_slices": slices}
        options["max_requests_per_second"] = 0
        if resources:
            options["resources"] = resources
        t0, c0, s0 = time.perf_counter(), _own_cpu(), _process_cpu(server_pid)
        pipeline.extract(stripe_source(stats=stats, **options))
        t1, c1, s1 = time.perf_counter(), _own_cpu(), _process_cpu(server_pid)
        pipeline.normalize()
        t2, c2 = time.perf_counter(), _own_cpu()
        pipeline.load()
        t3, c3 = time.perf_counter(), _own_cpu()
        counts = pipeline.last_trace.last_normalize_info.row_counts
        rows = sum(n for table, n in counts.items() if not table.startswith("_dlt"))
        return {
            "rows": rows,
            "requests": stats.requests,
            "extract_s": round(t1 - t0, 1),
            "extract_client_cpu_s": round(c1 - c0, 1),
            "extract_server_cpu_s": round(s1 - s0, 1) if server_pid else None,
            "normalize_s": round(t2 - t1, 1),
            "load_s": round(t3 - t2, 1),
            "load_client_cpu_s": round(c3 - c2, 1),
            "total_s": round(t3 - t0, 1),
            "rows_per_s": round(rows / (t3 - t0)),
            "appended_first_load": sorted(t for t, r in stats.resources.items() if r.appended),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="demo", choices=["small", "demo", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--api-base", default=None, help="use a fake server already running here")
    parser.add_argument("--api-key", default="sk_test_bench")
    parser.add_argument("--server-pid", type=int, default=None, help="its process id, to count its CPU")
    parser.add_argument("--resources", default=None, help="comma-separated tables (default: all)")
    parser.add_argument("--slices", type=int, default=8)
    args = parser.parse_args(argv)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("CI", "1")
    server = None
    api_base, server_pid = args.api_base, args.server_pid
    if api_base is None:
        port = _free_port()
        command = [sys.executable, "-m", "cli", "fake-stripe", "serve", "--size", args.size]
        command += ["--seed", str(args.seed), "--port", str(port), "--api-key", args.api_key]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        api_base, server_pid = f"http://127.0.0.1:{port}", server.pid
    try:
        if server is not None:
            _wait_ready(api_base, server)
        print(json.dumps(measure(api_base, args.api_key, server_pid, args.resources, args.slices), indent=1))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
