"""Where loads go: the DuckDB warehouse file, the run's one connection to it, and the dlt pipelines on it.

One writer at a time: DuckDB locks the file for the process that opens it. A run opens it once,
waits a bounded time for a reader that holds it (a SQL editor, the dashboard, dbt), names that
process if it does not let go, and keeps the connection for every dlt pipeline of the run, so a
reader that opens the file in the middle of the run cannot make a later step fail (DECISIONS.md D5).
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from typing import Any

import dlt
from dlt.common.runtime.collector import NULL_COLLECTOR, TqdmCollector
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

# Raw tables are mostly JSON text: zstd stores it ~5x smaller than DuckDB's default string
# compression (FSST/dictionary) and halves the load's CPU, while scans read as fast (I12).
# Only string columns use it; the others keep their usual compression.
LOAD_SETTINGS = {"force_compression": "zstd"}
# A new warehouse file is written in the storage format of DuckDB 1.2, so every client from 1.2 on
# opens it: the `duckdb` CLI from PyPI, DBeaver, harlequin, older Python packages (D5).
STORAGE_COMPATIBILITY = "v1.2.0"
LOCK_WAIT_SECONDS = 60.0


class WarehouseLockedError(Exception):
    """Another process held the warehouse file for longer than the run waits; nothing was written."""


def duckdb_path(path: str | None = None) -> str:
    """The warehouse file: `path`, else `$DUCKDB_PATH`, else `<cwd>/warehouse.duckdb`; absolute."""
    resolved = os.path.abspath(path or os.environ.get("DUCKDB_PATH") or "warehouse.duckdb")
    os.makedirs(os.path.dirname(resolved), exist_ok=True)  # DuckDB creates the file, not its folder
    return resolved


def is_interactive() -> bool:
    """Progress bars only for a person at a terminal: not in CI, not when stderr is redirected."""
    return not os.environ.get("CI") and sys.stderr.isatty()


def _lock_holder(message: str) -> str:
    """`/usr/bin/duckdb (PID 123)` from DuckDB's lock error, or a plain phrase when it names none."""
    match = re.search(r"lock is held in (.+?) \(PID (\d+)\)", message)
    return f"{match.group(1)} (PID {match.group(2)})" if match else "another process"


def connect_warehouse(
    path: str,
    *,
    wait_seconds: float | None = None,
    say: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),
) -> Any:
    """A read-write DuckDB connection to `path`, created in the `STORAGE_COMPATIBILITY` format when
    new. While another process holds the file, says so once and retries until `wait_seconds` (default
    `LOCK_WAIT_SECONDS`) passed, then raises `WarehouseLockedError` naming the process."""
    import duckdb

    wait_seconds = LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
    deadline = time.monotonic() + wait_seconds
    waiting = False
    while True:
        try:
            return duckdb.connect(path, config={"storage_compatibility_version": STORAGE_COMPATIBILITY})
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            holder = _lock_holder(str(exc))
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"the warehouse {path} is held by {holder}, which did not let go within {wait_seconds:.0f} s. "
                    "Close that program's connection (a SQL editor, a notebook, the dashboard or dbt), or wait "
                    "until it is done, and run again; nothing was loaded or lost."
                ) from None
            if not waiting:
                say(f"waiting for {holder} to release {path} (up to {wait_seconds:.0f} s)...")
                waiting = True
            time.sleep(0.2)


def make_pipeline(
    pipeline_name: str,
    *,
    dataset_name: str,
    duckdb_file: str | None = None,
    connection: Any = None,
    pipelines_dir: str | None = None,
    progress: bool = False,
) -> dlt.Pipeline:
    """A dlt pipeline into the warehouse: through the run's `connection` when given, else the file
    (`duckdb_file`, `$DUCKDB_PATH`), which dlt then opens for each step itself."""
    credentials = DuckDbCredentials(
        connection if connection is not None else duckdb_path(duckdb_file), global_config=LOAD_SETTINGS
    )
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dlt.destinations.duckdb(credentials),
        dataset_name=dataset_name,
        pipelines_dir=pipelines_dir,
        progress=TqdmCollector() if progress else NULL_COLLECTOR,
    )
