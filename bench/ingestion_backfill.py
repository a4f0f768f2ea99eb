"""First-run (backfill) throughput of the `stripe` source against the fake Stripe server.

Serves a synthetic account (fake_stripe) in-process with a per-request latency like Stripe's, then
runs the whole pipeline (extract → normalize → load into a fresh DuckDB) with 1, 4, 8 ... parallel
created-slices, and reports rows/s, requests, and the wall time.

    python -m bench.ingestion_backfill --size demo --latency-ms 60 --slices 1 4 8
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base_url: str, server: subprocess.Popen[bytes], timeout: float = 900) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the fake Stripe server exited")
        try:
            if requests.get(base_url + "/_fake/info", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError("the fake Stripe server did not start")


def _rate(text: str) -> float | None:
    """`--max-rps`: a number (0 = never paced), or `adaptive` (no cap: the pace follows 429s, I15)."""
    return None if text.strip().lower() == "adaptive" else float(text)


def run_once(base_url: str, api_key: str, slices: int, max_rps: float | None) -> dict[str, Any]:
    from ingestion import pipeline

    work = Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    try:
        started = time.perf_counter()
        result = pipeline.run(
            pipelines_dir=str(work / "pipelines"),
            duckdb_file=str(work / "bench.duckdb"),
            load_fx=False,
            progress=False,
            api_key=api_key,
            api_base=base_url,
            backfill_slices=slices,
            max_requests_per_second=max_rps,
        )
        seconds = time.perf_counter() - started
        return {
            "slices": slices,
            "rows": result.total_rows,
            "seconds": seconds,
            "requests": result.stats.requests,
            "retries": result.stats.retries,
            "rate_limited": result.stats.rate_limited,
            "runs": result.stats.runs,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="demo", choices=["small", "demo", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=60.0, help="server latency per request")
    parser.add_argument("--server-rate-limit", type=float, default=None, help="server-side 429 above this rate")
    parser.add_argument(
        "--max-rps",
        type=_rate,
        default=None,
        help="client cap in req/s; 0 = never paced; default `adaptive` (the source's default: follows 429s)",
    )
    parser.add_argument("--slices", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args(argv)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("CI", "1")

    # the server runs in its own process, so it does not compete with the pipeline for the GIL
    port = _free_port()
    api_key = "sk_test_bench"
    command = [
        sys.executable,
        "-m",
        "cli",
        "fake-stripe",
        "serve",
        "--size",
        args.size,
        "--seed",
        str(args.seed),
        "--port",
        str(port),
        "--api-key",
        api_key,
        "--latency-ms",
        str(args.latency_ms),
    ]
    if args.server_rate_limit:
        command += ["--rate-limit", str(args.server_rate_limit)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url, server)
        results = [run_once(base_url, api_key, s, args.max_rps) for s in args.slices]
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"fake account {args.size} (seed {args.seed}), {args.latency_ms:g} ms latency per request, "
        f"client pace {'adaptive (follows 429s)' if args.max_rps is None else f'{args.max_rps:g} req/s'}\n"
    )
    print("| slices | rows | requests | retries (429) | seconds | rows/s | requests/s |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['slices']} | {r['rows']} | {r['requests']} | {r['retries']} ({r['rate_limited']}) | "
            f"{r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} | {r['requests'] / r['seconds']:.1f} |"
        )
    for r in results:
        if r["runs"]:  # the dlt runs of a pipelined backfill (I11), seconds per step
            print(f"\ndlt runs with {r['slices']} slices (seconds per step):")
            for run in r["runs"]:
                steps = ", ".join(f"{k} {v}" for k, v in run.items() if k != "resources")
                print(f"- {','.join(run['resources'])}: {steps}")


if __name__ == "__main__":
    main()
