"""`stripe-revenue fake-stripe serve` argument handling and the start-up summary."""

from __future__ import annotations

import argparse
import io
import threading
import time

import pytest
import requests

from fake_stripe import cli as fake_cli
from fake_stripe import server as server_mod
from tests.fake_stripe.conftest import API_KEY, CONNECTED_ID, PLATFORM_ID, free_port, make_platform, start_server


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stripe-revenue")
    fake_cli.add_parser(p.add_subparsers(dest="command", required=True))
    return p


def test_serve_options():
    args = parser().parse_args(
        [
            "fake-stripe",
            "serve",
            "--size",
            "small",
            "--seed",
            "3",
            "--port",
            "4242",
            "--api-key",
            "sk_test_x",
            "--latency-ms",
            "5",
            "--rate-limit",
            "25",
            "--error-rate",
            "0.1",
            "--truncate-rate",
            "0.05",
            "--restricted-key",
            "rk_test_a=charge_read,rak_customer_read",
            "--restricted-key",
            "rk_test_b=event_read",
        ]
    )
    assert (args.size, args.seed, args.port, args.api_key) == ("small", 3, 4242, "sk_test_x")
    assert (args.latency_ms, args.rate_limit, args.error_rate, args.truncate_rate) == (5, 25, 0.1, 0.05)
    assert dict(args.restricted_key) == {
        "rk_test_a": ["rak_charge_read", "rak_customer_read"],
        "rk_test_b": ["rak_event_read"],
    }
    defaults = parser().parse_args(["fake-stripe", "serve"])
    assert (defaults.size, defaults.port, defaults.api_key, defaults.host) == (
        "demo",
        12111,
        "sk_test_fake",
        "127.0.0.1",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--error-rate", "1.5"],
        ["--size", "huge"],
        ["--restricted-key", "no-equals-sign"],
    ],
)
def test_bad_options_are_rejected(argv, capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["fake-stripe", "serve", *argv])


def test_non_loopback_host_is_refused(capsys):
    args = parser().parse_args(["fake-stripe", "serve", "--host", "0.0.0.0"])
    assert args.func(args) == 2
    assert "loopback" in capsys.readouterr().err


def test_serve_prints_what_it_serves_and_answers(monkeypatch):
    account = make_platform()
    import fake_stripe.account

    monkeypatch.setattr(fake_stripe.account, "load_account", lambda size, seed: account, raising=False)
    port = free_port()
    out = io.StringIO()
    started: list[server_mod.FakeStripeServer] = []
    real_init = server_mod.FakeStripeServer.__init__

    def spy_init(self, *a, **kw):
        real_init(self, *a, **kw)
        started.append(self)

    monkeypatch.setattr(server_mod.FakeStripeServer, "__init__", spy_init)
    thread = threading.Thread(
        target=server_mod.serve,
        kwargs={"size": "small", "port": port, "out": out, "api_key": API_KEY},
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + 10
    while "serving" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    text = out.getvalue()
    try:
        assert PLATFORM_ID in text and CONNECTED_ID in text
        assert f"http://127.0.0.1:{port}" in text and API_KEY in text
        assert "customers=60" in text and "invoices=80" in text
        r = requests.get(
            f"http://127.0.0.1:{port}/v1/customers", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=5
        )
        assert r.status_code == 200 and len(r.json()["data"]) == 10
    finally:
        started[0]._httpd.shutdown()
        thread.join(timeout=5)


def test_describe_lists_faults_and_restricted_keys():
    srv = start_server(make_platform(), error_rate=0.2, rate_limit=10)
    try:
        text = server_mod.describe(srv)
        assert "error_rate=0.2" in text and "rate_limit=10" in text
        assert "rk_test_restricted_abc123: rak_charge_read, rak_customer_read" in text
    finally:
        srv.stop()
