"""Events → the latest state of each object: dedup by event id, latest wins, deletions (I2, I4). Pure: no I/O.

Rules (docs/REFERENCE.md §1, webhooks; DECISIONS.md D2):
- an event is applied once: duplicates (same `event.id`) are ignored;
- per object id, the latest event wins, ordered by `(event.created, event.id)`, whatever the
  order events arrive in (Stripe lists newest first; webhooks arrive unordered);
- a deletion event (`customer.deleted`, ..., or a `data.object` with `"deleted": true`) marks the
  object deleted for good (`is_deleted`, `deleted_at` = that event's `created`); the row keeps
  the last full state seen (a deletion stub only replaces it when nothing better is known);
- only objects of the folder's `object_type` with an `id` are kept (e.g. `invoice.upcoming` has
  no id; `charge.dispute.*` carries disputes, not charges).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_STUB_KEYS = frozenset({"id", "object", "deleted"})

EventKey = tuple[int, str]  # (event.created, event.id)


@dataclass(frozen=True)
class ObjectState:
    """The latest known state of one object according to the events folded so far."""

    id: str
    object: Mapping[str, Any]  # `data.object` of the event giving the data (a stub if nothing better)
    state_at: int  # `created` of the latest event about this object
    event_id: str  # that event
    event_type: str
    api_version: str | None  # the version `object` is shaped by (the event's, not the request's)
    is_deleted: bool = False
    deleted_at: int | None = None
    has_full_data: bool = True  # False: only a deletion stub was seen; the caller may know more


def event_object(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    return obj if isinstance(obj, Mapping) else None


def is_stub(obj: Mapping[str, Any]) -> bool:
    """A deletion stub `{"id", "object", "deleted": true}` carries no state worth keeping."""
    return set(obj) <= _STUB_KEYS


@dataclass
class _Seen:
    key: EventKey
    event_type: str
    obj: Mapping[str, Any]
    api_version: str | None


class EventFolder:
    """Accumulates events for one object type; memory is one entry per object id, not per event."""

    def __init__(self, object_type: str, delete_types: Collection[str] = ()) -> None:
        self.object_type = object_type
        self.delete_types = frozenset(delete_types)
        self._event_ids: set[str] = set()
        self._latest: dict[str, _Seen] = {}  # latest event with a full object, per object id
        self._deleted: dict[str, _Seen] = {}  # latest deletion event, per object id
        self._latest_any: dict[str, EventKey] = {}
        self.duplicates = 0
        self.ignored = 0

    def __len__(self) -> int:
        return len(self._latest_any)

    def add(self, event: Mapping[str, Any]) -> bool:
        """Fold one event in. Returns False when it is a duplicate or not about this object type."""
        event_id = event.get("id")
        if not isinstance(event_id, str):
            self.ignored += 1
            return False
        if event_id in self._event_ids:
            self.duplicates += 1
            return False
        self._event_ids.add(event_id)
        obj = event_object(event)
        if obj is None or obj.get("object") != self.object_type or not isinstance(obj.get("id"), str):
            self.ignored += 1
            return False
        object_id: str = obj["id"]
        event_type = str(event.get("type") or "")
        key: EventKey = (int(event.get("created") or 0), event_id)
        seen = _Seen(key, event_type, obj, event.get("api_version"))
        if key > self._latest_any.get(object_id, (-1, "")):
            self._latest_any[object_id] = key
        deleted = event_type in self.delete_types or obj.get("deleted") is True
        if deleted:
            previous = self._deleted.get(object_id)
            if previous is None or key > previous.key:
                self._deleted[object_id] = seen
        if not is_stub(obj):
            previous = self._latest.get(object_id)
            if previous is None or key > previous.key:
                self._latest[object_id] = seen
        return True

    def add_all(self, events: Iterable[Mapping[str, Any]]) -> EventFolder:
        for event in events:
            self.add(event)
        return self

    def states(self) -> list[ObjectState]:
        """One state per object id, ordered by `(state_at, id)`."""
        out: list[ObjectState] = []
        for object_id, latest_key in self._latest_any.items():
            full = self._latest.get(object_id)
            deletion = self._deleted.get(object_id)
            source = full or deletion
            assert source is not None
            out.append(
                ObjectState(
                    id=object_id,
                    object=source.obj,
                    state_at=latest_key[0],
                    event_id=latest_key[1],
                    event_type=(deletion or source).event_type,
                    api_version=source.api_version,
                    is_deleted=deletion is not None,
                    deleted_at=deletion.key[0] if deletion is not None else None,
                    has_full_data=full is not None,
                )
            )
        out.sort(key=lambda s: (s.state_at, s.id))
        return out


def fold_events(
    events: Iterable[Mapping[str, Any]], object_type: str, delete_types: Collection[str] = ()
) -> list[ObjectState]:
    """Latest state per object id of `object_type` (see module docstring for the rules)."""
    return EventFolder(object_type, delete_types).add_all(events).states()


def should_apply(state_at: int, stored_state_at: int | None) -> bool:
    """An event-derived state replaces a stored row unless the stored one is strictly newer.

    Ties go to the event: a listed row's `state_at` is when its page was requested, so an event
    of the same second may describe a change the listing did not see yet.
    """
    return stored_state_at is None or state_at >= stored_state_at
