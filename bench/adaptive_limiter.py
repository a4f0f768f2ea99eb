"""The client's pace against a rate-limited Stripe: 100 ms per request, 100 req/s accepted, 429 above.

Serves the fake account (own process) with `--latency-ms` and `--server-rate-limit`, then lets
`--threads` listing threads (a backfill's slices) page through `/v1/charges` for `--seconds` each
with one shared `StripeClient`, as the source does, and counts the pages the server answered. The
ceiling is the server's limit: 100 req/s of 100 objects = 10,000 objects/s. Variants alternate:

- `adaptive`: the default (I15): no cap, the pace follows the server's 429s (and any `Retry-After`);
- `fixed90`: a client cap of 90 req/s (0.9 of the limit: the former bench setting), lowered by 429s too;
- `none`: never paced, every 429 retried with backoff.

`--decrease 0.95 0.99` adds adaptive variants that cut the pace to that share of the accepted rate
at a 429 (the default is `RateLimiter.DECREASE`).

    python -m bench.adaptive_limiter --rounds 3 --seconds 30
    python -m bench.adaptive_limiter --variants adaptive --decrease 0.95 0.99
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from bench.ingestion_backfill import _free_port, _wait_ready

API_KEY = "sk_test_bench"
VARIANTS: dict[str, float | None] = {"adaptive": None, "fixed90": 90.0, "none": 0.0}


def measure(
    api_base: str, rate: float | None, threads: int, seconds: float, warmup: float, decrease: float | None = None
) -> dict[str, Any]:
    """Pages answered per second by `threads` listing threads over `seconds` (after `warmup`)."""
    from ingestion.stripe.client import RateLimiter

    default = RateLimiter.DECREASE
    RateLimiter.DECREASE = decrease or default
    try:
        return _measure(api_base, rate, threads, seconds, warmup)
    finally:
        RateLimiter.DECREASE = default


def _measure(api_base: str, rate: float | None, threads: int, seconds: float, warmup: float) -> dict[str, Any]:
    from ingestion.stripe.client import RetryPolicy, StripeClient

    client = StripeClient(
        API_KEY,
        api_base=api_base,
        max_requests_per_second=rate,
        retry=RetryPolicy(),  # the source's defaults
    )
    started = time.monotonic()
    measured_from = started + warmup
    stop_at = measured_from + seconds
    pages: list[float] = []  # when each page was answered
    lock = threading.Lock()

    def lister() -> None:
        cursor = None
        while time.monotonic() < stop_at:
            page = client.list_page("/v1/charges", starting_after=cursor, raw=True)
            with lock:
                pages.append(time.monotonic())
            cursor = page.data[-1].id if page.has_more and page.data else None

    workers = [threading.Thread(target=lister) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    counted = [t for t in pages if measured_from <= t < stop_at]
    return {
        "pages_per_s": len(counted) / seconds,
        "requests": client.stats.requests,
        "rate_limited": client.stats.rate_limited,
        "cuts": client.limiter.cuts,
        "final_rate": client.limiter.rate,
    }


def _spread(values: list[float], fmt: str) -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--server-rate-limit", type=float, default=100.0)
    parser.add_argument("--threads", type=int, default=24, help="listing threads (the latency bench's slices)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring (the first 429s)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--decrease", type=float, nargs="*", default=[], help="more adaptive variants")
    args = parser.parse_args(argv)
    # name -> (client cap, share of the accepted rate kept at a 429)
    variants: dict[str, tuple[float | None, float | None]] = {name: (VARIANTS[name], None) for name in args.variants}
    variants.update({f"adaptive, decrease {d:g}": (None, d) for d in args.decrease})
    os.environ.setdefault("CI", "1")
    port = _free_port()
    command = [sys.executable, "-m", "cli", "fake-stripe", "serve", "--size", "demo", "--port", str(port)]
    command += ["--api-key", API_KEY, "--latency-ms", str(args.latency_ms)]
    command += ["--rate-limit", str(args.server_rate_limit)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api_base = f"http://127.0.0.1:{port}"
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    try:
        _wait_ready(api_base, server)
        for _ in range(args.rounds):
            for name, (rate, decrease) in variants.items():
                time.sleep(1.5)  # the server's 1 s window forgets the previous run
                results[name].append(measure(api_base, rate, args.threads, args.seconds, args.warmup, decrease))
    finally:
        server.terminate()
        server.wait(timeout=30)
    ceiling = args.server_rate_limit
    print(
        f"{args.latency_ms:g} ms per request, server limit {ceiling:g} req/s (429 above), {args.threads} threads, "
        f"{args.seconds:g} s measured after {args.warmup:g} s, {args.rounds} alternating rounds\n"
    )
    print("| client pace | pages/s answered (min / median / max) | of the ceiling | 429s per run | pace at the end |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        rates = [r["pages_per_s"] for r in runs]
        share = [100 * r / ceiling for r in rates]
        limited = [float(r["rate_limited"]) for r in runs]
        final = ", ".join(f"{r['final_rate']:.1f}" for r in runs)
        print(
            f"| {name} | {_spread(rates, '{:.1f}')} | {_spread(share, '{:.1f} %')} | "
            f"{_spread(limited, '{:.0f}')} | {final} |"
        )


if __name__ == "__main__":
    main()
