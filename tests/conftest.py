"""Shared fixtures: fake accounts at a fixed clock so numbers are reproducible."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

# Tests never talk to dlt's telemetry or a user's cache.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

FIXED_NOW = int(datetime(2026, 11, 1, tzinfo=UTC).timestamp())


@pytest.fixture(scope="session")
def small_account():
    from fake_stripe.account import build_account

    return build_account("small", seed=7, now=FIXED_NOW)


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL server for this test process (tests/postgres.py); fails, saying what to install,
    when the machine has no PostgreSQL binaries."""
    from tests.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()
