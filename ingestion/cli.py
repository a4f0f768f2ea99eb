"""`stripe-revenue` console script: one entry point, one subcommand per job.

Each subcommand lives in the module that owns the job; this file only wires argparse.
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

    from fake_stripe import cli as fake_cli
    from ingestion import demo

    demo.add_parser(sub)
    fake_cli.add_parser(sub)
    from ingestion import run_command

    run_command.add_parser(sub)
    from ingestion import webhooks

    webhooks.add_parser(sub)
    from ingestion import dashboard

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


if __name__ == "__main__":
    sys.exit(main())
