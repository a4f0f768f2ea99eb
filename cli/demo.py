"""`stripe-revenue demo`: the whole job on a fresh machine with no Stripe key.

Starts the fake Stripe account on loopback, loads it with the dlt pipeline into DuckDB, builds the
dbt models and writes the dashboard, printing what each step did. Every step is the same code a
real run uses; only the API base and key point at the fake. The one command that composes rooms
(fake_stripe → ingestion.pipeline → dbt → dashboard), so it sits with the CLI at the top: nothing
else outside the tests imports `fake_stripe`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


DEMO_DIR = ROOT / "demo"
# The demo's own warehouse and pipeline: a later run against a real account (warehouse.duckdb,
# pipeline `stripe`) never meets the fake account's tables or cursors (I14).
DEMO_PIPELINE = "stripe_demo"
DEMO_SETTINGS = ROOT / "dashboard" / "demo.toml"


def add_parser(sub: argparse._SubParsersAction) -> None:
    from fake_stripe.account import SIZES

    p = sub.add_parser(
        "demo",
        help="run the whole job against a built-in fake Stripe account",
        description="Serve a fake Stripe account on loopback, load it, build the dbt models and write the "
        f"dashboard, all under {DEMO_DIR} (its own warehouse and dlt pipeline `{DEMO_PIPELINE}`).",
    )
    p.add_argument(
        "--size",
        default="demo",
        choices=list(SIZES),
        help="fake account size: tiny (18 customers, 6 months), small (60, 12 months), demo (~460, 24 months, "
        "default), large (~83,000 customers, 36 months: the benchmark account)",
    )
    p.add_argument("--seed", type=int, default=7, help="generator seed: another seed, another account (default 7)")
    p.add_argument(
        "--warehouse",
        default=str(DEMO_DIR / "warehouse.duckdb"),
        help=f"DuckDB file to build (default {DEMO_DIR / 'warehouse.duckdb'}); the dashboard and the fake account's "
        "reference files go beside it",
    )
    p.add_argument(
        "--destination",
        metavar="TYPE",
        default=None,
        help="duckdb (the --warehouse file) or postgres (the database DESTINATION__POSTGRES__CREDENTIALS names); "
        "default dlt's destination_type (DESTINATION_TYPE), else duckdb",
    )
    p.add_argument("--skip-dbt", action="store_true", help="stop after ingestion")
    p.set_defaults(func=run)


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run(args: argparse.Namespace) -> int:
    from fake_stripe.account import load_account
    from fake_stripe.server import FakeStripeServer
    from ingestion.destination import DestinationError, destination_type

    try:
        kind = destination_type(getattr(args, "destination", None))
    except DestinationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    warehouse = Path(args.warehouse).resolve()  # on Postgres its folder holds the page and reference files
    os.environ["DUCKDB_PATH"] = str(warehouse)
    os.environ["DESTINATION_TYPE"] = kind  # dbt's target (profiles.yml) follows
    where = str(warehouse) if kind == "duckdb" else "Postgres"
    _step(f"fake Stripe account ({args.size}, seed {args.seed})")
    started = time.perf_counter()
    account = load_account(args.size, args.seed)
    files = account.write_reference_files(warehouse.parent / "fake_account")
    # the fake account's product-analytics export, loaded like a user's (customers to persons)
    os.environ.setdefault("SOURCES__PRODUCT_ANALYTICS__PERSONS_FILE", str(files["persons"]))
    os.environ.setdefault("SOURCES__PRODUCT_ANALYTICS__GROUPS_FILE", str(files["groups"]))
    with FakeStripeServer(account).start() as server:
        info = server.info()
        print(
            f"serving {server.base_url} with key {info.get('api_key', 'sk_test_fake')} "
            f"({time.perf_counter() - started:.1f}s to build)"
        )
        for acct_id, counts in info.get("accounts", {}).items():
            shown = ", ".join(f"{k} {v}" for k, v in counts.items())
            print(f"  {acct_id}: {shown}")
        _step(f"ingestion: Stripe -> {where}")
        from ingestion.pipeline import run as run_pipeline
        from ingestion.summary import format_summary

        result = run_pipeline(
            pipeline_name=DEMO_PIPELINE,
            api_key=info.get("api_key", "sk_test_fake"),
            api_base=server.base_url,
            duckdb_file=str(warehouse),
            fx_overrides=account_fx_overrides(),
            destination=kind,
        )
        print(format_summary(result))
    if args.skip_dbt:
        return 0
    _step("dbt build (models + revenue invariants)")
    rc = run_dbt(["build"], warehouse)
    if rc:
        return rc
    if kind == "duckdb":
        _step(f"revenue (query it yourself: {Path(sys.executable).with_name('duckdb')} {warehouse})")
    else:
        _step("revenue (query it yourself: psql, schema revenue_analytics)")
    print_headline(warehouse, kind)
    _step("dashboard")
    from cli.dashboard import write_page
    from dashboard import DashboardError

    try:  # the demo's goals (dashboard/demo.toml) are drawn on its charts
        page = write_page(warehouse.with_name("dashboard.html"), str(warehouse), DEMO_SETTINGS, kind)
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"dashboard written to {page} (open it in a browser; `stripe-revenue dashboard` rewrites it)")
    return 0


def print_headline(warehouse: Path, kind: str = "duckdb") -> None:
    """The last months of recognised revenue and MRR, straight from the marts: closed months, and the
    month in progress marked as month to date (later months hold only scheduled recognition)."""
    from ingestion.destination import connect_read_only

    connection = connect_read_only(kind, str(warehouse))
    try:
        cursor = connection.cursor()
        cursor.execute("""
            select m.year_month, m.month_status, coalesce(sum(r.gross_revenue), 0) as gross,
                   coalesce(sum(r.net_revenue), 0) as net, max(mrr.ending_mrr) as mrr
            from revenue_analytics.dim_months m
            left join revenue_analytics.fct_revenue_monthly r using (month_start)
            left join (select month_start, sum(ending_mrr) as ending_mrr from revenue_analytics.fct_mrr_monthly
                       group by 1) mrr using (month_start)
            group by 1, 2 order by 1 desc limit 6
        """)
        rows = cursor.fetchall()
    finally:
        connection.close()
    print(f"{'month':<8} {'gross revenue':>14} {'net revenue':>14} {'MRR':>12}   (USD)")
    for month, status, gross, net, mrr in reversed(rows):
        note = "  (month to date)" if status == "in_progress" else ""
        print(f"{month:<8} {gross:>14,.2f} {net:>14,.2f} {(mrr or 0):>12,.2f}{note}")


def account_fx_overrides() -> list[tuple[str, float, object]]:
    from fake_stripe.fx import FAKE_ACCOUNT_OVERRIDES

    return list(FAKE_ACCOUNT_OVERRIDES)


def run_dbt(dbt_args: list[str], warehouse: Path) -> int:
    """dbt from the repo root with the shared warehouse path (never dlt's dbt runner: it fetches an extension)."""
    env = {
        **os.environ,
        "DUCKDB_PATH": str(warehouse),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    if not sys.stdout.isatty():  # dbt colours its console output even into a file or a pipe
        env.setdefault("DBT_USE_COLORS", "false")
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.call([str(dbt), *dbt_args, "--project-dir", str(ROOT)], cwd=ROOT, env=env)
