"""End to end: fake account → fake Stripe API → dlt (Stripe, then the persons and groups files named
in config) → dbt → customers resolve to the persons the generator says (DECISIONS.md P1-P3).

The generator decides per customer how it links to a person (customer metadata, a child object's
metadata, or email only: the persons file then spells the email in other case with spaces; some
customers carry blank metadata; some match nothing) and records the expected match in
`ground_truth()["persons"]`. The warehouse's matches come from the raw JSON through the dbt models.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb
import pytest

from fake_stripe.account import build_account
from fake_stripe.server import FakeStripeServer
from fake_stripe.simulate import GROUP_KEY
from tests.conftest import FIXED_NOW

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
DBT_VARS = "{group_person_property: company_id}"


def dbt(warehouse: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DUCKDB_PATH": str(warehouse),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    exe = Path(sys.executable).with_name("dbt")
    proc = subprocess.run(
        [str(exe), *args, "--project-dir", str(ROOT), "--target-path", str(warehouse.parent / "target"),
         "--log-path", str(warehouse.parent / "logs")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from ingestion.pipeline import load_product_analytics, run

    work = tmp_path_factory.mktemp("e2e_persons")
    warehouse = work / "warehouse.duckdb"
    account = build_account("small", seed=8, now=FIXED_NOW)
    paths = account.write_reference_files(work / "account")
    server = FakeStripeServer(account, port=0).start()
    try:
        run(
            api_key="sk_test_fake",
            api_base=server.base_url,
            duckdb_file=str(warehouse),
            pipelines_dir=str(work / "pipelines"),
            progress=False,
            extra_exchange_rates=str(paths["fx_rates"]),
        )
    finally:
        server.stop()
    # what the pipeline hook does after the Stripe load: the files named in config
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCES__PRODUCT_ANALYTICS__PERSONS_FILE", str(paths["persons"]))
        mp.setenv("SOURCES__PRODUCT_ANALYTICS__GROUPS_FILE", str(paths["groups"]))
        counts = load_product_analytics(duckdb_file=str(warehouse), pipelines_dir=str(work / "pipelines"))
    output = dbt(warehouse, "build", "--vars", DBT_VARS)
    return account, warehouse, paths, counts, output


def query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_files_are_loaded(loaded: Any) -> None:
    _, warehouse, paths, counts, _ = loaded
    persons, groups = read_csv(paths["persons"]), read_csv(paths["groups"])
    assert counts == {"persons": len(persons), "groups": len(groups)}
    assert query(warehouse, "select count(*) from product_analytics.persons") == [(len(persons),)]


def observable_truth(account: Any) -> dict[str, tuple[str, str, str]]:
    """The generator's matches, except where the warehouse cannot see what decided them.

    Stripe lists only live customers, so a customer deleted before the first sync is known only from
    its invoices and charges (a stub in dim_customers, without metadata or email): its customer-metadata
    or customer-email match becomes an email match through its most recent invoice's customer_email
    (the same distinct id), or no match when it has no invoice. Child-metadata matches are unchanged.
    """
    truth = {k: tuple(v) for k, v in account.ground_truth().to_json()["persons"].items()}
    for c in account.world.customers:
        if c.deleted_at is None or c.id not in truth or truth[c.id][1] == "child_metadata":
            continue
        invoices = [i for i in account.world.invoices if i.customer.id == c.id]
        if invoices:
            latest = max(invoices, key=lambda i: (i.created, i.id))
            truth[c.id] = (truth[c.id][0], "email", f"invoice::{latest.id}")
        else:
            del truth[c.id]
    return truth


def test_customer_persons_equal_ground_truth(loaded: Any) -> None:
    account, warehouse, paths, _, _ = loaded
    truth = observable_truth(account)
    methods = {method for _, method, _ in truth.values()}
    assert methods == {"customer_metadata", "child_metadata", "email"}, "the account exercises every path"
    assert {src.split("::")[0] for _, m, src in truth.values() if m == "child_metadata"} == {
        "subscription",
        "charge",
        "invoice",
    }
    assert any(c.deleted_at for c in account.world.customers), "the account has customers deleted before the sync"
    rows = query(
        warehouse,
        """select customer_id, distinct_id, person_id, match_method, match_source
           from revenue_analytics.dim_customer_persons""",
    )
    matched = {r[0]: (r[1], r[3], r[4]) for r in rows if r[3] is not None}
    assert matched == truth
    # unmatched customers are present with every match column null
    unmatched = [r for r in rows if r[0] not in truth]
    assert unmatched and all(r[1:] == (None, None, None, None) for r in unmatched)
    assert {r[0] for r in rows} == {c.id for c in account.world.customers}
    # every expected distinct id is in the persons file, and the person is that file's
    person_of = {p["distinct_id"]: p["person_id"] for p in read_csv(paths["persons"])}
    assert all(distinct_id in person_of for distinct_id, _, _ in truth.values())
    assert {r[0]: r[2] for r in rows if r[3] is not None} == {c: person_of[d] for c, (d, _, _) in truth.items()}


def expected_groups(account: Any, paths: dict[str, Path]) -> dict[str, tuple[str, str]]:
    """customer -> (group_key, how): the customer's company_id metadata; for a customer deleted before the
    sync (no metadata in the warehouse) the company_id property of the person it resolves to (P3 fallback)."""
    company_of = {p["distinct_id"]: p["company_id"] for p in read_csv(paths["persons"])}
    truth = observable_truth(account)
    out: dict[str, tuple[str, str]] = {}
    for c in account.world.customers:
        if c.deleted_at is None and c.metadata.get(GROUP_KEY):
            out[c.id] = (c.metadata[GROUP_KEY], "customer_metadata")
        elif c.deleted_at is not None and c.id in truth and company_of.get(truth[c.id][0]):
            out[c.id] = (company_of[truth[c.id][0]], "person_property")
    return out


def test_customer_groups_follow_company_metadata(loaded: Any) -> None:
    account, warehouse, paths, _, _ = loaded
    names = {g["group_key"]: g["name"] for g in read_csv(paths["groups"])}
    expected = {c: ("company", key, names[key], how) for c, (key, how) in expected_groups(account, paths).items()}
    assert expected, "the account has companies"
    rows = query(
        warehouse,
        """select customer_id, group_type, group_key, group_name, match_method
           from revenue_analytics.dim_customer_groups where group_key is not null""",
    )
    assert {r[0]: r[1:] for r in rows} == expected


def _expected_revenue(account: Any, as_of: dt.datetime, owner: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Σ ground-truth revenue per owner (the defaults: finalized basis, daily deferral; gross rows less
    contra revenue, R8 / R10), to date and in the last 30 days. A part counts from its day, an invoiceless
    charge and an event from their instant."""
    truth = account.ground_truth()
    charged = {c.id: c.created for c in account.world.charges}
    since = as_of - dt.timedelta(days=30)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in truth.revenue_rows("finalized", "daily"):
        if row.kind not in ("gross", "contra") or row.customer_id not in owner or row.amount_base is None:
            continue
        instant = row.at if row.kind == "contra" else charged.get(row.key)
        if instant is None:
            at = dt.datetime.combine(row.day, dt.time())
        else:
            at = dt.datetime.fromtimestamp(instant, dt.UTC).replace(tzinfo=None)
        amount = row.amount_base if row.kind == "gross" else -row.amount_base
        if at <= as_of:
            out[owner[row.customer_id]][0] += amount
            if at > since:
                out[owner[row.customer_id]][1] += amount
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_persons_revenue_equals_ground_truth(loaded: Any) -> None:
    account, warehouse, paths, _, _ = loaded
    person_of = {p["distinct_id"]: p["person_id"] for p in read_csv(paths["persons"])}
    owner = {c: person_of[d] for c, (d, _, _) in observable_truth(account).items()}
    (as_of,) = query(warehouse, "select max(as_of_at) from revenue_analytics.fct_customer_revenue")[0]
    expected = _expected_revenue(account, as_of, owner)
    rows = query(
        warehouse,
        """select person_id, revenue_minor, revenue_last_30_days_minor
           from revenue_analytics.persons_revenue_analytics""",
    )
    got = {r[0]: (r[1], r[2]) for r in rows}
    assert got == {p: expected.get(p, (0, 0)) for p in set(owner.values())}
    assert any(v[0] for v in got.values()) and any(v[1] for v in got.values())


def test_groups_revenue_equals_ground_truth(loaded: Any) -> None:
    account, warehouse, paths, _, _ = loaded
    owner = {c: key for c, (key, _) in expected_groups(account, paths).items()}
    (as_of,) = query(warehouse, "select max(as_of_at) from revenue_analytics.fct_customer_revenue")[0]
    expected = _expected_revenue(account, as_of, owner)
    rows = query(
        warehouse,
        "select group_key, revenue_minor, revenue_last_30_days_minor from revenue_analytics.groups_revenue_analytics",
    )
    assert {r[0]: (r[1], r[2]) for r in rows} == {g: expected.get(g, (0, 0)) for g in set(owner.values())}


def test_conservation_tests_ran_and_passed(loaded: Any) -> None:
    output = loaded[4]
    for name in ("persons_revenue_conserved", "groups_revenue_conserved", "customer_persons_cover_customers"):
        assert f"PASS {name}" in output, output[-4000:]
