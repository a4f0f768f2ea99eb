"""End to end on PostgreSQL: the same fake account, pipeline and dbt models into a Postgres database, numbers
equal to the ground truth to the minor unit (DECISIONS.md X1).

The DuckDB run (test_ground_truth.py) checks more settings and accounts; this one checks what a Postgres
user runs: the first load and `dbt build`, then the scheduled round (new Stripe data, an incremental load,
`dbt build --exclude-resource-type unit_test`, S9) twice, then the paid basis with monthly deferral. Revenue
per category, the deferred balance, MRR per customer and month with its movements, and the monthly bridge
and rates all come from the Postgres marts through the helpers the DuckDB test uses.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_ground_truth import (
    PostgresWarehouse,
    assert_matches_ground_truth,
    connect,
    dbt,
    fully_refunded_recognise_nothing_after,
    ingest,
    serve,
    switch,
)

pytestmark = pytest.mark.slow

SCHEDULED_BUILD = ("build", "--exclude-resource-type", "unit_test")


def test_postgres_end_to_end_equals_ground_truth(tmp_path, postgres_server):
    account, server, _, rates = serve(tmp_path, "small", 11)
    warehouse = PostgresWarehouse(postgres_server.create_database("e2e"), tmp_path)
    try:
        ingest(server, warehouse, rates)
        with connect(warehouse) as con:  # dlt's Postgres destination wrote the raw layout (D2), data as jsonb
            types = dict(
                con.execute("""select column_name, data_type from information_schema.columns
                                        where table_schema = 'stripe_raw' and table_name = 'invoice'""").fetchall()
            )
        assert types["data"] == "jsonb" and types["created"] == "bigint", types
        dbt(warehouse, "build")  # every model, seed, data test and unit test
        assert_matches_ground_truth(warehouse, account)

        for _ in range(2):  # the schedule: new data, incremental load, incremental build
            server.advance(20)
            ingest(server, warehouse, rates)
            dbt(warehouse, *SCHEDULED_BUILD)
            assert_matches_ground_truth(warehouse, account)
    finally:
        server.stop()
    assert fully_refunded_recognise_nothing_after(warehouse) == 0
    switch(warehouse, "paid", "monthly")
    assert_matches_ground_truth(warehouse, account, "paid", "monthly")
