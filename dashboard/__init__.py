"""The revenue dashboard: reads the dbt marts through a read-only connection and writes one self-contained page.

    marts.py      the marts it reads, through any DB-API connection (DuckDB, Postgres, Spark), into `Marts`
    config.py     the settings file: goals, test customers
    dataset.py    the marts folded into the compact aggregates the page filters and regroups
    page.py       the page (`page.html`, `app.js`, Chart.js inline) and `write_dashboard`

It reads the warehouse only, never the ingestion; `stripe-revenue dashboard` (cli/dashboard.py) opens
the connection and calls `write_dashboard`, and so does the demo.
"""

from dashboard.config import DashboardSettings, SettingsError, load_settings
from dashboard.dataset import build_dataset, check_totals
from dashboard.marts import DashboardError, Marts, read_marts
from dashboard.page import render_html, write_dashboard

__all__ = [
    "DashboardError",
    "DashboardSettings",
    "Marts",
    "SettingsError",
    "build_dataset",
    "check_totals",
    "load_settings",
    "read_marts",
    "render_html",
    "write_dashboard",
]
