"""I11, I15: a first load is listed ahead of loading, in as many dlt runs as pay: one for a small
account, several once `group_rows` rows are ready (or per `package_rows`); cursors ride only in a
resource's last package."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests_mock

import ingestion.pipeline as pipeline_module
from ingestion.stripe import Backfill
from tests.ingestion import killable_run
from tests.ingestion.conftest import query
from tests.ingestion.stripe_mock import MockStripe

pytestmark = pytest.mark.usefixtures("stripe_env")


def run(tmp_path: Path, phase: int = 1) -> pipeline_module.RunResult:
    with requests_mock.Mocker(case_sensitive=True) as http:
        killable_run.build(MockStripe(http, now=killable_run.NOW), phase)
        return pipeline_module.run(
            pipelines_dir=str(tmp_path / "pipelines"),
            resources=["customer", "charge"],
            load_fx=False,
            progress=False,
            page_size=50,
            batch_rows=1,  # one Arrow batch per page (<= 50 rows), so package sizes do not depend on slice timing
        )


def cursors(tmp_path: Path) -> dict[str, int | None]:
    state = pipeline_module.make_pipeline(pipelines_dir=str(tmp_path / "pipelines")).state
    resources = state.get("sources", {}).get("stripe", {}).get("resources", {})
    return {name: r.get("created_cursor") for name, r in resources.items()}


def totals(tmp_path: Path) -> dict[str, tuple[int, int]]:
    return {
        t: query(tmp_path, f"select count(*), count(distinct id) from stripe_raw.{t}")[0]
        for t in ("customer", "charge")
    }


@pytest.fixture
def small_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Backfill.__init__

    def init(self: Backfill, *args: object, **kwargs: object) -> None:
        # packages of 100..149 rows: at least 5 for the 600 customers, however the pages fall
        original(self, workers=2, max_items=4, package_rows=100)

    monkeypatch.setattr(Backfill, "__init__", init)


@pytest.mark.usefixtures("small_packages")
def test_first_load_in_several_packages(tmp_path: Path) -> None:
    result = run(tmp_path)
    n = killable_run.N_INITIAL
    assert result.row_counts == {"customer": n, "charge": n}
    assert sum("customer" in r["resources"] for r in result.stats.runs) >= 5  # packages of 100..149 rows
    assert totals(tmp_path) == {"customer": (n, n), "charge": (n, n)}
    newest = killable_run.NOW - 5_000_000 + (n - 1) * 1000
    assert cursors(tmp_path) == {"customer": newest, "charge": newest}
    # first loads appended in every package (I9), no merge staging dataset
    assert not query(tmp_path, "select * from information_schema.tables where table_schema = 'stripe_raw_staging'")


@pytest.mark.usefixtures("small_packages")
def test_stopped_between_packages_then_rerun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = pipeline_module._record_steps
    calls = []

    def stop_after_two(*args: object) -> None:
        record(*args)  # type: ignore[arg-type]
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # like a kill: two packages loaded, a resource without its cursor

    monkeypatch.setattr(pipeline_module, "_record_steps", stop_after_two)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path)
    # which resource's packages came first depends on which listing was ahead (I15: the busiest)
    n = killable_run.N_INITIAL
    catalog = "select table_name from information_schema.tables where table_schema = 'stripe_raw'"
    tables = {t for (t,) in query(tmp_path, catalog)}
    loaded = {
        t: query(tmp_path, f"select count(*) from stripe_raw.{t}")[0][0] if t in tables else 0
        for t in ("customer", "charge")
    }
    assert 0 < sum(loaded.values()) < 2 * n
    unfinished = [t for t, rows in loaded.items() if rows < n]
    assert unfinished and not any(cursors(tmp_path).get(t) for t in unfinished)

    monkeypatch.setattr(pipeline_module, "_record_steps", record)
    run(tmp_path)
    assert totals(tmp_path) == {"customer": (n, n), "charge": (n, n)}
    newest = killable_run.NOW - 5_000_000 + (n - 1) * 1000
    assert cursors(tmp_path) == {"customer": newest, "charge": newest}


def test_a_small_first_load_is_one_dlt_run(tmp_path: Path) -> None:
    """I15: 1,200 rows, far under `group_rows`: one dlt run loads both resources (a run costs the
    same fixed ~0.3 s whatever it loads)."""
    result = run(tmp_path)
    n = killable_run.N_INITIAL
    assert [r["resources"] for r in result.stats.runs] == [["customer", "charge"]]
    assert totals(tmp_path) == {"customer": (n, n), "charge": (n, n)}
    newest = killable_run.NOW - 5_000_000 + (n - 1) * 1000
    assert cursors(tmp_path) == {"customer": newest, "charge": newest}


def test_enough_rows_start_a_run_before_every_listing_ended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With `group_rows` = 100 the first run starts once 100 rows wait, as in a large account: more
    than one dlt run, every row once, both cursors."""
    original = Backfill.__init__

    def init(self: Backfill, *args: object, **kwargs: object) -> None:
        original(self, workers=1, group_rows=100)

    monkeypatch.setattr(Backfill, "__init__", init)
    result = run(tmp_path)
    n = killable_run.N_INITIAL
    runs = [r["resources"] for r in result.stats.runs]
    assert len(runs) >= 2 and runs[0] == ["customer"]
    assert result.row_counts == {"customer": n, "charge": n}
    assert totals(tmp_path) == {"customer": (n, n), "charge": (n, n)}
    newest = killable_run.NOW - 5_000_000 + (n - 1) * 1000
    assert cursors(tmp_path) == {"customer": newest, "charge": newest}
