"""`dlt pipeline stripe run` (dlt CLI plugin) and `stripe-revenue run`; info/trace/drop keep working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ingestion.conftest import NOW, query, rows
from tests.ingestion.stripe_mock import MockStripe, small_account

pytestmark = pytest.mark.usefixtures("stripe_env")
DLT = str(Path(sys.executable).with_name("dlt"))


def dlt_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DLT, *args], cwd=tmp_path, env=os.environ.copy(), capture_output=True, text=True, timeout=120
    )


def test_dlt_composes_run_beside_the_builtin_pipeline_commands(tmp_path: Path, stripe: MockStripe) -> None:
    from dlt._workspace.cli._dlt import _create_parser

    from ingestion.dlt_plugin import StripeRunCommand

    parser, _, commands = _create_parser("dlt")
    args = parser.parse_args(
        [
            "pipeline",
            "--pipelines-dir",
            str(tmp_path / "pipelines"),
            "stripe",
            "run",
            "--resources",
            "charge",
            "--no-fx",
        ]
    )
    assert (args.pipeline_name, args.operation, args.resources) == ("stripe", "run", ["charge"])
    assert args.execute.__self__.primary.__class__ is StripeRunCommand
    for builtin in ("info", "trace", "drop", "sync"):
        assert parser.parse_args(["pipeline", "stripe", builtin]).operation == builtin
    small_account(stripe, NOW)
    commands["pipeline"].execute(args)  # what `dlt pipeline stripe run --resources charge` does
    assert len(rows(tmp_path, "charge")) == 3


def test_stripe_revenue_run(tmp_path: Path, stripe: MockStripe, capsys: pytest.CaptureFixture[str]) -> None:
    from ingestion.cli import build_parser

    small_account(stripe, NOW)
    args = build_parser().parse_args(
        ["run", "--resources", "customer", "invoice_line_item", "--no-fx", "--pipelines-dir", str(tmp_path / "p")]
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "invoice_line_item" in out and "rows into stripe_raw" in out
    assert {
        t for (t,) in query(tmp_path, "select table_name from duckdb_tables() where schema_name = 'stripe_raw'")
    } >= {"customer", "invoice", "invoice_line_item"}
    stripe.fail_next = [(401, {}, {"error": {"message": "Invalid API Key"}})]
    assert args.func(args) == 1
    assert "error: Stripe rejected the API key (401)" in capsys.readouterr().err
    bad = build_parser().parse_args(["run", "--resources", "charges"])
    assert bad.func(bad) == 1
    assert "unknown Stripe resource 'charges'" in capsys.readouterr().err


def test_dlt_cli_help_info_trace_and_drop(tmp_path: Path, stripe: MockStripe) -> None:
    from tests.ingestion.conftest import run_pipeline

    small_account(stripe, NOW)
    run_pipeline(tmp_path, resources=["customer", "charge"])
    helped = dlt_cli(tmp_path, "pipeline", "stripe", "run", "--help")
    assert helped.returncode == 0, helped.stderr
    assert "--full-refresh" in helped.stdout and "--resources" in helped.stdout
    pipes = str(tmp_path / "pipelines")
    info = dlt_cli(tmp_path, "pipeline", "--pipelines-dir", pipes, "stripe", "info")
    assert info.returncode == 0 and "dataset_name: stripe_raw" in info.stdout, info.stdout + info.stderr
    trace = dlt_cli(tmp_path, "pipeline", "--pipelines-dir", pipes, "stripe", "trace")
    assert trace.returncode == 0 and "COMPLETED" in trace.stdout, trace.stdout + trace.stderr
    dropped = dlt_cli(tmp_path, "--yes", "pipeline", "--pipelines-dir", pipes, "stripe", "drop", "customer")
    assert dropped.returncode == 0, dropped.stdout + dropped.stderr
    tables = {t for (t,) in query(tmp_path, "select table_name from duckdb_tables() where schema_name = 'stripe_raw'")}
    assert "customer" not in tables and "charge" in tables  # dropped in the DUCKDB_PATH warehouse
    assert not (tmp_path / "stripe.duckdb").exists()
