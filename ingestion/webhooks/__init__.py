"""The webhook receiver: verified Stripe events into the durable spool the next run applies (I13, W1-W5).

    verify.py     what is accepted: the SDK's signature rule, strict event checks
    commit.py     group commit: many events, one batch file and one fsync, then their 200s
    app.py        the ASGI app (Starlette): body limits, answers, the per-minute log line
    server.py     uvicorn around it: timeouts, connection cap, graceful shutdown
    stats.py      counters and the status file the receiver keeps in the spool
    endpoints.py  Stripe's side: webhook endpoints (create, list) and recent events
    status.py     `webhooks status`: both sides at a glance, and whether deliveries look stuck

The receiver never opens the warehouse: DuckDB has one writer, the pipeline, whose next run applies
the spool (`ingestion/stripe/spool.py`). The commands are `cli/webhooks.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ingestion.stripe.spool import default_spool_dir

SECRET_ENV = "SOURCES__STRIPE__WEBHOOK_SECRET"
SPOOL_ENV = "SOURCES__STRIPE__WEBHOOK_SPOOL"


def configured_spool(spool: str | os.PathLike[str] | None = None) -> Path:
    """The spool folder: `spool`, else `$SOURCES__STRIPE__WEBHOOK_SPOOL`, else `stripe_webhook_spool`
    next to `DUCKDB_PATH` (where the pipeline looks for it too)."""
    return Path(spool or os.environ.get(SPOOL_ENV) or default_spool_dir())


__all__ = ["SECRET_ENV", "SPOOL_ENV", "configured_spool"]
