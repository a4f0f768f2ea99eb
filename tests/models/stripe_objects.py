"""Stripe objects of both API shapes for the model tests, built from Stripe's own fixtures.

Each builder starts from the canonical object of `fixtures3.json` for the era (shapes real, values
random) and overrides the values a scenario needs, so unrelated fields keep their real shape.
Legacy = before 2025-03-31 (`2024-09-30.acacia`), current = after (`2026-10-28.endive`):
docs/REFERENCE.md §1 "Versions".
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
from typing import Any

from tests.stripe_fixtures import canonical

LEGACY = "2024-09-30.acacia"
CURRENT = "2026-10-28.endive"

_ERAS = {LEGACY: "legacy", CURRENT: "current"}  # Stripe's fixtures3 (tests/fixtures/stripe) per API version

Obj = dict[str, Any]


def template(resource: str, shape: str) -> Obj:
    return canonical(resource, _ERAS[shape])


def ts(day: str, time: str = "00:00:00") -> int:
    """'2024-01-31' (UTC) -> unix seconds."""
    return calendar.timegm(dt.datetime.fromisoformat(f"{day}T{time}").timetuple())


def _list(url: str, data: list[Obj]) -> Obj:
    return {"object": "list", "data": data, "has_more": False, "url": url}


def product(pid: str, name: str, shape: str, created: int) -> Obj:
    obj = template("product", shape)
    obj.update(id=pid, name=name, created=created, updated=created, default_price=None, metadata={})
    return obj


def price(
    pid: str,
    product_id: str,
    unit_amount: int,
    currency: str,
    shape: str,
    created: int,
    interval: str | None = None,
    interval_count: int = 1,
) -> Obj:
    obj = template("price", shape)
    obj.update(
        id=pid,
        product=product_id,
        unit_amount=unit_amount,
        unit_amount_decimal=str(unit_amount),
        currency=currency,
        created=created,
        type="recurring" if interval else "one_time",
        transform_quantity=None,
        custom_unit_amount=None,
    )
    if interval:
        obj["recurring"] = dict(obj["recurring"] or {}, interval=interval, interval_count=interval_count)
    else:
        obj["recurring"] = None
    return obj


def plan_of(p: Obj) -> Obj | None:
    if not p.get("recurring"):
        return None
    return {
        "id": p["id"],
        "object": "plan",
        "active": True,
        "amount": p["unit_amount"],
        "amount_decimal": str(p["unit_amount"]),
        "billing_scheme": "per_unit",
        "created": p["created"],
        "currency": p["currency"],
        "interval": p["recurring"]["interval"],
        "interval_count": p["recurring"]["interval_count"],
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": None,
        "product": p["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def customer(
    cid: str,
    shape: str,
    created: int,
    name: str,
    email: str,
    country: str,
    currency: str,
    metadata: dict[str, str] | None = None,
) -> Obj:
    obj = template("customer", shape)
    obj.update(
        id=cid,
        created=created,
        name=name,
        email=email,
        currency=currency,
        metadata=metadata or {},
        discount=None,
        address={
            "city": "City",
            "country": country,
            "line1": "1 Main St",
            "line2": None,
            "postal_code": "1000",
            "state": None,
        },
    )
    return obj


def coupon(
    cid: str, name: str, percent_off: float | None = None, amount_off: int | None = None, currency: str | None = None
) -> Obj:
    obj = template("coupon", CURRENT)
    obj.update(
        id=cid,
        name=name,
        percent_off=percent_off,
        amount_off=amount_off,
        currency=currency,
        duration="forever",
        created=ts("2023-01-01"),
    )
    return obj


def discount(
    did: str,
    cpn: Obj,
    shape: str,
    customer_id: str,
    subscription: str | None = None,
    invoice: str | None = None,
    start: int = 0,
) -> Obj:
    obj = template("discount", shape)
    obj.update(id=did, customer=customer_id, subscription=subscription, invoice=invoice, start=start, end=None)
    if shape == LEGACY:
        obj["coupon"] = cpn
    else:
        obj["source"] = {"type": "coupon", "coupon": cpn}
    return obj


def subscription_item(
    si: str, sub: str, p: Obj, quantity: int, shape: str, created: int, period: tuple[int, int] | None = None
) -> Obj:
    obj = template("subscription_item", shape)
    obj.update(
        id=si,
        subscription=sub,
        price=copy.deepcopy(p),
        plan=plan_of(p),
        quantity=quantity,
        created=created,
        discounts=[],
    )
    if shape == CURRENT:
        obj["current_period_start"], obj["current_period_end"] = period or (created, created)
    return obj


def subscription(
    sid: str,
    customer_id: str,
    shape: str,
    *,
    created: int,
    items: list[Obj],
    status: str,
    currency: str = "usd",
    trial: tuple[int, int] | None = None,
    ended_at: int | None = None,
    canceled_at: int | None = None,
    disc: Obj | None = None,
    period: tuple[int, int] | None = None,
    metadata: dict[str, str] | None = None,
) -> Obj:
    obj = template("subscription", shape)
    obj.update(
        id=sid,
        customer=customer_id,
        created=created,
        start_date=created,
        billing_cycle_anchor=created,
        status=status,
        currency=currency,
        ended_at=ended_at,
        canceled_at=canceled_at,
        cancel_at=None,
        cancel_at_period_end=False,
        trial_start=trial[0] if trial else None,
        trial_end=trial[1] if trial else None,
        metadata=metadata or {},
        latest_invoice=None,
        pending_update=None,
        schedule=None,
        transfer_data=None,
        discounts=[disc] if disc else [],
        items=_list(f"/v1/subscription_items?subscription={sid}", items),
    )
    if shape == LEGACY:
        obj["discount"] = disc
        obj["current_period_start"], obj["current_period_end"] = period or (created, created)
    return obj


def line(
    lid: str,
    invoice_id: str,
    shape: str,
    *,
    amount: int,
    currency: str,
    period: tuple[int, int],
    p: Obj,
    quantity: int = 1,
    kind: str = "invoiceitem",
    proration: bool = False,
    subscription_id: str | None = None,
    subscription_item_id: str | None = None,
    discount_amounts: list[tuple[int, str]] | None = None,
    discounts: list[Obj | str] | None = None,
    discountable: bool = True,
) -> Obj:
    """kind: 'subscription' (a period line of a subscription item) or 'invoiceitem'."""
    obj = template("line_item", shape)
    das = [{"amount": a, "discount": d} for a, d in (discount_amounts or [])]
    obj.update(
        id=lid,
        invoice=invoice_id,
        amount=amount,
        currency=currency,
        period={"start": period[0], "end": period[1]},
        quantity=quantity,
        discountable=discountable,
        discount_amounts=das,
        discounts=discounts if discounts is not None else [d for _, d in (discount_amounts or [])],
        description=f"{quantity} x {p['id']}",
        metadata={},
    )
    if shape == LEGACY:
        obj.update(
            price=copy.deepcopy(p),
            plan=plan_of(p),
            proration=proration,
            type="subscription" if kind == "subscription" else "invoiceitem",
            subscription=subscription_id,
            subscription_item=subscription_item_id,
            invoice_item=None if kind == "subscription" else "ii_" + lid[3:],
            amount_excluding_tax=amount,
        )
    else:
        # the fixtures fill every branch of the polymorphic parent: keep a decoy in the branch `type` does not name
        sid_branch = {
            "invoice_item": None,
            "proration": proration,
            "proration_details": {"credited_items": None},
            "subscription": subscription_id,
            "subscription_item": subscription_item_id,
        }
        iid_branch = {
            "invoice_item": "ii_" + lid[3:],
            "proration": proration,
            "proration_details": {"credited_items": None},
            "subscription": subscription_id,
        }
        decoy_sid = dict(sid_branch, subscription="sub_DECOY", subscription_item="si_DECOY", proration=True)
        decoy_iid = dict(iid_branch, subscription="sub_DECOY", proration=True)
        if kind == "subscription":
            obj["parent"] = {
                "type": "subscription_item_details",
                "subscription_item_details": sid_branch,
                "invoice_item_details": decoy_iid,
            }
        else:
            obj["parent"] = {
                "type": "invoice_item_details",
                "invoice_item_details": iid_branch,
                "subscription_item_details": decoy_sid,
            }
        obj["pricing"] = {
            "type": "price_details",
            "price_details": {"price": p["id"], "product": p["product"]},
            "unit_amount_decimal": str(p["unit_amount"]),
        }
        obj["subtotal"] = amount
        obj["subscription"] = None
    return obj


def invoice(
    iid: str,
    customer_id: str,
    shape: str,
    *,
    created: int,
    status: str,
    currency: str,
    lines: list[Obj],
    subscription_id: str | None = None,
    extra_discounts: list[tuple[int, Obj]] = (),
    discount_objects: list[Obj | str] = (),
    payments: list[Obj] = (),
    charge_id: str | None = None,
    payment_intent: str | None = None,
    customer_email: str | None = None,
    country: str = "US",
    marked_uncollectible: int | None = None,
) -> Obj:
    """extra_discounts: invoice-level discounts not carried by lines, (amount, discount object)."""
    obj = template("invoice", shape)
    subtotal = sum(li["amount"] for li in lines)
    totals: dict[str, int] = {}
    for li in lines:
        for da in li["discount_amounts"]:
            totals[da["discount"]] = totals.get(da["discount"], 0) + da["amount"]
    for amount, d in extra_discounts:
        totals[d["id"]] = totals.get(d["id"], 0) + amount
    total = subtotal - sum(totals.values())
    paid = status == "paid"
    obj.update(
        id=iid,
        customer=customer_id,
        created=created,
        status=status,
        currency=currency,
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal,
        total=total,
        total_excluding_tax=total,
        amount_due=max(total, 0),
        amount_paid=max(total, 0) if paid else 0,
        amount_remaining=0 if paid else max(total, 0),
        customer_email=customer_email,
        customer_address={
            "city": "City",
            "country": country,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        total_discount_amounts=[{"amount": a, "discount": d} for d, a in totals.items()],
        discounts=list(discount_objects) or [d for _, d in extra_discounts],
        period_start=created,
        period_end=created,
        number=f"N-{iid}",
        status_transitions={
            "finalized_at": created if status != "draft" else None,
            "marked_uncollectible_at": (marked_uncollectible or created) if status == "uncollectible" else None,
            "paid_at": created + 60 if paid else None,
            "voided_at": created if status == "void" else None,
        },
        lines=_list(f"/v1/invoices/{iid}/lines", lines),
        starting_balance=0,
        ending_balance=0,
        from_invoice=None,
        last_finalization_error=None,
        shipping_cost=None,
        amount_overpaid=0,
    )
    if shape == LEGACY:
        obj.update(
            subscription=subscription_id,
            paid=paid,
            charge=charge_id,
            payment_intent=payment_intent,
            discount=None,
            tax=None,
            total_tax_amounts=[],
        )
    else:
        obj["parent"] = (
            {
                "type": "subscription_details",
                "subscription_details": {"metadata": {}, "subscription": subscription_id},
                "quote_details": {"quote": "qt_DECOY"},
            }
            if subscription_id
            else {
                "type": "quote_details",
                "quote_details": {"quote": "qt_1"},
                "subscription_details": {"metadata": None, "subscription": "sub_DECOY"},
            }
        )
        obj["total_taxes"] = []
        obj["payments"] = _list(f"/v1/invoice_payments?invoice={iid}", list(payments))
    return obj


def invoice_payment(
    ipid: str,
    invoice_id: str,
    *,
    payment_intent: str | None = None,
    charge_id: str | None = None,
    amount: int,
    currency: str,
    created: int,
    status: str = "paid",
) -> Obj:
    obj = template("invoice_payment", CURRENT)
    payment = (
        {"type": "payment_intent", "payment_intent": payment_intent}
        if payment_intent
        else {"type": "charge", "charge": charge_id}
    )
    obj.update(
        id=ipid,
        invoice=invoice_id,
        amount_paid=amount if status == "paid" else None,
        amount_requested=amount,
        currency=currency,
        created=created,
        status=status,
        payment=payment,
        status_transitions={"canceled_at": None, "paid_at": created if status == "paid" else None},
    )
    return obj


def charge(
    chid: str,
    customer_id: str | None,
    shape: str,
    *,
    created: int,
    amount: int,
    currency: str,
    status: str = "succeeded",
    payment_intent: str | None = None,
    invoice_id: str | None = None,
    amount_refunded: int = 0,
) -> Obj:
    obj = template("charge", shape)
    succeeded = status == "succeeded"
    obj.update(
        id=chid,
        customer=customer_id,
        created=created,
        amount=amount,
        currency=currency,
        status=status,
        amount_captured=amount if succeeded else 0,
        captured=succeeded,
        paid=succeeded,
        payment_intent=payment_intent,
        amount_refunded=amount_refunded,
        balance_transaction="txn_" + chid[3:],
        source=None,
        transfer_data=None,
    )
    if shape == LEGACY:
        obj["invoice"] = invoice_id
    return obj


def refund(
    rid: str, charge_id: str, shape: str, *, created: int, amount: int, currency: str, status: str = "succeeded"
) -> Obj:
    obj = template("refund", shape)
    obj.update(
        id=rid,
        charge=charge_id,
        created=created,
        amount=amount,
        currency=currency,
        status=status,
        balance_transaction="txn_" + rid[3:],
    )
    return obj


def dispute(
    did: str,
    charge_id: str,
    shape: str,
    *,
    created: int,
    amount: int,
    currency: str,
    status: str,
    reinstated: int | None = None,
) -> Obj:
    """A dispute; its balance transactions show the funds withdrawn at `created` and, for a won one,
    reinstated at `reinstated` (Stripe's `balance_transactions`, reporting categories as Stripe's)."""
    obj = template("dispute", shape)
    movements = [("dispute", -amount, created)] + ([("dispute_reversal", amount, reinstated)] if reinstated else [])
    transactions = []
    for category, value, at in movements:
        txn = template("balance_transaction", shape)
        txn.update(
            id=f"txn_{did}_{category}",
            amount=value,
            created=at,
            currency=currency,
            reporting_category=category,
            source=did,
            type="adjustment",
        )
        transactions.append(txn)
    obj.update(
        id=did,
        charge=charge_id,
        created=created,
        amount=amount,
        currency=currency,
        status=status,
        balance_transactions=transactions,
    )
    return obj


def credit_note(
    cnid: str,
    invoice_id: str,
    customer_id: str,
    shape: str,
    *,
    created: int,
    total: int,
    currency: str,
    refunded: list[tuple[str, int]] = (),
    status: str = "issued",
) -> Obj:
    obj = template("credit_note", shape)
    obj.update(
        id=cnid,
        invoice=invoice_id,
        customer=customer_id,
        created=created,
        amount=total,
        subtotal=total,
        total=total,
        total_excluding_tax=total,
        currency=currency,
        status=status,
        type="post_payment",
        voided_at=created if status == "void" else None,
        shipping_cost=None,
    )
    if shape == LEGACY:
        obj["refund"] = refunded[0][0] if refunded else None
    else:
        obj["refunds"] = [
            {"amount_refunded": a, "refund": r, "payment_record_refund": None, "type": "refund"} for r, a in refunded
        ]
        obj["pre_payment_amount"], obj["post_payment_amount"] = 0, total
    return obj


def balance_transaction(
    btid: str, source_id: str, shape: str, *, created: int, amount: int, fee: int, currency: str, kind: str = "charge"
) -> Obj:
    obj = template("balance_transaction", shape)
    obj.update(
        id=btid,
        source=source_id,
        created=created,
        available_on=created,
        amount=amount,
        fee=fee,
        net=amount - fee,
        currency=currency,
        type=kind,
        reporting_category=kind,
    )
    return obj


def payout(poid: str, shape: str, *, created: int, amount: int, currency: str) -> Obj:
    obj = template("payout", shape)
    obj.update(
        id=poid,
        created=created,
        arrival_date=created + 86400 * 2,
        amount=amount,
        currency=currency,
        status="paid",
        balance_transaction="txn_" + poid[3:],
        trace_id=None,
    )
    return obj


def event(evid: str, shape: str, *, created: int, type_: str, data_object: Obj) -> Obj:
    obj = template("event", shape)
    obj.update(id=evid, created=created, type=type_, api_version=shape, data={"object": data_object})
    return obj
