"""The webhook spool: a folder of verified Stripe events, one file per event: layout, writing, reading (I13).

The receiver (`ingestion/webhooks.py`) writes it; the `stripe` source reads it on its next run and
folds the events in with those of `/v1/events` (`changes.py`); the pipeline removes the files a run
applied once that run's data is loaded. Nothing here opens the warehouse. It lives in the source's
room because it is the source's second channel of events; the receiver only writes into it.

Layout: `<spool>/<created>-<event id>.json` holds the request body exactly as Stripe sent it
(written to a `.tmp-*` file, fsynced, renamed, directory fsynced, so a file under its final name is
always complete; the same event delivered twice lands on the same name). Files that cannot be read
as an event are moved to `<spool>/rejected/`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ingestion.stripe.settings import EVENT, RESOURCES, ResourceSpec

logger = logging.getLogger(__name__)

SPOOL_DIRNAME = "stripe_webhook_spool"
REJECTED_DIRNAME = "rejected"
TMP_PREFIX = ".tmp-"
_EVENT_ID = re.compile(r"^[A-Za-z0-9_]{1,200}$")  # `evt_...`; it names a file, so nothing else


class NotAnEvent(ValueError):
    """The JSON is not a Stripe event; `str()` is a short reason."""


def default_spool_dir(duckdb_file: str | os.PathLike[str] | None = None) -> Path:
    """`<folder of the warehouse file>/stripe_webhook_spool` (`DUCKDB_PATH`, default `./warehouse.duckdb`)."""
    warehouse = os.path.abspath(duckdb_file or os.environ.get("DUCKDB_PATH") or "warehouse.duckdb")
    return Path(warehouse).parent / SPOOL_DIRNAME


def check_event(event: Any) -> tuple[str, str, int]:
    """`(id, type, created)` of a Stripe event, or `NotAnEvent` saying what is missing."""
    if not isinstance(event, Mapping):
        raise NotAnEvent("not a JSON object")
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not event_id:
        raise NotAnEvent("no event id")
    if not _EVENT_ID.match(event_id):
        raise NotAnEvent("invalid event id")
    if not isinstance(event_type, str) or not event_type:
        raise NotAnEvent("no event type")
    data = event.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("object"), Mapping):
        raise NotAnEvent("no data.object")
    if not isinstance(created, int) or isinstance(created, bool) or created < 0:
        raise NotAnEvent("no created timestamp")
    return event_id, event_type, created


def spool_name(created: int, event_id: str) -> str:
    return f"{created}-{event_id}.json"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_event(directory: str | os.PathLike[str], body: bytes, created: int, event_id: str) -> tuple[Path, bool]:
    """Store `body` durably as `<created>-<event_id>.json`: temp file, fsync, atomic rename, fsync
    of the directory. Returns `(path, written)`; `written` is False when the file was already there
    (a redelivery: the spool holds each event once)."""
    folder = Path(directory)
    target = folder / spool_name(created, event_id)
    if target.exists():
        return target, False
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=TMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)
    return target, True


def interested_resources(event_type: str) -> frozenset[str]:
    """Resources (unprefixed names) that apply an event of this type: the event table always, and
    the object resource whose events include it."""
    return frozenset({EVENT, *(r.name for r in RESOURCES if r.mutable and event_type in r.event_types)})


@dataclass(frozen=True)
class SpoolEntry:
    path: Path
    event: dict[str, Any]
    id: str
    type: str
    created: int


@dataclass
class SpoolCounts:
    files: int = 0  # event files read (this account's)
    other_account: int = 0  # events of another account: skipped and kept for the run that loads it
    rejected: int = 0  # unreadable files moved to rejected/
    removed: int = 0  # files removed after the run that applied them was loaded


@dataclass
class WebhookSpool:
    """The spool as one source run sees it: read once (lazily, thread-safe), applied per resource,
    and cleaned up by the pipeline only after the run's loads succeeded (`remove_consumed`).

    A file is removed when every resource interested in its event (`interested_resources`) applied
    it in this run; files for resources not run, or not run incrementally, stay for a later run.
    Applying a file twice is harmless: events are deduplicated by id, and a state older than the
    stored one is never written (I2)."""

    directory: Path
    account_id: str | None = None
    warn: Callable[[str], None] = logger.warning
    counts: SpoolCounts = field(default_factory=SpoolCounts)
    _entries: list[SpoolEntry] | None = None
    _applied: dict[Path, set[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def entries(self) -> list[SpoolEntry]:
        """This account's events in the spool, ordered by `(created, id)`; malformed files are moved to
        `rejected/` with a warning, other accounts' events skipped (counted, kept)."""
        with self._lock:
            if self._entries is None:
                self._entries = self._read()
            return self._entries

    def _read(self) -> list[SpoolEntry]:
        if not self.directory.is_dir():
            return []
        out: list[SpoolEntry] = []
        for path in sorted(self.directory.iterdir()):
            if path.name.startswith(".") or path.suffix != ".json" or not path.is_file():
                continue  # temp files being written, rejected/, anything else
            try:
                event = orjson.loads(path.read_bytes())
                event_id, event_type, created = check_event(event)
            except FileNotFoundError:
                continue
            except (orjson.JSONDecodeError, NotAnEvent, OSError) as exc:
                self._reject(path, str(exc) or type(exc).__name__)
                continue
            if (event.get("account") or None) != self.account_id:
                self.counts.other_account += 1
                continue
            out.append(SpoolEntry(path, event, event_id, event_type, created))
        out.sort(key=lambda e: (e.created, e.id))
        self.counts.files = len(out)
        return out

    def _reject(self, path: Path, reason: str) -> None:
        rejected = self.directory / REJECTED_DIRNAME
        try:
            rejected.mkdir(exist_ok=True)
            os.replace(path, rejected / path.name)
        except OSError as exc:
            reason = f"{reason}; could not move it: {exc}"
        self.counts.rejected += 1
        self.warn(f"webhook spool: {path.name} is not a readable Stripe event ({reason}); moved to {rejected}")

    def events_for(self, spec: ResourceSpec) -> list[SpoolEntry]:
        """The spooled events the resource `spec` applies: all of them for the event table, else those of
        its event types."""
        if spec.name == EVENT:
            return list(self.entries())
        types = frozenset(spec.event_types)
        return [e for e in self.entries() if e.type in types]

    def mark_applied(self, resource: str, entries: Collection[SpoolEntry]) -> None:
        with self._lock:
            for entry in entries:
                self._applied.setdefault(entry.path, set()).add(resource)

    def consumed(self) -> list[Path]:
        """Files every interested resource applied in this run."""
        with self._lock:
            entries = self._entries or []
            return [e.path for e in entries if interested_resources(e.type) <= self._applied.get(e.path, set())]

    def remove_consumed(self) -> int:
        """Delete the consumed files. Call only once the run that applied them is loaded."""
        removed = 0
        for path in self.consumed():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
        if removed:
            _fsync_dir(self.directory)
        self.counts.removed += removed
        return removed


__all__ = [
    "SPOOL_DIRNAME",
    "NotAnEvent",
    "SpoolEntry",
    "WebhookSpool",
    "check_event",
    "default_spool_dir",
    "interested_resources",
    "write_event",
]
