"""A run killed with SIGKILL and re-run: no lost rows, no duplicated rows, cursors never ahead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ingestion import killable_run
from tests.ingestion.conftest import query

pytestmark = pytest.mark.usefixtures("stripe_env")
ROOT = Path(__file__).resolve().parents[2]


def child(tmp_path: Path, phase: int, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ingestion.killable_run", str(phase), mode, str(tmp_path)],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def totals(tmp_path: Path) -> dict[str, tuple[int, int]]:
    return {
        t: query(tmp_path, f"select count(*), count(distinct id) from stripe_raw.{t}")[0]
        for t in ("customer", "charge")
    }


def cursors(tmp_path: Path) -> dict[str, int]:
    from ingestion.pipeline import make_pipeline

    state = make_pipeline(pipelines_dir=str(tmp_path / "pipelines")).state
    resources = state.get("sources", {}).get("stripe", {}).get("resources", {})
    return {name: r.get("created_cursor") for name, r in resources.items()}


def test_killed_mid_extract_then_rerun(tmp_path: Path) -> None:
    proc = child(tmp_path, 1, "slow")
    served = tmp_path / "served"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not served.exists() or len(served.read_text()) < 8):
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    if (tmp_path / "warehouse.duckdb").exists():  # nothing half-loaded and no cursor stored
        assert not query(tmp_path, "select * from information_schema.tables where table_name = 'customer'")
    assert not cursors(tmp_path).get("customer")

    killable_run.main(1, "run", tmp_path)
    n = killable_run.N_INITIAL
    assert totals(tmp_path) == {"customer": (n, n), "charge": (n, n)}
    newest = killable_run.NOW - 5_000_000 + (n - 1) * 1000
    assert cursors(tmp_path) == {"customer": newest, "charge": newest}


def test_killed_between_normalize_and_load_then_rerun(tmp_path: Path) -> None:
    killable_run.main(1, "run", tmp_path)
    n = killable_run.N_INITIAL
    before = cursors(tmp_path)
    states_before = query(tmp_path, "select count(*) from stripe_raw._dlt_pipeline_state")[0][0]

    proc = child(tmp_path, 2, "kill-before-load")
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout.read().decode() if proc.stdout else ""
    # the new objects were extracted but not loaded: the destination still has the old cursor
    assert totals(tmp_path) == {"customer": (n, n), "charge": (n, n)}
    stored = query(tmp_path, "select count(*) from stripe_raw._dlt_pipeline_state")[0][0]
    assert stored == states_before  # one state per load package of the first run (I11), none since

    killable_run.main(2, "run", tmp_path)  # loads the pending package first, then runs again
    total = n + killable_run.N_NEW
    assert totals(tmp_path) == {"customer": (total, total), "charge": (total, total)}
    newest = killable_run.NOW - 5_000_000 + (total - 1) * 1000
    assert cursors(tmp_path) == {"customer": newest, "charge": newest}
    assert before["customer"] < newest


def test_killed_after_a_first_load_file_was_inserted_then_rerun(tmp_path: Path) -> None:
    """A first load appends (I9): a file DuckDB committed but dlt did not record is inserted again on
    resume, and the run removes those copies."""
    proc = child(tmp_path, 1, "kill-after-insert")
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stdout.read().decode() if proc.stdout else ""
    n = killable_run.N_INITIAL
    assert query(tmp_path, "select count(*) from stripe_raw.customer")[0][0] > 0  # the file went in
    assert not query(tmp_path, "select * from stripe_raw._dlt_loads")  # but the package did not finish

    killable_run.main(1, "run", tmp_path)
    assert totals(tmp_path) == {"customer": (n, n), "charge": (n, n)}
    newest = killable_run.NOW - 5_000_000 + (n - 1) * 1000
    assert cursors(tmp_path) == {"customer": newest, "charge": newest}
