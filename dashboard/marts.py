"""The marts the dashboard reads (schema `revenue_analytics`), through any DB-API connection, into `Marts`.

Plain portable SQL only (no parameters, no engine functions beyond `cast`, `sum`, `count`, `max`;
`group by` / `order by` ordinals), so the same queries run on DuckDB, Postgres and Spark, and every
list is ordered, so the page is the same on every engine (tests/dashboard/test_postgres.py). The
caller opens the connection (read-only; `ingestion.destination.connect_read_only` for the configured
warehouse) and closes it. Rows come back as the mart holds them; `dataset.py` folds them into the page's aggregates.
Amounts are read in integer minor units of the base currency, so every sum on the page is exact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "revenue_analytics"

# the relations and columns the page needs: a warehouse lacking one was built by an older version
REQUIRED: dict[str, tuple[str, ...]] = {
    "dim_months": ("month_start", "month_status", "as_of_at"),
    "dim_customers": (
        "source_label",
        "customer_id",
        "name",
        "email",
        "metadata",
        "country",
        "cohort",
        "initial_coupon",
    ),
    "dim_products": ("source_label", "product_id", "name"),
    "fct_revenue_items": (
        "source_label",
        "customer_id",
        "product_id",
        "recognized_at",
        "revenue_type",
        "is_gross",
        "amount_minor",
        "synced_at",
    ),
    "fct_mrr_movements": (
        "month_start",
        "source_label",
        "customer_id",
        "movement",
        "starting_mrr_minor",
        "new_mrr_minor",
        "expansion_mrr_minor",
        "contraction_mrr_minor",
        "churned_mrr_minor",
        "reactivation_mrr_minor",
        "fx_mrr_minor",
        "ending_mrr_minor",
    ),
    "fct_mrr_monthly": ("month_start", "ending_mrr", "fx_mrr"),
    "fct_subscriptions_customer_monthly": (
        "month_start",
        "source_label",
        "customer_id",
        "active_subscriptions",
        "trialing_subscriptions",
        "new_subscriptions",
        "churned_subscriptions",
    ),
    "fct_deferred_revenue_monthly": (
        "month_start",
        "source_label",
        "billed_minor",
        "recognized_minor",
        "cleared_minor",
        "deferred_balance_minor",
    ),
    "fct_revenue_metrics": (
        "month_start",
        "currency",
        "gross_revenue",
        "net_revenue",
        "mrr",
        "paying_customers",
        "active_customers",
        "subscriber_churn_rate",
        "mrr_churn_rate",
        "net_mrr_churn_rate",
        "net_mrr_retention",
        "churned_revenue",
    ),
}
# persons and groups (tag `persons`): shown when built, left out otherwise
OPTIONAL: dict[str, tuple[str, ...]] = {
    "dim_customer_persons": ("source_label", "customer_id", "person_id"),
    "dim_customer_groups": ("source_label", "customer_id", "group_key", "group_name"),
    "persons_revenue_analytics": (
        "person_id",
        "revenue_minor",
        "revenue_last_30_days_minor",
        "mrr_minor",
        "customer_count",
    ),
    "groups_revenue_analytics": (
        "group_type",
        "group_key",
        "name",
        "revenue_minor",
        "revenue_last_30_days_minor",
        "mrr_minor",
        "customer_count",
    ),
}

# minor units per major unit when the warehouse has no currency_exponents seed (D3)
EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3}

Row = tuple[Any, ...]


class DashboardError(Exception):
    """A reason the dashboard cannot be written, phrased for the user (what to run)."""


@dataclass
class Marts:
    """What the page is made of: rows of the marts, as tuples in the order of each query's columns."""

    currency: str
    exponent: int
    months: list[dt.date]  # the reporting calendar (dim_months), oldest first
    in_progress: dt.date | None  # the month of the as-of instant, when it is not over
    as_of: dt.datetime | None
    synced_at: dt.datetime | None  # the latest sync of the revenue rows (data age)
    customers: list[Row]  # source_label, customer_id, name, email, metadata, country, cohort, initial_coupon
    persons: dict[tuple[str, str], str]  # (source, customer) -> person_id
    groups: dict[tuple[str, str], tuple[str, str | None]]  # (source, customer) -> (group_key, group name)
    products: dict[tuple[str, str], str]  # (source, product) -> name
    revenue: list[Row]  # day, source_label, customer_id, product_id, revenue_type, is_gross, amount_minor
    mrr: list[Row]  # month, source_label, customer_id, movement, start, new, exp, contr, churn, react, fx, end
    subscriptions: list[Row]  # month, source_label, customer_id, active, trialing, new, churned
    deferred: list[Row]  # month, source_label, billed, recognized, cleared, balance (minor)
    metrics: list[dict[str, Any]]  # fct_revenue_metrics, one per month: the totals the page must reproduce
    mrr_monthly: list[Row]  # month, ending_mrr, fx_mrr summed over sources (fct_mrr_monthly)
    person_revenue: list[Row] = field(default_factory=list)  # person_id, revenue, last 30 days, mrr, customers
    group_revenue: list[Row] = field(default_factory=list)  # type, key, name, revenue, last 30 days, mrr, customers


def _query(con: Any, sql: str) -> tuple[list[str], list[Row]]:
    cursor = con.cursor()
    try:
        cursor.execute(sql)
        names = [d[0] for d in cursor.description]
        return names, [tuple(r) for r in cursor.fetchall()]
    finally:
        cursor.close()


def _columns(con: Any, table: str) -> set[str] | None:
    """The relation's columns (`select * ... where 1 = 0` works on every engine), None when it is missing."""
    try:
        names, _ = _query(con, f"select * from {SCHEMA}.{table} where 1 = 0")
    except Exception:  # the driver's "no such table"; each engine names it differently
        _rollback(con)
        return None
    return {n.lower() for n in names}


def _rollback(con: Any) -> None:
    """A failed statement aborts a Postgres transaction; read-only sessions are autocommit, this is a guard."""
    with contextlib.suppress(Exception):
        con.rollback()


def _missing(con: Any, wanted: dict[str, tuple[str, ...]]) -> list[str]:
    missing = []
    for table, columns in wanted.items():
        present = _columns(con, table)
        if present is None:
            missing.append(f"{SCHEMA}.{table}")
        else:
            missing.extend(f"{SCHEMA}.{table}.{c}" for c in columns if c not in present)
    return missing


def _scalar(con: Any, sql: str) -> Any:
    try:
        rows = _query(con, sql)[1]
    except Exception:
        _rollback(con)
        return None
    return rows[0][0] if rows else None


def _naive_utc(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str) and value:
        return _naive_utc(dt.datetime.fromisoformat(value))
    return None


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def read_marts(con: Any, where: str = "the warehouse") -> Marts:
    """Everything the page shows, read through the DB-API connection `con` (not closed here).

    `where` names the warehouse in messages (a file name or a Postgres URL without password)."""
    missing = _missing(con, REQUIRED)
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        raise DashboardError(
            f"{where} lacks the revenue marts ({shown}): run `dbt build` from the repo root against it "
            "(after changing model SQL or upgrading: `dbt build --full-refresh`)"
        )
    try:
        return _read(con, where)
    except DashboardError:
        raise
    except Exception as exc:
        raise DashboardError(f"reading the marts in {where} failed: {exc}. Run `dbt build`, then try again") from exc


def _read(con: Any, where: str) -> Marts:
    s = SCHEMA
    _, calendar = _query(con, f"select month_start, month_status, as_of_at from {s}.dim_months order by 1")
    if not calendar:
        raise DashboardError(
            f"{s}.dim_months in {where} has no months: the warehouse has no invoices or charges yet — load Stripe "
            "data (`dlt pipeline stripe run`), then run `dbt build`"
        )
    months = [_date(r[0]) for r in calendar]
    in_progress = next((_date(r[0]) for r in calendar if r[1] == "in_progress"), None)
    as_of = _naive_utc(max((r[2] for r in calendar if r[2] is not None), default=None))
    names, metric_rows = _query(con, f"select * from {s}.fct_revenue_metrics order by month_start")
    metrics = [dict(zip([n.lower() for n in names], r, strict=True)) for r in metric_rows]
    currency = str((metrics[-1]["currency"] if metrics else None) or "USD").upper()
    exponent = _scalar(con, f"select exponent from reference.currency_exponents where currency = '{currency}'")
    optional_missing = set(_missing(con, OPTIONAL))
    persons: dict[tuple[str, str], str] = {}
    if f"{s}.dim_customer_persons" not in optional_missing:
        persons = {
            (r[0], r[1]): r[2]
            for r in _query(
                con, f"select source_label, customer_id, person_id from {s}.dim_customer_persons order by 1, 2"
            )[1]
            if r[2] is not None
        }
    groups: dict[tuple[str, str], tuple[str, str | None]] = {}
    if f"{s}.dim_customer_groups" not in optional_missing:
        sql = f"select source_label, customer_id, group_key, group_name from {s}.dim_customer_groups order by 1, 2"
        groups = {(r[0], r[1]): (r[2], r[3]) for r in _query(con, sql)[1] if r[2] is not None}
    return Marts(
        currency=currency,
        exponent=int(exponent) if exponent is not None else EXPONENTS.get(currency, 2),
        months=months,
        in_progress=in_progress,
        as_of=as_of,
        synced_at=_naive_utc(_scalar(con, f"select max(synced_at) from {s}.fct_revenue_items")),
        customers=_query(
            con,
            f"select source_label, customer_id, name, email, metadata, country, cohort, initial_coupon "
            f"from {s}.dim_customers order by 1, 2",
        )[1],
        persons=persons,
        groups=groups,
        products={
            (r[0], r[1]): r[2]
            for r in _query(con, f"select source_label, product_id, name from {s}.dim_products order by 1, 2")[1]
        },
        revenue=_query(
            con,
            f"select cast(recognized_at as date), source_label, customer_id, product_id, revenue_type, is_gross, "
            f"sum(amount_minor) from {s}.fct_revenue_items group by 1, 2, 3, 4, 5, 6 order by 1, 2, 3, 4, 5, 6",
        )[1],
        mrr=_query(
            con,
            f"select month_start, source_label, customer_id, movement, starting_mrr_minor, new_mrr_minor, "
            f"expansion_mrr_minor, contraction_mrr_minor, churned_mrr_minor, reactivation_mrr_minor, fx_mrr_minor, "
            f"ending_mrr_minor from {s}.fct_mrr_movements order by 1, 2, 3",
        )[1],
        subscriptions=_query(
            con,
            f"select month_start, source_label, customer_id, active_subscriptions, trialing_subscriptions, "
            f"new_subscriptions, churned_subscriptions from {s}.fct_subscriptions_customer_monthly order by 1, 2, 3",
        )[1],
        deferred=_query(
            con,
            f"select month_start, source_label, billed_minor, recognized_minor, cleared_minor, deferred_balance_minor "
            f"from {s}.fct_deferred_revenue_monthly order by 1, 2",
        )[1],
        metrics=metrics,
        mrr_monthly=_query(
            con, f"select month_start, sum(ending_mrr), sum(fx_mrr) from {s}.fct_mrr_monthly group by 1 order by 1"
        )[1],
        person_revenue=[]
        if f"{s}.persons_revenue_analytics" in optional_missing
        else _query(
            con,
            f"select person_id, revenue_minor, revenue_last_30_days_minor, mrr_minor, customer_count "
            f"from {s}.persons_revenue_analytics order by 1",
        )[1],
        group_revenue=[]
        if f"{s}.groups_revenue_analytics" in optional_missing
        else _query(
            con,
            f"select group_type, group_key, name, revenue_minor, revenue_last_30_days_minor, mrr_minor, customer_count "
            f"from {s}.groups_revenue_analytics order by 1, 2",
        )[1],
    )
