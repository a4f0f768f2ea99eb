"""Checks that an object uses only fields the real Stripe object has: the pinned SDK's declared
fields (current shape, recursively) and the OpenAPI fixtures of each era (both shapes)."""

from __future__ import annotations

import functools
import typing
from typing import Any

import stripe
from stripe._object_classes import OBJECT_CLASSES, get_object_class
from stripe._stripe_object import StripeObject, UntypedStripeObject

from tests.stripe_fixtures import resources


@functools.cache
def _sdk_classes_by_name() -> dict[str, type]:
    out: dict[str, type] = {}
    for name in dir(stripe):
        obj = getattr(stripe, name)
        if isinstance(obj, type) and issubclass(obj, StripeObject):
            out[name] = obj
    return out


def _classes_in(annotation: Any) -> list[type]:
    """StripeObject classes an annotation may hold (through Optional, List, ListObject, ForwardRef)."""
    if isinstance(annotation, typing.ForwardRef):
        cls = _sdk_classes_by_name().get(annotation.__forward_arg__)
        return [cls] if cls else []
    if isinstance(annotation, str):
        cls = _sdk_classes_by_name().get(annotation)
        return [cls] if cls else []
    if isinstance(annotation, type) and issubclass(annotation, StripeObject):
        return [] if issubclass(annotation, UntypedStripeObject) else [annotation]
    out: list[type] = []
    for arg in typing.get_args(annotation):
        out.extend(_classes_in(arg))
    return out


def _fields(cls: type) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        fields.update(getattr(klass, "__annotations__", {}))
    fields.pop("OBJECT_NAME", None)
    return fields


def sdk_field_errors(obj: dict[str, Any], cls: type | None = None, path: str = "") -> list[str]:
    """Fields of `obj` (current shape) that the pinned SDK does not declare, recursively."""
    if obj.get("object") == "list":
        errors = []
        for i, item in enumerate(obj.get("data", [])):
            errors += sdk_field_errors(item, cls, f"{path}.data[{i}]")
        return errors
    if "object" in obj and obj["object"] in OBJECT_CLASSES:
        cls = get_object_class(api_mode="V1", object_name=obj["object"])
    if cls is None:
        return []
    fields = _fields(cls)
    errors = []
    for key, value in obj.items():
        where = f"{path}.{key}" if path else f"{obj.get('object', cls.__name__)}.{key}"
        if key not in fields:
            errors.append(where)
            continue
        candidates = _classes_in(fields[key])
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, dict):
                nested = None if "object" in v else (candidates[0] if candidates else None)
                if nested is not None or "object" in v:
                    errors += sdk_field_errors(v, nested, where)
    return errors


def fixture_key_errors(obj: dict[str, Any], era: str, path: str = "") -> list[str]:
    """Keys of `obj` and of every nested Stripe object that the era's fixture for that type lacks."""
    errors: list[str] = []
    kind = obj.get("object")
    if kind == "list":
        for i, item in enumerate(obj.get("data", [])):
            errors += fixture_key_errors(item, era, f"{path}.data[{i}]")
        return errors
    # a kind the kept fixtures lack raises (MissingFixture): no object goes unchecked
    reference = resources(era)[kind] if kind else None
    for key, value in obj.items():
        where = f"{path}.{key}" if path else f"{kind}.{key}"
        if reference is not None and key not in reference:
            errors.append(where)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, dict) and "object" in v:
                errors += fixture_key_errors(v, era, where)
    return errors
