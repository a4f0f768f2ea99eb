"""The invariant data tests (tests/dbt/invariants) can fail: break each invariant in a copy of the
built scenario warehouse and check that `dbt test` reports exactly that. Also: a warehouse without
raw data fails with a message that says what to run.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
from conftest import SOURCES_VARS, run_dbt

TAMPERING = {
    # invariant test -> statements that break it (and, where unavoidable, others listed below)
    "deferred_parts_sum_to_lines": [
        "update intermediate.int_invoice_lines_deferred set amount = amount + 1 where revenue_item_id = 'il_A1_0'"
    ],
    "paid_invoice_lines_reconcile": [
        "update intermediate.int_invoice_lines_netted set net_amount = net_amount - 1 where line_id = 'il_C1a'"
    ],
    "invoiceless_charges_disjoint": [
        "insert into revenue_analytics.fct_revenue_items "
        "select * replace ('ch_A1' as revenue_item_id, 'ch_A1' as charge_id, 'cus_A' as customer_id) "
        "from revenue_analytics.fct_revenue_items where revenue_item_id = 'ch_D1'"
    ],
    "refunds_within_charge": [
        "update stripe_raw.refund set data = json_merge_patch(data, '{\"amount\": 900}') where id = 're_D1'"
    ],
    "balance_transaction_net": [
        "update staging.stg_stripe__balance_transactions set net = 1 where balance_transaction_id = 'txn_D1'"
    ],
    "mrr_bridge": [
        "update revenue_analytics.fct_mrr_movements set ending_mrr_minor = ending_mrr_minor + 1 "
        "where customer_id = 'cus_A' and month_start = '2024-03-01'"
    ],
    "currencies_have_exponent": ["update staging.stg_stripe__charges set currency = 'XXX' where charge_id = 'ch_D2'"],
    "revenue_customers_exist": [
        "insert into revenue_analytics.fct_revenue_items "
        "select * replace ('ch_NOPE' as revenue_item_id, 'ch_NOPE' as charge_id, 'cus_NOPE' as customer_id) "
        "from revenue_analytics.fct_revenue_items where revenue_item_id = 'ch_D3'"
    ],
    "reversed_lines_reconcile": [
        "update intermediate.int_revenue_reversed set gross_amount = gross_amount + 1 where revenue_item_id = 'il_F1'"
    ],
    "reversed_invoices_recognise_nothing_after": [
        # F's invoice fully taken back by its lost dispute, and a part dated after it that still recognises
        "update intermediate.int_revenue_reversal_events set amount = 30000 where event_id = 'dp_F1'",
        "insert into intermediate.int_revenue_reversed select * replace ('il_F1_late' as revenue_item_id, "
        "timestamp '2024-05-01' as occurred_at, 100 as gross_amount) from intermediate.int_revenue_reversed "
        "where revenue_item_id = 'il_F1'",
    ],
    "currencies_have_rate": [
        "update revenue_analytics.fct_revenue_items set amount = null where revenue_item_id = 'ch_D3'"
    ],
}

# a revenue row counted twice: the primary-key test of fct_revenue_items, named revenue_items_unique,
# holds every revenue row to its own id (it replaced a singular test asserting the same); the copy is
# written as a build would write it, after the tests last passed (its key test reads those, S11)
DUPLICATE_REVENUE_ROW = (
    "insert into revenue_analytics.fct_revenue_items "
    "select * replace (now() as built_at) from revenue_analytics.fct_revenue_items where revenue_item_id = 'il_B1'"
)


def test_each_invariant_fails_when_broken(
    built: dict[str, Any], scenario_build: dict[str, Any], tmp_path: Path
) -> None:
    warehouse = tmp_path / "tampered.duckdb"
    shutil.copy(scenario_build["warehouse"], warehouse)
    con = duckdb.connect(str(warehouse))
    for statements in TAMPERING.values():
        for sql in statements:
            con.execute(sql)
    con.execute(DUPLICATE_REVENUE_ROW)
    con.close()
    run = run_dbt(
        ["test", "--select", "path:tests/dbt/invariants", "fct_revenue_items"],
        warehouse,
        tmp_path / "dbt",
        SOURCES_VARS,
    )
    statuses = {r["unique_id"].split(".")[-1]: r["status"] for r in run.results}
    for name in TAMPERING:
        # warnings: a missing rate, and an invoice whose lines do not reconcile (named, never blocking)
        expected = "warn" if name in ("currencies_have_rate", "paid_invoice_lines_reconcile") else "fail"
        assert statuses.get(name) == expected, (name, statuses, run.output[-3000:])
    # the "revenue items unique" invariant (fct_revenue_items' primary-key test) sees the duplicate
    assert [r["status"] for r in run.results if ".revenue_items_unique" in r["unique_id"]] == ["fail"]


def test_missing_raw_data_says_what_to_run(tmp_path: Path) -> None:
    warehouse = tmp_path / "empty.duckdb"
    duckdb.connect(str(warehouse)).close()
    run = run_dbt(["run", "--select", "stg_stripe__charges"], warehouse, tmp_path / "dbt")
    assert run.returncode != 0
    assert "raw Stripe schema 'stripe_raw' does not exist" in run.output
    assert "dlt pipeline stripe run" in run.output


def test_amounts_stripe_never_sends_are_named_and_kept_out_of_revenue(
    scenario_build: dict[str, Any], tmp_path: Path
) -> None:
    """D6: an invoiceless charge with a negative amount_captured, and an invoice line whose amount does
    not fit 64 bits. Before, the first halved a month's gross revenue with every test passing, and the
    second failed staging and skipped every model downstream. Now the build goes on, the test
    `stripe_amounts_valid` fails naming both objects, and neither reaches revenue."""
    warehouse = tmp_path / "bad_amounts.duckdb"
    shutil.copy(scenario_build["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        before = dict(
            con.execute("select revenue_item_id, amount_minor from revenue_analytics.fct_revenue_items").fetchall()
        )
        con.execute(
            "update stripe_raw.charge set data = json_merge_patch(data, '{\"amount_captured\": -500}'), "
            "synced_at = timestamptz '2031-01-01' where id = 'ch_D1'"
        )
        con.execute(
            "update stripe_raw.invoice_line_item set data = replace(data, '\"amount\": 3000,', "
            "'\"amount\": 99999999999999999999,'), synced_at = timestamptz '2031-01-01' where id = 'il_T1'"
        )
        assert con.execute(
            "select count(*) from stripe_raw.invoice_line_item where id = 'il_T1' "
            "and data like '%99999999999999999999%'"
        ).fetchone() == (1,)
    run = run_dbt(["build", "--exclude-resource-type", "unit_test"], warehouse, tmp_path / "dbt", SOURCES_VARS)
    statuses = {r["unique_id"]: r["status"] for r in run.results}
    assert run.returncode != 0
    failed = [uid for uid, status in statuses.items() if status in ("fail", "error")]
    assert failed == ["test.stripe_revenue.stripe_amounts_valid"], (failed, run.output[-3000:])
    assert "skipped" not in statuses.values()  # every model built
    named = "stripe_amounts_valid: object_type={} object_id={} source_label=stripe rejected_reason={}"
    assert named.format("charge", "ch_D1", "amount_captured is negative: -500") in run.output
    too_big = "amount is not a 64-bit integer: 99999999999999999999"
    assert named.format("invoice_line_item", "il_T1", too_big) in run.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = dict(
            con.execute("select revenue_item_id, amount_minor from revenue_analytics.fct_revenue_items").fetchall()
        )
    # the charge goes, and its refund with it (nothing negative without its positive)
    assert {"ch_D1", "re_D1"} <= set(before) and not {"ch_D1", "re_D1"} & set(after)
    assert {k for k in before if k.startswith("il_T1")} and not {k for k in after if k.startswith("il_T1")}
    unchanged = {k: v for k, v in before.items() if k not in ("ch_D1", "re_D1") and not k.startswith("il_T1")}
    assert {k: after.get(k) for k in unchanged} == unchanged
