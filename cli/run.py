"""`stripe-revenue run` and `dlt pipeline stripe run`: one set of arguments, calling `ingestion.pipeline.run`."""

from __future__ import annotations

import argparse
import sys

from ingestion.stripe.settings import ALL_TABLES

HELP = "Load Stripe into the warehouse (dlt pipeline `stripe`, dataset `stripe_raw`)"
DESCRIPTION = """
Copies the Stripe account configured in `SOURCES__STRIPE__*` (or `.dlt/*.toml`) into the warehouse:
DuckDB at `DUCKDB_PATH`, or Postgres with `--destination postgres` / `DESTINATION_TYPE=postgres` and
`DESTINATION__POSTGRES__CREDENTIALS`. One table per object in dataset `stripe_raw`, and the ECB exchange rates into
`reference.exchange_rate`. The first run lists everything; later runs list new objects and apply
updates and deletions from Stripe's events. Progress bars show at a terminal (not in CI); a summary
is printed at the end.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments shared by both entry points."""
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        default=False,
        help="drop the selected resources' tables and cursors, then load them again from scratch",
    )
    parser.add_argument(
        "--resources",
        nargs="+",
        metavar="TABLE",
        default=None,
        help=f"only these tables (sub-tables load with their parent): {', '.join(ALL_TABLES)}",
    )
    parser.add_argument(
        "--extra-exchange-rates",
        metavar="CSV",
        default=None,
        help="rates the ECB does not publish (e.g. KWD), a CSV `date,currency,rate` (units per 1 EUR from that date)",
    )
    parser.add_argument(
        "--no-fx",
        action="store_true",
        default=False,
        help="skip refreshing reference.exchange_rate",
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show progress bars (default: only at a terminal and when CI is not set)",
    )
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    parser.add_argument("--quiet", action="store_true", default=False, help="print nothing but errors (no summary)")
    parser.add_argument(
        "--destination",
        metavar="TYPE",
        default=None,
        help="the warehouse to load: duckdb (DUCKDB_PATH) or postgres (DESTINATION__POSTGRES__CREDENTIALS); "
        "default dlt's destination_type (DESTINATION_TYPE), else duckdb",
    )


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = subparsers.add_parser("run", help=HELP, description=DESCRIPTION)
    add_arguments(parser)
    parser.add_argument("--pipeline-name", default="stripe", help="dlt pipeline name (default: stripe)")
    parser.add_argument("--pipelines-dir", default=None, help="dlt pipelines working directory")
    parser.set_defaults(func=execute)
    return parser


def run_from_args(args: argparse.Namespace) -> int:
    """Run with parsed arguments; raises `IngestionError` (a readable reason) when the run fails."""
    from ingestion import pipeline
    from ingestion.stripe.settings import select_resources
    from ingestion.summary import format_summary

    if args.resources:
        select_resources(args.resources)  # unknown names fail before anything runs
    result = pipeline.run(
        resources=args.resources,
        full_refresh=bool(args.full_refresh),
        pipeline_name=getattr(args, "pipeline_name", None) or pipeline.PIPELINE_NAME,
        pipelines_dir=getattr(args, "pipelines_dir", None),
        progress=False if args.quiet else args.progress,
        load_fx=not args.no_fx,
        extra_exchange_rates=getattr(args, "extra_exchange_rates", None),
        destination=getattr(args, "destination", None),
    )
    if not args.quiet:
        print(format_summary(result))
    for error in result.errors:  # the Stripe data is loaded; what failed after it is said last
        print(f"error: {error}", file=sys.stderr)
    return 1 if result.errors else 0


def execute(args: argparse.Namespace) -> int:
    """`stripe-revenue run`: exit status 1 with the reason on stderr when the run fails."""
    from ingestion.pipeline import IngestionError

    try:
        return run_from_args(args)
    except (IngestionError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
