"""Render the simulated records as Stripe API objects in the current shape (CURRENT_VERSION).

The legacy shape is derived from these by render.py. Expandable references are rendered the way
Stripe answers a list request with `expand[]` for the fields the ingestion asks to expand
(invoice `payments`, `discounts`); the server collapses whatever a request did not expand.
"""

from __future__ import annotations

from typing import Any

from fake_stripe import model as m

LIVEMODE = False


def _list(url: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": False, "url": url}


def address(c: m.Customer) -> dict[str, Any]:
    return {
        "city": c.city,
        "country": c.country,
        "line1": c.line1,
        "line2": None,
        "postal_code": c.postal_code,
        "state": None,
    }


def coupon(c: m.Coupon) -> dict[str, Any]:
    return {
        "id": c.id,
        "object": "coupon",
        "amount_off": c.amount_off,
        "created": c.created,
        "currency": c.currency,
        "duration": c.duration,
        "duration_in_months": c.duration_in_months,
        "livemode": LIVEMODE,
        "max_redemptions": None,
        "metadata": {},
        "name": c.name,
        "percent_off": c.percent_off,
        "redeem_by": None,
        "times_redeemed": 0,
        "valid": True,
    }


def discount(d: m.Discount) -> dict[str, Any]:
    return {
        "id": d.id,
        "object": "discount",
        "checkout_session": None,
        "customer": d.customer,
        "customer_account": None,
        "end": d.end,
        "invoice": d.invoice,
        "invoice_item": None,
        "promotion_code": None,
        "source": {"type": "coupon", "coupon": coupon(d.coupon)},
        "start": d.start,
        "subscription": d.subscription,
        "subscription_item": None,
    }


def tax_rate(r: m.TaxRate) -> dict[str, Any]:
    percentage = float(r.percentage)
    return {
        "id": r.id,
        "object": "tax_rate",
        "active": True,
        "country": r.country,
        "created": r.created,
        "description": r.description,
        "display_name": r.display_name,
        "effective_percentage": percentage,
        "flat_amount": None,
        "inclusive": r.inclusive,
        "jurisdiction": r.jurisdiction,
        "jurisdiction_level": "state" if r.state else "country",
        "livemode": LIVEMODE,
        "metadata": {},
        "percentage": percentage,
        "rate_type": "percentage",
        "state": r.state,
        "tax_type": r.tax_type,
    }


def tax_amount(amount: int, rate: m.TaxRate, taxable_amount: int) -> dict[str, Any]:
    """One entry of a line's `taxes` (and, summed per rate, of an invoice's or credit note's `total_taxes`)."""
    return {
        "amount": amount,
        "tax_behavior": rate.behavior,
        "tax_rate_details": {"tax_rate": rate.id},
        "taxability_reason": "standard_rated",
        "taxable_amount": taxable_amount,
        "type": "tax_rate_details",
    }


def total_taxes(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Line tax entries summed per tax rate, in order of first appearance."""
    out: dict[str, dict[str, Any]] = {}
    for e in entries:
        key = e["tax_rate_details"]["tax_rate"]
        if key in out:
            out[key] = {
                **out[key],
                "amount": out[key]["amount"] + e["amount"],
                "taxable_amount": out[key]["taxable_amount"] + e["taxable_amount"],
            }
        else:
            out[key] = dict(e)
    return list(out.values())


def line_taxes(line: m.Line) -> list[dict[str, Any]]:
    if line.tax_rate is None:
        return []
    return [tax_amount(line.tax, line.tax_rate, line.taxable_amount)]


def product(p: m.Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "object": "product",
        "active": p.active,
        "created": p.created,
        "default_price": p.default_price,
        "description": p.description,
        "images": [],
        "livemode": LIVEMODE,
        "marketing_features": [],
        "metadata": dict(p.metadata),
        "name": p.name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": p.updated,
        "url": None,
    }


def price(p: m.Price) -> dict[str, Any]:
    recurring = None
    if p.interval is not None:
        recurring = {
            "interval": p.interval,
            "interval_count": p.interval_count,
            "meter": p.meter,
            "trial_period_days": None,
            "usage_type": p.usage_type,
        }
    return {
        "id": p.id,
        "object": "price",
        "active": p.active,
        "billing_scheme": "per_unit",
        "created": p.created,
        "currency": p.currency,
        "custom_unit_amount": None,
        "livemode": LIVEMODE,
        "lookup_key": p.lookup_key,
        "metadata": {},
        "nickname": p.nickname,
        "product": p.product,
        "recurring": recurring,
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if p.interval else "one_time",
        "unit_amount": p.unit_amount,
        "unit_amount_decimal": str(p.unit_amount),
    }


def plan(p: m.Price) -> dict[str, Any] | None:
    """The legacy `plan` view of a recurring price (Stripe still renders it on subscription items)."""
    if p.interval is None:
        return None
    return {
        "id": p.id,
        "object": "plan",
        "active": p.active,
        "amount": p.unit_amount,
        "amount_decimal": str(p.unit_amount),
        "billing_scheme": "per_unit",
        "created": p.created,
        "currency": p.currency,
        "interval": p.interval,
        "interval_count": p.interval_count,
        "livemode": LIVEMODE,
        "metadata": {},
        "meter": p.meter,
        "nickname": p.nickname,
        "product": p.product,
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": p.usage_type,
    }


def customer(c: m.Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "object": "customer",
        "address": address(c),
        "balance": c.balance,
        "created": c.created,
        "currency": c.currency,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": c.email,
        "invoice_prefix": c.id[4:12].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": LIVEMODE,
        "metadata": dict(c.metadata),
        "name": c.name,
        "next_invoice_sequence": c.invoice_seq + 1,
        "phone": c.phone,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def deleted(obj_id: str, obj: str) -> dict[str, Any]:
    return {"id": obj_id, "object": obj, "deleted": True}


def subscription_item(item: m.SubItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": item.created,
        "current_period_end": item.current_period_end,
        "current_period_start": item.current_period_start,
        "discounts": [],
        "metadata": {},
        "plan": plan(item.price),
        "price": price(item.price),
        "quantity": None if item.price.metered else item.quantity,  # metered items have no quantity
        "subscription": item.subscription,
        "tax_rates": [],
    }


def subscription(s: m.Subscription) -> dict[str, Any]:
    items = [subscription_item(i) for i in s.live_items()]
    return {
        "id": s.id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": s.billing_cycle_anchor,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"type": "classic"},
        "billing_thresholds": None,
        "cancel_at": s.cancel_at,
        "cancel_at_period_end": s.cancel_at_period_end,
        "canceled_at": s.canceled_at,
        "cancellation_details": {"comment": None, "feedback": None, "reason": s.cancellation_reason},
        "collection_method": "charge_automatically",
        "created": s.created,
        "currency": s.currency,
        "customer": s.customer,
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [tax_rate(s.tax_rate)] if s.tax_rate else [],
        "description": None,
        "discounts": [discount(s.discount)] if s.discount else [],
        "ended_at": s.ended_at,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": _list(f"/v1/subscription_items?subscription={s.id}", items),
        "latest_invoice": s.latest_invoice,
        "livemode": LIVEMODE,
        "metadata": dict(s.metadata),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": s.start_date,
        "status": s.status,
        "test_clock": None,
        "transfer_data": None,
        "trial_end": s.trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": s.trial_start,
    }


def line_item(line: m.Line) -> dict[str, Any]:
    if line.subscription_item is not None and not line.proration:
        parent = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": line.subscription,
                "subscription_item": line.subscription_item,
            },
        }
    else:
        parent = {
            "type": "invoice_item_details",
            "subscription_item_details": None,
            "invoice_item_details": {
                "invoice_item": line.invoice_item,
                "proration": line.proration,
                "proration_details": {"credited_items": None},
                "subscription": line.subscription,
            },
        }
    return {
        "id": line.id,
        "object": "line_item",
        "amount": line.amount,
        "currency": line.currency,
        "description": line.description,
        "discount_amounts": [{"amount": a, "discount": d} for a, d in line.discount_amounts],
        "discountable": line.discountable,
        "discounts": [d for _, d in line.discount_amounts],
        "invoice": line.invoice,
        "livemode": LIVEMODE,
        "metadata": {},
        "parent": parent,
        "period": {"end": line.period_end, "start": line.period_start},
        "pretax_credit_amounts": [],
        "pricing": {
            "type": "price_details",
            "price_details": {"price": line.price.id, "product": line.price.product},
            "unit_amount_decimal": str(line.price.unit_amount),
        },
        "quantity": line.quantity,
        "subscription": line.subscription,
        "subtotal": line.amount,
        "taxes": line_taxes(line),
    }


def invoice_payment(p: m.InvoicePayment) -> dict[str, Any]:
    assert p.charge is not None
    return {
        "id": p.id,
        "object": "invoice_payment",
        "amount_paid": p.charge.amount if p.status == "paid" else None,
        "amount_requested": p.charge.amount,
        "created": p.created,
        "currency": p.charge.currency,
        "invoice": p.invoice,
        "is_default": True,
        "livemode": LIVEMODE,
        "payment": {"type": "payment_intent", "payment_intent": p.charge.payment_intent},
        "status": p.status,
        "status_transitions": {"canceled_at": None, "paid_at": p.paid_at},
    }


def invoice(inv: m.Invoice) -> dict[str, Any]:
    c = inv.customer
    lines = [line_item(line) for line in inv.lines]
    total_discount_amounts: dict[str, int] = {}
    for line in inv.lines:
        for amount, d in line.discount_amounts:
            total_discount_amounts[d] = total_discount_amounts.get(d, 0) + amount
    invoice_level = []
    for amount, d in inv.invoice_discounts:
        total_discount_amounts[d.id] = total_discount_amounts.get(d.id, 0) + amount
        invoice_level.append(discount(d))
    parent = None
    if inv.subscription is not None:
        parent = {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": {},
                "subscription": inv.subscription,
                "subscription_proration_date": None,
            },
        }
    finalized = inv.finalized_at is not None
    total, due = inv.total, inv.amount_due
    paid = due if inv.status == "paid" else 0  # inv.amount_paid, read once
    taxes = total_taxes([e for line in inv.lines for e in line_taxes(line)])
    rates = list({line.tax_rate.id: line.tax_rate for line in inv.lines if line.tax_rate}.values())
    return {
        "id": inv.id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Fake SaaS Inc.",
        "account_tax_ids": None,
        "amount_due": due,
        "amount_overpaid": 0,
        "amount_paid": paid,
        "amount_remaining": due - paid if inv.status not in ("void", "uncollectible") else 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": inv.attempt_count,
        "attempted": inv.attempt_count > 0,
        "auto_advance": inv.status in ("draft", "open"),
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None if finalized else inv.created + 3600,
        "billing_reason": inv.billing_reason,
        "collection_method": "charge_automatically",
        "created": inv.created,
        "currency": inv.currency,
        "custom_fields": None,
        "customer": c.id,
        "customer_account": None,
        "customer_address": address(c),
        "customer_email": c.email,
        "customer_name": c.name,
        "customer_phone": c.phone,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [tax_rate(r) for r in rates],
        "description": None,
        "discounts": invoice_level,
        "due_date": None,
        "effective_at": inv.finalized_at,
        "ending_balance": inv.ending_balance if finalized else None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": f"https://invoice.stripe.com/i/{inv.id}" if finalized else None,
        "invoice_pdf": f"https://pay.stripe.com/invoice/{inv.id}/pdf" if finalized else None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": _list(f"/v1/invoices/{inv.id}/lines", lines),
        "livemode": LIVEMODE,
        "metadata": dict(inv.metadata),
        "next_payment_attempt": inv.next_payment_attempt,
        "number": inv.number if finalized else None,
        "on_behalf_of": None,
        "parent": parent,
        "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        "payments": _list(
            f"/v1/invoice_payments?invoice={inv.id}", [invoice_payment(p) for p in inv.payments if p.charge is not None]
        ),
        "period_end": inv.period_end,
        "period_start": inv.period_start,
        "post_payment_credit_notes_amount": inv.post_payment_credit_notes_amount,
        "pre_payment_credit_notes_amount": inv.pre_payment_credit_notes_amount,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": inv.starting_balance,
        "statement_descriptor": None,
        "status": inv.status,
        "status_transitions": {
            "finalized_at": inv.finalized_at,
            "marked_uncollectible_at": inv.marked_uncollectible_at,
            "paid_at": inv.paid_at,
            "voided_at": inv.voided_at,
        },
        "subtotal": inv.subtotal,
        "subtotal_excluding_tax": inv.subtotal - inv.inclusive_tax,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [{"amount": a, "discount": d} for d, a in total_discount_amounts.items()],
        "total_excluding_tax": total - sum(line.tax for line in inv.lines),
        "total_pretax_credit_amounts": [],
        "total_taxes": taxes,
        "webhooks_delivered_at": inv.created,
    }


def charge(ch: m.Charge) -> dict[str, Any]:
    succeeded = ch.status == "succeeded"
    return {
        "id": ch.id,
        "object": "charge",
        "amount": ch.amount,
        "amount_captured": ch.amount_captured,
        "amount_refunded": ch.amount_refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": ch.balance_transaction,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None, "tax_id": None},
        "calculated_statement_descriptor": "FAKE SAAS",
        "captured": succeeded,
        "created": ch.created,
        "currency": ch.currency,
        "customer": ch.customer,
        "description": ch.description,
        "disputed": ch.disputed,
        "failure_balance_transaction": None,
        "failure_code": ch.failure_code,
        "failure_message": "Your card was declined." if ch.failure_code else None,
        "fraud_details": {},
        "livemode": LIVEMODE,
        "metadata": dict(ch.metadata),
        "on_behalf_of": None,
        "outcome": {
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
            "reason": None if succeeded else "generic_decline",
            "risk_level": "normal",
            "seller_message": "Payment complete."
            if succeeded
            else "The bank did not return any further details with this decline.",
            "type": "authorized" if succeeded else "issuer_declined",
        },
        "paid": succeeded,
        "payment_intent": ch.payment_intent,
        "payment_method": "pm_" + ch.id[3:],
        "payment_method_details": {
            "type": "card",
            "card": {
                "brand": "visa",
                "country": "US",
                "exp_month": 12,
                "exp_year": 2030,
                "funding": "credit",
                "last4": "4242",
                "network": "visa",
            },
        },
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": f"https://pay.stripe.com/receipts/{ch.id}",
        "refunded": ch.amount_refunded >= ch.amount and ch.amount > 0,
        "refunds": None,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": ch.status,
        "transfer_data": None,
        "transfer_group": None,
    }


def refund(r: m.Refund) -> dict[str, Any]:
    return {
        "id": r.id,
        "object": "refund",
        "amount": r.amount,
        "balance_transaction": r.balance_transaction,
        "charge": r.charge.id,
        "created": r.created,
        "currency": r.charge.currency,
        "customer": r.charge.customer,
        "customer_account": None,
        "destination_details": None,
        "metadata": {},
        "payment_intent": r.charge.payment_intent,
        "payment_method": "pm_" + r.charge.id[3:],
        "reason": r.reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": r.status,
        "transfer_reversal": None,
    }


def credit_note(cn: m.CreditNote) -> dict[str, Any]:
    inv = cn.invoice
    taxes = [tax_amount(cn.tax, cn.tax_rate, cn.amount - cn.tax)] if cn.tax_rate else []
    lines = [
        {
            "id": cnli,
            "object": "credit_note_line_item",
            "amount": amount,
            "description": line.description,
            "discount_amount": 0,
            "discount_amounts": [],
            "invoice_line_item": line.id,
            "livemode": LIVEMODE,
            "metadata": {},
            "pretax_credit_amounts": [],
            "quantity": 1,
            "tax_rates": [tax_rate(cn.tax_rate)] if cn.tax_rate else [],
            "taxes": taxes,
            "type": "invoice_line_item",
            "unit_amount": None,
            "unit_amount_decimal": None,
        }
        for cnli, line, amount in cn.lines
    ]
    refunds = []
    if cn.refund is not None:
        refunds = [
            {
                "amount_refunded": cn.refund.amount,
                "payment_record_refund": None,
                "refund": cn.refund.id,
                "type": "refund",
            }
        ]
    return {
        "id": cn.id,
        "object": "credit_note",
        "amount": cn.amount,
        "amount_shipping": 0,
        "created": cn.created,
        "currency": inv.currency,
        "customer": inv.customer.id,
        "customer_account": None,
        "customer_balance_transaction": None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": cn.created,
        "invoice": inv.id,
        "lines": _list(f"/v1/credit_notes/{cn.id}/lines", lines),
        "livemode": LIVEMODE,
        "memo": None,
        "metadata": {},
        "number": cn.number,
        "out_of_band_amount": None,
        "pdf": f"https://pay.stripe.com/credit_notes/{cn.id}/pdf",
        "post_payment_amount": 0 if cn.pre_payment else cn.amount,
        "pre_payment_amount": cn.amount if cn.pre_payment else 0,
        "pretax_credit_amounts": [],
        "reason": cn.reason,
        "refunds": refunds,
        "shipping_cost": None,
        "status": cn.status,
        "subtotal": cn.subtotal,
        "subtotal_excluding_tax": cn.amount - cn.tax,
        "total": cn.amount,
        "total_excluding_tax": cn.amount - cn.tax,
        "total_taxes": taxes,
        "type": "pre_payment" if cn.pre_payment else "post_payment",
        "voided_at": None,
    }


def dispute(d: m.Dispute) -> dict[str, Any]:
    return {
        "id": d.id,
        "object": "dispute",
        "amount": d.amount,
        "balance_transactions": [balance_transaction(bt) for bt in d.balance_transactions],
        "charge": d.charge.id,
        "created": d.created,
        "currency": d.charge.currency,
        "enhanced_eligibility_types": [],
        "evidence": {},
        "evidence_details": {
            "due_by": d.created + 7 * 86400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": LIVEMODE,
        "metadata": {},
        "payment_intent": d.charge.payment_intent,
        "payment_method_details": None,
        "reason": d.reason,
        "status": d.status,
    }


def balance_transaction(bt: m.BalanceTransaction) -> dict[str, Any]:
    fee_details = []
    if bt.fee:
        fee_details = [
            {
                "amount": bt.fee,
                "application": None,
                "currency": bt.currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
    return {
        "id": bt.id,
        "object": "balance_transaction",
        "amount": bt.amount,
        "available_on": bt.available_on,
        "balance_type": "payments",
        "created": bt.created,
        "currency": bt.currency,
        "description": bt.description,
        "exchange_rate": bt.exchange_rate,
        "fee": bt.fee,
        "fee_details": fee_details,
        "net": bt.net,
        "reporting_category": bt.reporting_category,
        "source": bt.source,
        "status": "available",
        "type": bt.type,
    }


def payout(p: m.Payout) -> dict[str, Any]:
    return {
        "id": p.id,
        "object": "payout",
        "amount": p.amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": p.arrival_date,
        "automatic": True,
        "balance_transaction": p.balance_transaction,
        "created": p.created,
        "currency": p.currency,
        "description": "STRIPE PAYOUT",
        "destination": "ba_fakebank" + p.currency,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": LIVEMODE,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "completed",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": p.status,
        "trace_id": None,
        "type": "bank_account",
    }
