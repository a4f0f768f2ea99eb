"""The dashboard's charts: one plotly figure per chart, from `DashboardData`, in page order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dashboard.kpis import CURRENCY_SYMBOLS
from dashboard.marts import DashboardData, Row

TOP_PRODUCTS = 8  # products shown by name in the revenue-by-product chart; the rest are "other"


def _series(rows: list[Row], column: str, sign: int = 1) -> list[float | None]:
    return [None if r[column] is None else sign * float(r[column]) for r in rows]


def _months(rows: list[Row]) -> list[str]:
    return [r["month_start"].isoformat() for r in rows]


def _layout(fig: Any, data: DashboardData, y_title: str, money: bool = True, **extra: Any) -> Any:
    prefix = CURRENCY_SYMBOLS.get(data.currency, "")
    fig.update_layout(
        template="plotly_white",
        height=360,
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
        hovermode="x unified",
        legend={"orientation": "h", "y": 1.12, "x": 0},
        yaxis={"title": y_title, "tickformat": ",.0f", "tickprefix": prefix if money else "", "zeroline": True},
        xaxis={"type": "date", "tickformat": "%b %Y"},
        **extra,
    )
    if not data.last_month_complete and len(data.metrics) > 1:  # shade the month in progress
        start = data.last_month
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        fig.add_vrect(
            x0=(start - dt.timedelta(days=15)).isoformat(),
            x1=(end - dt.timedelta(days=15)).isoformat(),
            fillcolor="#999",
            opacity=0.12,
            line_width=0,
            annotation_text="in progress",
            annotation_position="top left",
        )
    return fig


Chart = tuple[str, str, Any]  # (id, title, plotly figure)


def build_figures(data: DashboardData) -> list[Chart]:
    """(id, title, plotly figure) per chart, in page order."""
    import plotly.graph_objects as go

    money_hover = f"%{{y:,.{data.exponent}f}} {data.currency}"
    return [
        _mrr(go, data, money_hover),
        _mrr_bridge(go, data, money_hover),
        _revenue(go, data, money_hover),
        _revenue_by_product(go, data, money_hover),
        _deferred(go, data, money_hover),
        _customers(go, data),
    ]


def _mrr(go: Any, data: DashboardData, money_hover: str) -> Chart:
    cur = data.currency
    fig = go.Figure(
        go.Scatter(
            x=_months(data.metrics),
            y=_series(data.metrics, "mrr"),
            name="MRR",
            mode="lines+markers",
            line={"color": "#4c6ef5", "width": 3},
            hovertemplate=money_hover,
        )
    )
    return "mrr", f"MRR over time ({cur}, at month end)", _layout(fig, data, f"MRR ({cur})")


def _mrr_bridge(go: Any, data: DashboardData, money_hover: str) -> Chart:
    cur = data.currency
    bridge = [
        ("new_mrr", "New", 1, "#2f9e44"),
        ("expansion_mrr", "Expansion", 1, "#8ce99a"),
        ("reactivation_mrr", "Reactivation", 1, "#74c0fc"),
        ("contraction_mrr", "Contraction", -1, "#ffa94d"),
        ("churned_mrr", "Churn", -1, "#e03131"),
    ]
    x = _months(data.mrr)
    fig = go.Figure(
        [
            go.Bar(x=x, y=_series(data.mrr, col, sign), name=name, marker_color=color, hovertemplate=money_hover)
            for col, name, sign, color in bridge
        ]
        + [
            go.Scatter(
                x=x,
                y=_series(data.mrr, "net_new_mrr"),
                name="Net new MRR",
                mode="lines+markers",
                line={"color": "#212529", "width": 2},
                hovertemplate=money_hover,
            )
        ]
    )
    return (
        "mrr-bridge",
        f"MRR bridge per month ({cur}): new, expansion, reactivation up; contraction, churn down",
        _layout(fig, data, f"MRR change ({cur})", barmode="relative"),
    )


def _revenue(go: Any, data: DashboardData, money_hover: str) -> Chart:
    cur = data.currency
    months = _months(data.metrics)
    fig = go.Figure(
        [
            go.Bar(x=months, y=_series(data.metrics, "gross_revenue"), name="Gross", marker_color="#4c6ef5"),
            go.Bar(x=months, y=_series(data.metrics, "net_revenue"), name="Net", marker_color="#12b886"),
        ]
    )
    fig.update_traces(hovertemplate=money_hover)
    return (
        "revenue",
        f"Recognised revenue per month ({cur}): gross, and net of contra revenue"
        " (refunds, credit notes, disputes, voids, bad debt)",
        _layout(fig, data, f"Revenue ({cur})", barmode="group"),
    )


def _revenue_by_product(go: Any, data: DashboardData, money_hover: str) -> Chart:
    """The `TOP_PRODUCTS` products of the whole period by name, the rest summed as "other products"."""
    cur = data.currency
    months = _months(data.metrics)
    totals: dict[str, float] = {}
    for r in data.product_revenue:
        totals[r["product"]] = totals.get(r["product"], 0.0) + float(r["net_revenue"] or 0)
    named = sorted(totals, key=lambda p: -totals[p])[:TOP_PRODUCTS]
    by_product: dict[str, dict[str, float]] = {}
    for r in data.product_revenue:
        product = r["product"] if r["product"] in named else "other products"
        cell = by_product.setdefault(product, {})
        month = r["month_start"].isoformat()
        cell[month] = cell.get(month, 0.0) + float(r["net_revenue"] or 0)
    order = [*named, "other products"] if "other products" in by_product else named
    fig = go.Figure(
        [
            go.Bar(x=months, y=[by_product[p].get(m, 0.0) for m in months], name=p, hovertemplate=money_hover)
            for p in order
        ]
    )
    return (
        "revenue-by-product",
        f"Net recognised revenue by product ({cur})",
        _layout(fig, data, f"Net revenue ({cur})", barmode="relative"),
    )


def _deferred(go: Any, data: DashboardData, money_hover: str) -> Chart:
    cur = data.currency
    x = _months(data.deferred)
    fig = go.Figure(
        [
            go.Scatter(
                x=x,
                y=_series(data.deferred, "deferred_balance"),
                name="Deferred balance (month end)",
                mode="lines",
                fill="tozeroy",
                line={"color": "#7950f2"},
            ),
            go.Scatter(x=x, y=_series(data.deferred, "billed"), name="Billed", mode="lines", line={"dash": "dot"}),
            go.Scatter(
                x=x, y=_series(data.deferred, "recognized"), name="Recognised", mode="lines", line={"dash": "dash"}
            ),
        ]
    )
    fig.update_traces(hovertemplate=money_hover)
    return "deferred", f"Deferred revenue: billed, not yet recognised ({cur})", _layout(fig, data, f"Amount ({cur})")


def _customers(go: Any, data: DashboardData) -> Chart:
    months = _months(data.metrics)
    fig = go.Figure(
        [
            go.Bar(x=months, y=_series(data.metrics, "new_customers"), name="New", marker_color="#2f9e44"),
            go.Bar(
                x=months, y=_series(data.metrics, "reactivated_customers"), name="Reactivated", marker_color="#74c0fc"
            ),
            go.Bar(x=months, y=_series(data.metrics, "churned_customers", -1), name="Churned", marker_color="#e03131"),
            go.Scatter(
                x=months,
                y=_series(data.metrics, "active_customers"),
                name="Active (MRR > 0)",
                mode="lines+markers",
                line={"color": "#212529"},
            ),
            go.Scatter(
                x=months,
                y=_series(data.metrics, "paying_customers"),
                name="Paying (revenue > 0)",
                mode="lines",
                line={"color": "#868e96", "dash": "dot"},
            ),
        ]
    )
    return (
        "customers",
        "Customers per month: active, new, reactivated, churned",
        _layout(fig, data, "Customers", money=False, barmode="relative"),
    )
