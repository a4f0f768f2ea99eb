"""The page: `page.html` with the data, Chart.js and `app.js` inline (one file, works offline); `write_dashboard`.

Chart.js (MIT, vendor/chart.umd.min.js, licence beside it) rather than plotly.js: the whole page of
the demo account is ~0.8 MB and draws in a few hundred milliseconds, where plotly.js alone was
4.8 MB (its basic partial bundle 1.1 MB) and drew the same charts 2.5x slower (DECISIONS.md V1).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from dashboard.config import DashboardSettings
from dashboard.dataset import build_dataset, check_totals
from dashboard.marts import SCHEMA, Marts, read_marts

HERE = Path(__file__).parent
TEMPLATE = HERE / "page.html"  # Jinja, autoescaped
APP = HERE / "app.js"
CHARTJS = HERE / "vendor" / "chart.umd.min.js"
STALE_AFTER = dt.timedelta(hours=26)  # as `dbt source freshness` warns (models/staging/_stripe__sources.yml)

CHARTS = (
    ("mrr", "MRR at month end"),
    ("mrr-bridge", "MRR bridge per month"),
    ("revenue", "Recognised revenue"),
    ("growth", "Revenue growth month over month"),
    ("customers", "Customers"),
    ("subscriptions", "Subscriptions"),
    ("rates", "Churn and retention rates"),
    ("deferred", "Deferred revenue"),
)
MARTS_READ = (
    "dim_months, dim_customers, dim_products, fct_revenue_items, fct_mrr_movements, fct_mrr_monthly, "
    "fct_subscriptions_customer_monthly, fct_deferred_revenue_monthly, fct_revenue_metrics, persons and groups"
)


def _notes(marts: Marts, dataset: dict[str, Any], generated_at: dt.datetime) -> list[str]:
    notes = []
    problems = check_totals(dataset, marts)
    if problems:
        shown = "; ".join(problems[:4]) + (f" and {len(problems) - 4} more months" if len(problems) > 4 else "")
        notes.append(
            f"The page's totals differ from fct_revenue_metrics in {shown}: the marts were built at different "
            "times. Run `dbt build`, then write the page again."
        )
    latest = len(marts.months) - 1
    unconverted = sum(c for m, c in zip(dataset["mrr"]["m"], dataset["mrr"]["uc"], strict=True) if m == latest)
    if unconverted:
        notes.append(
            f"The MRR of {unconverted} customer(s) has no exchange rate to {marts.currency} and is left out of MRR "
            "(`stripe-revenue run --extra-exchange-rates` supplies rates the ECB does not publish)."
        )
    if marts.synced_at and generated_at - marts.synced_at > STALE_AFTER:
        age = generated_at - marts.synced_at
        notes.append(
            f"The latest sync is {age.days} day(s) {age.seconds // 3600} hour(s) old: check the scheduled run and the "
            "webhooks (`dbt source freshness` says which tables stopped)."
        )
    return notes


def render_html(
    marts: Marts, settings: DashboardSettings | None = None, generated_at: dt.datetime | None = None
) -> str:
    """The whole page for `marts`."""
    import jinja2
    from markupsafe import Markup

    settings = settings or DashboardSettings()
    generated_at = generated_at or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    dataset = build_dataset(marts, settings, generated_at)
    data = json.dumps(dataset, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    chartjs = "\n".join(
        line for line in CHARTJS.read_text(encoding="utf-8").splitlines() if not line.startswith("//# sourceMappingURL")
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(TEMPLATE.read_text(encoding="utf-8")).render(
        data=Markup(data.replace("</", "<\\/")),  # JSON inside <script>: only "</" could end it early
        chartjs=Markup(chartjs),
        app=Markup(APP.read_text(encoding="utf-8")),
        charts=[{"id": i, "title": t} for i, t in CHARTS],
        notes=_notes(marts, dataset, generated_at),
        currency=marts.currency,
        schema=SCHEMA,
        marts=MARTS_READ,
        settings_file=settings.source,
    )


def write_dashboard(
    connection: Any, output: Path | str, settings: DashboardSettings | None = None, where: str = "the warehouse"
) -> Path:
    """Read the marts through `connection` (a DB-API connection the caller closes), write the page; returns the
    absolute path written. `where` names the warehouse in error messages."""
    html = render_html(read_marts(connection, where), settings)
    out = Path(output).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)  # a browser reloading the page never sees half a file
    return out
