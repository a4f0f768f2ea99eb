"""Stripe's OpenAPI fixtures kept in the repo (tests/fixtures/stripe, MIT): the one reader.

Eras: `current` (after the 2025-03-31 API changes) and `legacy` (the last shape before them).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures" / "stripe"
ERA_FILES = {"current": "fixtures3.2026-08-21.json", "legacy": "fixtures3.2025-02-14.json"}


class MissingFixture(KeyError):
    """A resource the kept subset does not hold."""


class _Resources(dict[str, dict[str, Any]]):
    def __init__(self, era: str, data: dict[str, dict[str, Any]]) -> None:
        super().__init__(data)
        self.era = era

    def __missing__(self, kind: str) -> dict[str, Any]:
        raise MissingFixture(
            f"no `{kind}` in {FIXTURES_DIR / ERA_FILES[self.era]}: copy it from Stripe's fixtures3.json "
            "(tests/fixtures/stripe/README.md)"
        )


@cache
def resources(era: str) -> dict[str, dict[str, Any]]:
    """Every kept canonical object of `era` by resource name (`charge`, `invoice`, ...)."""
    path = FIXTURES_DIR / ERA_FILES[era]
    return _Resources(era, json.loads(path.read_text())["resources"])


def canonical(kind: str, era: str) -> dict[str, Any]:
    """A deep copy of Stripe's canonical `kind` object in `era`'s shape."""
    return copy.deepcopy(resources(era)[kind])
