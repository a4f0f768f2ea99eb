"""`stripe-revenue dashboard`: arguments for writing the dashboard page, and the warehouse connection it reads."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETTINGS = "dashboard.toml"  # read from the working directory when it exists


def default_warehouse() -> str:
    return os.environ.get("DUCKDB_PATH") or str(ROOT / "warehouse.duckdb")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "dashboard",
        help="write the revenue dashboard (one self-contained HTML file) from the dbt marts",
        description="Reads the revenue marts (after `dbt build`) read-only, on the configured warehouse (DuckDB or "
        "Postgres, DESTINATION_TYPE), and writes one HTML page that works offline: date ranges, filters and "
        "breakdowns by product, country, cohort, initial coupon, source and group, MRR and its bridge, revenue, "
        "customers, subscriptions, churn and retention, deferred revenue, top customers, persons and groups.",
    )
    p.add_argument("--output", "-o", default="dashboard.html", help="HTML file to write (default: dashboard.html)")
    p.add_argument(
        "--duckdb",
        default=None,
        metavar="PATH",
        help="the DuckDB warehouse file (default: $DUCKDB_PATH, else warehouse.duckdb at the repo root)",
    )
    p.add_argument(
        "--destination",
        default=None,
        choices=["duckdb", "postgres"],
        help="the warehouse to read (default: dlt's destination_type, DESTINATION_TYPE, else duckdb)",
    )
    p.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help=f"settings file (TOML): goals and test customers (default: ./{DEFAULT_SETTINGS} when it exists)",
    )
    p.set_defaults(func=run)
    return p


def write_page(
    output: Path | str, duckdb_file: str | None = None, config: Path | str | None = None, destination: str | None = None
) -> Path:
    """Open the warehouse read-only, write the page, close it; `DashboardError` / `SettingsError` say what to do."""
    from dashboard import DashboardError, load_settings, write_dashboard
    from ingestion.destination import DestinationError, connect_read_only, destination_type

    settings = load_settings(config)
    try:
        kind = destination_type(destination)
    except DestinationError as exc:
        raise DashboardError(str(exc)) from None
    path = Path(duckdb_file or default_warehouse()).expanduser()
    if kind == "duckdb" and not path.is_file():
        raise DashboardError(
            f"no warehouse at {path}: load Stripe first — `make demo` (a built-in fake account) or "
            "`dlt pipeline stripe run` then `dbt build` — or point --duckdb / DUCKDB_PATH at the warehouse file"
        )
    where = str(path) if kind == "duckdb" else "the Postgres warehouse"
    try:
        connection = connect_read_only(kind, str(path) if kind == "duckdb" else None)
    except DestinationError as exc:
        raise DashboardError(str(exc)) from None
    except Exception as exc:  # DuckDB: another process writes the file
        raise DashboardError(
            f"cannot open {where} read-only: {exc}. DuckDB allows one writer per file: if a pipeline run or "
            "`dbt build` is writing it, wait for it to finish (or close the client that holds it), then try again"
        ) from None
    try:
        return write_dashboard(connection, output, settings, where)
    finally:
        connection.close()


def run(args: argparse.Namespace) -> int:
    from dashboard import DashboardError, SettingsError

    config = args.config or (DEFAULT_SETTINGS if Path(DEFAULT_SETTINGS).is_file() else None)
    try:
        out = write_page(args.output, args.duckdb, config, args.destination)
    except (DashboardError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"dashboard written to {out}")
    return 0
