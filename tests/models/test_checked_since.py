"""Primary-key tests of the big incremental tables check the rows built since every data test last
passed (DECISIONS.md S11): a duplicate written after that instant fails the test, an older row is
not read again unless `full_checks` is set, and only an invocation in which every data test passed
moves the instant. Several dbt runs: marked slow.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import SOURCES_VARS, run_dbt

CHARGES = "staging.stg_stripe__charges"
CHARGES_KEY_TEST = ["--select", "stg_stripe__charges,test_name:primary_key"]
EVERY_DATA_TEST = ["--exclude-resource-type", "unit_test"]


def _passed_through(warehouse: Path) -> dt.datetime | None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select max(passed_through) from main.dbt_data_tests_passed").fetchone()
    return row[0]


def _duplicate_a_charge(warehouse: Path, built_at: str) -> str:
    """Insert a second row for one charge, with `built_at` given as SQL; return the charge id."""
    with duckdb.connect(str(warehouse)) as con:
        charge_id = con.execute(f"select min(charge_id) from {CHARGES}").fetchone()[0]
        con.execute(
            f"insert into {CHARGES} select * replace ({built_at} as built_at) from {CHARGES} where charge_id = ?",
            [charge_id],
        )
    return charge_id


def _failed(run: Any, fragment: str) -> bool:
    return any(status == "fail" for _, status in run.status(fragment))


@pytest.mark.slow
def test_key_tests_check_the_rows_built_since_the_tests_last_passed(
    built: dict[str, Any], scenario_build: dict[str, Any], tmp_path: Path
) -> None:
    warehouse = tmp_path / "checked.duckdb"
    shutil.copy(scenario_build["warehouse"], warehouse)
    # the scenario's build passed every data test: its start is the mark
    mark = _passed_through(warehouse)
    assert mark is not None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(f"select max(built_at) from {CHARGES}").fetchone()[0] <= mark

    # a duplicate as old as the rows it copies was there when the tests passed: not read again...
    _duplicate_a_charge(warehouse, "built_at")
    scoped = run_dbt(["test", *CHARGES_KEY_TEST], warehouse, tmp_path / "scoped", SOURCES_VARS)
    assert scoped.returncode == 0, scoped.output[-4000:]
    # ...unless every row is asked for
    full = run_dbt(["test", *CHARGES_KEY_TEST], warehouse, tmp_path / "full", {**SOURCES_VARS, "full_checks": True})
    assert full.returncode == 1 and _failed(full, "primary_key_stg_stripe__charges"), full.output[-4000:]
    with duckdb.connect(str(warehouse)) as con:  # back to one row per charge
        con.execute(f"create table dedup as select distinct * from {CHARGES}")
        con.execute(f"delete from {CHARGES}")
        con.execute(f"insert into {CHARGES} select * from dedup")
        con.execute("drop table dedup")

    # a duplicate written since the mark fails the scoped test, and the mark stays
    _duplicate_a_charge(warehouse, "now()")
    every = run_dbt(["test", *EVERY_DATA_TEST], warehouse, tmp_path / "every", SOURCES_VARS)
    assert every.returncode == 1 and _failed(every, "primary_key_stg_stripe__charges"), every.output[-4000:]
    assert _passed_through(warehouse) == mark

    # once every data test passes in one invocation, the mark moves to that invocation's start
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"delete from {CHARGES} where built_at > ?", [mark])
    before = dt.datetime.now(dt.UTC)
    passing = run_dbt(["test", *EVERY_DATA_TEST], warehouse, tmp_path / "passing", SOURCES_VARS)
    assert passing.returncode == 0, passing.output[-4000:]
    assert _passed_through(warehouse) > max(mark, before - dt.timedelta(seconds=5))
