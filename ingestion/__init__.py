"""Loading Stripe and its reference data into the warehouse with dlt: the sources, and the run that composes them.

    stripe/               the dlt source `stripe` (laid out as dlt's verified sources are)
    fx.py                 the ECB exchange-rate source
    product_analytics.py  the persons and groups files source
    destination.py        where loads go: the DuckDB warehouse, one connection per run
    pipeline.py           one run: the sources into dlt pipelines on the destination
    summary.py            what a run did, as the table printed after it
    webhooks/             the webhook receiver (Starlette + uvicorn), writing the spool the next run applies

Data flows one way: cli → pipeline → sources → client. Nothing here imports the CLI, the dashboard or
the fake Stripe (tests/test_architecture.py checks it; DECISIONS.md A1).
"""
