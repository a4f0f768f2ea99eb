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

    from cli.dlt_plugin import StripeRunCommand

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
    from cli import build_parser

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


def test_no_api_key_is_one_line_through_both_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dlt's missing-config exception lists every provider and key it tried (~40 lines): a user needs
    the one setting to add."""
    monkeypatch.delenv("SOURCES__STRIPE__API_KEY")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    cli = str(Path(sys.executable).with_name("stripe-revenue"))
    for command in ([cli, "run", "--no-fx"], [DLT, "pipeline", "stripe", "run", "--no-fx"]):
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1, done.stderr
        errors = [line for line in (done.stderr + done.stdout).splitlines() if "API key" in line]
        assert errors and "SOURCES__STRIPE__API_KEY" in errors[0] and ".dlt/secrets.toml" in errors[0]
        assert "Traceback" not in done.stderr and "ConfigFieldMissingException" not in done.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("distinct_id,person_id,email\nd1,p1,a@b.com\nd2,p2,jos\xe9@x.com\n".encode("latin-1"), "line 3 is not utf-8"),
        ("distinct_id,person_id,email\nd1,p1,a@b.com\n".encode("utf-16"), "UTF-16"),
        (b"distinct_id,person_id,email\nd1,p1,a@b.com\nd2,p2,x@y.com,extra\n", "line 3 has 4 fields"),
    ],
    ids=["latin-1", "utf-16", "ragged row"],
)
def test_a_bad_persons_file_is_named_and_the_stripe_load_stays(
    tmp_path: Path,
    stripe: MockStripe,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    expected: str,
) -> None:
    from cli import build_parser

    persons = tmp_path / "persons.csv"
    persons.write_bytes(content)
    monkeypatch.setenv("SOURCES__PRODUCT_ANALYTICS__PERSONS_FILE", str(persons))
    small_account(stripe, NOW)
    args = build_parser().parse_args(["run", "--resources", "customer", "--no-fx", "--pipelines-dir", str(tmp_path)])
    assert args.func(args) == 1
    captured = capsys.readouterr()
    assert "rows into stripe_raw" in captured.out  # the summary of what was loaded
    error = captured.err.strip().splitlines()[-1]
    assert str(persons) in error and expected in error and "run again" in error
    assert len(rows(tmp_path, "customer")) == 3  # the Stripe load counts as loaded
    assert args.func(args) == 1  # and the next run is incremental, not a first load again
    assert "incremental" in capsys.readouterr().out


def test_a_reader_holding_the_warehouse_delays_the_run_and_then_is_named(
    tmp_path: Path, stripe: MockStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB lets one process write a file while nobody else holds it. A run waits (bounded) for a
    reader, loads once it lets go, and names the process when it does not."""
    from ingestion import destination
    from tests.ingestion.conftest import run_pipeline

    small_account(stripe, NOW)
    warehouse = tmp_path / "warehouse.duckdb"
    run_pipeline(tmp_path, resources=["customer"])
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); print('held', flush=True); "
    reader = subprocess.Popen(
        [sys.executable, "-c", hold + "time.sleep(float(sys.argv[2]))", str(warehouse), "2"], stdout=subprocess.PIPE
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == b"held"
    result = run_pipeline(tmp_path, resources=["customer", "charge"])  # waits ~2 s for the reader
    reader.wait()
    assert result.row_counts.get("charge") == 3
    monkeypatch.setattr(destination, "LOCK_WAIT_SECONDS", 1.0)
    reader = subprocess.Popen(
        [sys.executable, "-c", hold + "time.sleep(float(sys.argv[2]))", str(warehouse), "30"], stdout=subprocess.PIPE
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == b"held"
        with pytest.raises(Exception, match=rf"held by .*\(PID {reader.pid}\).*nothing was loaded or lost"):
            run_pipeline(tmp_path, resources=["customer"])
    finally:
        reader.kill()
        reader.wait()
