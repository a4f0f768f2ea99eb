"""The fake business's catalog: products, prices in five currencies, coupons, and where customers live.

Amounts are minor units of each currency: JPY has no decimals, KWD three (docs/REFERENCE.md §1 Money).
"""

from __future__ import annotations

from dataclasses import dataclass

# (country, currency, weight, cities)
COUNTRIES: list[tuple[str, str, float, tuple[str, ...]]] = [
    ("US", "usd", 0.40, ("New York", "Austin", "Seattle", "Denver")),
    ("CA", "usd", 0.05, ("Toronto", "Vancouver")),
    ("GB", "gbp", 0.12, ("London", "Manchester")),
    ("DE", "eur", 0.10, ("Berlin", "Munich")),
    ("FR", "eur", 0.06, ("Paris", "Lyon")),
    ("NL", "eur", 0.04, ("Amsterdam",)),
    ("ES", "eur", 0.03, ("Madrid",)),
    ("JP", "jpy", 0.12, ("Tokyo", "Osaka")),
    ("KW", "kwd", 0.08, ("Kuwait City",)),
]

# Price per currency, minor units, for one unit of one interval (month unless stated).
_FX_SCALE = {"usd": 1.0, "eur": 0.92, "gbp": 0.79, "jpy": 150.0, "kwd": 0.307}
_MINOR = {"usd": 100, "eur": 100, "gbp": 100, "jpy": 1, "kwd": 1000}


def local_amount(usd_major: float, currency: str) -> int:
    """A price list amount: the USD price scaled and rounded to a 'nice' local figure, in minor units."""
    major = usd_major * _FX_SCALE[currency]
    if currency == "jpy":
        return round(major / 100.0) * 100
    if currency == "kwd":
        return round(major * 4) * 250  # quarter-dinar steps, three decimals
    return round(major) * _MINOR[currency]


@dataclass(frozen=True)
class PlanSpec:
    key: str
    product: str
    usd_monthly: float
    per_seat: bool = False


PRODUCTS: list[tuple[str, str, str]] = [
    # key, name, description
    ("starter", "Starter", "For individuals and small teams"),
    ("pro", "Pro", "Per-seat plan for growing teams"),
    ("enterprise", "Enterprise", "Annual contracts with SSO and support"),
    ("storage", "Extra storage", "Add-on: 100 GB of storage"),
    ("onboarding", "Onboarding", "One-time onboarding package"),
    ("consulting", "Consulting hour", "One hour with a solutions engineer"),
    ("legacy", "Starter (2024)", "Retired plan, kept for grandfathered customers"),
]

# recurring products: key -> USD monthly list price, per seat?
RECURRING = {
    "starter": (29.0, False),
    "pro": (25.0, True),
    "enterprise": (1000.0, False),
    "storage": (10.0, False),
    "legacy": (19.0, False),
}
ONE_TIME = {"onboarding": 500.0, "consulting": 150.0}

# interval key -> (interval, interval_count, months, discount factor vs monthly)
INTERVALS = {"month": ("month", 1, 1, 1.0), "quarter": ("month", 3, 3, 0.95), "year": ("year", 1, 12, 0.85)}

CURRENCIES = ("usd", "eur", "gbp", "jpy", "kwd")

COUPONS = [
    # id, name, duration, percent_off, amount_off (usd minor), duration_in_months
    ("LOYAL20", "20% off forever", "forever", 20.0, None, None),
    ("WELCOME50", "50% off the first invoice", "once", 50.0, None, None),
    ("SORRY10", "$10 off, sorry for the outage", "once", None, 1000, None),
    ("SPRING20", "20% off for 3 months", "repeating", 20.0, None, 3),
]

# The usage-based (metered) add-on: a monthly price per API call, billed in arrears on the renewal
# invoice. Minor units per call in each currency (about 5 US cents).
METERED = ("api", "API calls", "Add-on: usage-based API access, billed per call")
METERED_UNIT_AMOUNT = {"usd": 5, "eur": 5, "gbp": 4, "jpy": 8, "kwd": 15}
