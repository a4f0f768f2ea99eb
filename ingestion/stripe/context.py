"""What one run of the `stripe` source shares (`SourceContext`) and what it counts (`RunStats`).

Built once by `stripe_source` from its configuration, then handed to every resource's extraction;
the pipeline reads `RunStats` back for the summary it prints.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ingestion.stripe.account import AccountBinding
from ingestion.stripe.client import StripeClient
from ingestion.stripe.spool import WebhookSpool
from ingestion.stripe.stored import Warehouse

logger = logging.getLogger("ingestion.stripe")

POLL_SECONDS = 0.02  # how long a resource waits for a page before letting dlt run another resource


def parse_start(value: str | int | float | dt.date | None) -> int:
    """`start_date` as unix seconds: an int/float, an ISO date or datetime (UTC if naive), or None → 0."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValueError(f"invalid start_date {value!r}")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return int(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


@dataclass
class ResourceStats:
    mode: str = ""
    listed: int = 0  # objects listed (parent objects only)
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # rows yielded per table
    events_read: int = 0
    states_applied: int = 0
    states_skipped: int = 0  # event states older than what the warehouse holds
    tombstoned: int = 0
    refetched: int = 0  # objects changed by events, re-read with their expansions
    spool_events: int = 0  # events of the webhook spool applied (I13)
    appended: bool = False  # first load into empty tables: written with `append` (I9)
    seconds: float = 0.0


@dataclass
class RunStats:
    """Counters a caller can pass in to get a summary of what the source did."""

    resources: dict[str, ResourceStats] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0  # answers 429 (each retried; the pace follows them, I15)
    # one entry per dlt run of a pipelined backfill (I11): resources and seconds per dlt step
    runs: list[dict[str, Any]] = field(default_factory=list)
    # the webhook spool this run read (I13); the pipeline removes its consumed files after the load
    spool: WebhookSpool | None = None

    def warn(self, message: str) -> None:
        logger.warning(message)
        self.warnings.append(message)


@dataclass
class SourceContext:
    client: StripeClient
    warehouse: Warehouse
    prefix: str
    account_id: str | None
    start: int
    overlap: int
    workers: int
    page_size: int
    batch_rows: int
    stats: RunStats
    spool: WebhookSpool | None = None  # verified webhook events to apply with /v1/events' (I13)
    binding: AccountBinding | None = None  # the Stripe account every resource state records (I14)

    def table(self, name: str) -> str:
        return self.prefix + name
