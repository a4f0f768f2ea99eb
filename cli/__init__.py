"""The `stripe-revenue` console script: argument parsing only; each command calls into the room that owns it.

    run         cli/run.py → ingestion.pipeline (also `dlt pipeline stripe run`: cli/dlt_plugin.py)
    webhooks    cli/webhooks.py → ingestion.webhooks
    dashboard   cli/dashboard.py → dashboard
    demo        cli/demo.py: fake_stripe → ingestion.pipeline → dbt → dashboard
    fake-stripe fake_stripe/cli.py

Nothing in `ingestion/` or `dashboard/` imports this package (tests/test_architecture.py). A command's
module is imported only when that command runs (I15: `stripe-revenue --help` starts in ~0.1 s instead
of 1.6 s, which importing dlt, pyarrow and the fake account for every command cost); `COMMANDS` holds
the one-line help `--help` lists, and a test keeps it equal to each module's own.
`cli.dlt_plugin` is imported on every start of the `dlt` CLI, so it imports no project module up front.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# name: (module whose `add_parser(subparsers)` defines it, the help `stripe-revenue --help` shows)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("cli.demo", "run the whole job against a built-in fake Stripe account"),
    "fake-stripe": ("fake_stripe.cli", "a local Stripe-compatible API serving a synthetic account"),
    "run": ("cli.run", "Load Stripe into the warehouse (dlt pipeline `stripe`, dataset `stripe_raw`)"),
    "webhooks": ("cli.webhooks", "receive Stripe webhooks into a spool the next `run` applies"),
    "dashboard": ("cli.dashboard", "write the revenue dashboard (one self-contained HTML file) from the dbt marts"),
}


class _Version(argparse.Action):
    """`--version`, reading the installed version only when asked (importlib.metadata scans the
    environment's packages)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show program's version number and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        parser.exit(message=f"{parser.prog} {_version()}\n")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("stripe-revenue")
    except PackageNotFoundError:  # run from a checkout that was not installed
        return "unknown"


def _chosen(argv: Sequence[str]) -> str | None:
    """The command `argv` runs: its first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with `argv`, only the command it names is imported (the others are listed by name
    and help), without it every command is."""
    parser = argparse.ArgumentParser(
        prog="stripe-revenue",
        description="Stripe revenue analytics: load Stripe with dlt, model it with dbt, query DuckDB.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True)
    chosen = None if argv is None else _chosen(argv)
    for name, (module, help_text) in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(module).add_parser(sub)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Exception as exc:
        # the run's own failure, written for the user: no traceback (the module is loaded when it raised)
        pipeline = sys.modules.get("ingestion.pipeline")
        if pipeline is not None and isinstance(exc, pipeline.IngestionError):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise
