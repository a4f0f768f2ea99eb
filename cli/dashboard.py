"""`stripe-revenue dashboard`: arguments for writing the dashboard page (`dashboard.write_dashboard`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def default_warehouse() -> str:
    return os.environ.get("DUCKDB_PATH") or str(ROOT / "warehouse.duckdb")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "dashboard",
        help="write the revenue dashboard (one self-contained HTML file) from the dbt marts",
        description="Reads the revenue marts (after `dbt build`) read-only and writes one HTML page that works "
        "offline: KPIs of the latest complete month, MRR and its bridge, recognised and deferred revenue, "
        "customers, top customers.",
    )
    p.add_argument("--output", "-o", default="dashboard.html", help="HTML file to write (default: dashboard.html)")
    p.add_argument(
        "--duckdb",
        default=None,
        metavar="PATH",
        help="the warehouse file (default: $DUCKDB_PATH, else warehouse.duckdb at the repo root)",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from dashboard import DashboardError, write_dashboard

    try:
        out = write_dashboard(args.duckdb or default_warehouse(), args.output)
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"dashboard written to {out}")
    return 0
