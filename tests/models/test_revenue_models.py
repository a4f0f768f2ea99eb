"""The dbt models on the scripted account (model_scenario.py), against numbers worked out by hand.

Amounts are minor units unless the column is a major-unit decimal. USD conversions follow D4 with
the scenario's rates (units per EUR): until 2024-02-29 USD 1.10, JPY 155, KWD 0.34; from 2024-03-01
USD 1.08, JPY 162, KWD 0.333 (carried forward).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest

D = Decimal


def d4(amount: int, exp_from: int, rate_base: float, rate_from: float, exp_base: int = 2) -> int:
    """D4 written out: round_half_away(a / 10^exp(c) * (rate(b) / rate(c)) * 10^exp(b))."""
    x = amount / 10**exp_from * (rate_base / rate_from) * 10**exp_base
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def items(q: Any, where: str) -> list[tuple[Any, ...]]:
    return q(f"""
        select revenue_item_id, cast(recognized_at as date), original_amount, amount_minor
        from revenue_analytics.fct_revenue_items where {where} order by recognized_at, revenue_item_id""")


# --- the build -------------------------------------------------------------------------------------


def test_build_runs_every_model_and_test(built: dict[str, Any]) -> None:
    statuses = {r["unique_id"]: r["status"] for r in built["results"]}
    assert not [u for u, s in statuses.items() if s in ("error", "fail")]
    assert sum(1 for u in statuses if u.startswith("unit_test.")) >= 4
    assert sum(1 for u in statuses if u.startswith("model.")) >= 35
    # the only warning: the eu_ source has 3 of the 14 raw tables
    assert [u for u, s in statuses.items() if s == "warn"] == ["test.stripe_revenue.raw_tables_present"]


# --- staging: both shapes ---------------------------------------------------------------------------


def test_lines_coalesce_both_shapes(q: Any) -> None:
    rows = {
        r[0]: r[1:]
        for r in q("""
        select line_id, line_type, is_proration, subscription_id, subscription_item_id, price_id, embedded_product_id
        from staging.stg_stripe__invoice_line_items where source_label = 'stripe'""")
    }
    # legacy: type / proration / subscription / subscription_item / price object
    assert rows["il_B1"] == ("subscription", False, "sub_B", "si_B", "price_basic50", "prod_basic")
    assert rows["il_B3a"] == ("invoiceitem", True, "sub_B", "si_B", "price_basic50", "prod_basic")
    # current: the branch of `parent` named by its type (the other branch holds a decoy), pricing.price_details
    assert rows["il_G1"] == ("subscription", False, "sub_G1", "si_G1", "price_team100", "prod_team")
    assert rows["il_G3a"] == ("invoiceitem", True, "sub_G1", None, "price_team100", "prod_team")
    assert rows["il_C1a"] == ("invoiceitem", False, None, None, "price_svc", "prod_services")


def test_invoices_coalesce_both_shapes(q: Any) -> None:
    rows = dict(q("select invoice_id, subscription_id from staging.stg_stripe__invoices where source_label = 'stripe'"))
    assert rows["in_B1"] == "sub_B"  # legacy invoice.subscription
    assert rows["in_G1"] == "sub_G1"  # parent.type = subscription_details
    assert rows["in_C1"] is None  # parent.type = quote_details: its subscription_details branch is a decoy
    periods = dict(q("select subscription_id, current_period_start_at from staging.stg_stripe__subscriptions"))
    assert periods["sub_B"] == dt.datetime(2024, 3, 10)  # legacy: on the subscription
    assert periods["sub_G2"] == dt.datetime(2024, 6, 10)  # current: on the items


def test_timestamps_are_utc(q: Any) -> None:
    assert q("select created_at, paid_at from staging.stg_stripe__invoices where invoice_id = 'in_B1'") == [
        (dt.datetime(2024, 1, 10), dt.datetime(2024, 1, 10, 0, 1))
    ]


def test_major_units_use_the_currency_exponent(q: Any) -> None:
    assert q("select amount, amount_major from staging.stg_stripe__invoice_line_items where line_id = 'il_E1'") == [
        (12345, D("12.345"))
    ]  # KWD: 3 decimals
    assert q("select amount, amount_major from staging.stg_stripe__charges where charge_id = 'ch_D1'") == [
        (500, D("500.000"))
    ]  # JPY: 0 decimals
    assert q("select amount_major from staging.stg_stripe__invoice_line_items where line_id = 'il_B1'") == [
        (D("50.000"),)
    ]


def test_sources_are_unioned_with_their_label(q: Any) -> None:
    assert q(
        "select source_label, name from revenue_analytics.revenue_analytics_customer where id = 'cus_A' order by 1"
    ) == [("stripe", "Ada"), ("stripe.eu", "Ada EU")]
    assert q(
        "select source_label, customer_id, amount from revenue_analytics.revenue_analytics_revenue_item "
        "where id = 'il_EU1'"
    ) == [("stripe.eu", "cus_A", D("25.000"))]
    # eu_ has no charge table: read as empty, the main source's charges are all there
    assert q("select distinct source_label from staging.stg_stripe__charges") == [("stripe",)]


# --- revenue rules ------------------------------------------------------------------------------------


def test_annual_line_is_twelve_monthly_parts(q: Any) -> None:
    rows = items(q, "invoice_item_id = 'il_A1'")
    assert [r[0] for r in rows] == [f"il_A1_{i}" for i in range(12)]
    assert [r[1] for r in rows] == [dt.date(2024, m, 1) for m in range(1, 13)]
    assert {r[3] for r in rows} == {10000}  # $1,200 / 12 = $100.00


def test_monthly_parts_sum_exactly_with_remainder_first(q: Any) -> None:
    # 365 days / 30.44 = 11.99 -> 12 parts of 36500: 3041 r 8 -> the first 8 parts get 3042
    rows = items(q, "invoice_item_id = 'il_V2'")
    assert [r[2] for r in rows] == [3042] * 8 + [3041] * 4
    assert rows[0][1] == dt.date(2019, 1, 1) and rows[-1][1] == dt.date(2019, 12, 1)
    assert items(q, "invoice_item_id = 'il_V1'") == [("il_V1", dt.date(2019, 1, 15), 3100, 3100)]  # 31 days: 1 part


def test_daily_deferral_matches_the_published_vectors(q_daily: Any) -> None:
    assert items(q_daily, "invoice_item_id = 'il_V1'") == [
        ("il_V1_2019-01", dt.date(2019, 1, 15), 1700, 1700),
        ("il_V1_2019-02", dt.date(2019, 2, 1), 1400, 1400),
    ]
    rows = items(q_daily, "invoice_item_id = 'il_V2'")
    assert [r[2] for r in rows] == [100 * d for d in (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)]
    # 2024 has 366 days: the parts of $1,200 still sum exactly
    assert q_daily(
        "select count(*), sum(original_amount) from revenue_analytics.fct_revenue_items where invoice_item_id = 'il_A1'"
    ) == [(12, 120000)]


def test_proration_credit_reduces_revenue(q: Any) -> None:
    # B in February: 50.00 - 24.14 (credit for unused Basic) + 38.62 (remaining Plus) = 64.48
    assert q("""select sum(amount) from revenue_analytics.fct_revenue_items
                where customer_id = 'cus_B' and month(recognized_at) = 2""") == [(D("64.480"),)]
    assert q("select amount from revenue_analytics.fct_revenue_items where revenue_item_id = 'il_B3a'") == [
        (D("-24.140"),)
    ]


def test_invoice_level_discount_allocated_by_largest_remainder(q: Any) -> None:
    rows = q("""select line_id, line_discount_amount, allocated_discount_amount, net_amount, coupon, coupon_id
                from intermediate.int_invoice_lines_netted where invoice_id = 'in_C1' order by line_index, line_id""")
    # 1000 over three discountable lines weighted net of their own discounts, 900 + 1000 + 1000 = 2900:
    # 310.34, 344.83, 344.83 -> floors 310 + 344 + 344 = 998, the two units left go to the largest
    # remainders (il_C1a, il_C1m: 2400 of 2900 against il_C1z's 1000)
    assert rows == [
        ("il_C1z", 100, 310, 590, "LINE10", "cp_LINE10"),
        ("il_C1a", 0, 345, 655, "INV10EUR", "cp_INV10"),
        ("il_C1m", 0, 345, 655, "INV10EUR", "cp_INV10"),
        ("il_C1n", 0, 0, 700, None, None),  # not discountable
    ]
    assert sum(r[3] for r in rows) == 2600  # = the invoice total (3700 - 100 - 1000)


def test_each_row_converts_at_its_own_date(q: Any) -> None:
    eur = {r[0]: r[3] for r in items(q, "invoice_id = 'in_C1'")}
    assert eur == {
        "il_C1z": d4(590, 2, 1.10, 1.0),
        "il_C1a": d4(655, 2, 1.10, 1.0),
        "il_C1m": d4(655, 2, 1.10, 1.0),
        "il_C1n": d4(700, 2, 1.10, 1.0),
    }
    assert eur == {"il_C1z": 649, "il_C1a": 721, "il_C1m": 721, "il_C1n": 770}
    # KWD 12.345 on 2024-01-15 at 1.10 / 0.34
    assert q("""select original_amount, currency_aware_divider, currency_aware_amount, amount_minor, amount
                from revenue_analytics.fct_revenue_items where revenue_item_id = 'il_E1'""") == [
        (12345, 1000, D("12.345"), 3994, D("39.940"))
    ]
    assert d4(12345, 3, 1.10, 0.34) == 3994


def test_invoiceless_charges_only(q: Any) -> None:
    rows = q("""select id, invoice_item_id, original_currency, original_amount, currency_aware_amount, amount
                from revenue_analytics.revenue_analytics_revenue_item
                where id like 'ch_%' order by timestamp""")
    # JPY 500 on 2024-03-05 at 1.08 / 162 -> 333 cents; JPY 1000 on 2024-06-20 -> 667 cents; ch_D2 failed
    assert rows == [
        ("ch_D1", "ch_D1", "JPY", 500, D("500.000"), D("3.330")),
        ("ch_D3", "ch_D3", "JPY", 1000, D("1000.000"), D("6.670")),
    ]
    links = dict(q("select charge_id, link_source from intermediate.int_charges_linked where invoice_id is not null"))
    assert links["ch_B1"] == "charge.invoice"  # legacy charge.invoice
    assert links["ch_E1"] == "invoice.payments"  # current: payments[].payment.payment_intent
    assert links["ch_C1"] == "invoice.payments"  # current: payments[].payment.charge
    assert links["ch_A1"] == "invoice.payments"
    # an invoice with two payments: the failed first attempt and the paid second one both link
    assert (links["ch_F0"], links["ch_F1"]) == ("invoice.payments", "invoice.payments")


def test_reversals_are_contra_rows_per_line_and_event(q: Any) -> None:
    """R10 / R11 on F's invoice (30000 recognised on Feb 1, a one-off line) and D's invoiceless JPY charge:
    each event takes its share of what remains (W) and books it as contra revenue of what was recognised
    (everything, here: nothing was deferred, so nothing is cleared). Mar 10: the refund (2000 of 30000),
    then the credit note's unrefunded 3000 (rank: refunds first); Apr 2: the lost dispute (10000); Apr 3:
    the dispute won later (500), given back as revenue when its funds were reinstated on Apr 20. The void
    credit note counts as never issued. D: a refund of 200 JPY of a 500 JPY charge, at the day's rate."""
    rows = q("""
        select revenue_item_id, revenue_type, cast(recognized_at as date), original_amount, amount_minor,
            original_cleared_amount, product_id
        from revenue_analytics.fct_revenue_items where not is_gross order by recognized_at, revenue_item_id""")
    assert rows == [
        ("cn_F1:il_F1", "credit_note", dt.date(2024, 3, 10), -3000, -3000, 0, "prod_f"),  # 50.00 less 20.00 refunded
        ("re_F1:il_F1", "refund", dt.date(2024, 3, 10), -2000, -2000, 0, "prod_f"),
        ("re_D1", "refund", dt.date(2024, 3, 20), -200, d4(-200, 0, 1.08, 162.0), 0, None),  # JPY -> -133 cents
        ("dp_F1:il_F1", "dispute", dt.date(2024, 4, 2), -10000, -10000, 0, "prod_f"),
        ("dp_F2:il_F1", "dispute", dt.date(2024, 4, 3), -500, -500, 0, "prod_f"),
        ("dp_F2:won:il_F1", "dispute", dt.date(2024, 4, 20), 500, 500, 0, "prod_f"),  # the won one gives it back
    ]


def test_only_paid_invoices_bring_revenue(q: Any) -> None:
    assert q("""select count(*) from revenue_analytics.fct_revenue_items
                where invoice_id in ('in_T5', 'in_Tvoid', 'in_Tunc')""") == [(0,)]
    assert q("""select status, count(*) from staging.stg_stripe__invoices
                where invoice_id in ('in_T5', 'in_Tvoid', 'in_Tunc') group by 1 order by 1""") == [
        ("open", 1),
        ("uncollectible", 1),
        ("void", 1),
    ]


def test_monthly_gross_and_net_revenue(q: Any) -> None:
    rows = dict(
        (r[0], r[1:])
        for r in q("""
        select strftime(month_start, '%Y-%m'), sum(gross_revenue_minor), sum(net_revenue_minor)
        from revenue_analytics.fct_revenue_monthly where month_start between '2024-01-01' and '2024-06-01'
        group by 1""")
    )
    assert rows == {
        # A 10000 + B 5000 + E 3994 (KWD) + G 15000 (+ $0 trial lines)
        "2024-01": (33994, 33994),
        # A 10000 + B 6448 + C 649+721+721+770 + F 30000 + G 15000 + T 3000
        "2024-02": (67309, 67309),
        # A 10000 + B 8000 + G (-9655 + 4828 + 7500) + T 3000 + D 333; net: - 3000 - 2000 - 133
        "2024-03": (24006, 18873),
        # A 10000 + G 7500 + T 3000; net: - 10000 (lost dispute)
        "2024-04": (20500, 10500),
        # A 10000 + T 3000 + eu 2500
        "2024-05": (15500, 15500),
        # A 10000 + G 4000 + D 667 (T's June invoice is open)
        "2024-06": (14667, 14667),
    }
    by_coupon = dict(
        q("""select coalesce(coupon, '-'), sum(gross_revenue_minor) from revenue_analytics.fct_revenue_monthly
                          where month_start = '2024-02-01' and customer_country = 'DE' group by 1""")
    )
    assert by_coupon == {"LINE10": 649, "INV10EUR": 1442, "-": 770}


def test_deferred_revenue_balance(q: Any) -> None:
    rows = dict(
        q("""select strftime(month_start, '%Y-%m'), deferred_balance_minor
                     from revenue_analytics.fct_deferred_revenue_monthly where source_label = 'stripe'""")
    )
    assert rows["2019-01"] == 36500 - 3042  # V2 billed in January, 11 parts still to come
    assert rows["2019-12"] == 0
    assert rows["2024-01"] == 11 * 10000  # A: February to December
    assert rows["2024-06"] == 6 * 10000  # A: July to December


# --- MRR -------------------------------------------------------------------------------------------------

EXPECTED_MOVEMENTS = [
    # month, customer, movement, start, end
    ("2024-01", "cus_A", "new", 0, 10000),  # $1,200 / 12
    ("2024-01", "cus_B", "new", 0, 5000),
    ("2024-01", "cus_G", "new", 0, 15000),  # 2 x $100 x (100 - 25) / 100; T is trialing at Jan 31
    ("2024-02", "cus_A", "unchanged", 10000, 10000),
    ("2024-02", "cus_B", "expansion", 5000, 8000),  # the +38.62 proration line (Plus) is the latest segment
    ("2024-02", "cus_G", "unchanged", 15000, 15000),
    ("2024-02", "cus_T", "new", 0, 3000),
    ("2024-03", "cus_A", "unchanged", 10000, 10000),
    ("2024-03", "cus_B", "unchanged", 8000, 8000),
    ("2024-03", "cus_G", "contraction", 15000, 7500),  # 1 seat from Mar 15
    ("2024-03", "cus_T", "unchanged", 3000, 3000),
    ("2024-04", "cus_A", "unchanged", 10000, 10000),
    ("2024-04", "cus_B", "churn", 8000, 0),  # ended Apr 10
    ("2024-04", "cus_G", "churn", 7500, 0),  # ended Apr 20 although billed to May 15
    ("2024-04", "cus_T", "unchanged", 3000, 3000),
    ("2024-05", "cus_A", "unchanged", 10000, 10000),
    ("2024-05", "cus_T", "unchanged", 3000, 3000),
    ("2024-06", "cus_A", "unchanged", 10000, 10000),
    ("2024-06", "cus_G", "reactivation", 0, 4000),  # a new subscription
    ("2024-06", "cus_T", "unchanged", 3000, 3000),  # the open June invoice counts for MRR
]


def test_mrr_movements_per_customer(q: Any) -> None:
    rows = q("""
        select strftime(month_start, '%Y-%m'), customer_id, movement, starting_mrr_minor, ending_mrr_minor,
               new_mrr_minor, expansion_mrr_minor, contraction_mrr_minor, churned_mrr_minor, reactivation_mrr_minor
        from revenue_analytics.fct_mrr_movements order by 1, 2""")
    assert [r[:5] for r in rows] == EXPECTED_MOVEMENTS
    for r in rows:
        start, end, new, exp, con, churn, react = r[3:]
        assert start + new + exp + react - con - churn == end


def test_mrr_monthly_and_arr(q: Any) -> None:
    rows = q("""select strftime(month_start, '%Y-%m'), ending_mrr, arr, active_customers, new_customers,
                       churned_customers, reactivated_customers
                from revenue_analytics.fct_mrr_monthly where source_label = 'stripe' and month_start >= '2024-01-01'
                order by 1""")
    assert rows == [
        ("2024-01", D("300.000"), D("3600.000"), 3, 3, 0, 0),
        ("2024-02", D("360.000"), D("4320.000"), 4, 1, 0, 0),
        ("2024-03", D("285.000"), D("3420.000"), 4, 0, 0, 0),
        ("2024-04", D("130.000"), D("1560.000"), 2, 0, 2, 0),
        ("2024-05", D("130.000"), D("1560.000"), 2, 0, 0, 0),
        ("2024-06", D("170.000"), D("2040.000"), 3, 0, 0, 1),
    ]


def test_mrr_contributions_trial_proration_and_end(q: Any) -> None:
    rows = q("""select strftime(month_start, '%Y-%m'), line_id, mrr_state, mrr
                from intermediate.int_mrr_contributions_computed
                where subscription_id in ('sub_T', 'sub_G1', 'sub_B') order by 1, 2""")
    by_month: dict[str, list[tuple[str, str, int]]] = {}
    for month, line_id, state, mrr in rows:
        by_month.setdefault(month, []).append((line_id, state, mrr))
    # B at Feb 29: the Feb period line, the credit for unused Basic and the remaining time on Plus
    assert by_month["2024-02"][:3] == [
        ("il_B2", "billed", 5000),
        ("il_B3a", "billed", -5000),
        ("il_B3b", "billed", 8000),
    ]
    assert ("il_T0", "trialing", 0) in by_month["2024-01"]  # T < trial_end (Feb 3)
    assert ("il_T5", "billed", 3000) in by_month["2024-06"]  # an open invoice counts
    assert ("il_G5", "ended", 0) in by_month["2024-04"]  # billed to May 15, ended Apr 20
    assert ("il_G1", "billed", 15000) in by_month["2024-01"]  # 2 x 10000 x (100 - 25) / 100


def test_mrr_now(q: Any) -> None:
    # as of the latest invoice or charge: ch_D3 on 2024-06-20 12:00
    assert q("select distinct as_of_at from intermediate.int_months_spanned") == [(dt.datetime(2024, 6, 20, 12),)]
    assert q(
        "select source_label, customer_id, subscription_id, mrr from revenue_analytics.revenue_analytics_mrr "
        "order by subscription_id"
    ) == [
        ("stripe", "cus_A", "sub_A", D("100.000")),
        ("stripe", "cus_G", "sub_G2", D("40.000")),
        ("stripe", "cus_T", "sub_T", D("30.000")),
    ]


# --- dimensions and metrics --------------------------------------------------------------------------


def test_customer_view(q: Any) -> None:
    rows = {
        r[0]: r[1:]
        for r in q("""
        select id, email, country, cohort, initial_coupon, initial_coupon_id
        from revenue_analytics.revenue_analytics_customer where source_label = 'stripe'""")
    }
    assert rows["cus_C"] == ("cleo@example.com", "DE", "2024-02", "LINE10", "cp_LINE10")
    assert rows["cus_G"] == ("g@example.com", "FR", "2024-01", None, None)  # first invoice: the $0 trial one
    assert rows["cus_D"][2] is None  # no invoice, no cohort
    # missing from the customer table (deleted before the first sync): rebuilt from its invoices
    assert rows["cus_V"] == ("v@example.com", "CA", "2019-01", None, None)


def test_subscription_product_and_charge_views(q: Any) -> None:
    assert q("""select plan_id, product_id, customer_id, status, started_at, ended_at
                from revenue_analytics.revenue_analytics_subscription where id = 'sub_B'""") == [
        ("price_plus80", "prod_plus", "cus_B", "canceled", dt.datetime(2024, 1, 10), dt.datetime(2024, 4, 10))
    ]
    assert q("select name from revenue_analytics.revenue_analytics_product where id = 'prod_kw'") == [
        ("KW consulting",)
    ]
    charges = {
        r[0]: r[1:]
        for r in q("""
        select id, invoice_id, original_amount, currency_aware_divider, currency_aware_amount, amount
        from revenue_analytics.revenue_analytics_charge""")
    }
    assert "ch_D2" not in charges  # failed
    assert charges["ch_E1"] == ("in_E1", 12345, 1000, D("12.345"), D("39.940"))
    assert charges["ch_D1"] == (None, 500, 1, D("500.000"), D("3.330"))


def test_metrics(q: Any) -> None:
    rows = {
        r[0]: r[1:]
        for r in q("""
        select strftime(month_start, '%Y-%m'), gross_revenue, paying_customers, arpu, subscriber_churn_rate, ltv,
               active_subscriptions, trialing_subscriptions, new_subscriptions, churned_subscriptions
        from revenue_analytics.fct_revenue_metrics""")
    }
    jun = rows["2024-06"]
    assert jun[:2] == (D("146.670"), 3)  # A, G, D
    assert jun[2] == pytest.approx(146.67 / 3)
    apr = rows["2024-04"]
    assert apr[3] == pytest.approx(0.5)  # B and G churned of A, B, G, T at start, none new
    assert apr[4] == pytest.approx((205.00 / 3) / 0.5)  # ARPU / churn rate
    assert rows["2024-05"][4] is None  # no churn: LTV undefined
    assert rows["2024-01"][5:] == (3, 1, 4, 0)  # A, B, G1 active; T trialing; all four new
    assert rows["2024-04"][5:] == (2, 0, 0, 2)  # A, T active; B and G1 ended


def test_top_customers(q: Any) -> None:
    assert q("""select revenue_rank, customer_id, net_revenue from revenue_analytics.fct_top_customers_monthly
                where month_start = '2024-03-01' order by revenue_rank""")[:3] == [
        (1, "cus_A", D("100.000")),
        (2, "cus_B", D("80.000")),
        (3, "cus_T", D("30.000")),
    ]


# --- parity mode --------------------------------------------------------------------------------------


def test_parity_mode_restores_reference_behaviour(q_parity: Any) -> None:
    # credit lines clamped to 0: B's February is 50.00 + 0 + 38.62
    assert q_parity("""select sum(amount) from revenue_analytics.fct_revenue_items
                       where customer_id = 'cus_B' and month(recognized_at) = 2""") == [(D("88.620"),)]
    # no refunds, credit notes or disputes
    assert q_parity("select count(*) from revenue_analytics.fct_revenue_items where not is_gross") == [(0,)]
    # three-decimal currencies divided by 100
    assert q_parity("""select currency_aware_divider, currency_aware_amount
                       from revenue_analytics.revenue_analytics_revenue_item where id = 'il_E1'""") == [
        (100, D("123.450"))
    ]
    # each monthly part is the line / 12 (not summing exactly), currency_aware_amount the whole line
    rows = q_parity("""select amount, currency_aware_amount, original_amount
                       from revenue_analytics.revenue_analytics_revenue_item where invoice_item_id = 'il_V2'""")
    assert {r[0] for r in rows} == {D("30.417")} and {r[1:] for r in rows} == {(D("365.000"), 36500)}


def test_finalized_basis_recognises_unpaid_invoices_and_takes_back_voids_and_bad_debt(q_finalized: Any) -> None:
    """R1 finalized basis (the default, with daily deferral): T's open June invoice counts; the invoice
    voided the instant it was finalized recognises nothing (the void comes before its one part); the
    99,900 invoice for Apr 20 - May 20 (30 days) marked uncollectible on May 5 recognised Apr 20 - 30 (11
    days: 36,630) and May 1 - 4 (4 days of May's 19: 63,270 x 4 / 19 = 13,320): 49,950 of bad debt
    contra, the other 49,950 cleared."""
    rows = q_finalized("""
        select revenue_item_id, revenue_type, original_amount, original_cleared_amount
        from revenue_analytics.fct_revenue_items where invoice_id in ('in_Tvoid', 'in_Tunc', 'in_T5')
        order by recognized_at, revenue_item_id""")
    assert rows == [
        ("il_Tvoid_2024-03", "invoice_line", 0, 0),
        ("in_Tvoid:void:il_Tvoid", "void", 0, 99900),
        ("il_Tunc_2024-04", "invoice_line", 36630, 0),
        ("il_Tunc_2024-05", "invoice_line", 13320, 0),
        ("in_Tunc:uncollectible:il_Tunc", "bad_debt", -49950, 49950),
        ("il_T5_2024-06", "invoice_line", 2800, 0),  # Jun 3 - 30: 28 of 30 days of 3,000
        ("il_T5_2024-07", "invoice_line", 200, 0),
    ]
    net = dict(
        q_finalized("""select strftime(month_start, '%Y-%m'), sum(bad_debt) from revenue_analytics.fct_revenue_monthly
                       where month_start in ('2024-05-01') group by 1""")
    )
    assert net == {"2024-05": D("-499.500")}
