"""Customers to persons and groups (DECISIONS.md P1-P3) on a scripted account, numbers by hand.

One customer per rule; every amount USD (no FX), as-of instant 2024-06-15 00:00 (var as_of), so
"last 30 days" is 2024-05-16 00:00 < recognized_at <= 2024-06-15 00:00.

  P1   metadata " ph_1 " (trimmed) on the customer, children carry others; annual $1,200 from 2024-01-01
       (R5: $100 on the 1st of each month; to date Jan-Jun = $600, last 30 days Jun 1 = $100, MRR $100)
  P2   no customer metadata; a void invoice (older, ph_2old) and an invoiceless charge $50 (newest,
       ph_2) refunded $5: child_metadata charge::ch_P2; group from the person property (ph_2's row)
  P3   subscription, charge and invoice created at the same second: subscription wins
  P4   two charges at the same second: the greater id wins
  P5   charge and invoice at the same second: charge wins
  P6   customer metadata "   " and invoice metadata "" (malformed = absent): email, customer email
       "  Eve@Example.COM " vs person " eve@example.com" (case, spaces); invoice on the as-of instant
  P7   no email on the customer: the most recent invoice's customer_email (invoice::in_P7b)
  P8   email shared by two persons: the smallest person_id (person_8a), then its smallest distinct id
  P9   metadata names a distinct id missing from the persons input: row kept, person_id null
  P10  nothing matches: null
  P11  customer metadata beats an email match
  P12  metadata ph_dup, listed twice in the persons input: the smallest person_id; invoice dated
       exactly 30 days before the as-of instant (outside the window)
  S    a stub customer (only invoices name it): email through the invoice's customer_email
  ch_N0  a charge without customer: revenue nobody gets
  eu_  a second source reusing cus_P1, metadata ph_2 (same person as P2) and company grp_3

Two builds: first with no persons or groups input at all (the product_analytics tables absent:
`dbt build` must succeed, metadata matches only), then with the persons read from a user relation
(var persons_relation, column names in other case) and the groups loaded by the ingestion from Parquet.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import stripe_objects as so
from conftest import run_dbt
from raw_warehouse import RawAccount, write
from stripe_objects import CURRENT, LEGACY, ts

KEY = "posthog_person_distinct_id"
AS_OF = "2024-06-15 00:00:00"
# the hand-worked numbers below count paid invoices with monthly deferral (R1 paid basis, R5)
VARS: dict[str, Any] = {
    "stripe_sources": ["", "eu_"],
    "as_of": AS_OF,
    "group_person_property": "company_id",
    "deferral": "monthly",
    "revenue_basis": "paid",
}

# the user's persons relation (var persons_relation): distinct_id, person_id, email, company_id
PERSONS = [
    ("ph_1", "person_1", "ada@one.com", None),
    ("ph_2", "person_2", None, "grp_1"),
    ("ph_2old", "person_2", None, "grp_9"),
    ("ph_sub3", "person_3", None, None),
    ("ph_ch3", "person_3c", None, None),
    ("ph_in3", "person_3i", None, None),
    ("ph_4a", "person_4a", None, None),
    ("ph_4b", "person_4b", None, None),
    ("ph_5c", "person_5c", None, None),
    ("ph_5i", "person_5i", None, None),
    ("ph_6", "person_6", " eve@example.com", "grp_3"),
    ("ph_7x", "person_7x", "old@seven.com", None),
    ("ph_7y", "person_7y", "NEW@seven.com", None),
    ("ph_8a", "person_8b", "shared@eight.com", None),
    ("ph_8z", "person_8a", "Shared@Eight.com", None),
    ("ph_8c", "person_8a", " shared@eight.com ", None),
    ("ph_11", "person_11", None, None),
    ("ph_11e", "person_11e", "eleven@x.com", None),
    ("ph_dup", "person_dupB", None, None),
    ("ph_dup", "person_dupA", None, None),
    ("ph_s", "person_s", "stub@example.com", None),
    ("   ", "person_blank", "nobody@ten.com", None),  # no distinct id: dropped
]
GROUPS = [("company", "grp_1", "One"), ("company", "grp_3", "Three"), ("team", "grp_2", "Not a company")]


# --- the scripted account ---------------------------------------------------------------------------


def _meta(obj: so.Obj, metadata: dict[str, str] | None) -> so.Obj:
    obj["metadata"] = metadata or {}
    return obj


def _one_off(
    acc: RawAccount,
    iid: str,
    cus: str,
    day: str,
    amount: int,
    *,
    status: str = "paid",
    metadata: dict[str, str] | None = None,
    email: str | None = None,
    t: int | None = None,
) -> None:
    s = CURRENT
    created = t if t is not None else ts(day)
    price = so.price("price_one", "prod_one", 100, "usd", s, ts("2023-01-01"))
    li = so.line("il_" + iid[3:], iid, s, amount=amount, currency="usd", period=(created, created), p=price)
    inv = so.invoice(iid, cus, s, created=created, status=status, currency="usd", lines=[li], customer_email=email)
    acc.add("invoice", _meta(inv, metadata), s)
    acc.add("invoice_line_item", dict(li, created=created), s, parent_id=iid)


def _failed_charge(acc: RawAccount, chid: str, cus: str, t: int, metadata: dict[str, str]) -> None:
    ch = so.charge(
        chid, cus, LEGACY, created=t, amount=100, currency="usd", status="failed", payment_intent="pi_" + chid
    )
    acc.add("charge", _meta(ch, metadata), LEGACY)


def _customer(acc: RawAccount, cid: str, email: str | None, metadata: dict[str, str] | None = None) -> None:
    c = so.customer(cid, CURRENT, ts("2024-01-01"), cid, email or "", "US", "usd", metadata)
    c["email"] = email
    acc.add("customer", c, CURRENT)


def main_account() -> RawAccount:
    acc = RawAccount(rates=[(dt.date(2023, 12, 29), "USD", 1.10)])
    s = CURRENT
    annual = so.price("price_annual", "prod_annual", 120000, "usd", s, ts("2023-01-01"), "year")
    monthly = so.price("price_month", "prod_month", 1000, "usd", s, ts("2023-01-01"), "month")
    acc.add("product", so.product("prod_annual", "Annual", s, ts("2023-01-01")), s)
    acc.add("price", annual, s)
    acc.add("price", monthly, s)

    # P1: customer metadata (trimmed); annual subscription with MRR; children name other ids
    start, end = ts("2024-01-01"), ts("2025-01-01")
    _customer(acc, "cus_P1", "ada@one.com", {KEY: " ph_1 ", "company_id": "grp_1"})
    item = so.subscription_item("si_P1", "sub_P1", annual, 1, s, start, (start, end))
    sub = so.subscription(
        "sub_P1",
        "cus_P1",
        s,
        created=start,
        items=[item],
        status="active",
        period=(start, end),
        metadata={KEY: "ph_ch3"},
    )
    acc.add("subscription", sub, s)
    acc.add("subscription_item", item, s, parent_id="sub_P1")
    li = so.line(
        "il_P1",
        "in_P1",
        s,
        amount=120000,
        currency="usd",
        period=(start, end),
        p=annual,
        kind="subscription",
        subscription_id="sub_P1",
        subscription_item_id="si_P1",
    )
    inv = so.invoice(
        "in_P1", "cus_P1", s, created=start, status="paid", currency="usd", lines=[li], subscription_id="sub_P1"
    )
    acc.add("invoice", _meta(inv, {KEY: "ph_in3"}), s)
    acc.add("invoice_line_item", dict(li, created=start), s, parent_id="in_P1")

    # P2: the newest child wins; invoiceless charge $50 refunded $5
    _customer(acc, "cus_P2", "p2@two.com", {"other": "x"})
    _one_off(acc, "in_P2old", "cus_P2", "2024-05-01", 999, status="void", metadata={KEY: "ph_2old"})
    ch = so.charge(
        "ch_P2",
        "cus_P2",
        LEGACY,
        created=ts("2024-06-10"),
        amount=5000,
        currency="usd",
        payment_intent="pi_P2",
        amount_refunded=500,
    )
    acc.add("charge", _meta(ch, {KEY: "ph_2"}), LEGACY)
    acc.add("refund", so.refund("re_P2", "ch_P2", LEGACY, created=ts("2024-06-12"), amount=500, currency="usd"), LEGACY)

    # P3: subscription > charge > invoice at the same second
    t3 = ts("2024-03-01", "12:00:00")
    _customer(acc, "cus_P3", None)
    item3 = so.subscription_item("si_P3", "sub_P3", monthly, 1, s, t3)
    sub3 = so.subscription(
        "sub_P3", "cus_P3", s, created=t3, items=[item3], status="incomplete_expired", metadata={KEY: "ph_sub3"}
    )
    acc.add("subscription", sub3, s)
    acc.add("subscription_item", item3, s, parent_id="sub_P3")
    _failed_charge(acc, "ch_P3", "cus_P3", t3, {KEY: "ph_ch3"})
    _one_off(acc, "in_P3", "cus_P3", "2024-03-01", 3000, metadata={KEY: "ph_in3"}, t=t3)

    # P4: two charges at the same second: the greater id
    t4 = ts("2024-05-25")
    _customer(acc, "cus_P4", None)
    _failed_charge(acc, "ch_P4b", "cus_P4", t4, {KEY: "ph_4b"})
    _failed_charge(acc, "ch_P4a", "cus_P4", t4, {KEY: "ph_4a"})
    _one_off(acc, "in_P4", "cus_P4", "2024-05-20", 2000)

    # P5: charge > invoice at the same second
    t5 = ts("2024-04-01")
    _customer(acc, "cus_P5", None)
    _failed_charge(acc, "ch_P5", "cus_P5", t5, {KEY: "ph_5c"})
    _one_off(acc, "in_P5", "cus_P5", "2024-04-01", 1500, metadata={KEY: "ph_5i"})

    # P6: malformed metadata -> email (case and spaces); recognised exactly at the as-of instant
    _customer(acc, "cus_P6", "  Eve@Example.COM ", {KEY: "   ", "company_id": ""})
    _one_off(acc, "in_P6", "cus_P6", "2024-06-15", 1000, metadata={KEY: ""})

    # P7: invoices' customer_email, the most recent invoice first
    _customer(acc, "cus_P7", None)
    _one_off(acc, "in_P7a", "cus_P7", "2024-02-01", 700, email=" old@SEVEN.com")
    _one_off(acc, "in_P7b", "cus_P7", "2024-02-02", 800, email="new@seven.com")

    # P8: shared email -> smallest person_id, then its smallest distinct id
    _customer(acc, "cus_P8", "SHARED@eight.com")
    _one_off(acc, "in_P8", "cus_P8", "2024-06-01", 600)

    # P9: a distinct id the persons input lacks
    _customer(acc, "cus_P9", "p9@nine.com", {KEY: "ph_unknown"})
    _one_off(acc, "in_P9", "cus_P9", "2024-06-02", 2000)

    # P10: nothing matches
    _customer(acc, "cus_P10", "nobody@ten.com")
    _one_off(acc, "in_P10", "cus_P10", "2024-01-15", 1000)

    # P11: customer metadata beats email; company key with spaces, not in the groups input
    _customer(acc, "cus_P11", "Eleven@X.com", {KEY: "ph_11", "company_id": " grp_2 "})
    _one_off(acc, "in_P11", "cus_P11", "2024-03-10", 1100)

    # P12: duplicated distinct id in the persons input; invoice 30 days before the as-of instant
    _customer(acc, "cus_P12", None, {KEY: "ph_dup"})
    _one_off(acc, "in_P12", "cus_P12", "2024-05-16", 1200)

    # S: a stub customer, matched through its invoice's customer_email
    _one_off(acc, "in_S", "cus_S", "2024-06-05", 900, email=" Stub@Example.com")

    # a charge without customer
    acc.add(
        "charge",
        _meta(
            so.charge(
                "ch_N0", None, LEGACY, created=ts("2024-06-01"), amount=700, currency="usd", payment_intent="pi_N0"
            ),
            {},
        ),
        LEGACY,
    )
    return acc


EU_TABLES = ("customer", "invoice", "invoice_line_item")


def eu_account() -> RawAccount:
    acc = RawAccount()
    _customer(acc, "cus_P1", "ada@eu.com", {KEY: "ph_2", "company_id": "grp_3"})
    _one_off(acc, "in_EU1", "cus_P1", "2024-06-05", 2500)
    return acc


# --- the builds -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from ingestion.pipeline import load_product_analytics

    work = tmp_path_factory.mktemp("persons")
    warehouse = work / "warehouse.duckdb"
    write(str(warehouse), main_account())
    write(str(warehouse), eu_account(), prefix="eu_", tables=EU_TABLES)

    first = run_dbt(
        ["build", "--select", "+tag:persons", "--indirect-selection", "cautious"], warehouse, work / "first", VARS
    )
    absent = work / "absent.duckdb"
    shutil.copy(warehouse, absent)

    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema analytics")
        con.execute(
            'create table analytics.people ("Distinct_ID" varchar, "PERSON_ID" varchar, "Email" varchar, '
            "company_id varchar, plan varchar)"
        )
        con.executemany("insert into analytics.people values (?, ?, ?, ?, 'free')", PERSONS)
    groups_file = work / "groups.parquet"
    pq.write_table(
        pa.table(
            {"group_type": [g[0] for g in GROUPS], "group_key": [g[1] for g in GROUPS], "name": [g[2] for g in GROUPS]}
        ),
        groups_file,
    )
    loaded = load_product_analytics(
        duckdb_file=str(warehouse), pipelines_dir=str(work / "pipelines"), groups_file=groups_file
    )
    second = run_dbt(
        ["build", "--select", "tag:persons"],
        warehouse,
        work / "second",
        {**VARS, "persons_relation": "analytics.people"},
    )
    return {"first": first, "second": second, "warehouse": warehouse, "absent": absent, "loaded": loaded}


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def q(builds: dict[str, Any]) -> Any:
    """Queries on this module's second build (overrides the shared scenario's `q` of conftest.py)."""
    assert builds["second"].returncode == 0, builds["second"].output[-6000:]
    return lambda sql: _query(builds["warehouse"], sql)


def _matches(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


MATCHES_SQL = """
    select source_label, customer_id, distinct_id, person_id, match_method, match_source
    from revenue_analytics.dim_customer_persons"""


# --- without any persons or groups input ------------------------------------------------------------


def test_build_succeeds_without_persons_or_groups_tables(builds: dict[str, Any]) -> None:
    first = builds["first"]
    assert first.returncode == 0, first.output[-6000:]
    assert "product_analytics_input" in first.output and "read as empty" in first.output
    assert not [r for r in first.results if r["status"] in ("error", "fail", "warn")]
    tables = _query(
        builds["absent"], "select table_name from information_schema.tables where table_schema = 'product_analytics'"
    )
    assert tables == []


def test_without_persons_only_metadata_matches_remain(builds: dict[str, Any]) -> None:
    got = _matches(_query(builds["absent"], MATCHES_SQL + " where match_method is not null"))
    assert got == {
        ("stripe", "cus_P1"): ("ph_1", None, "customer_metadata", "customer::cus_P1"),
        ("stripe", "cus_P2"): ("ph_2", None, "child_metadata", "charge::ch_P2"),
        ("stripe", "cus_P3"): ("ph_sub3", None, "child_metadata", "subscription::sub_P3"),
        ("stripe", "cus_P4"): ("ph_4b", None, "child_metadata", "charge::ch_P4b"),
        ("stripe", "cus_P5"): ("ph_5c", None, "child_metadata", "charge::ch_P5"),
        ("stripe", "cus_P9"): ("ph_unknown", None, "customer_metadata", "customer::cus_P9"),
        ("stripe", "cus_P11"): ("ph_11", None, "customer_metadata", "customer::cus_P11"),
        ("stripe", "cus_P12"): ("ph_dup", None, "customer_metadata", "customer::cus_P12"),
        ("stripe.eu", "cus_P1"): ("ph_2", None, "customer_metadata", "customer::cus_P1"),
    }
    assert _query(builds["absent"], "select count(*) from revenue_analytics.persons_revenue_analytics") == [(0,)]
    groups = _query(
        builds["absent"],
        "select group_key, name, revenue_minor from revenue_analytics.groups_revenue_analytics order by 1",
    )
    assert groups == [("grp_1", None, 60000), ("grp_2", None, 1100), ("grp_3", None, 2500)]


# --- resolution (P1, P2) ----------------------------------------------------------------------------


EXPECTED = {
    ("stripe", "cus_P1"): ("ph_1", "person_1", "customer_metadata", "customer::cus_P1"),
    ("stripe", "cus_P2"): ("ph_2", "person_2", "child_metadata", "charge::ch_P2"),
    ("stripe", "cus_P3"): ("ph_sub3", "person_3", "child_metadata", "subscription::sub_P3"),
    ("stripe", "cus_P4"): ("ph_4b", "person_4b", "child_metadata", "charge::ch_P4b"),
    ("stripe", "cus_P5"): ("ph_5c", "person_5c", "child_metadata", "charge::ch_P5"),
    ("stripe", "cus_P6"): ("ph_6", "person_6", "email", "customer::cus_P6"),
    ("stripe", "cus_P7"): ("ph_7y", "person_7y", "email", "invoice::in_P7b"),
    ("stripe", "cus_P8"): ("ph_8c", "person_8a", "email", "customer::cus_P8"),
    ("stripe", "cus_P9"): ("ph_unknown", None, "customer_metadata", "customer::cus_P9"),
    ("stripe", "cus_P10"): (None, None, None, None),
    ("stripe", "cus_P11"): ("ph_11", "person_11", "customer_metadata", "customer::cus_P11"),
    ("stripe", "cus_P12"): ("ph_dup", "person_dupA", "customer_metadata", "customer::cus_P12"),
    ("stripe", "cus_S"): ("ph_s", "person_s", "email", "invoice::in_S"),
    ("stripe.eu", "cus_P1"): ("ph_2", "person_2", "customer_metadata", "customer::cus_P1"),
}


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: f"{k[0]}:{k[1]}")
def test_each_customer_resolves_by_its_rule(q: Any, key: tuple[str, str]) -> None:
    assert _matches(q(MATCHES_SQL)).get(key) == EXPECTED[key]


def test_one_row_per_customer_of_dim_customers(q: Any) -> None:
    assert q(MATCHES_SQL + " order by 1, 2") == sorted((*k, *v) for k, v in EXPECTED.items())
    assert q(
        "select count(*), count(distinct source_label || customer_id) from revenue_analytics.dim_customer_persons"
    ) == [(14, 14)]
    assert (
        q(
            "select source_label, customer_id from revenue_analytics.dim_customers except "
            "select source_label, customer_id from revenue_analytics.dim_customer_persons"
        )
        == []
    )


def test_every_dbt_test_passes(builds: dict[str, Any]) -> None:
    results = builds["second"].results
    assert not [(r["unique_id"], r["status"]) for r in results if r["status"] in ("error", "fail", "warn")]
    names = {r["unique_id"].split(".")[2] for r in results if r["unique_id"].startswith("test.")}
    assert {"persons_revenue_conserved", "groups_revenue_conserved", "customer_persons_cover_customers"} <= names


# --- groups (P3) ------------------------------------------------------------------------------------


def test_groups_metadata_then_person_property(q: Any) -> None:
    rows = q("""select source_label, customer_id, group_type, group_key, group_name, match_method, match_source
                from revenue_analytics.dim_customer_groups where group_key is not null order by 1, 2""")
    assert rows == [
        ("stripe", "cus_P1", "company", "grp_1", "One", "customer_metadata", "customer::cus_P1"),
        ("stripe", "cus_P11", "company", "grp_2", None, "customer_metadata", "customer::cus_P11"),
        # no company metadata: the matched person's property (ph_2's row, not ph_2old's grp_9)
        ("stripe", "cus_P2", "company", "grp_1", "One", "person_property", "person::person_2"),
        # blank company metadata counts as absent
        ("stripe", "cus_P6", "company", "grp_3", "Three", "person_property", "person::person_6"),
        ("stripe.eu", "cus_P1", "company", "grp_3", "Three", "customer_metadata", "customer::cus_P1"),
    ]


# --- revenue (P3) -----------------------------------------------------------------------------------


def test_persons_revenue(q: Any) -> None:
    rows = q("""select person_id, revenue_minor, revenue_last_30_days_minor, mrr_minor, customer_count
                from revenue_analytics.persons_revenue_analytics order by person_id""")
    assert rows == [
        ("person_1", 60000, 10000, 10000, 1),  # Jan-Jun parts of the annual line; Jun 1 in the window
        ("person_11", 1100, 0, 0, 1),
        ("person_2", 7000, 7000, 0, 2),  # 5000 - 500 (stripe cus_P2) + 2500 (stripe.eu cus_P1)
        ("person_3", 3000, 0, 0, 1),
        ("person_4b", 2000, 2000, 0, 1),
        ("person_5c", 1500, 0, 0, 1),
        ("person_6", 1000, 1000, 0, 1),  # recognised on the as-of instant: inside
        ("person_7y", 1500, 0, 0, 1),
        ("person_8a", 600, 600, 0, 1),
        ("person_dupA", 1200, 0, 0, 1),  # exactly 30 days before: outside
        ("person_s", 900, 900, 0, 1),
    ]
    major = q(
        "select revenue, revenue_last_30_days, mrr, currency from revenue_analytics.persons_revenue_analytics "
        "where person_id = 'person_1'"
    )
    assert [tuple(str(v) for v in r) for r in major] == [("600.000", "100.000", "100.000", "USD")]


def test_groups_revenue(q: Any) -> None:
    rows = q("""select group_type, group_key, name, revenue_minor, revenue_last_30_days_minor, mrr_minor,
                       customer_count
                from revenue_analytics.groups_revenue_analytics order by group_key""")
    assert rows == [
        ("company", "grp_1", "One", 64500, 14500, 10000, 2),
        ("company", "grp_2", None, 1100, 0, 0, 1),
        ("company", "grp_3", "Three", 3500, 3500, 0, 2),
    ]


TOTALS_SQL = """
    select
        sum(amount_minor) filter (where recognized_at <= timestamp '{as_of}'),
        sum(amount_minor) filter (where recognized_at <= timestamp '{as_of}'
                                  and recognized_at > timestamp '{as_of}' - interval 30 day)
    from revenue_analytics.fct_revenue_items as items
    left join revenue_analytics.{dim} as dim using (source_label, customer_id)
    where {where}
"""


@pytest.mark.parametrize(
    ("dim", "key", "mart"),
    [
        ("dim_customer_persons", "person_id", "persons_revenue_analytics"),
        ("dim_customer_groups", "group_key", "groups_revenue_analytics"),
    ],
)
def test_revenue_is_conserved(q: Any, dim: str, key: str, mart: str) -> None:
    total = q(TOTALS_SQL.format(as_of=AS_OF, dim=dim, where="true"))[0]
    unmatched = q(TOTALS_SQL.format(as_of=AS_OF, dim=dim, where=f"dim.{key} is null"))[0]
    assigned = q(f"select sum(revenue_minor), sum(revenue_last_30_days_minor) from revenue_analytics.{mart}")[0]
    # every row up to the as-of instant (the annual line's Jul-Dec parts are later; in_P2old is void):
    # 60000 + 4500 + 3000 + 2000 + 1500 + 1000 + 1500 + 600 + 2000 + 1000 + 1100 + 1200 + 900 + 700 + 2500
    # last 30 days: 10000 (Jun 1 part) + 4500 + 2000 + 1000 + 600 + 2000 + 900 + 700 + 2500
    assert total == (83500, 24200)
    assert tuple(a + u for a, u in zip(assigned, unmatched, strict=True)) == total
    mrr_total = q("select sum(mrr) from revenue_analytics.revenue_analytics_mrr")[0][0]
    assert q(f"select sum(mrr) from revenue_analytics.{mart}")[0][0] == mrr_total


def test_unmatched_revenue_counts_for_nobody(q: Any) -> None:
    unmatched = q(TOTALS_SQL.format(as_of=AS_OF, dim="dim_customer_persons", where="dim.person_id is null"))[0]
    assert unmatched == (2000 + 1000 + 700, 2000 + 700)  # P9 (unknown distinct id), P10, the customerless charge


# --- the conservation data tests can fail --------------------------------------------------------------


def test_conservation_test_can_fail(builds: dict[str, Any], q: Any, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(builds["warehouse"], tampered)
    with duckdb.connect(str(tampered)) as con:
        con.execute(
            "update revenue_analytics.persons_revenue_analytics set revenue_minor = revenue_minor + 1 "
            "where person_id = 'person_2'"
        )
        con.execute("update revenue_analytics.dim_customer_groups set group_key = null where customer_id = 'cus_P6'")
    run = run_dbt(
        ["test", "--select", "persons_revenue_conserved groups_revenue_conserved"],
        tampered,
        tmp_path / "dbt",
        {**VARS, "persons_relation": "analytics.people"},
    )
    assert {r["unique_id"].split(".")[2]: r["status"] for r in run.results} == {
        "persons_revenue_conserved": "fail",
        "groups_revenue_conserved": "fail",
    }
