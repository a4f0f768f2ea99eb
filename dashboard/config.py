"""The dashboard's settings file (TOML): goals drawn on the charts and which customers are test customers.

    [goals.mrr]                      # month-end MRR targets, base currency, major units
    "2026-06" = 60000
    [goals.gross_revenue]            # gross recognised revenue targets per month
    "2026-06" = 65000

    [test_customers]                 # what "exclude test customers" leaves out
    email_patterns = ["*@example.test", "*+test@*"]   # shell-style, case-insensitive
    metadata_key = "test_customer"   # customer metadata key; true / "true" / "1" / "yes" marks one

Every problem names the file, the key and what it expects (a bad settings file never yields a page
that silently ignores it).
"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GOAL_METRICS = ("mrr", "gross_revenue")
TRUE_VALUES = {"true", "1", "yes", "y"}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class SettingsError(ValueError):
    """The settings file is unreadable or says something the dashboard cannot use; the message says what."""


@dataclass(frozen=True)
class TestCustomers:
    email_patterns: tuple[str, ...] = ()
    metadata_key: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.email_patterns or self.metadata_key)

    def describe(self) -> str:
        parts = [f"email matching {', '.join(self.email_patterns)}"] if self.email_patterns else []
        if self.metadata_key:
            parts.append(f"metadata {self.metadata_key} = true")
        return " or ".join(parts)

    def matches(self, email: str | None, metadata: Any) -> bool:
        if email and any(fnmatch.fnmatchcase(email.strip().lower(), p.lower()) for p in self.email_patterns):
            return True
        if not self.metadata_key or metadata is None:
            return False
        if isinstance(metadata, str | bytes):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                return False
        value = metadata.get(self.metadata_key) if isinstance(metadata, dict) else None
        return value is True or str(value).strip().lower() in TRUE_VALUES


@dataclass(frozen=True)
class DashboardSettings:
    goals: dict[str, dict[str, float]] = field(default_factory=dict)  # metric -> "YYYY-MM" -> amount
    test_customers: TestCustomers = TestCustomers()
    source: str | None = None  # the file's name, for the page's footer (never its absolute path)


def load_settings(path: Path | str | None) -> DashboardSettings:
    """The settings of `path`; no path: none (no goals, no test customers)."""
    if path is None:
        return DashboardSettings()
    path = Path(path).expanduser()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"no dashboard settings file at {path}: create it or leave out --config") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path} is not UTF-8 text: save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - {"goals", "test_customers"})
    if unknown:
        raise SettingsError(f"{path}: unknown section(s) {', '.join(unknown)}; expected [goals.*] and [test_customers]")
    return DashboardSettings(
        goals=_goals(path, raw.get("goals", {})), test_customers=_test_customers(path, raw), source=path.name
    )


def _goals(path: Path, goals: Any) -> dict[str, dict[str, float]]:
    if not isinstance(goals, dict):
        raise SettingsError(f"{path}: [goals] must be a table of [goals.mrr] / [goals.gross_revenue]")
    out: dict[str, dict[str, float]] = {}
    for metric, targets in goals.items():
        if metric not in GOAL_METRICS:
            raise SettingsError(f"{path}: unknown goal {metric!r}; goals are {', '.join(GOAL_METRICS)}")
        if not isinstance(targets, dict):
            raise SettingsError(f'{path}: [goals.{metric}] must map months to amounts, e.g. "2026-06" = 60000')
        out[metric] = {}
        for month, amount in targets.items():
            if not MONTH.match(str(month)):
                raise SettingsError(f'{path}: goals.{metric}: {month!r} is not a month; write "YYYY-MM"')
            if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
                raise SettingsError(
                    f"{path}: goals.{metric}.{month} = {amount!r}: write a non-negative number (base currency)"
                )
            out[metric][str(month)] = float(amount)
    return out


def _test_customers(path: Path, raw: dict[str, Any]) -> TestCustomers:
    section = raw.get("test_customers", {})
    if not isinstance(section, dict):
        raise SettingsError(f"{path}: [test_customers] must be a table (email_patterns, metadata_key)")
    unknown = sorted(set(section) - {"email_patterns", "metadata_key"})
    if unknown:
        raise SettingsError(f"{path}: test_customers: unknown key(s) {', '.join(unknown)}")
    patterns = section.get("email_patterns", [])
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise SettingsError(
            f'{path}: test_customers.email_patterns must be a list of patterns, e.g. ["*@example.test"]'
        )
    key = section.get("metadata_key")
    if key is not None and (not isinstance(key, str) or not key.strip()):
        raise SettingsError(f"{path}: test_customers.metadata_key must be a metadata key (text)")
    return TestCustomers(tuple(p.strip() for p in patterns), key.strip() if key else None)
