"""`stripe-revenue dashboard` without a browser: the page file, the data folded from the marts, bad inputs.

The warehouse is the hand-made one of tests/dashboard/warehouse.py (numbers worked out there).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import duckdb
import pytest

import cli
from dashboard import DashboardError, SettingsError, build_dataset, check_totals, load_settings, read_marts
from dashboard.page import CHARTJS
from tests.dashboard.warehouse import make_warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "warehouse.duckdb")


def page_data(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, flags=re.S)
    assert found
    return json.loads(found.group(1))


def test_page_is_one_offline_file_without_local_paths(warehouse: Path, tmp_path: Path, capsys) -> None:
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    out = tmp_path / "site" / "dashboard.html"
    assert cli.main(["dashboard", "--duckdb", str(warehouse), "--output", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    # offline: Chart.js inline once, nothing referenced from elsewhere
    assert html.count("Chart.js v4") == 1 and "sourceMappingURL" not in html
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", html, flags=re.IGNORECASE)
    # no absolute local path: neither the warehouse's folder nor the output's
    assert str(tmp_path) not in html and "/home/" not in html and str(Path.cwd()) not in html
    assert "<\\/b>" in html and "</b>" not in html  # a name cannot end the data's <script> early
    data = page_data(html)
    assert data["months"] == ["2024-01", "2024-02", "2024-03"] and data["inProgress"] == 2
    assert data["asOf"] == "2024-03-10 12:00" and data["syncedAt"] == "2024-03-10 11:00"
    # read-only and closed: the file is unchanged and a writer can open it at once
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    duckdb.connect(str(warehouse)).close()


def test_folded_data_reproduces_the_marts(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = read_marts(con)
    data = build_dataset(marts, load_settings(None), dt.datetime(2024, 3, 10, 13))
    assert check_totals(data, marts) == []
    # revenue per month and product from the day rows: September's scheduled part is not there
    months = {}
    for i, day in enumerate(data["rev"]["d"]):
        month = sum(1 for first in data["monthFirstDay"] if first <= day) - 1
        product = data["props"]["product"][data["rev"]["p"][i]]
        months[(month, product)] = months.get((month, product), 0) + data["rev"]["g"][i]
    assert months == {
        (0, "Pro"): 10000,
        (0, "Basic"): 5000,
        (1, "Pro"): 20000,
        (1, "Basic"): 8000,
        (2, "Pro"): 18000,
        (2, "(no product)"): 700,
    }
    assert sum(data["rev"]["rf"]) == -1000 and sum(data["rev"]["cn"]) == -500
    # a check that fails: the mart says otherwise in February
    marts.metrics[1]["gross_revenue"] = 281
    marts.metrics[1]["subscriber_churn_rate"] = 0.5
    assert check_totals(data, marts) == ["2024-02: gross revenue, subscriber_churn_rate"]


def test_test_customers_by_email_pattern_or_metadata(warehouse: Path, tmp_path: Path) -> None:
    settings = tmp_path / "dashboard.toml"
    settings.write_text('[test_customers]\nemail_patterns = ["*@example.test"]\nmetadata_key = "test_customer"\n')
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con_marts = read_marts(con)
    data = build_dataset(con_marts, load_settings(settings), dt.datetime(2024, 3, 10))
    tests = [data["cust"]["id"][k] for k, s in enumerate(data["cust"]["s"]) if data["seg"]["test"][s]]
    assert tests == ["cus_T"]  # QA@Example.TEST by pattern, case ignored; Emmy's "false" is not a test flag
    assert data["testCustomers"] == "email matching *@example.test or metadata test_customer = true"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[goals.mrr]\n'2024-13' = 5\n", "is not a month"),
        ("[goals.mrr]\n'2024-02' = 'a lot'\n", "write a non-negative number"),
        ("[goals.arr]\n'2024-02' = 5\n", "unknown goal 'arr'"),
        ("[goal]\n", "unknown section(s) goal"),
        ("[test_customers]\nemail_patterns = 5\n", "must be a list of patterns"),
        ("[test_customers]\nemails = []\n", "unknown key(s) emails"),
        ("[goals.mrr\n", "is not valid TOML"),
    ],
)
def test_bad_settings_say_what_to_write(warehouse: Path, tmp_path: Path, capsys, text: str, message: str) -> None:
    settings = tmp_path / "dashboard.toml"
    settings.write_text(text)
    out = tmp_path / "dashboard.html"
    args = ["dashboard", "--duckdb", str(warehouse), "--output", str(out), "--config", str(settings)]
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {settings}") and message in err
    assert not out.exists()


def test_settings_file_missing_or_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="no dashboard settings file"):
        load_settings(tmp_path / "nope.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[test_customers]\nemail_patterns = ["*@café.test"]\n'.encode("latin-1"))
    with pytest.raises(SettingsError, match="not UTF-8"):
        load_settings(latin)


def test_missing_warehouse_says_how_to_make_one(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere.duckdb"
    out = tmp_path / "dashboard.html"
    assert cli.main(["dashboard", "--duckdb", str(missing), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no warehouse at")
    assert "make demo" in err and "dlt pipeline stripe run" in err
    assert not missing.exists() and not out.exists()


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ("drop table revenue_analytics.fct_mrr_movements;", "revenue_analytics.fct_mrr_movements"),
        (
            "alter table revenue_analytics.fct_revenue_metrics drop column net_mrr_retention;",
            "revenue_analytics.fct_revenue_metrics.net_mrr_retention",
        ),
    ],
    ids=["no-mart", "older-mart"],
)
def test_missing_marts_say_run_dbt_build(tmp_path: Path, extra: str, named: str, capsys) -> None:
    path = make_warehouse(tmp_path / "warehouse.duckdb", extra)
    out = tmp_path / "dashboard.html"
    assert cli.main(["dashboard", "--duckdb", str(path), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert "run `dbt build`" in err and named in err
    assert not out.exists()


def test_persons_and_groups_are_optional(tmp_path: Path) -> None:
    path = make_warehouse(
        tmp_path / "warehouse.duckdb",
        "drop table revenue_analytics.persons_revenue_analytics; drop table revenue_analytics.dim_customer_groups;",
    )
    with duckdb.connect(str(path), read_only=True) as con:
        marts = read_marts(con)
    assert marts.person_revenue == [] and marts.groups == {}
    data = build_dataset(marts, load_settings(None), dt.datetime(2024, 3, 10))
    assert data["props"]["group"] == ["(no group)"]


def test_empty_calendar_is_an_error_not_an_empty_page(tmp_path: Path) -> None:
    path = make_warehouse(tmp_path / "warehouse.duckdb", "delete from revenue_analytics.dim_months;")
    with duckdb.connect(str(path), read_only=True) as con, pytest.raises(DashboardError, match="has no months"):
        read_marts(con)


def test_a_writer_holding_the_file_is_named(warehouse: Path, tmp_path: Path, capsys) -> None:
    writer = duckdb.connect(str(warehouse))  # this process holds it for writing: a read-only open fails
    try:
        assert cli.main(["dashboard", "--duckdb", str(warehouse), "--output", str(tmp_path / "d.html")]) == 1
    finally:
        writer.close()
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot open {warehouse} read-only") and "wait for it to finish" in err
    assert not (tmp_path / "d.html").exists()


def test_chartjs_is_vendored_with_its_licence() -> None:
    assert CHARTJS.read_text(encoding="utf-8").startswith("/*!\n * Chart.js v4")
    licence = (CHARTJS.parent / "chart.js.LICENSE.md").read_text(encoding="utf-8")
    assert "MIT" in licence or "Permission is hereby granted" in licence
