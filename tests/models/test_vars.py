"""dbt vars are checked before they reach SQL: a bad value stops the build, before any node runs, with
a message naming the var and what it expects (macros/revenue/vars.sql)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import SOURCES_VARS, run_dbt


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"base_currency": "US'D"}, "three-letter ISO currency code"),
        ({"base_currency": "usd; drop table x"}, "three-letter ISO currency code"),
        ({"stripe_sources": ["", "eu'_"]}, "table prefixes of lower-case letters"),
        ({"person_metadata_key": "a'b"}, "Stripe metadata key"),
        ({"group_type": "co'mpany"}, "a label of letters"),
        ({"deferral": "weekly"}, '"monthly" or "daily"'),
        ({"top_customers_per_month": 0}, "a whole number of at least 1"),
        ({"mrr_discounts": "forever"}, '"while_active" or "forever_only"'),
        ({"mrr_churn_at": "request"}, '"period_end" or "cancellation"'),
        ({"mrr_include_metered": "yes"}, "true or false"),
        ({"as_of": "last tuesday"}, "an ISO date or UTC timestamp"),
    ],
)
def test_a_bad_var_stops_the_build_with_its_name(
    scenario_build: dict[str, Any], tmp_path: Path, variables: dict[str, Any], expected: str
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(scenario_build["warehouse"], warehouse)
    run = run_dbt(["build", "-s", "fct_revenue_items"], warehouse, tmp_path / "work", {**SOURCES_VARS, **variables})
    assert run.returncode != 0
    name = next(iter(variables))
    assert f"dbt var {name} = " in run.output and expected in run.output, run.output[-3000:]
    assert run.results == []  # stopped before any node ran


def test_good_vars_pass(scenario_build: dict[str, Any], tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(scenario_build["warehouse"], warehouse)
    variables = {**SOURCES_VARS, "base_currency": "eur", "as_of": "2024-06-30T23:59:59", "top_customers_per_month": "5"}
    run = run_dbt(["run-operation", "validate_vars"], warehouse, tmp_path / "work", variables)
    assert run.returncode == 0, run.output[-3000:]
