"""The dashboard page of the demo account: its size and its first render in headless Chromium.

Targets (issue 21): the page <= 1.5 MB, first render < 1 s. First render = from navigation start to the
first frame painted after the page drew its tiles, charts and tables (HTML and Chart.js parsed, data
read, everything drawn), read from `performance.now()` in the page; each run is a fresh tab.

    python -m bench.dashboard_page [--warehouse demo/warehouse.duckdb] [--runs 7] [--screenshots docs/img]

`--screenshots` also saves the README's two pictures of that page (the default view, and a breakdown).

Without a warehouse at that path the demo account is built first (`stripe-revenue demo`, ~2 min).
Needs Debian's Chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE_TARGET = 1_500_000
RENDER_TARGET_MS = 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", default=str(ROOT / "demo" / "warehouse.duckdb"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--screenshots", metavar="DIR", help="save the README's screenshots of the page there")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("error: no Chromium: apt-get install chromium", file=sys.stderr)
        return 1
    warehouse = Path(args.warehouse)
    with tempfile.TemporaryDirectory() as tmp:
        if not warehouse.is_file():
            warehouse = Path(tmp) / "warehouse.duckdb"
            print(f"building the demo account into {warehouse} ...", flush=True)
            env = {**os.environ, "DLT_DATA_DIR": str(Path(tmp) / "dlt")}
            subprocess.run(
                [str(Path(sys.executable).with_name("stripe-revenue")), "demo", "--warehouse", str(warehouse)],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        from cli.dashboard import write_page

        out = Path(tmp) / "dashboard.html"
        started = time.perf_counter()
        write_page(out, str(warehouse), ROOT / "dashboard" / "demo.toml", "duckdb")
        written = time.perf_counter() - started
        size = out.stat().st_size
        frames, scripts = measure(chromium, out, args.runs)
        if args.screenshots:
            screenshots(chromium, out, Path(args.screenshots))
    load = os.getloadavg()
    print("| what | target | measured |\n|---|---|---|")
    print(f"| page size, demo account | ≤ {SIZE_TARGET / 1e6:.1f} MB | **{size / 1e6:.2f} MB** |")
    print(
        f"| first render in headless Chromium ({args.runs} runs, min / median / max) | < {RENDER_TARGET_MS} ms | "
        f"**{min(frames):.0f} / {statistics.median(frames):.0f} / {max(frames):.0f} ms** "
        f"(script done {min(scripts):.0f} / {statistics.median(scripts):.0f} / {max(scripts):.0f} ms) |"
    )
    print(f"| writing the page (read the marts, fold, render) | — | {written:.2f} s |")
    print(f"\nload average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    ok = size <= SIZE_TARGET and statistics.median(frames) < RENDER_TARGET_MS
    return 0 if ok else 2


def measure(chromium: str, page_file: Path, runs: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    frames, scripts = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            for _ in range(runs):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(page_file.as_uri())
                page.wait_for_function("window.dashboard && window.dashboard.firstFrameMs")
                frame, script = page.evaluate("[window.dashboard.firstFrameMs, window.dashboard.firstRenderMs]")
                frames.append(frame)
                scripts.append(script)
                page.close()
        finally:
            browser.close()
    return frames, scripts


# the README's pictures: the top of the page (controls, tiles, first charts), default view and a breakdown
SHOTS = {
    "dashboard.png": "range=ytd",  # with the month in progress, month to date, and the year's goals
    "dashboard-breakdown.png": "bd=country&f.coupon=(no coupon)",
}


def screenshots(chromium: str, page_file: Path, folder: Path) -> None:
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            for name, fragment in SHOTS.items():
                page = browser.new_page(viewport={"width": 1400, "height": 1150})
                page.goto(page_file.as_uri() + ("#" + quote(fragment, safe="=&,.") if fragment else ""))
                page.wait_for_function("window.dashboard && window.dashboard.firstFrameMs")
                page.screenshot(path=str(folder / name))
                page.close()
        finally:
            browser.close()
    print(f"screenshots: {', '.join(str(folder / n) for n in SHOTS)}")


if __name__ == "__main__":
    sys.exit(main())
