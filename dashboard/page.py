"""The dashboard page: one self-contained HTML file (plotly.js inline, works offline) from the marts.

marts (`marts.load`) → KPI tiles (`kpis.py`) and figures (`charts.py`) → HTML (`page.html`, Jinja).
"""

from __future__ import annotations

from pathlib import Path

from dashboard.charts import build_figures
from dashboard.kpis import format_money, kpis, month_label
from dashboard.marts import SCHEMA, DashboardData, load

TEMPLATE = Path(__file__).with_name("page.html")  # Jinja, autoescaped


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
    return env.from_string(TEMPLATE.read_text(encoding="utf-8")).render(
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
