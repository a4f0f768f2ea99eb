"""The dlt CLI plugin: adds `dlt pipeline <name> run` (entry point group `dlt`, see pyproject.toml).

dlt 1.31 composes plugin commands that declare `parent = "pipeline"` as sub-commands of
`dlt pipeline <pipeline_name>`, beside `info`, `trace`, `drop`, ... which keep working untouched.
This module is imported whenever the `dlt` CLI starts, so it stays import-light.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from dlt.common.configuration import plugins


def _point_cli_at_the_warehouse(argv: list[str]) -> None:
    """Let `dlt pipeline stripe drop|sync|...` find the warehouse file the runs load into.

    dlt never stores destination credentials with a pipeline, so outside a run the CLI would open
    `<pipeline>.duckdb` in the current directory. The runs use `DUCKDB_PATH` (docs/DESIGN.md); expose it
    as pipeline-scoped config (`<PIPELINE>__DESTINATION__DUCKDB__CREDENTIALS`) for the stripe
    pipelines only, never overriding a value the user set.
    """
    names = {"stripe", "stripe_reference"}
    tokens = argv[argv.index("pipeline") + 1 :] if "pipeline" in argv else []
    i = 0
    while i < len(tokens):
        if tokens[i] == "--pipelines-dir":
            i += 2
        elif tokens[i].startswith("-"):
            i += 1
        else:
            names.add(tokens[i])
            break
    path = os.path.abspath(os.environ.get("DUCKDB_PATH") or "warehouse.duckdb")
    for name in names:
        os.environ.setdefault(f"{name.upper()}__DESTINATION__DUCKDB__CREDENTIALS", path)


if os.path.basename(sys.argv[0] if sys.argv else "").startswith("dlt"):  # the `dlt` CLI only
    _point_cli_at_the_warehouse(sys.argv[1:])


class StripeRunCommand:
    """`dlt pipeline stripe run [--full-refresh] [--resources ...]`."""

    command = "run"
    parent = "pipeline"
    compose = "replace"
    docs_url = None

    def __init__(self) -> None:
        from cli.run import DESCRIPTION, HELP

        self.help_string = HELP
        self.description = DESCRIPTION

    def configure_parser(self, parser: argparse.ArgumentParser) -> None:
        from cli.run import add_arguments

        add_arguments(parser)

    def execute(self, args: argparse.Namespace) -> None:
        from dlt._workspace.cli.exceptions import CliCommandException

        from cli.run import run_from_args
        from ingestion.pipeline import IngestionError

        if not getattr(args, "pipeline_name", None):
            args.pipeline_name = "stripe"
        try:
            status = run_from_args(args)
        except (IngestionError, ValueError) as exc:
            raise CliCommandException(error_code=1, raiseable_exception=exc) from exc
        if status:
            raise CliCommandException(error_code=status)


@plugins.hookimpl(specname="plug_cli")
def plug_cli_stripe_run(host: str) -> Any:
    return StripeRunCommand if host == "dlt" else None
