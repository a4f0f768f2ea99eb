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
    # backfill of the large fake account, no latency, no client limit
    "backfill": ["bench.ingestion_backfill", "--size", "large", "--latency-ms", "0", "--max-rps", "0", "--slices", "8"],
    # backfill with Stripe-like latency and a 100 req/s server limit (429 above it)
    "backfill-latency": [
        "bench.ingestion_backfill",
        "--size",
        "large",
        "--latency-ms",
        "100",
        "--server-rate-limit",
        "100",
        "--max-rps",
        "90",
        "--slices",
        "24",
    ],
    # a scheduled run when nothing changed, on the demo account
    "incremental": ["bench.incremental_nochange", "--size", "demo", "--runs", "3"],
    # dbt build (with tests) on a warehouse of about a million invoices, then after a small increment
    "dbt": ["bench.dbt_build"],
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
