"""The scripted account the model tests load: a few customers, each exercising one set of rules.

Every expectation in test_revenue_models.py is worked out by hand from the numbers here; the
comments give the arithmetic. Shapes alternate between legacy and current (DECISIONS.md D1).

  A  current  annual $1,200 subscription from 2024-01-01 (R5: 12 x $100; MRR $100)
  B  legacy   $50/month from 2024-01-10, upgraded to $80 on 2024-02-25 with prorations (-24.14 / +38.62),
              canceled at period end 2024-04-10 (R3, M1 proration segment, churn)
  C  current  EUR one-off invoice with a line discount and an invoice-level discount allocated by
              largest remainder, ties to the lower line index (R2)
  D  legacy   JPY invoiceless charges (R7), a failed charge, a partial refund (R8), a failed refund
  E  current  KWD one-off line 12.345 (D3), charge linked through invoice.payments (R7)
  F  current  USD invoice, credit note partly refunded, a void credit note, a lost and a won dispute (R10, R11)
  G  current  trial, 2 seats x $100 with a 25% subscription coupon, downgrade to 1 seat with prorations,
              renewal, cancellation 2024-04-20, a new subscription 2024-06-10 (M1, M2 movements)
  T  legacy   trial over a month end (MRR 0), $30/month, a void and an uncollectible invoice, an open
              invoice (MRR yes, revenue no)
  V  legacy   docs/REFERENCE.md §4 vectors in 2019; the customer is missing from the customer table
              (deleted before the first sync): a stub customer
  eu_ prefix  a second source with only customer/invoice/line tables, reusing the id cus_A
"""

from __future__ import annotations

import datetime as dt

import stripe_objects as so
from raw_warehouse import RawAccount
from stripe_objects import CURRENT, LEGACY, ts

RATES = [
    # units per EUR (ECB); the days between carry the last rate forward (D4)
    (dt.date(2023, 12, 29), "USD", 1.10),
    (dt.date(2023, 12, 29), "JPY", 155.0),
    (dt.date(2023, 12, 29), "KWD", 0.34),
    (dt.date(2024, 3, 1), "USD", 1.08),
    (dt.date(2024, 3, 1), "JPY", 162.0),
    (dt.date(2024, 3, 1), "KWD", 0.333),
]


def _prices(acc: RawAccount) -> dict[str, so.Obj]:
    created = ts("2018-06-01")
    specs = [
        # price id, product id, product name, unit amount, currency, interval
        ("price_annual", "prod_annual", "Annual plan", 120000, "usd", "year"),
        ("price_basic50", "prod_basic", "Basic", 5000, "usd", "month"),
        ("price_plus80", "prod_plus", "Plus", 8000, "usd", "month"),
        ("price_team100", "prod_team", "Team", 10000, "usd", "month"),
        ("price_team40", "prod_team", "Team", 4000, "usd", "month"),
        ("price_starter30", "prod_starter", "Starter", 3000, "usd", "month"),
        ("price_svc", "prod_services", "Services", 1000, "eur", None),
        ("price_kw", "prod_kw", "KW consulting", 12345, "kwd", None),
        ("price_vec", "prod_vec", "Vector", 3100, "usd", None),
        ("price_f", "prod_f", "Implementation", 30000, "usd", None),
    ]
    prices: dict[str, so.Obj] = {}
    seen_products: set[str] = set()
    for i, (pid, prod, name, amount, cur, interval) in enumerate(specs):
        shape = CURRENT if i % 2 else LEGACY
        if prod not in seen_products:
            acc.add("product", so.product(prod, name, shape, created), shape)
            seen_products.add(prod)
        prices[pid] = acc.add("price", so.price(pid, prod, amount, cur, shape, created, interval), shape)
    return prices


def _add_invoice(acc: RawAccount, inv: so.Obj, shape: str) -> None:
    acc.add("invoice", inv, shape)
    for li in inv["lines"]["data"]:
        # D2: a line's `created` is its invoice's; parent_id is the invoice id
        acc.add("invoice_line_item", dict(li, created=inv["created"]), shape, parent_id=inv["id"])


def _customer_a(acc: RawAccount, p: dict[str, so.Obj]) -> None:
    s = CURRENT
    start, end = ts("2024-01-01"), ts("2025-01-01")
    acc.add(
        "customer",
        so.customer(
            "cus_A", s, start, "Ada", "ada@example.com", "US", "usd", {"posthog_person_distinct_id": "person_a"}
        ),
        s,
    )
    item = so.subscription_item("si_A", "sub_A", p["price_annual"], 1, s, start, (start, end))
    acc.add(
        "subscription",
        so.subscription("sub_A", "cus_A", s, created=start, items=[item], status="active", period=(start, end)),
        s,
    )
    acc.add("subscription_item", item, s, parent_id="sub_A")
    li = so.line(
        "il_A1",
        "in_A1",
        s,
        amount=120000,
        currency="usd",
        period=(start, end),
        p=p["price_annual"],
        kind="subscription",
        subscription_id="sub_A",
        subscription_item_id="si_A",
    )
    pay = so.invoice_payment("inpay_A1", "in_A1", payment_intent="pi_A1", amount=120000, currency="usd", created=start)
    _add_invoice(
        acc,
        so.invoice(
            "in_A1",
            "cus_A",
            s,
            created=start,
            status="paid",
            currency="usd",
            lines=[li],
            subscription_id="sub_A",
            payments=[pay],
        ),
        s,
    )
    acc.add(
        "charge",
        so.charge("ch_A1", "cus_A", s, created=start, amount=120000, currency="usd", payment_intent="pi_A1"),
        s,
    )
    acc.add(
        "balance_transaction",
        so.balance_transaction("txn_A1", "ch_A1", s, created=start, amount=120000, fee=3510, currency="usd"),
        s,
    )


def _customer_b(acc: RawAccount, p: dict[str, so.Obj]) -> None:
    s = LEGACY
    acc.add("customer", so.customer("cus_B", s, ts("2024-01-10"), "Bo", "bo@example.com", "GB", "usd"), s)
    item = so.subscription_item("si_B", "sub_B", p["price_plus80"], 1, s, ts("2024-01-10"))
    acc.add(
        "subscription",
        so.subscription(
            "sub_B",
            "cus_B",
            s,
            created=ts("2024-01-10"),
            items=[item],
            status="canceled",
            ended_at=ts("2024-04-10"),
            canceled_at=ts("2024-03-20"),
            period=(ts("2024-03-10"), ts("2024-04-10")),
        ),
        s,
    )
    acc.add("subscription_item", item, s, parent_id="sub_B")
    invoices = [
        ("in_B1", "2024-01-10", [("il_B1", 5000, "2024-01-10", "2024-02-10", "price_basic50", "subscription", False)]),
        ("in_B2", "2024-02-10", [("il_B2", 5000, "2024-02-10", "2024-03-10", "price_basic50", "subscription", False)]),
        # upgrade on Feb 25, 14 of the period's 29 days left: -round(5000*14/29) = -2414, +round(8000*14/29) = +3862
        (
            "in_B3",
            "2024-02-25",
            [
                ("il_B3a", -2414, "2024-02-25", "2024-03-10", "price_basic50", "invoiceitem", True),
                ("il_B3b", 3862, "2024-02-25", "2024-03-10", "price_plus80", "invoiceitem", True),
            ],
        ),
        ("in_B4", "2024-03-10", [("il_B4", 8000, "2024-03-10", "2024-04-10", "price_plus80", "subscription", False)]),
    ]
    for iid, day, specs in invoices:
        lines = [
            so.line(
                lid,
                iid,
                s,
                amount=amount,
                currency="usd",
                period=(ts(a), ts(b)),
                p=p[price],
                kind=kind,
                proration=proration,
                subscription_id="sub_B",
                subscription_item_id="si_B",
            )
            for lid, amount, a, b, price, kind, proration in specs
        ]
        total = sum(li["amount"] for li in lines)
        chid = "ch_" + iid[3:]
        _add_invoice(
            acc,
            so.invoice(
                iid,
                "cus_B",
                s,
                created=ts(day),
                status="paid",
                currency="usd",
                lines=lines,
                subscription_id="sub_B",
                charge_id=chid,
                payment_intent="pi_" + iid[3:],
            ),
            s,
        )
        acc.add(
            "charge",
            so.charge(
                chid,
                "cus_B",
                s,
                created=ts(day),
                amount=total,
                currency="usd",
                payment_intent="pi_" + iid[3:],
                invoice_id=iid,
            ),
            s,
        )


def _customer_c(acc: RawAccount, p: dict[str, so.Obj]) -> None:
    s = CURRENT
    day = ts("2024-02-05")
    acc.add("customer", so.customer("cus_C", s, day, "Cleo", "cleo@example.com", "DE", "eur"), s)
    line_coupon = so.coupon("cp_LINE10", "LINE10", percent_off=10)
    invoice_coupon = so.coupon("cp_INV10", "INV10EUR", amount_off=1000, currency="eur")
    di_line = so.discount("di_C_line", line_coupon, s, "cus_C", invoice="in_C1", start=day)
    di_inv = so.discount("di_C_inv", invoice_coupon, s, "cus_C", invoice="in_C1", start=day)
    period = (day, day)
    # embedded order z, a, m, n (ids sort differently on purpose: the tie goes to the lower index, z)
    lines = [
        so.line(
            "il_C1z",
            "in_C1",
            s,
            amount=1000,
            currency="eur",
            period=period,
            p=p["price_svc"],
            discount_amounts=[(100, "di_C_line")],
            discounts=[di_line],
        ),
        so.line("il_C1a", "in_C1", s, amount=1000, currency="eur", period=period, p=p["price_svc"]),
        so.line("il_C1m", "in_C1", s, amount=1000, currency="eur", period=period, p=p["price_svc"]),
        so.line("il_C1n", "in_C1", s, amount=700, currency="eur", period=period, p=p["price_svc"], discountable=False),
    ]
    # total_discount_amounts 100 + 1000; 1000 not on lines -> 1000 x 1000/3000 = 333 r 1000 each, 1 unit left -> z
    pay = so.invoice_payment("inpay_C1", "in_C1", charge_id="ch_C1", amount=2600, currency="eur", created=day)
    _add_invoice(
        acc,
        so.invoice(
            "in_C1",
            "cus_C",
            s,
            created=day,
            status="paid",
            currency="eur",
            lines=lines,
            extra_discounts=[(1000, di_inv)],
            discount_objects=[di_inv, "di_C_line"],
            payments=[pay],
            country="DE",
        ),
        s,
    )
    acc.add(
        "charge",
        so.charge("ch_C1", "cus_C", s, created=day, amount=2600, currency="eur", payment_intent="pi_C1_elsewhere"),
        s,
    )


def _customer_d(acc: RawAccount) -> None:
    s = LEGACY
    acc.add("customer", so.customer("cus_D", s, ts("2024-03-01"), "Daichi", "d@example.com", "JP", "jpy"), s)
    acc.add(
        "charge",
        so.charge(
            "ch_D1",
            "cus_D",
            s,
            created=ts("2024-03-05", "10:00:00"),
            amount=500,
            currency="jpy",
            payment_intent="pi_D1",
            amount_refunded=200,
        ),
        s,
    )
    acc.add(
        "charge",
        so.charge(
            "ch_D2",
            "cus_D",
            s,
            created=ts("2024-03-06"),
            amount=700,
            currency="jpy",
            status="failed",
            payment_intent="pi_D2",
        ),
        s,
    )
    acc.add(
        "charge",
        so.charge(
            "ch_D3",
            "cus_D",
            s,
            created=ts("2024-06-20", "12:00:00"),
            amount=1000,
            currency="jpy",
            payment_intent="pi_D3",
        ),
        s,
    )
    acc.add("refund", so.refund("re_D1", "ch_D1", s, created=ts("2024-03-20"), amount=200, currency="jpy"), s)
    acc.add(
        "refund",
        so.refund("re_D2", "ch_D1", s, created=ts("2024-03-21"), amount=100, currency="jpy", status="failed"),
        s,
    )
    acc.add(
        "balance_transaction",
        so.balance_transaction("txn_D1", "ch_D1", s, created=ts("2024-03-05"), amount=333, fee=40, currency="usd"),
        s,
    )
    acc.add("payout", so.payout("po_1", s, created=ts("2024-03-10"), amount=293, currency="usd"), s)


def _customer_e(acc: RawAccount, p: dict[str, so.Obj]) -> None:
    s = CURRENT
    day = ts("2024-01-15")
    acc.add("customer", so.customer("cus_E", s, day, "Eid", "e@example.com", "KW", "kwd"), s)
    li = so.line("il_E1", "in_E1", s, amount=12345, currency="kwd", period=(day, day), p=p["price_kw"])
    pay = so.invoice_payment("inpay_E1", "in_E1", payment_intent="pi_E1", amount=12345, currency="kwd", created=day)
    _add_invoice(
        acc,
        so.invoice(
            "in_E1", "cus_E", s, created=day, status="paid", currency="kwd", lines=[li], payments=[pay], country="KW"
        ),
        s,
    )
    acc.add(
        "charge", so.charge("ch_E1", "cus_E", s, created=day, amount=12345, currency="kwd", payment_intent="pi_E1"), s
    )


def _customer_f(acc: RawAccount, p: dict[str, so.Obj]) -> None:
    s = CURRENT
    day = ts("2024-02-01")
    acc.add("customer", so.customer("cus_F", s, day, "Fay", "f@example.com", "US", "usd"), s)
    li = so.line("il_F1", "in_F1", s, amount=30000, currency="usd", period=(day, day), p=p["price_f"])
    # two payments: a first attempt that failed (its own payment intent), then the one that paid
    failed = so.invoice_payment(
        "inpay_F0", "in_F1", payment_intent="pi_F0", amount=30000, currency="usd", created=day, status="canceled"
    )
    pay = so.invoice_payment("inpay_F1", "in_F1", payment_intent="pi_F1", amount=30000, currency="usd", created=day)
    _add_invoice(
        acc,
        so.invoice("in_F1", "cus_F", s, created=day, status="paid", currency="usd", lines=[li], payments=[failed, pay]),
        s,
    )
    acc.add(
        "charge",
        so.charge(
            "ch_F0", "cus_F", s, created=day, amount=30000, currency="usd", status="failed", payment_intent="pi_F0"
        ),
        s,
    )
    acc.add(
        "charge",
        so.charge(
            "ch_F1", "cus_F", s, created=day, amount=30000, currency="usd", payment_intent="pi_F1", amount_refunded=2000
        ),
        s,
    )
    # credit note of 50.00, 20.00 of it refunded: -30.00 (credit note) and -20.00 (refund), both on Mar 10
    acc.add(
        "credit_note",
        so.credit_note(
            "cn_F1",
            "in_F1",
            "cus_F",
            s,
            created=ts("2024-03-10"),
            total=5000,
            currency="usd",
            refunded=[("re_F1", 2000)],
        ),
        s,
    )
    acc.add("refund", so.refund("re_F1", "ch_F1", s, created=ts("2024-03-10"), amount=2000, currency="usd"), s)
    acc.add(
        "credit_note",
        so.credit_note(
            "cn_F2", "in_F1", "cus_F", s, created=ts("2024-03-11"), total=999, currency="usd", status="void"
        ),
        s,
    )
    acc.add(
        "dispute",
        so.dispute("dp_F1", "ch_F1", s, created=ts("2024-04-02"), amount=10000, currency="usd", status="lost"),
        s,
    )
    acc.add(
        "dispute",
        so.dispute(
            "dp_F2",
            "ch_F1",
            s,
            created=ts("2024-04-03"),
            amount=500,
            currency="usd",
            status="won",
            reinstated=ts("2024-04-20"),
        ),
        s,
    )


def _customer_g(acc: RawAccount, p: dict[str, so.Obj]) -> None:
    s = CURRENT
    acc.add("customer", so.customer("cus_G", s, ts("2024-01-01"), "Gus", "g@example.com", "FR", "usd"), s)
    team25 = so.coupon("cp_TEAM25", "TEAM25", percent_off=25)
    di_g = so.discount("di_G", team25, s, "cus_G", subscription="sub_G1", start=ts("2024-01-01"))
    item1 = so.subscription_item(
        "si_G1", "sub_G1", p["price_team100"], 1, s, ts("2024-01-01"), (ts("2024-04-15"), ts("2024-05-15"))
    )
    acc.add(
        "subscription",
        so.subscription(
            "sub_G1",
            "cus_G",
            s,
            created=ts("2024-01-01"),
            items=[item1],
            status="canceled",
            trial=(ts("2024-01-01"), ts("2024-01-15")),
            ended_at=ts("2024-04-20"),
            canceled_at=ts("2024-04-20"),
            disc=di_g,
        ),
        s,
    )
    acc.add("subscription_item", item1, s, parent_id="sub_G1")
    item2 = so.subscription_item(
        "si_G2", "sub_G2", p["price_team40"], 1, s, ts("2024-06-10"), (ts("2024-06-10"), ts("2024-07-10"))
    )
    acc.add(
        "subscription",
        so.subscription("sub_G2", "cus_G", s, created=ts("2024-06-10"), items=[item2], status="active"),
        s,
    )
    acc.add("subscription_item", item2, s, parent_id="sub_G2")

    def period_line(lid: str, iid: str, qty: int, a: str, b: str, sub: str, si: str, price: str) -> so.Obj:
        amount = p[price]["unit_amount"] * qty
        discounts = [(amount // 4, "di_G")] if sub == "sub_G1" and amount else []
        return so.line(
            lid,
            iid,
            s,
            amount=amount,
            currency="usd",
            period=(ts(a), ts(b)),
            p=p[price],
            quantity=qty,
            kind="subscription",
            subscription_id=sub,
            subscription_item_id=si,
            discount_amounts=discounts,
        )

    invoices = [
        # trial: a $0 line for Jan 1 -> Jan 15
        (
            "in_G0",
            "2024-01-01",
            "sub_G1",
            [
                so.line(
                    "il_G0",
                    "in_G0",
                    s,
                    amount=0,
                    currency="usd",
                    period=(ts("2024-01-01"), ts("2024-01-15")),
                    p=p["price_team100"],
                    quantity=2,
                    kind="subscription",
                    subscription_id="sub_G1",
                    subscription_item_id="si_G1",
                )
            ],
        ),
        (
            "in_G1",
            "2024-01-15",
            "sub_G1",
            [period_line("il_G1", "in_G1", 2, "2024-01-15", "2024-02-15", "sub_G1", "si_G1", "price_team100")],
        ),
        (
            "in_G2",
            "2024-02-15",
            "sub_G1",
            [period_line("il_G2", "in_G2", 2, "2024-02-15", "2024-03-15", "sub_G1", "si_G1", "price_team100")],
        ),
        # 2 -> 1 seat on Mar 1, 14 of 29 days left: -round(20000*14/29) = -9655, +round(10000*14/29) = +4828;
        # current-shape proration lines name the subscription but not the item (matched by price)
        (
            "in_G3",
            "2024-03-01",
            "sub_G1",
            [
                so.line(
                    "il_G3a",
                    "in_G3",
                    s,
                    amount=-9655,
                    currency="usd",
                    period=(ts("2024-03-01"), ts("2024-03-15")),
                    p=p["price_team100"],
                    quantity=2,
                    proration=True,
                    subscription_id="sub_G1",
                ),
                so.line(
                    "il_G3b",
                    "in_G3",
                    s,
                    amount=4828,
                    currency="usd",
                    period=(ts("2024-03-01"), ts("2024-03-15")),
                    p=p["price_team100"],
                    quantity=1,
                    proration=True,
                    subscription_id="sub_G1",
                ),
            ],
        ),
        (
            "in_G4",
            "2024-03-15",
            "sub_G1",
            [period_line("il_G4", "in_G4", 1, "2024-03-15", "2024-04-15", "sub_G1", "si_G1", "price_team100")],
        ),
        (
            "in_G5",
            "2024-04-15",
            "sub_G1",
            [period_line("il_G5", "in_G5", 1, "2024-04-15", "2024-05-15", "sub_G1", "si_G1", "price_team100")],
        ),
        (
            "in_G6",
            "2024-06-10",
            "sub_G2",
            [period_line("il_G6", "in_G6", 1, "2024-06-10", "2024-07-10", "sub_G2", "si_G2", "price_team40")],
        ),
    ]
    for iid, day, sub, lines in invoices:
        disc_objs = [di_g] if any(li["discount_amounts"] for li in lines) else []
        _add_invoice(
            acc,
            so.invoice(
                iid,
                "cus_G",
                s,
                created=ts(day),
                status="paid",
                currency="usd",
                lines=lines,
                subscription_id=sub,
                discount_objects=disc_objs,
                country="FR",
            ),
            s,
        )


def _customer_t(acc: RawAccount, p: dict[str, so.Obj]) -> None:
    s = LEGACY
    acc.add("customer", so.customer("cus_T", s, ts("2024-01-20"), "Tove", "t@example.com", "US", "usd"), s)
    item = so.subscription_item("si_T", "sub_T", p["price_starter30"], 1, s, ts("2024-01-20"))
    acc.add(
        "subscription",
        so.subscription(
            "sub_T",
            "cus_T",
            s,
            created=ts("2024-01-20"),
            items=[item],
            status="active",
            trial=(ts("2024-01-20"), ts("2024-02-03")),
            period=(ts("2024-06-03"), ts("2024-07-03")),
        ),
        s,
    )
    acc.add("subscription_item", item, s, parent_id="sub_T")
    periods = [
        ("in_T0", "2024-01-20", "2024-02-03", 0, "paid"),
        ("in_T1", "2024-02-03", "2024-03-03", 3000, "paid"),
        ("in_T2", "2024-03-03", "2024-04-03", 3000, "paid"),
        ("in_T3", "2024-04-03", "2024-05-03", 3000, "paid"),
        ("in_T4", "2024-05-03", "2024-06-03", 3000, "paid"),
        ("in_T5", "2024-06-03", "2024-07-03", 3000, "open"),
    ]
    for iid, a, b, amount, status in periods:
        li = so.line(
            "il_" + iid[3:],
            iid,
            s,
            amount=amount,
            currency="usd",
            period=(ts(a), ts(b)),
            p=p["price_starter30"],
            kind="subscription",
            subscription_id="sub_T",
            subscription_item_id="si_T",
        )
        chid = "ch_" + iid[3:] if status == "paid" and amount else None
        _add_invoice(
            acc,
            so.invoice(
                iid,
                "cus_T",
                s,
                created=ts(a),
                status=status,
                currency="usd",
                lines=[li],
                subscription_id="sub_T",
                charge_id=chid,
            ),
            s,
        )
        if chid:
            acc.add(
                "charge",
                so.charge(
                    chid,
                    "cus_T",
                    s,
                    created=ts(a),
                    amount=amount,
                    currency="usd",
                    payment_intent="pi_" + iid[3:],
                    invoice_id=iid,
                ),
                s,
            )
    # a void invoice (voided the instant it was finalized) and one for Apr 20 - May 20 marked uncollectible
    # on May 5: nothing in the paid basis; in the finalized basis the first recognises nothing (the void
    # comes first), the second 15 of 30 days, taken back as bad debt (R1, R10)
    for iid, day, end, status, marked in (
        ("in_Tvoid", "2024-03-20", "2024-03-20", "void", None),
        ("in_Tunc", "2024-04-20", "2024-05-20", "uncollectible", ts("2024-05-05")),
    ):
        li = so.line("il_" + iid[3:], iid, s, amount=99900, currency="usd", period=(ts(day), ts(end)), p=p["price_f"])
        invoice = so.invoice(
            iid, "cus_T", s, created=ts(day), status=status, currency="usd", lines=[li], marked_uncollectible=marked
        )
        _add_invoice(acc, invoice, s)


def _customer_v(acc: RawAccount, p: dict[str, so.Obj]) -> None:
    s = LEGACY
    for iid, lid, amount, a, b in (
        ("in_V1", "il_V1", 3100, "2019-01-15", "2019-02-15"),
        ("in_V2", "il_V2", 36500, "2019-01-01", "2020-01-01"),
    ):
        li = so.line(lid, iid, s, amount=amount, currency="usd", period=(ts(a), ts(b)), p=p["price_vec"])
        _add_invoice(
            acc,
            so.invoice(
                iid,
                "cus_V",
                s,
                created=ts(a),
                status="paid",
                currency="usd",
                lines=[li],
                customer_email="v@example.com",
                country="CA",
            ),
            s,
        )


def _events(acc: RawAccount) -> None:
    acc.add(
        "event",
        so.event(
            "evt_1",
            CURRENT,
            created=ts("2024-06-01"),
            type_="customer.updated",
            data_object={"id": "cus_A", "object": "customer"},
        ),
        CURRENT,
    )


def main_account() -> RawAccount:
    acc = RawAccount(rates=list(RATES))
    prices = _prices(acc)
    _customer_a(acc, prices)
    _customer_b(acc, prices)
    _customer_c(acc, prices)
    _customer_d(acc)
    _customer_e(acc, prices)
    _customer_f(acc, prices)
    _customer_g(acc, prices)
    _customer_t(acc, prices)
    _customer_v(acc, prices)
    _events(acc)
    return acc


EU_TABLES = ("customer", "invoice", "invoice_line_item")


def eu_account() -> RawAccount:
    """The second source (prefix eu_): same customer id as the main account, other objects."""
    s = CURRENT
    acc = RawAccount()
    day = ts("2024-05-05")
    acc.add("customer", so.customer("cus_A", s, day, "Ada EU", "ada@example.eu", "IE", "usd"), s)
    vec = so.price("price_eu", "prod_eu", 2500, "usd", s, day)
    li = so.line("il_EU1", "in_EU1", s, amount=2500, currency="usd", period=(day, day), p=vec)
    _add_invoice(acc, so.invoice("in_EU1", "cus_A", s, created=day, status="paid", currency="usd", lines=[li]), s)
    return acc
