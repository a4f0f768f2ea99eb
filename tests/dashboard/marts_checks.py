"""The dashboard of a warehouse built from the fake account, checked in the browser against the marts.

Every expected number is read from the marts with SQL of its own (fct_revenue_metrics, fct_revenue_monthly,
fct_mrr_movements with dim_customers, fct_mrr_monthly), never from the dashboard's code; the page must show
them for the same selection. Called by the end-to-end test after its `dbt build` (tests/e2e).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import cli
from tests.dashboard.browser import DashboardPage, chromium, money, percent


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def check_dashboard_against_marts(warehouse: Path, out: Path, screenshots: str | None = None) -> None:
    assert cli.main(["dashboard", "--duckdb", str(warehouse), "--output", str(out)]) == 0
    assert out.stat().st_size < 1_500_000
    with duckdb.connect(str(warehouse), read_only=True) as con:
        months = _rows(con, "select year_month, month_status from revenue_analytics.dim_months order by 1")
        closed = [m for m, status in months if status == "closed"]
        metrics = {
            r[0]: r[1:]
            for r in _rows(
                con,
                "select strftime(month_start, '%Y-%m'), mrr, paying_customers, subscriber_churn_rate, mrr_churn_rate, "
                "net_mrr_churn_rate, net_mrr_retention, churned_revenue, gross_revenue, active_subscriptions "
                "from revenue_analytics.fct_revenue_metrics",
            )
        }
        us_mrr = dict(
            _rows(
                con,
                "select strftime(m.month_start, '%Y-%m'), sum(m.ending_mrr_minor) "
                "from revenue_analytics.fct_mrr_movements m join revenue_analytics.dim_customers c "
                "using (source_label, customer_id) where c.country = 'US' group by 1",
            )
        )
        us_gross = dict(
            _rows(
                con,
                "select strftime(month_start, '%Y-%m'), sum(gross_revenue_minor) "
                "from revenue_analytics.fct_revenue_monthly where customer_country = 'US' group by 1",
            )
        )
        product_net = {
            (r[0], r[1]): r[2]
            for r in _rows(
                con,
                "select strftime(month_start, '%Y-%m'), coalesce(product_name, '(no product)'), sum(net_revenue_minor) "
                "from revenue_analytics.fct_revenue_monthly group by 1, 2",
            )
        }
        # two breakdowns at once: MRR per country and cohort
        country_cohort_mrr = {
            (r[0], f"{r[1] or '(no country)'} · {r[2] or '(no cohort)'}"): r[3]
            for r in _rows(
                con,
                "select strftime(m.month_start, '%Y-%m'), c.country, c.cohort, sum(m.ending_mrr_minor) "
                "from revenue_analytics.fct_mrr_movements m join revenue_analytics.dim_customers c "
                "using (source_label, customer_id) group by 1, 2, 3",
            )
        }
        rates = {
            r[0]: r[1:]
            for r in _rows(
                con,
                "select strftime(month_start, '%Y-%m'), subscriber_churn_rate, mrr_churn_rate, net_mrr_churn_rate, "
                "net_mrr_retention, active_subscriptions, new_subscriptions, churned_subscriptions "
                "from revenue_analytics.fct_revenue_metrics",
            )
        }
        fx = dict(
            _rows(
                con,
                "select strftime(month_start, '%Y-%m'), sum(fx_mrr) * 100 "
                "from revenue_analytics.fct_mrr_monthly group by 1",
            )
        )
    last = closed[-1]
    mrr, paying, sub_churn, mrr_churn, net_churn, nrr, churned, _gross, subs = metrics[last]
    cents = lambda v: int(Decimal(str(v)) * 100)  # noqa: E731
    all_months = [m for m, _ in months]
    with chromium() as browser:
        page = DashboardPage(browser, out).open()
        try:
            tiles = page.tiles()
            assert tiles["mrr"] == money(cents(mrr)) and tiles["arr"] == money(12 * cents(mrr))
            assert tiles["paying"] == f"{paying:,}" and tiles["subscriptions"] == f"{subs:,}"
            assert tiles["subscriber_churn_rate"] == percent(sub_churn)
            assert tiles["mrr_churn_rate"] == percent(mrr_churn) and tiles["net_mrr_churn_rate"] == percent(net_churn)
            assert tiles["net_mrr_retention"] == percent(nrr) and tiles["churned_revenue"] == money(cents(churned))
            last12 = closed[-12:]
            assert tiles["gross"] == money(sum(cents(metrics[m][7]) for m in last12))
            if screenshots:
                page.screenshot(f"{screenshots}-default")
            # every month, US customers only: MRR from the movements, gross revenue from fct_revenue_monthly
            page.show("range=all&f.country=US")
            assert page.chart("mrr")["series"]["MRR"] == [us_mrr.get(m, 0) for m in all_months]
            assert page.chart("revenue")["series"]["Gross"] == [us_gross.get(m, 0) for m in all_months]
            # a custom range: the gross tile is the months' sum
            page.show(f"range=custom&from={closed[-3]}&to={closed[-1]}")
            assert page.tiles()["gross"] == money(sum(cents(metrics[m][7]) for m in closed[-3:]))
            # by product: each part is fct_revenue_monthly's, and the parts sum to the total
            page.show("range=all&bd=product")
            series = page.chart("revenue")["series"]
            products = {p for _m, p in product_net}
            assert set(series) - {"Total net", "Goal"} == products
            for product in products:
                assert series[product] == [product_net.get((m, product), 0) for m in all_months], product
            parts = [v for k, v in series.items() if k in products]
            assert [sum(v) for v in zip(*parts, strict=True)] == series["Total net"]
            # the bridge's FX column is fct_mrr_monthly.fx_mrr
            page.show("range=all")
            assert page.chart("mrr-bridge")["series"]["FX"] == [int(fx.get(m, 0)) for m in all_months]
            # M3's rates and the subscription counts, every month (the month in progress to date)
            drawn = page.chart("rates")["series"]
            for i, name in enumerate(
                ("Subscriber churn rate", "MRR churn rate", "Net MRR churn rate", "Net MRR retention (right)")
            ):
                expected = [None if rates[m][i] is None else pytest.approx(rates[m][i], abs=1e-9) for m in all_months]
                assert drawn[name] == expected, name
            subscriptions = page.chart("subscriptions")["series"]
            assert subscriptions["Active"] == [rates[m][4] for m in all_months]
            assert subscriptions["New"] == [rates[m][5] for m in all_months]
            assert subscriptions["Churned"] == [-rates[m][6] for m in all_months]
            # two breakdowns: the largest parts are the marts', all parts sum to fct_revenue_metrics' MRR
            page.show("range=all&bd=country,cohort")
            series = page.chart("mrr")["series"]
            parts = {k: v for k, v in series.items() if k not in ("Total", "Goal")}
            assert len(parts) > 2
            for label, values in parts.items():
                if not label.startswith("Other ("):
                    assert values == [country_cohort_mrr.get((m, label), 0) for m in all_months], label
            assert [sum(v) for v in zip(*parts.values(), strict=True)] == [cents(metrics[m][0]) for m in all_months]
            if screenshots:
                first = closed[max(0, len(closed) - 12)]
                page.show(f"range=custom&from={first}&to={all_months[-1]}&bd=country")
                page.screenshot(f"{screenshots}-breakdown")
            assert page.errors == []
        finally:
            page.close()
