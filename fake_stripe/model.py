"""The simulated business's own records: the source of truth for both the Stripe JSON and the ground truth.

Stripe objects are rendered from these records (stripe_json.py); the ground truth is computed from
them directly (ground_truth.py), never by reading the rendered JSON back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from fake_stripe.revenue_rules import round_half_away_exact


@dataclass
class Coupon:
    id: str
    name: str
    created: int
    duration: str  # forever | once | repeating
    percent_off: float | None = None
    amount_off: int | None = None
    currency: str | None = None
    duration_in_months: int | None = None  # repeating coupons: how long a discount of it lasts


@dataclass
class Discount:
    """A coupon applied from `start`; a repeating coupon's ends at `end` (Stripe's `discount.end`, start +
    `duration_in_months`), a forever one never (`end` None). It applies to what is invoiced in [start, end)."""

    id: str
    coupon: Coupon
    start: int
    customer: str
    subscription: str | None = None
    invoice: str | None = None
    end: int | None = None

    def in_force(self, t: int) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


@dataclass
class TaxRate:
    id: str
    display_name: str
    description: str
    percentage: Fraction  # exact, e.g. 20 or 8.25
    inclusive: bool
    country: str
    jurisdiction: str
    tax_type: str  # vat | sales_tax
    created: int
    state: str | None = None

    @property
    def behavior(self) -> str:
        return "inclusive" if self.inclusive else "exclusive"

    def tax_on(self, amount: int) -> int:
        """The tax of a line amount (after its discounts), rounded half away from zero: inside the amount
        when inclusive, on top of it when exclusive."""
        share = self.percentage / (100 + self.percentage) if self.inclusive else self.percentage / 100
        return round_half_away_exact(amount * share)


@dataclass
class Product:
    id: str
    name: str
    created: int
    updated: int
    description: str | None = None
    active: bool = True
    default_price: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    deleted_at: int | None = None


@dataclass
class Price:
    id: str
    product: str
    currency: str
    unit_amount: int
    created: int
    interval: str | None = None  # month | year | None (one_time)
    interval_count: int = 1
    active: bool = True
    nickname: str | None = None
    lookup_key: str | None = None
    usage_type: str = "licensed"  # metered: billed on the usage of the period just ended (in arrears)
    meter: str | None = None  # the billing meter of a metered price

    @property
    def recurring(self) -> bool:
        return self.interval is not None

    @property
    def metered(self) -> bool:
        return self.usage_type == "metered"

    @property
    def interval_months(self) -> int:
        return self.interval_count * (12 if self.interval == "year" else 1)


@dataclass
class Customer:
    id: str
    index: int
    created: int
    name: str
    email: str
    phone: str | None
    country: str
    city: str
    postal_code: str
    line1: str
    currency: str
    metadata: dict[str, str] = field(default_factory=dict)
    tax_rate: TaxRate | None = None  # applied to every line of the customer's invoices
    balance: int = 0  # negative = credit the customer can spend on the next invoice
    deleted_at: int | None = None
    invoice_seq: int = 0


@dataclass
class SubItem:
    id: str
    subscription: str
    price: Price
    quantity: int
    created: int
    current_period_start: int = 0
    current_period_end: int = 0
    deleted_at: int | None = None  # removed from the subscription (replaced by another price)


@dataclass
class Subscription:
    id: str
    customer: str
    currency: str
    created: int
    start_date: int
    items: list[SubItem]
    billing_cycle_anchor: int
    status: str = "incomplete"
    trial_start: int | None = None
    trial_end: int | None = None
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    cancellation_reason: str | None = None
    discount: Discount | None = None
    tax_rate: TaxRate | None = None  # the customer's, as the subscription's default tax rate
    latest_invoice: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    current_period_start: int = 0
    current_period_end: int = 0
    planned_until: int = 0  # simulation bookkeeping: the period whose changes are already scheduled

    def percent_off_at(self, t: int) -> float:
        """The percent off of the subscription's discount when it is in force at `t`, else 0."""
        d = self.discount
        if d is None or d.coupon.percent_off is None or not d.in_force(t):
            return 0.0
        return d.coupon.percent_off

    def live_items(self) -> list[SubItem]:
        return [item for item in self.items if item.deleted_at is None]

    def licensed_items(self) -> list[SubItem]:
        """The live items billed in advance (every item but metered ones)."""
        return [item for item in self.live_items() if not item.price.metered]


@dataclass
class Line:
    id: str
    invoice: str
    amount: int
    currency: str
    description: str
    period_start: int
    period_end: int
    quantity: int
    price: Price
    discountable: bool = True
    proration: bool = False
    subscription: str | None = None
    subscription_item: str | None = None
    invoice_item: str | None = None  # ii_... for one-off and proration lines
    discount_amounts: list[tuple[int, str]] = field(default_factory=list)  # (amount, discount id)
    percent_off: float = 0.0  # the subscription coupon's percent in force when the line was invoiced
    tax_rate: TaxRate | None = None
    tax: int = 0  # on the amount after the line's discounts; inside `amount` when the rate is inclusive

    @property
    def discount_total(self) -> int:
        return sum(amount for amount, _ in self.discount_amounts)

    @property
    def inclusive_tax(self) -> int:
        return self.tax if self.tax_rate is not None and self.tax_rate.inclusive else 0

    @property
    def exclusive_tax(self) -> int:
        return self.tax if self.tax_rate is not None and not self.tax_rate.inclusive else 0

    @property
    def taxable_amount(self) -> int:
        return self.amount - self.discount_total - self.inclusive_tax

    @property
    def is_recurring(self) -> bool:
        return self.price.recurring or self.subscription is not None


@dataclass
class Charge:
    id: str
    customer: str
    currency: str
    amount: int
    created: int
    payment_intent: str
    status: str  # succeeded | failed
    description: str
    invoice: str | None = None
    balance_transaction: str | None = None
    failure_code: str | None = None
    amount_refunded: int = 0
    disputed: bool = False
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def amount_captured(self) -> int:
        return self.amount if self.status == "succeeded" else 0


@dataclass
class InvoicePayment:
    id: str
    invoice: str
    charge: Charge | None  # the latest attempt; None until the first attempt
    created: int
    status: str  # paid | open | canceled
    paid_at: int | None = None


@dataclass
class Invoice:
    id: str
    customer: Customer
    currency: str
    created: int
    billing_reason: str
    lines: list[Line]
    period_start: int
    period_end: int
    number: str
    subscription: str | None = None
    status: str = "draft"
    starting_balance: int = 0
    invoice_discounts: list[tuple[int, Discount]] = field(default_factory=list)  # invoice-level, not on lines
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None
    attempt_count: int = 0
    next_payment_attempt: int | None = None
    payments: list[InvoicePayment] = field(default_factory=list)
    pre_payment_credit_notes_amount: int = 0
    post_payment_credit_notes_amount: int = 0
    credit_note_count: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    deleted_at: int | None = None

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total_discount(self) -> int:
        return sum(line.discount_total for line in self.lines) + sum(a for a, _ in self.invoice_discounts)

    @property
    def inclusive_tax(self) -> int:
        return sum(line.inclusive_tax for line in self.lines)

    @property
    def exclusive_tax(self) -> int:
        return sum(line.exclusive_tax for line in self.lines)

    @property
    def total(self) -> int:
        """subtotal − discounts + exclusive tax (read often: one pass over the lines)."""
        total = -sum(a for a, _ in self.invoice_discounts)
        for line in self.lines:
            total += line.amount - line.discount_total + line.exclusive_tax
        return total

    @property
    def amount_due(self) -> int:
        # a credit balance (negative) pays part of the invoice, a pre-payment credit note takes off its
        # amount; a negative total is credited, never charged
        total = self.total
        if total <= 0:
            return 0
        return max(0, total + min(0, self.starting_balance) - self.pre_payment_credit_notes_amount)

    @property
    def ending_balance(self) -> int:
        total = self.total
        if total <= 0:
            return self.starting_balance + total
        return min(0, self.starting_balance + total)

    @property
    def amount_paid(self) -> int:
        return self.amount_due if self.status == "paid" else 0


@dataclass
class Refund:
    id: str
    charge: Charge
    amount: int
    created: int
    reason: str | None
    balance_transaction: str | None = None
    status: str = "succeeded"


@dataclass
class CreditNote:
    id: str
    invoice: Invoice
    number: str
    created: int
    amount: int
    reason: str
    lines: list[tuple[str, Line, int]]  # (credit note line id, invoice line, amount excluding exclusive tax)
    refund: Refund | None = None
    credit_amount: int = 0  # credited to the customer balance
    status: str = "issued"
    pre_payment: bool = False  # issued on an open invoice: takes its amount off `amount_due`
    tax: int = 0  # the tax part of `amount` (the invoice line's rate, in proportion)
    tax_rate: TaxRate | None = None

    @property
    def subtotal(self) -> int:
        """`amount` (tax included) without exclusive tax: what the credit note's line credits."""
        return self.amount - (self.tax if self.tax_rate is not None and not self.tax_rate.inclusive else 0)


@dataclass
class Dispute:
    id: str
    charge: Charge
    amount: int
    created: int
    reason: str
    status: str = "needs_response"
    closed_at: int | None = None
    balance_transactions: list[BalanceTransaction] = field(default_factory=list)


@dataclass
class BalanceTransaction:
    id: str
    amount: int  # settlement currency minor units
    currency: str
    fee: int
    created: int
    available_on: int
    type: str  # charge | refund | adjustment | payout
    reporting_category: str
    source: str | None
    description: str | None = None
    exchange_rate: float | None = None

    @property
    def net(self) -> int:
        return self.amount - self.fee


@dataclass
class Payout:
    id: str
    amount: int
    currency: str
    created: int
    arrival_date: int
    balance_transaction: str
    status: str = "paid"
