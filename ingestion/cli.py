"""`stripe-revenue` console script: one entry point, one subcommand per job.

Each subcommand lives in the module that owns the job; this file only wires argparse.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stripe-revenue",
        description="Stripe revenue analytics: load Stripe with dlt, model it with dbt, query DuckDB.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    from fake_stripe import cli as fake_cli
    from ingestion import demo

    demo.add_parser(sub)
    fake_cli.add_parser(sub)
    try:  # the ingestion run command (ingestion/run_command.py) registers itself when present
        from ingestion import run_command
    except ImportError:  # pragma: no cover - during bootstrap only
        run_command = None
    if run_command is not None:
        run_command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
