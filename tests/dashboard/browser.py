"""Headless Chromium (Debian's, driven by Playwright) opening a dashboard page: console errors, tiles, chart data.

Playwright's own browser download is never used: the system Chromium (`apt-get install chromium`, which
.ci/run does where it is missing) is launched by path. Without it the browser tests are skipped on a
developer's machine and fail in CI (CI=true), where it must be there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "dashboard" / "screenshots"  # written by the tests (git-ignored)


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = "no system Chromium: install it (`apt-get install chromium`; .ci/run does) to run the browser tests"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()


class DashboardPage:
    """One page in the browser; every console error or page error is kept in `errors`."""

    def __init__(self, browser: Any, html: Path, width: int = 1400) -> None:
        self.url = html.resolve().as_uri()
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, fragment: str = "") -> DashboardPage:
        self.page.goto(self.url + (("#" + fragment) if fragment else ""))
        self.page.wait_for_function("window.dashboard && window.dashboard.rendered > 0")
        return self

    def show(self, fragment: str) -> DashboardPage:
        """Another view of the open page, through its URL fragment (as a shared link would)."""
        before = self.page.evaluate("window.dashboard.rendered")
        self.page.evaluate("f => { location.hash = f }", fragment)
        self.page.wait_for_function(f"window.dashboard.rendered > {before}")
        return self

    def tiles(self) -> dict[str, str]:
        return self.page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('.kpi')].map("
            "k => [k.dataset.kpi, k.querySelector('.value').textContent]))"
        )

    def tile_details(self) -> dict[str, str]:
        return self.page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('.kpi')].map("
            "k => [k.dataset.kpi, k.querySelector('.detail').textContent]))"
        )

    def chart(self, chart_id: str) -> dict[str, Any]:
        """{"labels": [...], "series": {label: [values]}} of a drawn chart."""
        return self.page.evaluate(
            "id => { const c = window.dashboard.charts[id]; return {labels: c.data.labels, "
            "series: Object.fromEntries(c.data.datasets.map(d => [d.label, d.data]))} }",
            chart_id,
        )

    def state(self) -> dict[str, Any]:
        return self.page.evaluate("window.dashboard.state()")

    def fragment(self) -> str:
        return self.page.evaluate("location.hash")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.page.close()


def money(minor: int, exponent: int = 2, symbol: str = "$") -> str:
    """As the page writes an amount (app.js `money`)."""
    text = f"{abs(minor) / 10**exponent:,.{exponent}f}"
    return ("-" if minor < 0 and any(c in "123456789" for c in text) else "") + symbol + text


def percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = f"{value * 100:.1f}%"
    return f"+{text}" if signed and value >= 0 else text
