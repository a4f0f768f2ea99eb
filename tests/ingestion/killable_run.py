"""Run one ingestion against a requests-mock Stripe in a child process, for test_sigkill.py.

    python -m tests.ingestion.killable_run <phase> <mode>

phase: 1 = the initial account, 2 = plus new objects. mode: `slow` (each response waits, so the
parent can SIGKILL mid-extract), `kill-before-load` (extract + normalize, then SIGKILL itself),
`kill-after-insert` (SIGKILL itself right after DuckDB committed the first `customer` file, before
dlt recorded that job as done), `run` (a normal run). Config comes from the environment (the parent's `stripe_env`).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import requests_mock

from tests.ingestion.stripe_mock import MockStripe

NOW = 1_780_272_000
N_INITIAL = 600
N_NEW = 150


def build(mock: MockStripe, phase: int) -> None:
    n = N_INITIAL + (N_NEW if phase >= 2 else 0)
    for i in range(n):
        created = NOW - 5_000_000 + i * 1000
        mock.add("customer", {"id": f"cus_{i:05d}", "object": "customer", "created": created, "n": i})
        mock.add("charge", {"id": f"ch_{i:05d}", "object": "charge", "created": created, "amount": i})
    mock.now = NOW + (0 if phase == 1 else 10_000_000)


def main(phase: int, mode: str, workdir: Path) -> None:
    from ingestion import pipeline
    from ingestion.stripe import stripe_source

    served = workdir / "served"
    with requests_mock.Mocker(case_sensitive=True) as http:
        mock = MockStripe(http, now=NOW)
        build(mock, phase)
        if mode == "slow":
            handle = mock._handle

            def slow(request: Any, context: Any) -> Any:
                time.sleep(0.05)
                with served.open("a") as f:
                    f.write(".")
                return handle(request, context)

            http.get(requests_mock.ANY, json=slow)
        if mode == "kill-after-insert":
            from dlt.common.storages.load_package import PackageStorage

            record = PackageStorage.save_pending_transition

            def killed(self: Any, load_id: str, file_name: str, *args: Any, **kwargs: Any) -> None:
                if file_name.startswith("customer."):
                    os.kill(os.getpid(), signal.SIGKILL)
                record(self, load_id, file_name, *args, **kwargs)

            PackageStorage.save_pending_transition = killed  # type: ignore[method-assign]
        if mode == "kill-before-load":
            p = pipeline.make_pipeline(pipelines_dir=str(workdir / "pipelines"))
            p.extract(stripe_source(resources="customer,charge", page_size=50))
            p.normalize()
            os.kill(os.getpid(), signal.SIGKILL)
        pipeline.run(
            pipelines_dir=str(workdir / "pipelines"),
            resources=["customer", "charge"],
            load_fx=False,
            progress=False,
            page_size=50,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
