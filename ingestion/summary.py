"""What a run did (`RunResult`) and the table printed after it: rows per table, how each resource ran.

The table is a few f-strings: a table library (tabulate, rich) would be one more dependency for
fifteen lines (DECISIONS.md A1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingestion.fx import FX_DATASET
from ingestion.stripe.context import RunStats


@dataclass
class RunResult:
    pipeline_name: str
    dataset_name: str
    duckdb_path: str
    seconds: float
    row_counts: dict[str, int]  # rows written per raw table by this run
    stats: RunStats
    fx_rows: int = 0
    load_info: Any = field(default=None, repr=False)
    errors: list[str] = field(default_factory=list)  # later steps that failed after the Stripe load was loaded

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        return format_summary(self)


def format_summary(result: RunResult) -> str:
    """A small table: rows per table, how each resource ran, and the overall rate."""
    lines = [
        f"{'table':<28} {'rows':>9} {'mode':<12} {'events':>7} {'applied':>7} {'seconds':>8}",
    ]
    tables = sorted(set(result.row_counts) | set(result.stats.resources))
    for table in tables:
        rs = result.stats.resources.get(table)
        mode = rs.mode if rs else ""
        events = str(rs.events_read) if rs and rs.events_read else ""
        applied = str(rs.states_applied) if rs and rs.states_applied else ""
        seconds = f"{rs.seconds:8.1f}" if rs else " " * 8
        lines.append(f"{table:<28} {result.row_counts.get(table, 0):>9} {mode:<12} {events:>7} {applied:>7} {seconds}")
    lines.append(
        f"{result.total_rows} rows into {result.dataset_name} in {result.seconds:.1f} s "
        f"({result.rows_per_second:,.0f} rows/s), {result.stats.requests} Stripe requests, "
        f"{result.stats.retries} retries"
        + (f"; {result.fx_rows} exchange rates into {FX_DATASET}" if result.fx_rows else "")
    )
    lines.append(f"warehouse: {result.duckdb_path}")
    spool = result.stats.spool
    if spool is not None and (spool.counts.files or spool.counts.other_account or spool.counts.rejected):
        c = spool.counts
        lines.append(
            f"webhook spool {spool.directory}: {c.files} events read, {c.removed} applied and removed, "
            f"{c.other_account} of another account skipped, {c.rejected} rejected"
        )
    for warning in result.stats.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)
