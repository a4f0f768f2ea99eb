"""`stripe-revenue dashboard`: the revenue dashboard as one self-contained HTML file.

Reads the dbt marts (schema `revenue_analytics`) from the DuckDB warehouse, read-only and only for
as long as the queries take (DuckDB allows one writer: a pipeline run or `dbt build` may follow at
once), and writes one HTML page that works offline: plotly.js is embedded once, no CDN.

query (`load`) → pure helpers (`kpi_month`, `kpis`, formatting) → figures (`build_figures`) → HTML
(`render_html`). Every number comes from the marts; nothing is recomputed here beyond sums over
sources. The metric definitions are docs/REFERENCE.md §3 as fct_revenue_metrics implements them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = "revenue_analytics"
TOP_PRODUCTS = 8  # products shown by name in the revenue-by-product chart; the rest are "other"

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

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

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


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    detail: str


# ---------------------------------------------------------------------------------------------- helpers


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


# ---------------------------------------------------------------------------------------------- query


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


def load(warehouse: Path | str) -> DashboardData:
    """Read everything the page shows; the connection is read-only and closed before returning."""
    import duckdb

    path = Path(warehouse).expanduser()
    if not path.is_file():
        raise DashboardError(
            f"no warehouse at {path}: load Stripe first — `make demo` (a built-in fake account) or "
            "`dlt pipeline stripe run` then `dbt build` — or point --duckdb / DUCKDB_PATH at the warehouse file"
        )
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise DashboardError(
            f"cannot open {path} read-only: {exc}. DuckDB allows one writer per file: if a pipeline run or "
            "`dbt build` is writing it, wait for it to finish (or close the client that holds it), then try again"
        ) from exc
    try:
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
        first, last = months[0], months[-1]
        as_of = _optional_scalar(con, "select max(as_of_at) from intermediate.int_months_spanned")
        chosen, last_complete = kpi_month(months, as_of if isinstance(as_of, dt.datetime) else None)
        currency = metrics[-1]["currency"] or "USD"
        exponent = _optional_scalar(
            con, "select exponent from reference.currency_exponents where currency = ?", [currency.upper()]
        )
        mrr = _rows(
            con,
            f"""
            select month_start,
                   sum(new_mrr) as new_mrr, sum(expansion_mrr) as expansion_mrr,
                   sum(reactivation_mrr) as reactivation_mrr, sum(contraction_mrr) as contraction_mrr,
                   sum(churned_mrr) as churned_mrr, sum(ending_mrr) as ending_mrr,
                   sum(net_new_mrr) as net_new_mrr, sum(unconverted_customers) as unconverted_customers
            from {SCHEMA}.fct_mrr_monthly group by month_start order by month_start
            """,
        )
        deferred = _rows(
            con,
            f"""
            select month_start, sum(billed) as billed, sum(recognized) as recognized,
                   sum(deferred_balance) as deferred_balance
            from {SCHEMA}.fct_deferred_revenue_monthly group by month_start order by month_start
            """,
        )
        product_revenue = _rows(
            con,
            f"""
            select month_start, coalesce(product_name, product_id, '(no product)') as product,
                   sum(net_revenue) as net_revenue
            from {SCHEMA}.fct_revenue_monthly
            where month_start between ? and ?
            group by all order by month_start, product
            """,
            [first, last],
        )
        top_customers = _rows(
            con,
            f"""
            select revenue_rank, source_label, customer_id, customer_name, customer_email, customer_country,
                   gross_revenue, net_revenue
            from {SCHEMA}.fct_top_customers_monthly where month_start = ? order by revenue_rank
            """,
            [chosen],
        )
    except duckdb.Error as exc:
        raise DashboardError(f"reading the marts in {path} failed: {exc}. Run `dbt build`, then try again") from exc
    finally:
        con.close()
    return DashboardData(
        warehouse=str(path),
        currency=currency.upper(),
        exponent=int(exponent) if exponent is not None else 2,
        metrics=metrics,
        mrr=mrr,
        deferred=deferred,
        product_revenue=product_revenue,
        top_customers=top_customers,
        kpi_month=chosen,
        last_month=last,
        last_month_complete=last_complete,
        as_of=as_of if isinstance(as_of, dt.datetime) else None,
    )


# ---------------------------------------------------------------------------------------------- figures


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


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


def build_figures(data: DashboardData) -> list[tuple[str, str, Any]]:
    """(id, title, plotly figure) per chart, in page order."""
    import plotly.graph_objects as go

    cur = data.currency
    money_hover = f"%{{y:,.{data.exponent}f}} {cur}"
    figures: list[tuple[str, str, Any]] = []

    months = _months(data.metrics)
    fig = go.Figure(
        go.Scatter(
            x=months,
            y=_series(data.metrics, "mrr"),
            name="MRR",
            mode="lines+markers",
            line={"color": "#4c6ef5", "width": 3},
            hovertemplate=money_hover,
        )
    )
    figures.append(("mrr", f"MRR over time ({cur}, at month end)", _layout(fig, data, f"MRR ({cur})")))

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
    figures.append(
        (
            "mrr-bridge",
            f"MRR bridge per month ({cur}): new, expansion, reactivation up; contraction, churn down",
            _layout(fig, data, f"MRR change ({cur})", barmode="relative"),
        )
    )

    fig = go.Figure(
        [
            go.Bar(x=months, y=_series(data.metrics, "gross_revenue"), name="Gross", marker_color="#4c6ef5"),
            go.Bar(x=months, y=_series(data.metrics, "net_revenue"), name="Net", marker_color="#12b886"),
        ]
    )
    fig.update_traces(hovertemplate=money_hover)
    figures.append(
        (
            "revenue",
            f"Recognised revenue per month ({cur}): gross, and net of contra revenue"
            " (refunds, credit notes, disputes, voids, bad debt)",
            _layout(fig, data, f"Revenue ({cur})", barmode="group"),
        )
    )

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
    figures.append(
        (
            "revenue-by-product",
            f"Net recognised revenue by product ({cur})",
            _layout(fig, data, f"Net revenue ({cur})", barmode="relative"),
        )
    )

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
    figures.append(
        (
            "deferred",
            f"Deferred revenue: billed, not yet recognised ({cur})",
            _layout(fig, data, f"Amount ({cur})"),
        )
    )

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
    figures.append(
        (
            "customers",
            "Customers per month: active, new, reactivated, churned",
            _layout(fig, data, "Customers", money=False, barmode="relative"),
        )
    )
    return figures


# ---------------------------------------------------------------------------------------------- HTML

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Revenue dashboard — {{ kpi_month }}</title>
<style>
  body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0;
         background: #f4f5f7; color: #212529; }
  header { background: #fff; padding: 18px 28px; border-bottom: 1px solid #dee2e6; }
  header h1 { margin: 0 0 4px; font-size: 22px; }
  header p { margin: 0; color: #6c757d; font-size: 13px; }
  main { padding: 20px 28px; max-width: 1400px; margin: 0 auto; }
  .kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 14px; }
  .kpi { background: #fff; border: 1px solid #dee2e6; border-radius: 8px; padding: 14px 16px; }
  .kpi .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #6c757d; }
  .kpi .value { font-size: 26px; font-weight: 600; margin: 6px 0 4px; }
  .kpi .detail { font-size: 12px; color: #6c757d; }
  /* auto-fill, not auto-fit: each chart is drawn as the page parses, when later cards do not exist yet */
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 14px;
            margin-top: 18px; }
  section.card { background: #fff; border: 1px solid #dee2e6; border-radius: 8px; padding: 12px 14px; }
  section.card h2 { font-size: 15px; margin: 2px 0 6px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { padding: 6px 8px; border-bottom: 1px solid #e9ecef; text-align: left; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .note { background: #fff3bf; border: 1px solid #ffe066; border-radius: 6px; padding: 8px 12px;
          margin-bottom: 14px; font-size: 13px; }
  footer { color: #868e96; font-size: 12px; padding: 0 28px 24px; text-align: center; }
</style>
<script type="text/javascript">{{ plotly_js }}</script>
</head>
<body>
<header>
  <h1>Revenue dashboard</h1>
  <p>Key figures for {{ kpi_month }}, the latest complete month{% if not last_month_complete %}
     ({{ last_month }} is in progress){% endif %} · amounts in {{ currency }} (dbt var base_currency)
     {% if as_of %}· data as of {{ as_of }} UTC{% endif %}</p>
</header>
<main>
{% for note in notes %}<div class="note">{{ note }}</div>
{% endfor %}
<div class="kpis">
{% for kpi in kpis %}  <div class="kpi"><div class="label">{{ kpi.label }}</div><div class="value">{{ kpi.value }}</div>
    <div class="detail">{{ kpi.detail }}</div></div>
{% endfor %}</div>
<div class="charts">
{% for chart in charts %}<section class="card" id="{{ chart.id }}"><h2>{{ chart.title }}</h2>
{{ chart.html }}
</section>
{% endfor %}</div>
<section class="card" id="top-customers" style="margin-top: 18px">
  <h2>Top customers in {{ kpi_month }} by net recognised revenue ({{ currency }})</h2>
  {% if top_customers %}<table>
    <thead><tr><th class="num">#</th><th>Customer</th><th>Email</th><th>Country</th><th>Customer id</th>
      <th class="num">Gross revenue</th><th class="num">Net revenue</th></tr></thead>
    <tbody>
    {% for c in top_customers %}<tr><td class="num">{{ c.rank }}</td><td>{{ c.name }}</td><td>{{ c.email }}</td>
      <td>{{ c.country }}</td><td>{{ c.customer_id }}</td><td class="num">{{ c.gross }}</td>
      <td class="num">{{ c.net }}</td></tr>
    {% endfor %}</tbody>
  </table>{% else %}<p>No customer revenue in {{ kpi_month }}.</p>{% endif %}
</section>
</main>
<footer>stripe-revenue dashboard · {{ warehouse }} · written {{ generated_at }} UTC ·
  marts: schema {{ schema }} (fct_revenue_metrics, fct_mrr_monthly, fct_revenue_monthly,
  fct_deferred_revenue_monthly, fct_top_customers_monthly)</footer>
</body>
</html>
"""


def render_html(data: DashboardData) -> str:
    """The whole page: plotly.js inline once, then one div per figure drawing with it."""
    import jinja2
    from plotly.offline import get_plotlyjs

    money = lambda v: format_money(v, data.currency, data.exponent)  # noqa: E731
    config = {"displaylogo": False, "responsive": True}
    charts = [
        {
            "id": chart_id,
            "title": title,
            "html": jinja2.utils.markupsafe.Markup(
                fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{chart_id}", config=config)
            ),
        }
        for chart_id, title, fig in build_figures(data)
    ]
    notes = []
    unconverted = sum(int(r["unconverted_customers"] or 0) for r in data.mrr if r["month_start"] == data.kpi_month)
    if unconverted:
        notes.append(
            f"In {month_label(data.kpi_month)} the MRR of {unconverted} customer(s) has no exchange rate to "
            f"{data.currency} and is left out of MRR (`stripe-revenue run --extra-exchange-rates` supplies "
            "rates the ECB does not publish)."
        )
    top = [
        {
            "rank": r["revenue_rank"],
            "name": r["customer_name"] or "",
            "email": r["customer_email"] or "",
            "country": r["customer_country"] or "",
            "customer_id": r["customer_id"]
            if r["source_label"] in (None, "stripe")
            else f"{r['source_label']}:{r['customer_id']}",
            "gross": money(r["gross_revenue"]),
            "net": money(r["net_revenue"]),
        }
        for r in data.top_customers
    ]
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(TEMPLATE).render(
        plotly_js=jinja2.utils.markupsafe.Markup(get_plotlyjs()),
        kpi_month=month_label(data.kpi_month),
        last_month=month_label(data.last_month),
        last_month_complete=data.last_month_complete,
        currency=data.currency,
        as_of=data.as_of.strftime("%Y-%m-%d %H:%M") if data.as_of else None,
        notes=notes,
        kpis=kpis(data),
        charts=charts,
        top_customers=top,
        warehouse=data.warehouse,
        generated_at=data.generated_at.strftime("%Y-%m-%d %H:%M"),
        schema=SCHEMA,
    )


def write_dashboard(warehouse: Path | str, output: Path | str) -> Path:
    """Read the marts, write the page; returns the absolute path written."""
    html = render_html(load(warehouse))
    out = Path(output).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)  # a browser reloading the page never sees half a file
    return out


# ---------------------------------------------------------------------------------------------- CLI


def default_warehouse() -> str:
    return os.environ.get("DUCKDB_PATH") or str(ROOT / "warehouse.duckdb")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    p = sub.add_parser(
        "dashboard",
        help="write the revenue dashboard (one self-contained HTML file) from the dbt marts",
        description="Reads the revenue marts (after `dbt build`) read-only and writes one HTML page that works "
        "offline: KPIs of the latest complete month, MRR and its bridge, recognised and deferred revenue, "
        "customers, top customers.",
    )
    p.add_argument("--output", "-o", default="dashboard.html", help="HTML file to write (default: dashboard.html)")
    p.add_argument(
        "--duckdb",
        default=None,
        metavar="PATH",
        help="the warehouse file (default: $DUCKDB_PATH, else warehouse.duckdb at the repo root)",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    try:
        out = write_dashboard(args.duckdb or default_warehouse(), args.output)
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"dashboard written to {out}")
    return 0
