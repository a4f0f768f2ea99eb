"""The `stripe-revenue` console script: argument parsing only; each command calls into the room that owns it.

    run         cli/run.py → ingestion.pipeline (also `dlt pipeline stripe run`: cli/dlt_plugin.py)
    webhooks    cli/webhooks.py → ingestion.webhooks
    dashboard   cli/dashboard.py → dashboard
    demo        cli/demo.py: fake_stripe → ingestion.pipeline → dbt → dashboard
    fake-stripe fake_stripe/cli.py

Nothing in `ingestion/` or `dashboard/` imports this package (tests/test_architecture.py). The
subcommands are imported when the parser is built, not before: `cli.dlt_plugin` is imported on every
start of the `dlt` CLI.
"""

from __future__ import annotations

import argparse
import sys


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("stripe-revenue")
    except PackageNotFoundError:  # run from a checkout that was not installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stripe-revenue",
        description="Stripe revenue analytics: load Stripe with dlt, model it with dbt, query DuckDB.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    from cli import dashboard, demo, run, webhooks
    from fake_stripe import cli as fake_cli

    demo.add_parser(sub)
    fake_cli.add_parser(sub)
    run.add_parser(sub)
    webhooks.add_parser(sub)
    dashboard.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ingestion.pipeline import IngestionError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except IngestionError as exc:  # the reason is written for the user: no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
