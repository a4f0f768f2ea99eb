"""The resource table: what the `stripe` source loads and how each Stripe list endpoint is read.

Pure data. `ingestion/stripe/__init__.py` turns every `ResourceSpec` into a dlt resource; nothing here
does I/O.
Facts from docs/REFERENCE.md §1 and Stripe's API reference (list parameters, event types).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})

# The source's defaults, here so that reading them imports no HTTP or Arrow library (I15: the CLI)
DEFAULT_OVERLAP_SECONDS = 60
DEFAULT_BATCH_ROWS = 10_000  # rows per Arrow table handed to dlt: dlt spends ~5 ms per item (I12)


@dataclass(frozen=True)
class SubList:
    """A list embedded in a parent object, holding at most its first page (`has_more` tells)."""

    field: str  # the parent's field holding the embedded list object: "lines", "items"
    table: str  # table (without prefix) receiving the elements
    path: str  # endpoint listing every element; `{id}` is the parent id
    parent_param: str | None = None  # query parameter naming the parent, when not in the path
    inherit_created: bool = False  # D2: invoice lines carry the parent invoice's `created`

    def embedded(self, parent: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool] | None:
        """`(first page, has_more)` of the embedded list, or None when the parent does not embed it."""
        embedded = getattr(parent, "embedded", None)
        if embedded is not None:  # a RawObject (I10): decode only this field
            found = embedded(self.field)
            if found is None:
                return None
            return [item for item in found[0] if isinstance(item.id, str) and item.id], found[1]
        value = parent.get(self.field)
        if not isinstance(value, Mapping) or not isinstance(value.get("data"), list):
            return None
        items = [item for item in value["data"] if isinstance(item, dict) and item.get("id")]
        return items, bool(value.get("has_more"))

    def request(self, parent_id: str) -> tuple[str, dict[str, Any]]:
        """`(path, params)` listing every element of the parent `parent_id`."""
        params: dict[str, Any] = {}
        if self.parent_param:
            params[self.parent_param] = parent_id
        return self.path.format(id=parent_id), params


@dataclass(frozen=True)
class ResourceSpec:
    name: str  # table name without prefix, and the resource name users select
    path: str  # list endpoint
    object_type: str  # Stripe's `object` value of the listed objects
    permission: str  # restricted-key permission (dashboard label) needed to read it
    created_filter: bool = True  # the endpoint accepts created[gte|gt|lt|lte]
    params: Mapping[str, Any] = field(default_factory=dict)  # extra query parameters on every request
    # The list is read once per variant (e.g. prices: active=true, then active=false).
    variants: tuple[Mapping[str, Any], ...] = field(default_factory=lambda: (_EMPTY,))
    sub_lists: tuple[SubList, ...] = ()
    # events whose `data.object` is a state of this resource (only objects of `object_type` are kept)
    event_types: tuple[str, ...] = ()
    # events meaning the object was deleted (is_deleted, deleted_at); other events are plain states
    delete_event_types: frozenset[str] = field(default_factory=frozenset)
    mutable: bool = True  # changes after creation arrive as events (balance transactions: never)
    # Fields listed with `expand[]=data.<field>`. Event payloads never expand them, so an object
    # changed by events is re-read (`GET <path>/<id>` with these expansions) rather than written
    # from the event, or the warehouse would lose them (e.g. `invoice.payments`, R7).
    expand: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table this resource writes (without prefix): its own, then its sub-lists'."""
        return (self.name, *(s.table for s in self.sub_lists))

    def variant_params(self) -> list[dict[str, Any]]:
        expand = {"expand[]": [f"data.{f}" for f in self.expand]} if self.expand else {}
        return [{**self.params, **expand, **variant} for variant in self.variants]

    def retrieve_params(self) -> dict[str, Any]:
        return {"expand[]": list(self.expand)} if self.expand else {}


INVOICE_LINES = SubList(
    field="lines",
    table="invoice_line_item",
    path="/v1/invoices/{id}/lines",
    inherit_created=True,
)
SUBSCRIPTION_ITEMS = SubList(
    field="items",
    table="subscription_item",
    path="/v1/subscription_items",
    parent_param="subscription",
)

EVENT = "event"

RESOURCES: tuple[ResourceSpec, ...] = (
    ResourceSpec(
        name="customer",
        path="/v1/customers",
        object_type="customer",
        permission="Customers: Read (Core)",
        event_types=("customer.created", "customer.updated", "customer.deleted"),
        delete_event_types=frozenset({"customer.deleted"}),
    ),
    ResourceSpec(
        name="product",
        path="/v1/products",
        object_type="product",
        permission="Products: Read (Core)",
        event_types=("product.created", "product.updated", "product.deleted"),
        delete_event_types=frozenset({"product.deleted"}),
    ),
    ResourceSpec(
        name="price",
        path="/v1/prices",
        object_type="price",
        permission="Prices: Read (Billing)",
        # without `active`, only active prices are listed (docs/REFERENCE.md §1)
        variants=(MappingProxyType({"active": "true"}), MappingProxyType({"active": "false"})),
        event_types=("price.created", "price.updated", "price.deleted"),
        delete_event_types=frozenset({"price.deleted"}),
    ),
    ResourceSpec(
        name="subscription",
        path="/v1/subscriptions",
        object_type="subscription",
        permission="Subscriptions: Read (Billing)",
        params=MappingProxyType({"status": "all"}),  # canceled ones are omitted otherwise
        expand=("discounts",),  # coupons in force (M1); ids only unless expanded
        sub_lists=(SUBSCRIPTION_ITEMS,),
        # `customer.subscription.deleted` means canceled: the object still exists, it is a state
        event_types=(
            "customer.subscription.created",
            "customer.subscription.updated",
            "customer.subscription.deleted",
            "customer.subscription.paused",
            "customer.subscription.resumed",
            "customer.subscription.pending_update_applied",
            "customer.subscription.pending_update_expired",
            "customer.subscription.trial_will_end",
        ),
    ),
    ResourceSpec(
        name="invoice",
        path="/v1/invoices",
        object_type="invoice",
        permission="Invoices: Read (Billing)",
        expand=("payments", "discounts"),  # R7: payments link charges to invoices; coupons (§2)
        sub_lists=(INVOICE_LINES,),
        event_types=(
            "invoice.created",
            "invoice.updated",
            "invoice.deleted",
            "invoice.finalized",
            "invoice.finalization_failed",
            "invoice.marked_uncollectible",
            "invoice.overdue",
            "invoice.overpaid",
            "invoice.paid",
            "invoice.payment_action_required",
            "invoice.payment_failed",
            "invoice.payment_succeeded",
            "invoice.sent",
            "invoice.voided",
            "invoice.will_be_due",
        ),
        delete_event_types=frozenset({"invoice.deleted"}),  # drafts only
    ),
    ResourceSpec(
        name="charge",
        path="/v1/charges",
        object_type="charge",
        permission="Charges: Read (Core)",
        event_types=(
            "charge.captured",
            "charge.expired",
            "charge.failed",
            "charge.pending",
            "charge.refunded",
            "charge.succeeded",
            "charge.updated",
        ),
    ),
    ResourceSpec(
        name="refund",
        path="/v1/refunds",
        object_type="refund",
        permission="Refunds: Read (Core)",
        event_types=("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"),
    ),
    ResourceSpec(
        name="dispute",
        path="/v1/disputes",
        object_type="dispute",
        permission="Disputes: Read (Core)",
        event_types=(
            "charge.dispute.created",
            "charge.dispute.updated",
            "charge.dispute.closed",
            "charge.dispute.funds_reinstated",
            "charge.dispute.funds_withdrawn",
        ),
    ),
    ResourceSpec(
        name="credit_note",
        path="/v1/credit_notes",
        object_type="credit_note",
        permission="Credit notes: Read (Billing)",
        event_types=("credit_note.created", "credit_note.updated", "credit_note.voided"),
    ),
    ResourceSpec(
        name="payout",
        path="/v1/payouts",
        object_type="payout",
        permission="Payouts: Read (Core)",
        event_types=(
            "payout.created",
            "payout.updated",
            "payout.canceled",
            "payout.failed",
            "payout.paid",
            "payout.reconciliation_completed",
        ),
    ),
    ResourceSpec(
        name="balance_transaction",
        path="/v1/balance_transactions",
        object_type="balance_transaction",
        permission="Balance transaction sources: Read (Core)",
        mutable=False,  # append-only in Stripe (D2: still merged on id, so re-runs never duplicate)
    ),
    ResourceSpec(
        name=EVENT,
        path="/v1/events",
        object_type="event",
        permission="Events: Read (Core)",
        mutable=False,  # events are immutable; kept 30 days by Stripe
    ),
)

RESOURCES_BY_NAME: Mapping[str, ResourceSpec] = MappingProxyType({r.name: r for r in RESOURCES})
# every table name users may select, mapped to the resource that writes it
TABLE_TO_RESOURCE: Mapping[str, str] = MappingProxyType({table: r.name for r in RESOURCES for table in r.tables})
ALL_TABLES: tuple[str, ...] = tuple(TABLE_TO_RESOURCE)


def select_resources(names: Iterable[str] | None, prefix: str = "") -> list[ResourceSpec]:
    """Resolve a user's selection (table names, with or without `prefix`) to resource specs.

    Sub-list tables select their parent (`invoice_line_item` → `invoice`). `None`/empty → all.
    """
    if not names:
        return list(RESOURCES)
    wanted: set[str] = set()
    for raw in names:
        for part in str(raw).split(","):
            name = part.strip()
            if not name:
                continue
            if prefix and name.startswith(prefix) and name[len(prefix) :] in TABLE_TO_RESOURCE:
                name = name[len(prefix) :]
            if name not in TABLE_TO_RESOURCE:
                raise ValueError(f"unknown Stripe resource {name!r}; choose from: {', '.join(ALL_TABLES)}")
            wanted.add(TABLE_TO_RESOURCE[name])
    return [r for r in RESOURCES if r.name in wanted]
