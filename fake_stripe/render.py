"""Render a current-shape Stripe object in the shape of another API version.

Stripe answers in the version a request pins (`Stripe-Version`) and freezes each event in the version
current when it was created, so a long account holds both shapes. Only two shapes matter here:
CURRENT_VERSION (the pinned SDK's) and LEGACY_VERSION, the last before the 2025-03-31 changes
(docs/REFERENCE.md §1 "Versions"). The legacy shape needs a few facts the current one no longer carries
(the full price on a line, the charge's invoice): they come from a RenderContext.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CURRENT_VERSION = "2026-10-28.endive"
LEGACY_VERSION = "2024-09-30.acacia"
SUPPORTED_VERSIONS = (CURRENT_VERSION, LEGACY_VERSION)

Obj = dict[str, Any]


@dataclass
class RenderContext:
    """Facts the legacy shape shows inline: prices by id, invoice of a charge, charge of a payment intent."""

    prices: Mapping[str, Obj] = field(default_factory=dict)
    invoice_by_charge: Mapping[str, str] = field(default_factory=dict)
    charge_by_payment_intent: Mapping[str, str] = field(default_factory=dict)


def is_legacy(api_version: str) -> bool:
    return api_version < "2025-03-31"


def render(obj: Obj, api_version: str, ctx: RenderContext | None = None) -> Obj:
    """Return `obj` (current shape) as `api_version` renders it; the input is never mutated."""
    if not is_legacy(api_version):
        return obj
    fn = _LEGACY.get(obj.get("object", ""))
    return fn(obj, ctx or RenderContext()) if fn else obj


def _without(obj: Obj, *keys: str) -> Obj:
    return {k: v for k, v in obj.items() if k not in keys}


def _legacy_discount(d: Obj | str, ctx: RenderContext) -> Obj | str:
    if isinstance(d, str):
        return d
    out = _without(d, "source", "customer_account")
    out["coupon"] = (d.get("source") or {}).get("coupon")
    return out


def _legacy_taxes(taxes: list[Obj] | None) -> list[Obj]:
    """Current `taxes` / `total_taxes` entries as legacy `tax_amounts` / `total_tax_amounts`."""
    return [
        {
            "amount": t["amount"],
            "inclusive": t["tax_behavior"] == "inclusive",
            "tax_rate": (t.get("tax_rate_details") or {}).get("tax_rate"),
            "taxability_reason": t.get("taxability_reason"),
            "taxable_amount": t.get("taxable_amount"),
        }
        for t in taxes or []
    ]


def _inclusive_tax(taxes: list[Obj] | None) -> int:
    return sum(t["amount"] for t in taxes or [] if t.get("tax_behavior") == "inclusive")


def _legacy_plan(p: Obj | None) -> Obj | None:
    """Legacy plans and prices also say how usage aggregates: `sum` for a metered one."""
    if p is None:
        return None
    return {**p, "aggregate_usage": "sum" if p.get("usage_type") == "metered" else None}


def _legacy_price(p: Obj | None) -> Obj | None:
    if p is None or not p.get("recurring"):
        return p
    return {**p, "recurring": _legacy_plan(p["recurring"])}


def _legacy_line(line: Obj, ctx: RenderContext) -> Obj:
    parent = line.get("parent") or {}
    details = parent.get("subscription_item_details") or parent.get("invoice_item_details") or {}
    price_id = ((line.get("pricing") or {}).get("price_details") or {}).get("price")
    price = ctx.prices.get(price_id) if price_id else None
    out = _without(line, "parent", "pricing", "quantity_decimal", "subtotal", "taxes")
    is_subscription_line = parent.get("type") == "subscription_item_details"
    inclusive = _inclusive_tax(line.get("taxes"))
    unit_excluding_tax = (line.get("pricing") or {}).get("unit_amount_decimal")
    if inclusive and line.get("quantity"):
        unit = (Decimal(line["amount"] - inclusive) / line["quantity"]).quantize(Decimal("1e-12"))
        unit_excluding_tax = format(unit.normalize(), "f")
    out.update(
        amount_excluding_tax=line["amount"] - inclusive,
        invoice_item=details.get("invoice_item"),
        plan=_legacy_plan(_plan_of(price)) if price else None,
        price=_legacy_price(price),
        proration=bool(details.get("proration")),
        proration_details={"credited_items": None},
        subscription=details.get("subscription"),
        tax_amounts=_legacy_taxes(line.get("taxes")),
        tax_rates=[],
        type="subscription" if is_subscription_line else "invoiceitem",
        unit_amount_excluding_tax=unit_excluding_tax,
    )
    return out


def _plan_of(price: Obj) -> Obj | None:
    recurring = price.get("recurring")
    if not recurring:
        return None
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": price["livemode"],
        "metadata": {},
        "meter": recurring.get("meter"),
        "nickname": price.get("nickname"),
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": recurring.get("usage_type", "licensed"),
    }


def _legacy_list(lst: Obj | None, fn: Callable[[Obj, RenderContext], Obj], ctx: RenderContext) -> Obj | None:
    if lst is None:
        return None
    return {**lst, "data": [fn(x, ctx) for x in lst.get("data", [])]}


def _legacy_invoice(inv: Obj, ctx: RenderContext) -> Obj:
    parent = inv.get("parent") or {}
    sub_details = parent.get("subscription_details") or {}
    payments = (inv.get("payments") or {}).get("data", [])
    paid_payment = next((p for p in payments if p.get("status") == "paid"), None)
    payment_intent = (
        (paid_payment or (payments[-1] if payments else {})).get("payment", {}).get("payment_intent")
        if payments
        else None
    )
    charge = ctx.charge_by_payment_intent.get(payment_intent) if payment_intent else None
    discounts = [_legacy_discount(d, ctx) for d in inv.get("discounts", [])]
    out = _without(
        inv, "amount_overpaid", "amount_paid_off_stripe", "customer_account", "parent", "payments", "total_taxes"
    )
    out.update(
        application_fee_amount=None,
        charge=charge,
        discount=next((d for d in discounts if isinstance(d, dict)), None),
        discounts=discounts,
        lines=_legacy_list(inv.get("lines"), _legacy_line, ctx),
        paid=inv.get("status") == "paid",
        paid_out_of_band=False,
        payment_intent=payment_intent,
        quote=None,
        subscription=sub_details.get("subscription"),
        subscription_details={"metadata": sub_details.get("metadata")} if sub_details else None,
        tax=sum(t["amount"] for t in inv["total_taxes"]) if inv.get("total_taxes") else None,
        total_tax_amounts=_legacy_taxes(inv.get("total_taxes")),
        transfer_data=None,
    )
    return out


def _legacy_subscription_item(item: Obj, ctx: RenderContext) -> Obj:
    out = _without(item, "current_period_start", "current_period_end", "billed_until", "current_trial")
    out["plan"] = _legacy_plan(item.get("plan"))
    out["price"] = _legacy_price(item.get("price"))
    return out


def _legacy_subscription(sub: Obj, ctx: RenderContext) -> Obj:
    items = (sub.get("items") or {}).get("data", [])
    discounts = [_legacy_discount(d, ctx) for d in sub.get("discounts", [])]
    out = _without(
        sub,
        "billing_mode",
        "billing_schedules",
        "customer_account",
        "managed_payments",
        "presentment_details",
        "status_details",
    )
    out.update(
        current_period_start=items[0]["current_period_start"] if items else sub["start_date"],
        current_period_end=items[0]["current_period_end"] if items else sub["start_date"],
        discount=next((d for d in discounts if isinstance(d, dict)), None),
        discounts=discounts,
        items=_legacy_list(sub.get("items"), _legacy_subscription_item, ctx),
    )
    return out


def _legacy_charge(ch: Obj, ctx: RenderContext) -> Obj:
    out = _without(ch, "authorization_code", "level3", "presentment_details", "radar_options", "transfer")
    out["invoice"] = ctx.invoice_by_charge.get(ch["id"])
    return out


def _legacy_credit_note_line(line: Obj, ctx: RenderContext) -> Obj:
    out = _without(line, "taxes", "metadata")
    out.update(
        amount_excluding_tax=line["amount"] - _inclusive_tax(line.get("taxes")),
        tax_amounts=_legacy_taxes(line.get("taxes")),
        unit_amount_excluding_tax=None,
    )
    return out


def _legacy_credit_note(cn: Obj, ctx: RenderContext) -> Obj:
    refunds = cn.get("refunds") or []
    out = _without(cn, "customer_account", "post_payment_amount", "pre_payment_amount", "refunds", "total_taxes")
    out.update(
        lines=_legacy_list(cn.get("lines"), _legacy_credit_note_line, ctx),
        refund=refunds[0]["refund"] if refunds else None,
        tax_amounts=_legacy_taxes(cn.get("total_taxes")),
    )
    return out


def _legacy_balance_transaction(bt: Obj, ctx: RenderContext) -> Obj:
    return _without(bt, "balance_type")


def _legacy_dispute(d: Obj, ctx: RenderContext) -> Obj:
    return {**d, "balance_transactions": [_legacy_balance_transaction(b, ctx) for b in d["balance_transactions"]]}


def _legacy_event(ev: Obj, ctx: RenderContext) -> Obj:
    return ev  # events are frozen in their own version when created


_LEGACY: dict[str, Callable[[Obj, RenderContext], Obj]] = {
    "invoice": _legacy_invoice,
    "line_item": _legacy_line,
    "subscription": _legacy_subscription,
    "subscription_item": _legacy_subscription_item,
    "charge": _legacy_charge,
    "credit_note": _legacy_credit_note,
    "credit_note_line_item": _legacy_credit_note_line,
    "discount": _legacy_discount,
    "plan": lambda p, ctx: _legacy_plan(p) or p,
    "price": lambda p, ctx: _legacy_price(p) or p,
    "refund": lambda r, ctx: _without(r, "customer", "customer_account", "payment_method"),
    "balance_transaction": _legacy_balance_transaction,
    "dispute": _legacy_dispute,
    "payout": lambda p, ctx: _without(p, "payout_method"),
    "customer": lambda c, ctx: _without(c, "customer_account"),
    "event": _legacy_event,
}


# Expandable fields the fake stores expanded. A response shows them expanded only when the request
# asked (`expand[]=data.payments`, `expand[]=data.discounts` ...); events and webhooks never expand.
EXPANDABLE = {"invoice": ("payments", "discounts"), "subscription": ("discounts",)}


def collapse(obj: Obj, expand: frozenset[str] = frozenset()) -> Obj:
    """`obj` with its expandable fields shown as Stripe shows them when not in `expand`.

    `payments` is an includable field (absent unless expanded); `discounts` become ids.
    """
    fields = EXPANDABLE.get(obj.get("object", ""))
    if not fields:
        return obj
    out = dict(obj)
    for name in fields:
        if name in expand or name not in out:
            continue
        if name == "payments":
            del out[name]
        else:
            out[name] = [d["id"] if isinstance(d, dict) else d for d in out[name]]
    return out
