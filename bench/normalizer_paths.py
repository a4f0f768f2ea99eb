"""Arrow fast path vs dlt's default row normalizer, on the same Stripe pages (DECISIONS.md D2).

Builds N objects from Stripe's canonical fixtures (a charge / invoice / customer / subscription
mix, both API shapes), serialises them as 100-object list pages (the bytes an HTTP response
carries), then loads the same pages into a fresh DuckDB three ways and reports objects/s for
extract, normalize, load and overall:

- `arrow`: what the `stripe` source does: pages read column-wise (msgspec) → D2 rows → `pyarrow.Table` → parquet;
- `dicts-d2`: the same D2 rows as Python dicts (`data` a dict with a json hint), through dlt's
  default normalizer;
- `dicts-nested`: the raw Stripe objects as dicts, dlt typing every nested field into child tables.

    python -m bench.normalizer_paths --objects 20000
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from tests.stripe_fixtures import resources

KINDS = ("charge", "invoice", "customer", "subscription")
API_VERSION = "2026-10-28.endive"


def make_pages(n: int, page_size: int = 100) -> list[bytes]:
    """`n` objects as serialized list pages, alternating kinds and API shapes, unique ids."""
    eras = [resources("current"), resources("legacy")]  # Stripe's fixtures3, kept in tests/fixtures/stripe
    objects = []
    for i in range(n):
        template = eras[i % 7 == 0][KINDS[i % len(KINDS)]]
        obj = copy.deepcopy(template)
        obj["id"] = f"{obj['id'][:3]}bench{i:08d}"
        obj["created"] = 1_700_000_000 + i
        obj["object"] = "charge"  # one table per path keeps the comparison simple
        objects.append(obj)
    return [
        orjson.dumps({"object": "list", "data": objects[i : i + page_size], "has_more": True, "url": "/v1/charges"})
        for i in range(0, n, page_size)
    ]


def arrow_items(pages: list[bytes], batch_rows: int = 10_000) -> Iterator[Any]:
    """As the source does (I10, I12): each page read column-wise into raw slices, pages gathered into
    one Arrow table per ~`batch_rows` rows."""
    from ingestion.stripe.raw_json import decode_list
    from ingestion.stripe.rows import RowBatch

    batch = RowBatch(None)
    for body in pages:
        page, _ = decode_list(body)
        batch.extend(
            [head.id for head in page.heads],
            [head.created for head in page.heads],
            page.raws,
            api_version=API_VERSION,
            state_at=1_800_000_000,
        )
        if len(batch) >= batch_rows:
            yield batch.to_table()
            batch = RowBatch(None)
    if len(batch):
        yield batch.to_table()


def d2_dict_items(pages: list[bytes]) -> Iterator[Any]:
    import datetime as dt

    synced = dt.datetime.now(dt.UTC)
    for body in pages:
        yield [
            {
                "id": o["id"],
                "created": o["created"],
                "data": o,
                "api_version": API_VERSION,
                "state_at": 1_800_000_000,
                "is_deleted": False,
                "deleted_at": None,
                "parent_id": None,
                "account_id": None,
                "synced_at": synced,
            }
            for o in orjson.loads(body)["data"]
        ]


def nested_dict_items(pages: list[bytes]) -> Iterator[Any]:
    for body in pages:
        yield orjson.loads(body)["data"]


def run_path(name: str, items: Callable[[list[bytes]], Iterator[Any]], pages: list[bytes], n: int) -> dict[str, Any]:
    import dlt

    from ingestion.pipeline import make_pipeline
    from ingestion.stripe.rows import DLT_COLUMN_HINTS

    work = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    try:
        columns = DLT_COLUMN_HINTS if name != "dicts-nested" else None
        resource = dlt.resource(
            items(pages),
            name="charge",
            write_disposition="append",
            columns=columns,
            max_table_nesting=0 if name == "dicts-d2" else None,
        )
        pipeline = make_pipeline(  # the source's destination settings (zstd strings, I12) for every path
            f"bench_{name.replace('-', '_')}",
            duckdb_file=str(work / "bench.duckdb"),
            pipelines_dir=str(work / "pipelines"),
        )
        timings: dict[str, float] = {}
        started = time.perf_counter()
        pipeline.extract(resource, loader_file_format="parquet")
        timings["extract"] = time.perf_counter() - started
        t = time.perf_counter()
        info = pipeline.normalize()
        timings["normalize"] = time.perf_counter() - t
        t = time.perf_counter()
        pipeline.load()
        timings["load"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - started
        tables = {k: v for k, v in info.row_counts.items() if not k.startswith("_dlt")}
        return {"path": name, "objects": n, "tables": len(tables), **timings}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--paths", nargs="+", default=["arrow", "dicts-d2", "dicts-nested"])
    args = parser.parse_args(argv)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    pages = make_pages(args.objects)
    # warm up: imports, config specs and DuckDB start once, outside the timings
    run_path("arrow", arrow_items, make_pages(200), 200)
    run_path("dicts-d2", d2_dict_items, make_pages(200), 200)
    paths = {"arrow": arrow_items, "dicts-d2": d2_dict_items, "dicts-nested": nested_dict_items}
    results = [run_path(name, paths[name], pages, args.objects) for name in args.paths]
    print(f"{args.objects} objects, {sum(len(p) for p in pages) / 1e6:.1f} MB of JSON pages\n")
    print("| path | tables | extract obj/s | normalize obj/s | load obj/s | total s | overall obj/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        n = r["objects"]
        print(
            f"| {r['path']} | {r['tables']} | {n / r['extract']:,.0f} | {n / r['normalize']:,.0f} | "
            f"{n / r['load']:,.0f} | {r['total']:.2f} | {n / r['total']:,.0f} |"
        )


if __name__ == "__main__":
    main()
