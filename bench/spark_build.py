"""The fake account built on local Spark from a parquet lake, beside the same account on DuckDB (issue 20, X2).

    python -m bench.spark_build --size demo      # needs `make test-spark`'s venv (.venv-spark: dbt-spark, pyspark)

For each engine: the load (dlt into the lake, or into the DuckDB file) and `dbt build
--exclude-resource-type unit_test` wall time, split by dbt's run_results.json into seeds, models by layer,
data tests and the rest (on Spark mostly the JVM's start and the metastore; on both, dbt's parse).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]


def load(size: str, folder: Path, env: dict[str, str]) -> float:
    from fake_stripe.account import build_account
    from fake_stripe.server import FakeStripeServer
    from ingestion.pipeline import run
    from tests.conftest import FIXED_NOW

    account = build_account(size, seed=7, now=FIXED_NOW)
    rates = account.write_reference_files(folder / "account")["fx_rates"]
    server = FakeStripeServer(account, port=0).start()
    try:
        with mock.patch.dict(os.environ, env):
            started = time.monotonic()
            run(api_key="sk_test_fake", api_base=server.base_url, pipelines_dir=str(folder / "pipelines"),
                progress=False, extra_exchange_rates=str(rates))  # fmt: skip
            return time.monotonic() - started
    finally:
        server.stop()


def build(dbt: str, folder: Path, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    command = [dbt, "build", "--exclude-resource-type", "unit_test", "--project-dir", str(ROOT),
               "--target-path", str(folder / "target"), "--log-path", str(folder / "logs")]  # fmt: skip
    full_env = {**os.environ, **env, "DBT_PROFILES_DIR": str(ROOT), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    started = time.monotonic()
    proc = subprocess.run(command, cwd=folder, env=full_env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if proc.returncode:
        sys.exit(f"dbt build failed:\n{proc.stdout[-4000:]}")
    split: dict[str, float] = defaultdict(float)
    for result in json.loads((folder / "target" / "run_results.json").read_text())["results"]:
        kind, _, name = result["unique_id"].split(".", 2)
        layer = next((p for p in ("stg_", "int_", "fct_", "dim_") if name.startswith(p)), "other ")
        split[f"{kind}s" if kind != "model" else f"models {layer[:-1]}"] += result["execution_time"]
    split["dbt parse, JVM, metastore, hooks"] = wall - sum(split.values())
    return wall, dict(split)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="demo")
    parser.add_argument("--spark-dbt", default=str(ROOT / ".venv-spark" / "bin" / "dbt"))
    parser.add_argument("--duckdb-dbt", default=str(Path(sys.executable).with_name("dbt")))
    args = parser.parse_args(argv)
    if not Path(args.spark_dbt).exists():
        print(f"no dbt with dbt-spark at {args.spark_dbt}: run `make test-spark` once (it makes .venv-spark)")
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine, dbt in (("duckdb", args.duckdb_dbt), ("spark", args.spark_dbt)):
            folder = Path(tmp) / engine
            folder.mkdir()
            env = (
                {"DESTINATION_TYPE": "duckdb", "DUCKDB_PATH": str(folder / "warehouse.duckdb")}
                if engine == "duckdb"
                else {
                    "DESTINATION_TYPE": "filesystem",
                    "DESTINATION__FILESYSTEM__BUCKET_URL": str(folder / "lake"),
                    "SPARK_WAREHOUSE_DIR": str(folder / "spark"),
                }
            )
            loaded = load(args.size, folder, env)
            wall, split = build(dbt, folder, env)
            rows.append((engine, loaded, wall, split))
    print(f"| engine ({args.size} account) | load | dbt build (no unit tests) | split |")
    print("|---|---|---|---|")
    for engine, loaded, wall, split in rows:
        parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(split.items(), key=lambda kv: -kv[1]))
        print(f"| {engine} | {loaded:.1f} s | {wall:.1f} s | {parts} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
