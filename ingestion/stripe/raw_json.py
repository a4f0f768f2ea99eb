"""A list page's bytes → objects kept as the bytes Stripe sent (DECISIONS.md I10, I12): msgspec, no dicts.

A list page is decoded with msgspec into one `msgspec.Raw` slice per object; each object then
decodes only `id`, `created` and `api_version` (msgspec skips every other field without building
it), and an embedded sub-list (`lines`, `items`) only when asked for. The `data` column gets the
slice itself, so the JSON stored is the JSON Stripe sent, byte for byte, minus insignificant
whitespace (Stripe pretty-prints; such pages are compacted once, before slicing).

Anything else read from a `RawObject` decodes the whole object once (orjson) and is cached.

A listed page is kept column-wise (`RawPage`, I12): the page is read in a few whole-page msgspec
passes (the objects' bytes, their heads with the embedded lists' bytes, then every embedded
element's head in one go), so no Python work is done per object until a caller asks for one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import Any, overload

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


_HEADS = msgspec.json.Decoder(list[_Head])


@cache
def _page_heads_decoder(fields: tuple[str, ...]) -> msgspec.json.Decoder[Any]:
    """A page's object heads, each with its `fields` as embedded list objects of raw elements
    (None where absent or null; any other shape is a `ValidationError`)."""
    head = msgspec.defstruct(
        "_PageHead_" + "_".join(fields), [(name, _RawList | None, None) for name in fields], bases=(_Head,)
    )
    return msgspec.json.Decoder(msgspec.defstruct("_PageHeads_" + "_".join(fields), [("data", list[head])]))


class EmbeddedLists:
    """One embedded list field (`lines`, `items`) of every object of a page, column-wise: object `i`
    holds elements `raws[starts[i]:starts[i + 1]]` (their heads alike), `has_more[i]` tells whether
    Stripe cut its list; `present[i]` is False where the object embeds no such list."""

    __slots__ = ("has_more", "heads", "present", "raws", "starts")

    def __init__(self, lists: Sequence[_RawList | None]) -> None:
        self.raws: list[msgspec.Raw] = []
        self.starts = [0]
        self.present: list[bool] = []
        self.has_more: list[bool] = []
        for sub in lists:
            if sub is not None:
                self.raws += sub.data
            self.starts.append(len(self.raws))
            self.present.append(sub is not None)
            self.has_more.append(sub is not None and sub.has_more)
        # every element's head in one pass: the elements' bytes joined into one JSON array
        self.heads: list[_Head] = _HEADS.decode(b"[" + b",".join(self.raws) + b"]") if self.raws else []


class RawPage(Sequence[RawObject]):
    """A list page's objects column-wise (`raws`, `heads`, `embedded` lists), I12. As a sequence it
    yields `RawObject`s, built on access."""

    __slots__ = ("embedded", "heads", "raws")

    def __init__(self, raws: list[msgspec.Raw], heads: list[_Head], embedded: dict[str, EmbeddedLists]) -> None:
        self.raws = raws
        self.heads = heads
        self.embedded = embedded

    def __len__(self) -> int:
        return len(self.raws)

    @overload
    def __getitem__(self, index: int) -> RawObject: ...
    @overload
    def __getitem__(self, index: slice) -> list[RawObject]: ...
    def __getitem__(self, index: int | slice) -> RawObject | list[RawObject]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return RawObject(bytes(self.raws[index]), self.heads[index])


def _decode_page(body: bytes, fields: tuple[str, ...]) -> tuple[RawPage, bool]:
    page = _LIST.decode(body)  # pass 1: each object's bytes
    heads = _page_heads_decoder(fields).decode(body).data  # pass 2: heads, embedded elements' bytes
    embedded = {name: EmbeddedLists([getattr(head, name) for head in heads]) for name in fields}
    return RawPage(page.data, heads, embedded), page.has_more


def decode_list(body: bytes, fields: tuple[str, ...] = ()) -> tuple[Sequence[RawObject], bool] | None:
    """`(objects, has_more)` of a list page, or None when `body` is valid JSON of another shape.
    `fields`: embedded lists to slice out of each object in the same passes.

    The objects come as a `RawPage` (column-wise); a page whose objects or embedded lists do not
    have the usual shapes falls back to one `RawObject` per element, each read on its own.
    Raises `DecodeError` when `body` is not valid JSON (a truncated body)."""
    body = _compact(body)
    try:
        return _decode_page(body, fields)
    except ValidationError:
        pass
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
