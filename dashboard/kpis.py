"""The KPI tiles of the latest complete month, and how amounts, percentages and counts are written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from dashboard.marts import DashboardData

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    detail: str


def month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def format_money(value: Decimal | float | None, currency: str, exponent: int = 2) -> str:
    """`$1,234.50`, `-€12.00`, `¥1,500`, `KWD 1.250`; an em dash for no value."""
    if value is None:
        return "—"
    number = f"{abs(value):,.{max(exponent, 0)}f}"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    text = f"{symbol}{number}" if symbol else f"{currency.upper()} {number}"
    return f"-{text}" if value < 0 and float(number.replace(",", "")) != 0 else text


def format_percent(value: float | None, signed: bool = False) -> str:
    """A ratio as a percentage with one decimal: 0.125 → `12.5%` (`+12.5%` when signed)."""
    if value is None:
        return "—"
    return f"{value * 100:+.1f}%" if signed else f"{value * 100:.1f}%"


def format_count(value: int | None) -> str:
    return "—" if value is None else f"{int(value):,}"


def kpis(data: DashboardData) -> list[Kpi]:
    """The KPI tiles of `data.kpi_month`, straight from fct_revenue_metrics."""
    row = next(r for r in data.metrics if r["month_start"] == data.kpi_month)
    money = lambda v: format_money(v, data.currency, data.exponent)  # noqa: E731
    churn = row["customer_churn_rate"]
    return [
        Kpi("MRR", money(row["mrr"]), f"{format_percent(row['mrr_growth_mom'], signed=True)} vs previous month"),
        Kpi("ARR", money(row["arr"]), "12 × MRR"),
        Kpi(
            "Paying customers",
            format_count(row["paying_customers"]),
            f"{format_count(row['active_customers'])} with MRR at month end",
        ),
        Kpi("ARPU", money(row["arpu"]), "gross revenue / paying customers"),
        Kpi(
            "Customer churn rate",
            format_percent(churn),
            f"{format_count(row['churned_customers'])} churned of {format_count(row['customers_at_start'])} at start",
        ),
        Kpi("LTV", money(row["ltv"]), "ARPU / churn rate" if churn else "undefined: no churn this month"),
        Kpi("Net revenue", money(row["net_revenue"]), f"gross {money(row['gross_revenue'])}"),
        Kpi(
            "Revenue growth MoM",
            format_percent(row["revenue_growth_mom"], signed=True),
            f"3-month average {format_percent(row['revenue_growth_3m_avg'], signed=True)}",
        ),
    ]
