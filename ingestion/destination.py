"""Where loads go: the warehouse a run writes (DuckDB, Postgres or a parquet lake), chosen the dlt way; connections.

The destination is dlt's `destination_type` (`DESTINATION_TYPE`, `.dlt/config.toml`, or `--destination`
on `run`); Postgres credentials are dlt's too (`DESTINATION__POSTGRES__CREDENTIALS`, a URL, or its
parts `..._CREDENTIALS__HOST` ...). `DUCKDB_PATH` stays the DuckDB shortcut. dbt reads the same
variables (profiles.yml), so one configuration serves both.

DuckDB: one writer at a time, DuckDB locks the file for the process that opens it. A run opens it
once, waits a bounded time for a reader that holds it (a SQL editor, the dashboard, dbt), names that
process if it does not let go, and keeps the connection for every dlt pipeline of the run, so a
reader that opens the file in the middle of the run cannot make a later step fail (DECISIONS.md D5).
Postgres has no such lock: each dlt pipeline opens its own connections.
The lake (`filesystem`, lake.py) is files under a bucket URL that Spark reads; nothing here connects to it.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.common.runtime.collector import NULL_COLLECTOR, TqdmCollector
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ingestion import lake

# Raw tables are mostly JSON text: zstd stores it ~5x smaller than DuckDB's default string
# compression (FSST/dictionary) and halves the load's CPU, while scans read as fast (I12).
# Only string columns use it; the others keep their usual compression.
LOAD_SETTINGS = {"force_compression": "zstd"}
# A new warehouse file is written in the storage format of DuckDB 1.2, so every client from 1.2 on
# opens it: the `duckdb` CLI from PyPI, DBeaver, harlequin, older Python packages (D5).
STORAGE_COMPATIBILITY = "v1.2.0"
LOCK_WAIT_SECONDS = 60.0

DESTINATIONS = ("duckdb", "postgres", "filesystem")  # filesystem: the parquet lake Spark reads (lake.py)
POSTGRES_CREDENTIALS_ENV = "DESTINATION__POSTGRES__CREDENTIALS"
POSTGRES_URL_EXAMPLE = "postgresql://user:password@host:5432/database"


class WarehouseLockedError(Exception):
    """Another process held the warehouse file for longer than the run waits; nothing was written."""


class DestinationError(ValueError):
    """The configured destination is unknown, lacks credentials or cannot be reached; says what to set."""


def duckdb_path(path: str | None = None) -> str:
    """The warehouse file: `path`, else `$DUCKDB_PATH`, else `<cwd>/warehouse.duckdb`; absolute."""
    resolved = os.path.abspath(path or os.environ.get("DUCKDB_PATH") or "warehouse.duckdb")
    os.makedirs(os.path.dirname(resolved), exist_ok=True)  # DuckDB creates the file, not its folder
    return resolved


def destination_type(name: str | None = None) -> str:
    """`name` (`--destination`), else dlt's `destination_type` config (`DESTINATION_TYPE`), else duckdb."""
    chosen = name or dlt.config.get("destination_type") or "duckdb"
    chosen = str(chosen).strip().lower()
    if chosen not in DESTINATIONS:
        raise DestinationError(
            f"destination {chosen!r} is not supported: use one of {', '.join(DESTINATIONS)} "
            "(--destination, or DESTINATION_TYPE / destination_type in .dlt/config.toml)"
        )
    return chosen


def postgres_credentials() -> Any:
    """dlt's Postgres credentials, resolved from its config (`DESTINATION__POSTGRES__CREDENTIALS`...)."""
    from dlt.common.configuration import resolve_configuration
    from dlt.common.configuration.exceptions import ConfigFieldMissingException
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    try:
        return resolve_configuration(PostgresCredentials(), sections=("destination", "postgres"))
    except ConfigFieldMissingException as exc:
        missing = ", ".join(getattr(exc, "fields", None) or ["credentials"])
        raise DestinationError(
            f"the Postgres destination has no {missing}: set {POSTGRES_CREDENTIALS_ENV}={POSTGRES_URL_EXAMPLE} "
            f"(or its parts {POSTGRES_CREDENTIALS_ENV}__HOST, __PORT, __USERNAME, __PASSWORD, __DATABASE; "
            "or [destination.postgres.credentials] in .dlt/secrets.toml)"
        ) from None


def _postgres_display(credentials: Any) -> str:
    """postgresql://user@host:port/database, never the password."""
    return f"postgresql://{credentials.username}@{credentials.host}:{credentials.port}/{credentials.database}"


def _connect_postgres(credentials: Any, *, read_only: bool = False) -> Any:
    import psycopg2

    try:
        connection = psycopg2.connect(
            credentials.to_native_representation(), connect_timeout=credentials.connect_timeout or 15
        )
    except psycopg2.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DestinationError(
            f"cannot connect to Postgres at {_postgres_display(credentials)}: {reason}. Check that the server "
            f"runs and {POSTGRES_CREDENTIALS_ENV} names it, with a user that may create schemas in that database"
        ) from None
    if read_only:
        connection.set_session(readonly=True, autocommit=True)
    return connection


@dataclass
class Warehouse:
    """The destination of one run: its dlt type, a DuckDB file or Postgres credentials, and (DuckDB) the run's
    one connection."""

    kind: str
    duckdb_file: str | None = None
    credentials: Any = None
    connection: Any = None
    bucket_url: str | None = None  # the lake (kind filesystem)

    @property
    def display(self) -> str:
        if self.kind == "filesystem":
            return str(self.bucket_url)
        return self.duckdb_file if self.kind == "duckdb" else _postgres_display(self.credentials)

    def destination(self) -> Any:
        """The dlt destination object for a pipeline of this run."""
        if self.kind == "duckdb":
            target = self.connection if self.connection is not None else self.duckdb_file
            return dlt.destinations.duckdb(DuckDbCredentials(target, global_config=LOAD_SETTINGS))
        if self.kind == "filesystem":
            return lake.destination(str(self.bucket_url))
        return dlt.destinations.postgres(credentials=self.credentials)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def open_warehouse(destination: str | None = None, duckdb_file: str | None = None) -> Warehouse:
    """The run's warehouse, checked before anything is extracted: for DuckDB the file opened once (D5),
    for Postgres the credentials resolved and one connection tried, so a wrong password or host fails
    first, with what to set. Raises `WarehouseLockedError` or `DestinationError`."""
    kind = destination_type(destination)
    if kind == "duckdb":
        path = duckdb_path(duckdb_file)
        return Warehouse("duckdb", duckdb_file=path, connection=connect_warehouse(path))
    if kind == "filesystem":
        return _lake_warehouse()
    credentials = postgres_credentials()
    _connect_postgres(credentials).close()
    return Warehouse("postgres", credentials=credentials)


def connect_read_only(destination: str | None = None, duckdb_file: str | None = None) -> Any:
    """A read-only DB-API connection to the configured warehouse (`destination` / `DESTINATION_TYPE`):
    DuckDB's file (`duckdb_file`, `$DUCKDB_PATH`) opened read-only, or a Postgres session that refuses
    writes. For readers such as the dashboard: `.cursor().execute(sql)`, `.fetchall()`, `.close()`.
    Raises `DestinationError` (Postgres unreachable, no credentials) or DuckDB's error (no file, locked)."""
    kind = destination_type(destination)
    if kind == "duckdb":
        import duckdb

        return duckdb.connect(duckdb_path(duckdb_file), read_only=True)
    if kind == "filesystem":
        raise DestinationError(
            "the lake (DESTINATION_TYPE=filesystem) is files, not a database: read its marts through Spark "
            '(README "Scale out on Spark / Databricks")'
        )
    return _connect_postgres(postgres_credentials(), read_only=True)


def _lake_warehouse() -> Warehouse:
    """The lake from dlt's `DESTINATION__FILESYSTEM__BUCKET_URL`; a missing URL is a `DestinationError`."""
    try:
        return Warehouse("filesystem", bucket_url=lake.bucket_url())
    except lake.LakeConfigError as exc:
        raise DestinationError(str(exc)) from None


def row_id_column(destination_type_name: str) -> str:
    """The engine's physical row id, for removing exact duplicate rows (the resume path, I9)."""
    return {"duckdb": "rowid", "postgres": "ctid"}[destination_type_name]


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
    warehouse: Warehouse | None = None,
) -> dlt.Pipeline:
    """A dlt pipeline into the warehouse: the run's `warehouse` when given, else DuckDB through `connection`
    when given, else the configured destination (`DESTINATION_TYPE`; DuckDB's file `duckdb_file` /
    `$DUCKDB_PATH`, which dlt then opens for each step itself)."""
    if warehouse is None:
        if connection is not None or destination_type() == "duckdb":
            warehouse = Warehouse("duckdb", duckdb_file=duckdb_path(duckdb_file), connection=connection)
        elif destination_type() == "filesystem":
            warehouse = _lake_warehouse()
        else:
            warehouse = Warehouse("postgres", credentials=postgres_credentials())
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=warehouse.destination(),
        dataset_name=dataset_name,
        pipelines_dir=pipelines_dir,
        progress=TqdmCollector() if progress else NULL_COLLECTOR,
    )
