"""The revenue dashboard: reads the dbt marts read-only and renders one self-contained HTML page.

    marts.py    the marts it reads, into `DashboardData` (read-only, briefly: DuckDB has one writer)
    kpis.py     the KPI tiles of the latest complete month; how numbers are written
    charts.py   one plotly figure per chart
    page.py     the page (`page.html`, plotly.js inline) and `write_dashboard`

It reads the warehouse only, never the ingestion; `stripe-revenue dashboard` (cli/dashboard.py) and
the demo call `write_dashboard`.
"""

from dashboard.charts import build_figures
from dashboard.kpis import Kpi, format_count, format_money, format_percent, kpis
from dashboard.marts import DashboardData, DashboardError, kpi_month, load
from dashboard.page import render_html, write_dashboard

__all__ = [
    "DashboardData",
    "DashboardError",
    "Kpi",
    "build_figures",
    "format_count",
    "format_money",
    "format_percent",
    "kpi_month",
    "kpis",
    "load",
    "render_html",
    "write_dashboard",
]
