"""The marts the dashboard reads (schema `revenue_analytics`), read-only, into one `DashboardData`.

The connection is read-only and held only for as long as the queries take (DuckDB allows one
writer: a pipeline run or `dbt build` may follow at once). Every number comes from the marts;
nothing is recomputed here beyond sums over sources. The metric definitions are docs/REFERENCE.md §3
as fct_revenue_metrics implements them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "revenue_analytics"

# the mart columns the dashboard reads: a warehouse lacking one was built by an older version (or not at all)
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_revenue_metrics": (
        "month_start",
        "currency",
        "gross_revenue",
        "net_revenue",
        "mrr",
        "arr",
        "paying_customers",
        "active_customers",
        "customers_at_start",
        "new_customers",
        "reactivated_customers",
        "churned_customers",
        "arpu",
        "customer_churn_rate",
        "ltv",
        "revenue_growth_mom",
        "revenue_growth_3m_avg",
        "mrr_growth_mom",
    ),
    "fct_mrr_monthly": (
        "month_start",
        "new_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churned_mrr",
        "reactivation_mrr",
        "ending_mrr",
        "net_new_mrr",
        "unconverted_customers",
    ),
    "fct_revenue_monthly": ("month_start", "product_id", "product_name", "net_revenue"),
    "fct_deferred_revenue_monthly": ("month_start", "billed", "recognized", "deferred_balance"),
    "fct_top_customers_monthly": (
        "month_start",
        "revenue_rank",
        "source_label",
        "customer_id",
        "customer_name",
        "customer_email",
        "customer_country",
        "gross_revenue",
        "net_revenue",
    ),
}

Row = dict[str, Any]


class DashboardError(Exception):
    """A reason the dashboard cannot be written, phrased for the user (what to run)."""


@dataclass
class DashboardData:
    """What the page shows, read from the marts (amounts in the base currency, major units)."""

    warehouse: str
    currency: str
    exponent: int
    metrics: list[Row]  # fct_revenue_metrics, one row per calendar month
    mrr: list[Row]  # fct_mrr_monthly summed over sources
    deferred: list[Row]  # fct_deferred_revenue_monthly summed over sources
    product_revenue: list[Row]  # fct_revenue_monthly: month, product, net revenue
    top_customers: list[Row]  # fct_top_customers_monthly of the KPI month
    kpi_month: dt.date
    last_month: dt.date
    last_month_complete: bool
    as_of: dt.datetime | None = None
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))


def kpi_month(months: list[dt.date], as_of: dt.datetime | None) -> tuple[dt.date, bool]:
    """The latest complete month and whether the last month of the calendar is complete.

    The marts' calendar ends with the month of the as-of instant (the data's "now"), which is in
    progress unless the as-of instant is its last second. Without the instant, the last month counts
    as in progress. A calendar of one month has no complete month: that month is shown (to date).
    """
    if not months:
        raise DashboardError("the marts have no months: load Stripe data, then run `dbt build`")
    last = months[-1]
    next_month = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    complete = as_of is not None and as_of >= dt.datetime.combine(next_month, dt.time()) - dt.timedelta(seconds=1)
    if complete or len(months) == 1:
        return last, complete
    return months[-2], False


def _missing_marts(con: Any) -> list[str]:
    present: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ?", [SCHEMA]
    ).fetchall():
        present.setdefault(table, set()).add(column)
    missing = []
    for table, columns in REQUIRED_COLUMNS.items():
        if table not in present:
            missing.append(f"{SCHEMA}.{table}")
        else:
            missing.extend(f"{SCHEMA}.{table}.{c}" for c in columns if c not in present[table])
    return missing


def _rows(con: Any, sql: str, params: list[Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _optional_scalar(con: Any, sql: str, params: list[Any] | None = None) -> Any:
    """A value from a relation the dashboard can do without (seed, intermediate table)."""
    import duckdb

    try:
        found = con.execute(sql, params or []).fetchone()
    except duckdb.Error:
        return None
    return found[0] if found else None


# the queries beside fct_revenue_metrics, summed over sources
MRR_SQL = f"""
    select month_start,
           sum(new_mrr) as new_mrr, sum(expansion_mrr) as expansion_mrr,
           sum(reactivation_mrr) as reactivation_mrr, sum(contraction_mrr) as contraction_mrr,
           sum(churned_mrr) as churned_mrr, sum(ending_mrr) as ending_mrr,
           sum(net_new_mrr) as net_new_mrr, sum(unconverted_customers) as unconverted_customers
    from {SCHEMA}.fct_mrr_monthly group by month_start order by month_start
"""
DEFERRED_SQL = f"""
    select month_start, sum(billed) as billed, sum(recognized) as recognized,
           sum(deferred_balance) as deferred_balance
    from {SCHEMA}.fct_deferred_revenue_monthly group by month_start order by month_start
"""
PRODUCT_REVENUE_SQL = f"""
    select month_start, coalesce(product_name, product_id, '(no product)') as product,
           sum(net_revenue) as net_revenue
    from {SCHEMA}.fct_revenue_monthly
    where month_start between ? and ?
    group by all order by month_start, product
"""
TOP_CUSTOMERS_SQL = f"""
    select revenue_rank, source_label, customer_id, customer_name, customer_email, customer_country,
           gross_revenue, net_revenue
    from {SCHEMA}.fct_top_customers_monthly where month_start = ? order by revenue_rank
"""


def load(warehouse: Path | str) -> DashboardData:
    """Read everything the page shows; the connection is read-only and closed before returning."""
    import duckdb

    path = Path(warehouse).expanduser()
    con = _connect(path)
    try:
        return _read(con, path)
    except duckdb.Error as exc:
        raise DashboardError(f"reading the marts in {path} failed: {exc}. Run `dbt build`, then try again") from exc
    finally:
        con.close()


def _connect(path: Path) -> Any:
    """A read-only connection to the warehouse, or a `DashboardError` saying what to do."""
    import duckdb

    if not path.is_file():
        raise DashboardError(
            f"no warehouse at {path}: load Stripe first — `make demo` (a built-in fake account) or "
            "`dlt pipeline stripe run` then `dbt build` — or point --duckdb / DUCKDB_PATH at the warehouse file"
        )
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise DashboardError(
            f"cannot open {path} read-only: {exc}. DuckDB allows one writer per file: if a pipeline run or "
            "`dbt build` is writing it, wait for it to finish (or close the client that holds it), then try again"
        ) from exc


def _read(con: Any, path: Path) -> DashboardData:
    missing = _missing_marts(con)
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        raise DashboardError(
            f"the warehouse {path} lacks the revenue marts ({shown}): run `dbt build` from the repo root "
            f"with DUCKDB_PATH={path} (after changing model SQL: `dbt build --full-refresh`)"
        )
    columns = ", ".join(REQUIRED_COLUMNS["fct_revenue_metrics"])
    metrics = _rows(con, f"select {columns} from {SCHEMA}.fct_revenue_metrics order by month_start")
    if not metrics:
        raise DashboardError(
            f"{SCHEMA}.fct_revenue_metrics in {path} has no months: the warehouse has no invoices or charges "
            "yet — load Stripe data (`dlt pipeline stripe run`), then run `dbt build`"
        )
    months = [r["month_start"] for r in metrics]
    as_of = _optional_scalar(con, "select max(as_of_at) from intermediate.int_months_spanned")
    as_of = as_of if isinstance(as_of, dt.datetime) else None
    chosen, last_complete = kpi_month(months, as_of)
    currency = metrics[-1]["currency"] or "USD"
    exponent = _optional_scalar(
        con, "select exponent from reference.currency_exponents where currency = ?", [currency.upper()]
    )
    return DashboardData(
        warehouse=str(path),
        currency=currency.upper(),
        exponent=int(exponent) if exponent is not None else 2,
        metrics=metrics,
        mrr=_rows(con, MRR_SQL),
        deferred=_rows(con, DEFERRED_SQL),
        product_revenue=_rows(con, PRODUCT_REVENUE_SQL, [months[0], months[-1]]),
        top_customers=_rows(con, TOP_CUSTOMERS_SQL, [chosen]),
        kpi_month=chosen,
        last_month=months[-1],
        last_month_complete=last_complete,
        as_of=as_of,
    )
