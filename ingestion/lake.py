"""The lake: raw tables as parquet files under a bucket URL (dlt's `filesystem` destination), for Spark/Databricks.

`DESTINATION_TYPE=filesystem` with dlt's own `DESTINATION__FILESYSTEM__BUCKET_URL` (a local folder, or
`s3://`, `gs://`, `az://`, `abfss://` with dlt's credentials for them) writes every raw table as parquet
files in `<bucket>/<dataset>/<table>/`, the same columns as the warehouse tables (D2). A load only adds
files: dlt's filesystem destination has no MERGE without Delta/Iceberg, so an object changed between
loads has one row per version, and staging on Spark keeps the latest `state_at` per id (the
`stripe_raw_relation` macro, DECISIONS.md X2). dbt registers the folders as external tables in
on-run-start (macros/adapters/spark/lake.sql), from the same variable.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import dlt

BUCKET_URL_ENV = "DESTINATION__FILESYSTEM__BUCKET_URL"
# one folder per table, one file per load job: the folder is the external table Spark reads
LAYOUT = "{table_name}/{load_id}.{file_id}.{ext}"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class LakeConfigError(ValueError):
    """The lake has no bucket URL; the message says what to set."""


def bucket_url(url: str | None = None) -> str:
    """`url`, else dlt's `destination.filesystem.bucket_url` (`DESTINATION__FILESYSTEM__BUCKET_URL`). A local
    path becomes an absolute `file://` URL, so dlt and Spark (a different working directory) read one folder."""
    chosen = url or dlt.config.get("destination.filesystem.bucket_url")
    if not chosen:
        raise LakeConfigError(
            f"the filesystem (lake) destination has no bucket URL: set {BUCKET_URL_ENV} to a folder "
            "(/data/lake) or a bucket (s3://bucket/lake, gs://..., az://...), or bucket_url under "
            "[destination.filesystem] in .dlt/config.toml"
        )
    chosen = str(chosen).strip()
    if chosen.startswith("file://"):
        chosen = chosen[len("file://") :]
    elif _SCHEME.match(chosen):
        return chosen.rstrip("/")
    path = os.path.abspath(os.path.expanduser(chosen))
    os.makedirs(path, exist_ok=True)
    return "file://" + path


class _ExpectedAppendNotice(logging.Filter):
    """dlt warns once per table and load that merge falls back to append on plain files: that is the lake's plan."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to `append`" not in record.getMessage()


_APPEND_NOTICE = _ExpectedAppendNotice()


def destination(url: str) -> Any:
    """dlt's filesystem destination on `url`, every table as parquet (Spark reads it natively)."""
    dlt_logger = logging.getLogger("dlt")
    if _APPEND_NOTICE not in dlt_logger.filters:
        dlt_logger.addFilter(_APPEND_NOTICE)
    return dlt.destinations.filesystem(bucket_url=url, layout=LAYOUT, preferred_loader_file_format="parquet")
