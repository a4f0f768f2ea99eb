"""This project's `stripe` source against dlt's verified `stripe_analytics` source (bench/peers/), same account.

Serves one fake account (own process, no latency), then loads the same resources into a fresh DuckDB
with each source in turn, alternating (ours, peer, ours, peer, ...), each run a fresh Python process
timed from spawn to exit (wall, whole process: imports, extract, normalize, load). Objects/s counts the
top-level objects each side loaded (the same objects: both list every one once); sub-tables are
not counted. The peer runs as its README says (`stripe_source(endpoints=...)` into DuckDB); the
only change is the `Stripe-Version` it sends: the fake serves 2024-09-30.acacia and later, not the
peer's 2022-11-15.

    python -m bench.peer_stripe_analytics --size demo --pairs 5
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

# ours (table) -> the peer's endpoint (stripe-python class)
RESOURCES = {
    "customer": "Customer",
    "product": "Product",
    "price": "Price",
    "subscription": "Subscription",
    "invoice": "Invoice",
    "charge": "Charge",
}
API_KEY = "sk_test_bench"


def _ours(api_base: str, work: Path) -> dict[str, int]:
    from ingestion import pipeline

    result = pipeline.run(
        pipelines_dir=str(work / "pipelines"),
        duckdb_file=str(work / "ours.duckdb"),
        load_fx=False,
        progress=False,
        api_key=API_KEY,
        api_base=api_base,
        resources=list(RESOURCES),
    )
    return {table: n for table, n in result.row_counts.items() if table in RESOURCES}


def _peer(api_base: str, work: Path) -> dict[str, int]:
    import dlt
    import stripe

    from bench.peers.stripe_analytics import stripe_source

    pipeline = dlt.pipeline(
        pipeline_name="stripe_analytics",
        destination=dlt.destinations.duckdb(str(work / "peer.duckdb")),
        dataset_name="stripe_data",
        pipelines_dir=str(work / "pipelines"),
    )
    source = stripe_source(endpoints=tuple(RESOURCES.values()), stripe_secret_key=API_KEY)
    stripe.api_base = api_base  # the fake server, and a version it serves (the peer pins 2022-11-15)
    stripe.api_version = "2024-09-30.acacia"
    pipeline.run(source)
    counts = pipeline.last_trace.last_normalize_info.row_counts
    return {table: counts.get(endpoint.lower(), 0) for table, endpoint in RESOURCES.items()}


def _child(side: str, api_base: str) -> None:
    """One run in this (fresh) process; prints its objects per table as JSON."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("CI", "1")
    with tempfile.TemporaryDirectory(prefix=f"bench-peer-{side}-") as tmp:
        counts = (_ours if side == "ours" else _peer)(api_base, Path(tmp))
    print(json.dumps(counts))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(side: str, api_base: str) -> tuple[float, float, dict[str, int]]:
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [sys.executable, "-m", "bench.peer_stripe_analytics", "--child", side, "--api-base", api_base],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    return seconds, _children_cpu() - cpu, json.loads(done.stdout.strip().splitlines()[-1])


def _spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="demo", choices=["small", "demo", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--child", choices=["ours", "peer"], help=argparse.SUPPRESS)
    parser.add_argument("--api-base", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.api_base)
        return
    if not (Path(__file__).parent / "peers" / "stripe_analytics" / "__init__.py").exists():
        # the peer's code is not committed here (bench/peers/README.md says why and how to get it)
        sys.exit(
            "error: dlt's verified stripe_analytics source is not in bench/peers/stripe_analytics/. Get it with\n"
            "  (cd /tmp && dlt init stripe_analytics duckdb) && cp -r /tmp/stripe_analytics bench/peers/\n"
            "(needs github.com), then run this benchmark again."
        )
    port = _free_port()
    command = [sys.executable, "-m", "cli", "fake-stripe", "serve", "--size", args.size, "--seed", str(args.seed)]
    command += ["--port", str(port), "--api-key", API_KEY]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api_base = f"http://127.0.0.1:{port}"
    runs: dict[str, list[tuple[float, float, dict[str, int]]]] = {"ours": [], "peer": []}
    try:
        _wait_ready(api_base, server)
        for _ in range(args.pairs):
            for side in ("ours", "peer"):
                runs[side].append(_timed(side, api_base))
    finally:
        server.terminate()
        server.wait(timeout=30)
    objects = {side: sum(runs[side][0][2].values()) for side in runs}
    print(f"fake account {args.size} (seed {args.seed}), no latency, resources {', '.join(RESOURCES)}; ")
    print(f"objects loaded: ours {runs['ours'][0][2]}, peer {runs['peer'][0][2]}\n")
    print("| side | runs | wall s (min / median / max) | objects/s (min / median / max) | CPU s of the process |")
    print("|---|---:|---|---|---|")
    rates: dict[str, list[float]] = {}
    for side, label in (("ours", "this project"), ("peer", "dlt verified stripe_analytics")):
        walls = [seconds for seconds, _, _ in runs[side]]
        cpus = [cpu for _, cpu, _ in runs[side]]
        rates[side] = [objects[side] / s for s in walls]
        print(
            f"| {label} | {len(walls)} | {_spread(walls, '{:.2f}')} | {_spread(rates[side])} | "
            f"{_spread(cpus, '{:.2f}')} |"
        )
    ratios = [o / p for o, p in zip(rates["ours"], rates["peer"], strict=True)]
    print(f"\nratio of objects/s per pair (min / median / max): {_spread(ratios, '{:.1f}x')}")
    cpu_ratios = [p[1] / o[1] for o, p in zip(runs["ours"], runs["peer"], strict=True)]
    print(f"ratio of CPU seconds per pair, peer / ours (min / median / max): {_spread(cpu_ratios, '{:.1f}x')}")
    if objects["ours"] != objects["peer"]:
        print(f"note: the sides loaded different object counts ({objects})")


if __name__ == "__main__":
    main()
