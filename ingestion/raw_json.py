"""List pages kept as the bytes Stripe sent (DECISIONS.md I10): no parse into dicts, no re-serialising.

A list page is decoded with msgspec into one `msgspec.Raw` slice per object; each object then
decodes only `id`, `created` and `api_version` (msgspec skips every other field without building
it), and an embedded sub-list (`lines`, `items`) only when asked for. The `data` column gets the
slice itself, so the JSON stored is the JSON Stripe sent, byte for byte, minus insignificant
whitespace (Stripe pretty-prints; such pages are compacted once, before slicing).

Anything else read from a `RawObject` decodes the whole object once (orjson) and is cached.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import msgspec
import orjson

DecodeError = msgspec.DecodeError  # invalid or truncated JSON
ValidationError = msgspec.ValidationError  # valid JSON of another shape (a subclass of DecodeError)


class _RawList(msgspec.Struct):
    data: list[msgspec.Raw]
    has_more: bool = False


class _Head(msgspec.Struct):
    id: Any = None
    created: Any = None
    api_version: Any = None


_LIST = msgspec.json.Decoder(_RawList)
_NO_RAW = msgspec.field(default_factory=lambda: msgspec.Raw(b""))


@cache
def _head_decoder(fields: tuple[str, ...] = ()) -> msgspec.json.Decoder[Any]:
    """Decodes `id`, `created`, `api_version`, and `fields` as raw bytes (`b""` when absent)."""
    if not fields:
        return msgspec.json.Decoder(_Head)
    struct = msgspec.defstruct(
        "_Head_" + "_".join(fields), [(name, msgspec.Raw, _NO_RAW) for name in fields], bases=(_Head,)
    )
    return msgspec.json.Decoder(struct)


def _compact(body: bytes) -> bytes:
    """Pages pretty-printed (Stripe's) lose their insignificant whitespace; compact pages pass as is.

    A serializer formats a whole document one way, so its opening bytes tell which way it was."""
    head = body[:200]
    if b"\n" in head or b'": ' in head or b'", ' in head:
        return msgspec.json.format(body, indent=-1)
    return body


class RawObject(Mapping[str, Any]):
    """One Stripe object as its JSON bytes (`raw`), with `id`, `created`, `api_version` at hand."""

    __slots__ = ("_full", "_head_fields", "api_version", "created", "id", "raw")

    def __init__(self, raw: bytes, head: _Head, fields: tuple[str, ...] = ()) -> None:
        self.raw = raw
        self.id = head.id
        self.created = head.created
        self.api_version = head.api_version
        self._head_fields = head if fields else None  # carries `fields` as raw bytes
        self._full: dict[str, Any] | None = None

    @classmethod
    def decode(cls, raw: bytes | msgspec.Raw, fields: tuple[str, ...] = ()) -> RawObject:
        """`raw` must be one JSON object (raises `DecodeError` otherwise); `fields` (embedded lists)
        are sliced out in the same pass."""
        return cls(bytes(raw), _head_decoder(fields).decode(raw), fields)

    def materialize(self) -> dict[str, Any]:
        if self._full is None:
            self._full = orjson.loads(self.raw)
        return self._full

    def _head(self, key: str) -> Any:
        if key == "id":
            return self.id
        if key == "created":
            return self.created
        if key == "api_version":
            return self.api_version
        return None

    def get(self, key: str, default: Any = None) -> Any:
        value = self._head(key)
        return value if value is not None else self.materialize().get(key, default)

    def __getitem__(self, key: str) -> Any:
        value = self._head(key)
        return value if value is not None else self.materialize()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.materialize()

    def __iter__(self) -> Iterator[str]:
        return iter(self.materialize())

    def __len__(self) -> int:
        return len(self.materialize())

    def embedded(self, field: str) -> tuple[list[RawObject], bool] | None:
        """`(first page, has_more)` of the list object embedded in `field`, or None when there is none."""
        try:
            head = self._head_fields
            if head is None or not hasattr(head, field):
                head = _head_decoder((field,)).decode(self.raw)
            sub = getattr(head, field)
            if not sub:
                return None
            page = _LIST.decode(sub)
            items = [RawObject.decode(item) for item in page.data]
        except DecodeError:
            return None  # absent, not a list object, or elements that are not objects
        return items, page.has_more


def decode_list(body: bytes, fields: tuple[str, ...] = ()) -> tuple[list[RawObject], bool] | None:
    """`(objects, has_more)` of a list page, or None when `body` is valid JSON of another shape.
    `fields`: embedded lists to slice out of each object while reading its head.

    Raises `DecodeError` when `body` is not valid JSON (a truncated body)."""
    body = _compact(body)
    try:
        page = _LIST.decode(body)
        decode = RawObject.decode
        return [decode(item, fields) for item in page.data], page.has_more
    except ValidationError:
        msgspec.json.decode(body)  # invalid JSON raises here; valid JSON of another shape:
        return None


def raw_bytes(obj: Mapping[str, Any]) -> bytes | None:
    """The object's JSON as received, when it was kept."""
    return obj.raw if isinstance(obj, RawObject) else None
