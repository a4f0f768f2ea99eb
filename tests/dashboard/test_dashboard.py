"""`stripe-revenue dashboard` on a hand-made warehouse: the mart tables it reads with known rows.

Three months; 2024-03 is the month in progress, so the KPI tiles show 2024-02:
MRR 1,234.50 (two sources: 1,000.00 + 234.50), ARR = 12 × 1,234.50 = 14,814.00, churn rate
1 churned / 8 at start = 12.5%, ARPU 1,500.00 / 6 paying = 250.00, LTV 250 / 0.125 = 2,000.00,
net revenue 1,400.50, revenue growth (1,500 - 1,000) / 1,000 = +50.0%.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import duckdb
import pytest

import cli
from dashboard import (
    DashboardError,
    build_figures,
    format_money,
    format_percent,
    kpi_month,
    load,
    write_dashboard,
)

METRICS_COLUMNS = """
    month_start date, currency varchar, gross_revenue decimal(38,3), net_revenue decimal(38,3),
    mrr decimal(38,3), arr decimal(38,3), paying_customers bigint, active_customers bigint,
    customers_at_start bigint, new_customers bigint, reactivated_customers bigint, churned_customers bigint,
    arpu double, customer_churn_rate double, ltv double, revenue_growth_mom double,
    revenue_growth_3m_avg double, mrr_growth_mom double
"""

MARTS = f"""
create schema revenue_analytics;
create table revenue_analytics.fct_revenue_metrics ({METRICS_COLUMNS});
insert into revenue_analytics.fct_revenue_metrics values
    ('2024-01-01', 'USD', 1000.000, 950.000, 1000.000, 12000.000, 5, 8, 0, 8, 0, 0,
     200.0, null, null, null, null, null),
    ('2024-02-01', 'USD', 1500.000, 1400.500, 1234.500, 14814.000, 6, 9, 8, 1, 1, 1,
     250.0, 0.125, 2000.0, 0.5, 0.5, 0.2345),
    ('2024-03-01', 'USD', 777.000, 770.000, 9876.540, 118518.480, 3, 9, 9, 0, 0, 0,
     259.0, 0.0, null, -0.482, 0.009, 7.0);

create table revenue_analytics.fct_mrr_monthly (
    mrr_monthly_key varchar, month_start date, source_label varchar, currency varchar,
    starting_mrr decimal(38,3), new_mrr decimal(38,3), expansion_mrr decimal(38,3),
    contraction_mrr decimal(38,3), churned_mrr decimal(38,3), reactivation_mrr decimal(38,3),
    ending_mrr decimal(38,3), net_new_mrr decimal(38,3), arr decimal(38,3), unconverted_customers bigint
);
insert into revenue_analytics.fct_mrr_monthly values
    ('stripe:2024-01', '2024-01-01', 'stripe', 'USD', 0, 1000, 0, 0, 0, 0, 1000, 1000, 12000, 0),
    ('stripe:2024-02', '2024-02-01', 'stripe', 'USD', 1000, 100, 50, 20, 130, 0, 1000, 0, 12000, 0),
    ('stripe.eu:2024-02', '2024-02-01', 'stripe.eu', 'USD', 0, 200, 0, 0, 0, 34.5, 234.5, 234.5, 2814, 0),
    ('stripe:2024-03', '2024-03-01', 'stripe', 'USD', 1000, 0, 8876.54, 0, 0, 0, 9876.54, 8876.54, 118518.48, 0);

create table revenue_analytics.fct_revenue_monthly (
    revenue_monthly_key varchar, month_start date, source_label varchar, product_id varchar,
    product_name varchar, currency varchar, gross_revenue decimal(38,3), net_revenue decimal(38,3)
);
insert into revenue_analytics.fct_revenue_monthly values
    ('a', '2024-01-01', 'stripe', 'prod_A', 'Pro', 'USD', 1000, 950),
    ('b', '2024-02-01', 'stripe', 'prod_A', 'Pro', 'USD', 1200, 1100.5),
    ('c', '2024-02-01', 'stripe', null, null, 'USD', 300, 300),
    ('d', '2024-03-01', 'stripe', 'prod_A', 'Pro', 'USD', 777, 770),
    ('e', '2024-09-01', 'stripe', 'prod_A', 'Pro', 'USD', 50, 50);

create table revenue_analytics.fct_deferred_revenue_monthly (
    month_start date, month_end date, source_label varchar, currency varchar,
    billed decimal(38,3), recognized decimal(38,3), deferred_balance decimal(38,3)
);
insert into revenue_analytics.fct_deferred_revenue_monthly values
    ('2024-01-01', '2024-01-31', 'stripe', 'USD', 1200, 100, 1100),
    ('2024-02-01', '2024-02-29', 'stripe', 'USD', 0, 100, 1000),
    ('2024-02-01', '2024-02-29', 'stripe.eu', 'USD', 60, 20, 40),
    ('2024-03-01', '2024-03-31', 'stripe', 'USD', 0, 100, 900);

create table revenue_analytics.fct_top_customers_monthly (
    top_customer_key varchar, month_start date, revenue_rank integer, source_label varchar,
    customer_id varchar, customer_name varchar, customer_email varchar, customer_country varchar,
    currency varchar, gross_revenue decimal(38,3), net_revenue decimal(38,3)
);
insert into revenue_analytics.fct_top_customers_monthly values
    ('k1', '2024-02-01', 1, 'stripe', 'cus_BIG', 'Ada <b>Lovelace</b>', 'ada@example.com', 'GB', 'USD', 900, 880.25),
    ('k2', '2024-02-01', 2, 'stripe.eu', 'cus_EU', null, null, 'FR', 'USD', 600, 520.25),
    ('k3', '2024-03-01', 1, 'stripe', 'cus_MARCH_ONLY', 'March Only', null, 'US', 'USD', 777, 770);
"""


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(MARTS)
    return path


def kpi_tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r'<div class="label">([^<]+)</div><div class="value">([^<]+)</div>', html))


def test_dashboard_is_self_contained_with_hand_computed_kpis(warehouse: Path, tmp_path: Path, capsys) -> None:
    from plotly.offline import get_plotlyjs

    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    out = tmp_path / "site" / "dashboard.html"
    assert cli.main(["dashboard", "--duckdb", str(warehouse), "--output", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")

    # offline: plotly.js inline exactly once, nothing loaded from the network, one plot per chart
    assert html.count(get_plotlyjs()) == 1
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", html, flags=re.IGNORECASE)
    assert html.count("Plotly.newPlot(") == 6
    for chart in ("mrr", "mrr-bridge", "revenue", "revenue-by-product", "deferred", "customers"):
        assert f'id="chart-{chart}"' in html

    assert kpi_tiles(html) == {
        "MRR": "$1,234.50",
        "ARR": "$14,814.00",  # 12 × 1,234.50
        "Paying customers": "6",
        "ARPU": "$250.00",
        "Customer churn rate": "12.5%",  # 1 / 8
        "LTV": "$2,000.00",
        "Net revenue": "$1,400.50",
        "Revenue growth MoM": "+50.0%",
    }
    assert "Key figures for 2024-02, the latest complete month" in html
    assert "2024-03 is in progress" in html
    assert "1 churned of 8 at start" in html

    # top customers of the KPI month only, names escaped, a prefixed source shown with the id
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html and "<b>Lovelace" not in html
    assert "stripe.eu:cus_EU" in html and "$520.25" in html
    assert "cus_MARCH_ONLY" not in html

    # read-only, and closed: the file is unchanged and a writer can open it straight away
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    duckdb.connect(str(warehouse)).close()


def test_figures_sum_sources_and_draw_losses_below_zero(warehouse: Path) -> None:
    figures = {chart_id: fig for chart_id, _title, fig in build_figures(load(warehouse))}
    bridge = {trace.name: list(trace.y) for trace in figures["mrr-bridge"].data}
    assert bridge["New"] == [1000.0, 300.0, 0.0]  # February: 100 + 200 over two sources
    assert bridge["Reactivation"] == [0.0, 34.5, 0.0]
    assert bridge["Contraction"] == [-0.0, -20.0, -0.0]
    assert bridge["Churn"] == [-0.0, -130.0, -0.0]
    assert bridge["Net new MRR"] == [1000.0, 234.5, 8876.54]
    assert figures["mrr"].data[0].y == (1000.0, 1234.5, 9876.54)
    assert figures["mrr-bridge"].layout.barmode == "relative"
    deferred = {trace.name: list(trace.y) for trace in figures["deferred"].data}
    assert deferred["Deferred balance (month end)"] == [1100.0, 1040.0, 900.0]
    revenue = {trace.name: list(trace.y) for trace in figures["revenue"].data}
    assert revenue == {"Gross": [1000.0, 1500.0, 777.0], "Net": [950.0, 1400.5, 770.0]}
    products = {trace.name: list(trace.y) for trace in figures["revenue-by-product"].data}
    assert products == {"Pro": [950.0, 1100.5, 770.0], "(no product)": [0.0, 300.0, 0.0]}  # September: not shown
    customers = {trace.name: list(trace.y) for trace in figures["customers"].data}
    assert customers["Churned"] == [-0.0, -1.0, -0.0]
    assert customers["Active (MRR > 0)"] == [8.0, 9.0, 9.0]


def test_missing_warehouse_says_how_to_make_one(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere.duckdb"
    out = tmp_path / "dashboard.html"
    assert cli.main(["dashboard", "--duckdb", str(missing), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no warehouse at")
    assert "make demo" in err and "dlt pipeline stripe run" in err
    assert not missing.exists() and not out.exists()


@pytest.mark.parametrize(
    ("setup", "named"),
    [
        ("create schema stripe_raw; create table stripe_raw.charge (id varchar)", "fct_revenue_metrics"),
        (MARTS + "alter table revenue_analytics.fct_revenue_metrics drop column ltv;", "fct_revenue_metrics.ltv"),
    ],
    ids=["no-marts", "older-marts"],
)
def test_missing_marts_say_run_dbt_build(tmp_path: Path, setup: str, named: str, capsys) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(setup)
    out = tmp_path / "dashboard.html"
    assert cli.main(["dashboard", "--duckdb", str(path), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert "run `dbt build`" in err and named in err
    assert not out.exists()


def test_empty_marts_are_an_error_not_an_empty_page(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(MARTS + "delete from revenue_analytics.fct_revenue_metrics;")
    with pytest.raises(DashboardError, match="has no months"):
        write_dashboard(path, tmp_path / "dashboard.html")


def test_kpi_month_is_the_latest_complete_month() -> None:
    months = [dt.date(2024, 1, 1), dt.date(2024, 2, 1)]
    assert kpi_month(months, None) == (dt.date(2024, 1, 1), False)
    assert kpi_month(months, dt.datetime(2024, 2, 29, 23, 59, 58)) == (dt.date(2024, 1, 1), False)
    assert kpi_month(months, dt.datetime(2024, 2, 29, 23, 59, 59)) == (dt.date(2024, 2, 1), True)
    assert kpi_month(months[:1], None) == (dt.date(2024, 1, 1), False)  # one month: shown to date
    with pytest.raises(DashboardError):
        kpi_month([], None)


def test_formatting() -> None:
    assert format_money(1234.5, "USD") == "$1,234.50"
    assert format_money(-12, "EUR") == "-€12.00"
    assert format_money(-0.001, "USD") == "$0.00"
    assert format_money(1500, "JPY", 0) == "¥1,500"
    assert format_money(1.25, "KWD", 3) == "KWD 1.250"
    assert format_money(None, "USD") == "—"
    assert format_percent(0.125) == "12.5%"
    assert format_percent(-0.482, signed=True) == "-48.2%"
    assert format_percent(None) == "—"
