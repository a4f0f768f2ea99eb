"""One dbt build of the scripted account (model_scenario.py), shared by every model test.

The build runs once per test session; with pytest-xdist the first worker builds under a file lock
and the others reuse the warehouse. Each extra mode (daily deferral, reference parity) re-runs only
the models downstream of the deferral, on a copy of the built warehouse.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import model_scenario
import raw_warehouse

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")
# the scenario's numbers were worked out by hand in the reference product's terms: paid invoices,
# monthly deferral; the `finalized` and `daily` variants below build the other settings (R1, R12)
SOURCES_VARS = {"stripe_sources": ["", "eu_"], "deferral": "monthly", "revenue_basis": "paid"}


class DbtRun:
    def __init__(self, returncode: int, output: str, results: list[dict[str, Any]]) -> None:
        self.returncode = returncode
        self.output = output
        self.results = results

    def status(self, name_fragment: str) -> list[tuple[str, str]]:
        return [(r["unique_id"], r["status"]) for r in self.results if name_fragment in r["unique_id"]]


def run_dbt(args: list[str], warehouse: Path, work: Path, variables: dict[str, Any] | None = None) -> DbtRun:
    work.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        DUCKDB_PATH=str(warehouse),
        DBT_PROFILES_DIR=str(REPO),
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    cmd = [str(DBT), *args, "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    if variables:
        cmd += ["--vars", json.dumps(variables)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False)
    results_file = work / "target" / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    # the nodes' results; the project's on-run-start / on-run-end hooks (DECISIONS.md S11) left out
    results = [r for r in results if not r["unique_id"].startswith("operation.")]
    return DbtRun(proc.returncode, proc.stdout + proc.stderr, results)


def _build(base: Path) -> dict[str, Any]:
    """Build the scenario warehouse and the mode variants once; return paths and run summaries."""
    done = base / "done.json"
    if done.exists():
        return json.loads(done.read_text())
    warehouse = base / "warehouse.duckdb"
    for leftover in base.glob("*.duckdb*"):
        leftover.unlink()
    raw_warehouse.write(str(warehouse), model_scenario.main_account())
    raw_warehouse.write(str(warehouse), model_scenario.eu_account(), prefix="eu_", tables=model_scenario.EU_TABLES)
    build = run_dbt(["build"], warehouse, base / "build", SOURCES_VARS)
    summary: dict[str, Any] = {
        "warehouse": str(warehouse),
        "build": {"returncode": build.returncode, "output": build.output[-20000:], "results": build.results},
    }
    variants = (
        ("daily", {"deferral": "daily"}),
        ("parity", {"reference_parity": True}),
        ("finalized", {"deferral": "daily", "revenue_basis": "finalized"}),  # the defaults (R12)
    )
    for mode, extra in variants:
        copy = base / f"warehouse_{mode}.duckdb"
        shutil.copy(warehouse, copy)
        run = run_dbt(
            ["run", "--select", "int_invoice_lines_deferred+ int_revenue_reversal_events+ revenue_analytics_charge"],
            copy,
            base / mode,
            {**SOURCES_VARS, **extra},
        )
        summary[mode] = {"warehouse": str(copy), "returncode": run.returncode, "output": run.output[-20000:]}
    done.write_text(json.dumps(summary))
    return summary


@pytest.fixture(scope="session")
def scenario_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.getbasetemp()
    # xdist workers have their own basetemp inside the session's: build once for all of them
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "model_scenario"
    shared.mkdir(parents=True, exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _build(shared)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


Query = Callable[..., list[tuple[Any, ...]]]


def _query_fixture(path: str) -> Iterator[Query]:
    con = duckdb.connect(path, read_only=True)

    def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return con.execute(sql, list(params)).fetchall()

    try:
        yield query
    finally:
        con.close()


@pytest.fixture(scope="session")
def built(scenario_build: dict[str, Any]) -> dict[str, Any]:
    build = scenario_build["build"]
    assert build["returncode"] == 0, build["output"]
    return build


@pytest.fixture(scope="session")
def q(built: dict[str, Any], scenario_build: dict[str, Any]) -> Iterator[Query]:
    yield from _query_fixture(scenario_build["warehouse"])


@pytest.fixture(scope="session")
def q_daily(scenario_build: dict[str, Any]) -> Iterator[Query]:
    run = scenario_build["daily"]
    assert run["returncode"] == 0, run["output"]
    yield from _query_fixture(run["warehouse"])


@pytest.fixture(scope="session")
def q_parity(scenario_build: dict[str, Any]) -> Iterator[Query]:
    run = scenario_build["parity"]
    assert run["returncode"] == 0, run["output"]
    yield from _query_fixture(run["warehouse"])


@pytest.fixture(scope="session")
def q_finalized(scenario_build: dict[str, Any]) -> Iterator[Query]:
    """The project's defaults: finalized basis, daily deferral (R1, R12)."""
    run = scenario_build["finalized"]
    assert run["returncode"] == 0, run["output"]
    yield from _query_fixture(run["warehouse"])
