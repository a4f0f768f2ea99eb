"""`stripe-revenue demo` as a new user runs it: the whole job on the `tiny` fake account, into the demo's
own folder and dlt pipeline (a later run against a real account never meets its cursors, I14), with
plain-text output when not at a terminal, and a warehouse the bundled `duckdb` CLI opens (D5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def test_demo_runs_in_its_own_warehouse_and_pipeline(tmp_path: Path) -> None:
    warehouse = tmp_path / "demo" / "warehouse.duckdb"
    env = {**os.environ, "DLT_DATA_DIR": str(tmp_path / "dlt"), "RUNTIME__DLTHUB_TELEMETRY": "false"}
    env.pop("DUCKDB_PATH", None)
    done = subprocess.run(
        [str(BIN / "stripe-revenue"), "demo", "--size", "tiny", "--warehouse", str(warehouse)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "\x1b[" not in done.stdout  # no ANSI colour codes in a log file
    assert "(month to date)" in done.stdout  # the month in progress is marked, not shown as a collapse
    assert {p.name for p in warehouse.parent.iterdir()} >= {"warehouse.duckdb", "dashboard.html", "fake_account"}
    pipelines = {p.name for p in (tmp_path / "dlt" / "pipelines").iterdir()}
    assert "stripe_demo" in pipelines and "stripe" not in pipelines
    cli = subprocess.run(
        [str(BIN / "duckdb"), "-readonly", "-csv", str(warehouse), "-c", "select count(*) from stripe_raw.customer"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    assert int(cli.stdout.split()[-1]) > 0
