"""The dashboard in a real browser (Debian's Chromium through Playwright) on the hand-made warehouse.

Numbers are those worked out in tests/dashboard/warehouse.py. Each test opens the page, checks that the
console stays free of errors, and reads what a person sees: the tiles' text, the charts' data, the tables.
Screenshots go to tests/dashboard/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cli
from tests.dashboard.browser import DashboardPage, chromium, money
from tests.dashboard.warehouse import make_warehouse

SETTINGS = """
[goals.mrr]
"2024-02" = 200
"2024-03" = 250
[goals.gross_revenue]
"2024-02" = 300
[test_customers]
email_patterns = ["*@example.test"]
"""


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dashboard")
    warehouse = make_warehouse(folder / "warehouse.duckdb")
    (folder / "dashboard.toml").write_text(SETTINGS)
    out = folder / "dashboard.html"
    args = ["dashboard", "--duckdb", str(warehouse), "-o", str(out), "--config", str(folder / "dashboard.toml")]
    assert cli.main(args) == 0
    return out


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, page_file: Path):
    p = DashboardPage(browser, page_file)
    yield p
    assert p.errors == [], p.errors  # no console error in any test
    assert all(u.startswith("file://") or u.startswith("data:") for u in p.requests), p.requests  # offline
    p.close()


def test_tiles_show_the_marts_numbers(page: DashboardPage) -> None:
    page.open()
    assert page.tiles() == {
        "mrr": "$210.00",
        "arr": "$2,520.00",
        "gross": "$430.00",  # January and February: the default range is the last 12 complete months
        "net": "$415.00",
        "paying": "4",
        "arpu": "$70.00",
        "subscriber_churn_rate": "25.0%",
        "mrr_churn_rate": "33.3%",
        "net_mrr_churn_rate": "33.3%",
        "net_mrr_retention": "66.7%",
        "churned_revenue": "$50.00",
        "ltv": "$280.00",
        "growth": "+86.7%",
        "subscriptions": "3",
    }
    details = page.tile_details()
    assert details["mrr"] == "+40.0% vs previous month · goal $200.00 (105.0%)"
    assert details["subscriber_churn_rate"] == "1 churned of 2 at start + 2 new"
    assert details["subscriptions"] == "3 new, 1 churned"
    assert "Feb 2024" in page.page.inner_text("#period")
    top = page.page.inner_text("#top-body")
    assert top.splitlines()[0].split("\t")[:2] == ["1", "Ada <b>Lovelace</b>"]  # escaped: shown as text
    page.screenshot("hand-made-default")


def test_a_date_range_changes_the_numbers(page: DashboardPage) -> None:
    page.open("range=custom&from=2024-01&to=2024-01")
    tiles = page.tiles()
    assert (tiles["gross"], tiles["net"], tiles["mrr"], tiles["paying"]) == ("$150.00", "$140.00", "$150.00", "2")
    assert page.chart("revenue")["labels"] == ["Jan 2024"]
    # month to date: March's own numbers, labelled as such, MRR as of the as-of instant
    page.show("range=mtd")
    tiles = page.tiles()
    assert (tiles["gross"], tiles["mrr"], tiles["paying"]) == ("$187.00", "$211.00", "2")
    assert "month to date; MRR as of 2024-03-10 12:00 UTC" in page.page.inner_text("#period")
    # all time: the month in progress is drawn as month to date, and left out of the growth line
    page.show("range=all")
    revenue = page.chart("revenue")
    assert revenue["labels"] == ["Jan 2024", "Feb 2024", "Mar 2024 (MTD)"]
    assert revenue["series"]["Gross"] == [15000, 28000, 18700]
    assert revenue["series"]["Net"] == [14000, 27500, 18700]
    assert page.chart("growth")["series"]["Gross revenue growth"][2] is None
    assert page.chart("customers")["series"]["Paying (revenue > 0)"] == [2, 4, None]
    assert page.tiles()["mrr"] == "$210.00"  # tiles stay on the latest complete month


def test_filters_change_the_numbers_as_the_marts_say(page: DashboardPage) -> None:
    page.open("f.country=FR")  # Blaise only: Jan gross 50, refund 10; Feb gross 50; churned in February
    tiles = page.tiles()
    assert (tiles["gross"], tiles["net"], tiles["mrr"], tiles["paying"]) == ("$100.00", "$90.00", "$0.00", "1")
    assert tiles["subscriber_churn_rate"] == "100.0%"  # 1 churned of 1 at start + 0 new
    # product filter: revenue of Basic only (January 50 - 10 refund, February 50 + 30)
    page.show("f.product=Basic")
    assert (page.tiles()["gross"], page.tiles()["net"]) == ("$130.00", "$120.00")
    # combined: Basic in DE (Emmy's 30 in February)
    page.show("f.product=Basic&f.country=DE&f.country=FR")
    assert page.tiles()["gross"] == "$130.00"
    page.show("f.product=Basic&f.country=DE")
    assert page.tiles()["gross"] == "$30.00"
    # exclude test customers: QA robot's February 20 and its MRR leave
    page.show("notest=1")
    tiles = page.tiles()
    assert (tiles["gross"], tiles["mrr"], tiles["paying"]) == ("$410.00", "$190.00", "3")
    # source: stripe.eu is Emmy
    page.show("f.source=stripe.eu&range=all")
    assert page.chart("mrr")["series"]["MRR"] == [0, 9000, 9100]


def test_a_breakdowns_parts_sum_to_the_total(page: DashboardPage) -> None:
    page.open("range=all&bd=country")
    for chart, total in (("revenue", "Total net"), ("mrr", "Total"), ("customers", "Total active")):
        series = page.chart(chart)["series"]
        parts = {k: v for k, v in series.items() if k not in (total, "Goal")}
        assert set(parts) == {"US", "FR", "DE"} | ({"(no country)"} if chart == "revenue" else set()), chart
        sums = [sum(values) for values in zip(*parts.values(), strict=True)]
        assert sums == series[total], chart
    assert page.chart("mrr")["series"]["US"] == [10000, 12000, 12000]
    # growth: each country's change over January's whole 15000 (US +2000, FR 0, DE +11000) sums to +86.7 %
    growth = page.chart("growth")["series"]
    assert growth["Total"] == [None, pytest.approx(13000 / 15000), None]  # March is month to date: left out
    assert growth["US"][1] == pytest.approx(2000 / 15000) and growth["DE"][1] == pytest.approx(11000 / 15000)
    assert sum(v[1] for k, v in growth.items() if k != "Total") == pytest.approx(13000 / 15000)
    # two at once: country and product (product only where the data has products: revenue)
    page.show("range=all&bd=country,product")
    series = page.chart("revenue")["series"]
    assert series["US · Pro"] == [10000, 11500, 10000]
    assert series["FR · Basic"] == [4000, 5000, 0]
    parts = [s for k, s in series.items() if k not in ("Total net", "Goal")]
    assert [sum(v) for v in zip(*parts, strict=True)] == series["Total net"]
    assert "Product applies to revenue only" in page.page.inner_text("#sub-mrr")
    page.screenshot("hand-made-breakdown")


def test_state_lives_in_the_url_fragment(page: DashboardPage, browser, page_file: Path) -> None:
    page.open()
    page.page.select_option("#range", "last3")
    page.page.select_option("#bd1", "group")
    page.page.click("#unit-arr")
    page.page.click("details.filter[data-prop=country] summary")
    page.page.check("details.filter[data-prop=country] input[value=US]")
    fragment = page.fragment()
    assert fragment == "#range=last3&unit=arr&bd=group&f.country=US"
    assert page.tiles()["mrr"] == "$1,440.00"  # ARR first: 12 x (A 100 + T 20)
    shared = DashboardPage(browser, page_file).open(fragment[1:])  # a colleague opens the link
    try:
        assert shared.state() == page.state() and shared.tiles() == page.tiles()
        assert shared.errors == []
    finally:
        shared.close()
    page.page.click("#reset")
    assert page.fragment() == "" and page.tiles()["mrr"] == "$210.00"


def test_goals_daily_interval_persons_and_groups(page: DashboardPage) -> None:
    page.open("range=all")
    assert page.chart("mrr")["series"]["Goal"] == [None, 20000, 25000]
    assert page.chart("revenue")["series"]["Goal"] == [None, 30000, None]
    page.show("range=all&interval=day")
    daily = page.chart("revenue")
    assert daily["labels"][0] == "2024-01-01" and daily["labels"][-1] == "2024-03-31" and len(daily["labels"]) == 91
    assert sum(daily["series"]["Gross"]) == 15000 + 28000 + 18700
    assert daily["series"]["Refunds"][19] == -1000  # January 20th
    # a group link filters the page; a person link finds the person
    page.show("range=all")
    page.page.click("#top-body a[data-group='Acme']")
    page.page.wait_for_function("location.hash.includes('f.group=Acme')")
    assert page.tiles()["mrr"] == "$190.00"  # Ada 100 + Emmy 90 in February
    page.page.fill("#person-search", "p_E")
    assert page.page.inner_text("#person-body").split("\t")[:3] == ["p_E", "1", money(19000)]
    page.page.fill("#group-search", "acm")
    assert page.page.inner_text("#group-body").startswith("Acme")


def test_no_legend_is_covered_and_the_page_fits(page: DashboardPage) -> None:
    page.open()
    # Chart.js draws no toolbar: the legend is the only thing above each plot, nothing overlays the canvas
    overlays = page.page.evaluate("() => [...document.querySelectorAll('.chart')].map(c => c.children.length)")
    assert overlays == [1] * 8
    size = Path(page.url.removeprefix("file://")).stat().st_size
    assert size < 1_500_000
