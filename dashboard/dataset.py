"""The page's data: the marts' rows folded into compact aggregates the browser filters and regroups.

Customers with the same properties (source, country, cohort, initial coupon, group, test customer)
form one segment; revenue is summed per day x segment x product, MRR movements, paying customers and
subscriptions per month x segment, so any filter or breakdown on those properties is a sum of whole
rows and equals the marts' numbers for the same selection. Amounts stay integer minor units of the
base currency (exact sums in the browser). Columns are arrays (one per field), properties are
indexes into their value lists: the demo account's data is ~0.3 MB of JSON.

`check_totals` compares the folded totals with fct_revenue_metrics month by month: the page's
numbers for the whole account are the mart's, or the page says where they are not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from dashboard.config import DashboardSettings
from dashboard.marts import Marts

PROPERTIES = ("source", "country", "cohort", "coupon", "group")  # customer properties, in segment order
NONE_LABELS = {"source": "(none)", "country": "(no country)", "cohort": "(no cohort)", "coupon": "(no coupon)"}
NO_GROUP = "(no group)"
NO_PRODUCT = "(no product)"
CONTRA = ("refund", "credit_note", "dispute", "void", "bad_debt")  # fct_revenue_monthly's contra columns
MAX_LISTED_CUSTOMERS = 5000  # customers kept one by one for the top-customers table (by revenue)
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


class _Index:
    """Values to small integers, first seen first."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._ids: dict[Any, int] = {}

    def __call__(self, value: Any) -> int:
        found = self._ids.get(value)
        if found is None:
            found = self._ids[value] = len(self.values)
            self.values.append(value)
        return found


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _columns(table: dict[tuple[Any, ...], list[int]], keys: tuple[str, ...], values: tuple[str, ...]) -> dict:
    """{(k1, k2...): [v1, v2...]} as {key name: [...], value name: [...]}, rows in key order."""
    out: dict[str, list[Any]] = {name: [] for name in (*keys, *values)}
    for key in sorted(table):
        for name, part in zip(keys, key, strict=True):
            out[name].append(part)
        for name, value in zip(values, table[key], strict=True):
            out[name].append(value)
    return out


def build_dataset(marts: Marts, settings: DashboardSettings, generated_at: dt.datetime) -> dict[str, Any]:
    """The JSON the page reads (see the module doc), and `notes` for what the page should warn about."""
    months = marts.months
    month_index = {m: i for i, m in enumerate(months)}
    first_day = months[0]
    after_last = (months[-1].replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    month_first_days = [(m - first_day).days for m in months]

    # customers -> segments
    values = {p: _Index() for p in PROPERTIES}
    segments = _Index()
    customer_segment: dict[tuple[str, str], int] = {}
    customer_info: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    group_labels = _group_labels(marts)
    for source, customer_id, name, email, metadata, country, cohort, coupon in marts.customers:
        key = (source, customer_id)
        group = marts.groups.get(key)
        is_test = settings.test_customers.matches(email, metadata)
        props = (
            values["source"](source or NONE_LABELS["source"]),
            values["country"](country or NONE_LABELS["country"]),
            values["cohort"](cohort or NONE_LABELS["cohort"]),
            values["coupon"](coupon or NONE_LABELS["coupon"]),
            values["group"](group_labels[group[0]] if group else NO_GROUP),
        )
        customer_segment[key] = segments((*props, int(is_test)))
        customer_info[key] = (name, email)

    def segment_of(source: str | None, customer_id: str | None) -> int:
        found = customer_segment.get((source, customer_id))  # type: ignore[arg-type]
        if found is None:  # no customer (an invoiceless charge without one) or one dim_customers lacks
            props = (
                values["source"](source or NONE_LABELS["source"]),
                values["country"](NONE_LABELS["country"]),
                values["cohort"](NONE_LABELS["cohort"]),
                values["coupon"](NONE_LABELS["coupon"]),
                values["group"](NO_GROUP),
            )
            found = segments((*props, 0))
            if customer_id is not None:
                customer_segment[(source, customer_id)] = found  # type: ignore[index]
        return found

    products = _Index()

    def product_of(source: str, product_id: str | None) -> int:
        if product_id is None:
            return products(NO_PRODUCT)
        return products(marts.products.get((source, product_id)) or product_id)

    # revenue: day x segment x product, and per customer and month for the top customers and paying counts
    revenue: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0] * 7)
    contra_slot = {t: i + 1 for i, t in enumerate(CONTRA)}  # 0 gross, 1-5 contra, 6 other (net = sum)
    customer_revenue: dict[tuple[str, str], dict[tuple[int, int], list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for day_value, source, customer_id, product_id, revenue_type, is_gross, amount in marts.revenue:
        day = _date(day_value)
        if not first_day <= day < after_last:  # scheduled recognition after the reporting calendar
            continue
        amount = _int(amount)
        cell = revenue[((day - first_day).days, segment_of(source, customer_id), product_of(source, product_id))]
        cell[0 if is_gross else contra_slot.get(revenue_type, 6)] += amount
        if customer_id is not None:
            month = month_index[day.replace(day=1)]
            per = customer_revenue[(source, customer_id)][(month, product_of(source, product_id))]
            per[0] += amount if is_gross else 0
            per[1] += amount

    paying: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0])
    for key, cells in customer_revenue.items():
        gross_by_month: dict[int, int] = defaultdict(int)
        for (month, _product), (gross, _net) in cells.items():
            gross_by_month[month] += gross
        for month, gross in gross_by_month.items():
            if gross > 0:
                paying[(month, segment_of(*key))][0] += 1

    # MRR movements: month x segment (amounts, then customer counts by movement)
    mrr: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * 15)
    movement_slot = {"new": 9, "reactivation": 10, "churn": 11, "expansion": 12, "contraction": 13, "unconverted": 14}
    for month_value, source, customer_id, movement, *amounts in marts.mrr:
        month = month_index.get(_date(month_value))
        if month is None:
            continue
        cell = mrr[(month, segment_of(source, customer_id))]
        for i, amount in enumerate(amounts):  # start, new, expansion, contraction, churn, reactivation, fx, end
            cell[i] += _int(amount)
        cell[8] += 1 if _int(amounts[7]) > 0 else 0  # active customers: MRR > 0 at the month's instant
        if movement in movement_slot:
            cell[movement_slot[movement]] += 1

    subscriptions: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * 4)
    for month_value, source, customer_id, *counts in marts.subscriptions:
        month = month_index.get(_date(month_value))
        if month is not None:
            cell = subscriptions[(month, segment_of(source, customer_id))]
            for i, count in enumerate(counts):
                cell[i] += _int(count)

    sources = _Index()
    deferred: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * 4)
    for month_value, source, *amounts in marts.deferred:
        month = month_index.get(_date(month_value))
        if month is not None:
            cell = deferred[(month, sources(source or NONE_LABELS["source"]))]
            for i, amount in enumerate(amounts):
                cell[i] += _int(amount)

    listed = sorted(customer_revenue, key=lambda k: (-sum(g for g, _n in customer_revenue[k].values()), str(k)))
    listed = listed[:MAX_LISTED_CUSTOMERS]
    customers: dict[str, list[Any]] = {"id": [], "name": [], "email": [], "s": [], "person": [], "group": []}
    top: dict[str, list[int]] = {"c": [], "m": [], "p": [], "g": [], "n": []}
    for number, key in enumerate(listed):
        source, customer_id = key
        name, email = customer_info.get(key, (None, None))
        group = marts.groups.get(key)
        customers["id"].append(customer_id if source in (None, "stripe") else f"{source}:{customer_id}")
        customers["name"].append(name or "")
        customers["email"].append(email or "")
        customers["s"].append(segment_of(source, customer_id))
        customers["person"].append(marts.persons.get(key) or "")
        customers["group"].append(group_labels[group[0]] if group else "")
        for (month, product), (gross, net) in sorted(customer_revenue[key].items()):
            for name_, value in zip(("c", "m", "p", "g", "n"), (number, month, product, gross, net), strict=True):
                top[name_].append(value)

    segment_columns: dict[str, list[int]] = {p: [] for p in (*PROPERTIES, "test")}
    for segment in segments.values:
        for name_, value in zip((*PROPERTIES, "test"), segment, strict=True):
            segment_columns[name_].append(value)
    scale = 10**marts.exponent
    group_names = {key: label for key, label in group_labels.items()}
    return {
        "currency": marts.currency,
        "symbol": CURRENCY_SYMBOLS.get(marts.currency, ""),
        "exponent": marts.exponent,
        "months": [m.strftime("%Y-%m") for m in months],
        "monthFirstDay": month_first_days,
        "inProgress": month_index.get(marts.in_progress, -1),  # type: ignore[arg-type]
        "asOf": marts.as_of.strftime("%Y-%m-%d %H:%M") if marts.as_of else None,
        "syncedAt": marts.synced_at.strftime("%Y-%m-%d %H:%M") if marts.synced_at else None,
        "generatedAt": generated_at.strftime("%Y-%m-%d %H:%M"),
        "props": {**{p: values[p].values for p in PROPERTIES}, "product": products.values},
        "seg": segment_columns,
        "rev": _columns(revenue, ("d", "s", "p"), ("g", "rf", "cn", "dp", "vd", "bd", "ot")),
        "pay": _columns(paying, ("m", "s"), ("n",)),
        "mrr": _columns(
            mrr,
            ("m", "s"),
            ("st", "nw", "ex", "co", "ch", "re", "fx", "en", "ac", "nc", "rc", "cc", "ec", "kc", "uc"),
        ),
        "subs": _columns(subscriptions, ("m", "s"), ("ac", "tr", "nw", "ch")),
        "def": {"sources": sources.values, **_columns(deferred, ("m", "src"), ("bi", "rc", "cl", "bal"))},
        "cust": customers,
        "top": top,
        "persons": _table(marts.person_revenue, ("id", "rev", "r30", "mrr", "n")),
        "groups": _table(
            [(group_names.get(r[1], r[2] or r[1]), r[1], *r[3:]) for r in marts.group_revenue],
            ("name", "key", "rev", "r30", "mrr", "n"),
        ),
        "goals": {
            metric: {month: round(amount * scale) for month, amount in targets.items()}
            for metric, targets in settings.goals.items()
        },
        "testCustomers": settings.test_customers.describe(),
        "testCount": sum(1 for seg in segments.values if seg[-1]),
        "listedCustomers": len(listed),
        "allCustomers": len(customer_revenue),
        "settingsFile": settings.source,
    }


def _group_labels(marts: Marts) -> dict[str, str]:
    """group key -> what the page shows: its name, with the key when two groups share a name."""
    names: dict[str, str] = {}
    for key, name in marts.groups.values():
        names[key] = name or key
    for row in marts.group_revenue:
        names.setdefault(row[1], row[2] or row[1])
    seen: dict[str, int] = defaultdict(int)
    for label in names.values():
        seen[label] += 1
    return {key: (f"{label} ({key})" if seen[label] > 1 else label) for key, label in names.items()}


def _table(rows: list[tuple[Any, ...]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {n: [] for n in names}
    for row in rows:
        for name, value in zip(names, row, strict=True):
            out[name].append(int(value) if isinstance(value, Decimal) else value)
    return out


def check_totals(dataset: dict[str, Any], marts: Marts) -> list[str]:
    """Months where the folded totals differ from fct_revenue_metrics / fct_mrr_monthly (none expected)."""
    scale = 10 ** dataset["exponent"]
    n = len(dataset["months"])
    gross, net, paying, mrr, active, fx, start, new, churned = ([0] * n for _ in range(9))
    m_new, m_exp, m_con, m_churn, m_react = ([0] * n for _ in range(5))
    first_days = dataset["monthFirstDay"]
    rev = dataset["rev"]
    month_of_day: list[int] = []
    for m in range(n):
        end = first_days[m + 1] if m + 1 < n else max([*rev["d"], first_days[m]]) + 1
        month_of_day.extend([m] * (end - first_days[m]))
    for i, day in enumerate(rev["d"]):
        m = month_of_day[day]
        gross[m] += rev["g"][i]
        net[m] += sum(rev[k][i] for k in ("g", "rf", "cn", "dp", "vd", "bd", "ot"))
    for m, count in zip(dataset["pay"]["m"], dataset["pay"]["n"], strict=True):
        paying[m] += count
    for i, m in enumerate(dataset["mrr"]["m"]):
        mrr[m] += dataset["mrr"]["en"][i]
        active[m] += dataset["mrr"]["ac"][i]
        fx[m] += dataset["mrr"]["fx"][i]
        start[m] += dataset["mrr"]["st"][i]
        new[m] += dataset["mrr"]["nc"][i]
        churned[m] += dataset["mrr"]["cc"][i]
        m_new[m] += dataset["mrr"]["nw"][i]
        m_exp[m] += dataset["mrr"]["ex"][i]
        m_con[m] += dataset["mrr"]["co"][i]
        m_churn[m] += dataset["mrr"]["ch"][i]
        m_react[m] += dataset["mrr"]["re"][i]
    bridge = {_date(r[0]).strftime("%Y-%m"): r for r in marts.mrr_monthly}
    problems = []
    for row in marts.metrics:
        month = _date(row["month_start"]).strftime("%Y-%m")
        if month not in dataset["months"]:
            continue
        m = dataset["months"].index(month)
        expected = {
            "gross revenue": (round(Decimal(str(row["gross_revenue"] or 0)) * scale), gross[m]),
            "net revenue": (round(Decimal(str(row["net_revenue"] or 0)) * scale), net[m]),
            "MRR": (round(Decimal(str(row["mrr"] or 0)) * scale), mrr[m]),
            "paying customers": (_int(row["paying_customers"]), paying[m]),
            "active customers": (_int(row["active_customers"]), active[m]),
        }
        if month in bridge:
            expected["FX MRR"] = (round(Decimal(str(bridge[month][2] or 0)) * scale), fx[m])
        expected["churned revenue"] = (round(Decimal(str(row["churned_revenue"] or 0)) * scale), m_churn[m] + m_con[m])
        # M3's rates by their published names, as the page computes them (app.js `monthly`)
        at_start = active[m - 1] if m > 0 else 0
        rates = {
            "subscriber_churn_rate": churned[m] / (at_start + new[m]) if at_start + new[m] > 0 else None,
            "mrr_churn_rate": (m_churn[m] + m_con[m]) / start[m] if start[m] > 0 else None,
            "net_mrr_churn_rate": (m_churn[m] + m_con[m] - m_exp[m] - m_react[m]) / start[m] if start[m] > 0 else None,
            "net_mrr_retention": (start[m] + m_exp[m] + m_react[m] - m_con[m] - m_churn[m]) / start[m]
            if start[m] > 0
            else None,
        }
        for name, page in rates.items():
            mart = row[name]
            same = (mart is None and page is None) or (
                mart is not None and page is not None and abs(float(mart) - page) < 1e-9
            )
            expected[name] = (0, 0 if same else 1)
        wrong = [name for name, (mart, page) in expected.items() if mart != page]
        if wrong:
            problems.append(f"{month}: {', '.join(wrong)}")
    return problems
