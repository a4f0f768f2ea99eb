"""The webhook spool: a folder of verified Stripe events in batch files: layout, writing, reading (I13, W2).

The receiver (`ingestion/webhooks/`) writes it; the `stripe` source reads it on its next run and folds
the events in with those of `/v1/events` (`changes.py`); the pipeline removes what a run applied once
that run's data is loaded. Nothing here opens the warehouse. It lives in the source's room because it
is the source's second channel of events; the receiver only writes into it.

Layout (W2): batch files `<spool>/<unix ms>-<writer>-<seq>.events`, each

    stripe-webhook-spool 1\\n
    <length> <crc32 hex> <created> <event id>\\n<the request body exactly as Stripe sent it>\\n
    ...one such record per event

The receiver appends its group commits to a locked segment `.open-<name>` (one `fdatasync` per group,
`SegmentWriter`) and seals it every second by renaming it to `<name>`; runs read sealed files only,
and seal the segments of a receiver that died (`seal_abandoned`). Other writers (a run rewriting a
file) use `write_batch`: temp file, fsync, rename, directory fsync. A file under its final name is
complete. The same event may be in several files (a redelivery); readers keep it once. One-event
files of the first receiver, `<created>-<event id>.json` (the body alone), are read too. Unreadable
files are moved to `<spool>/rejected/` (a batch's readable events are kept in a new batch first).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ingestion.stripe.settings import EVENT, RESOURCES, ResourceSpec

logger = logging.getLogger(__name__)

SPOOL_DIRNAME = "stripe_webhook_spool"
REJECTED_DIRNAME = "rejected"
TMP_PREFIX = ".tmp-"
OPEN_PREFIX = ".open-"  # a receiver's segment being appended (W2)
BATCH_SUFFIX = ".events"
LEGACY_SUFFIX = ".json"  # one event per file, from the first receiver (I13)
MAGIC = b"stripe-webhook-spool 1\n"
MAX_RECORD_HEAD = 512  # `<length> <crc> <created> <id>\n`: ids are at most 255 characters

# Full matches only (`re.fullmatch`): `$` would admit a trailing newline, and ids name files and records.
_EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,251}")
_EVENT_TYPE = re.compile(r"[a-z0-9_]{1,64}(?:\.[a-z0-9_]{1,64}){1,6}")  # `customer.subscription.updated`
_ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{1,250}")


class NotAnEvent(ValueError):
    """The JSON is not a Stripe event; `str()` is a short reason."""


def default_spool_dir(duckdb_file: str | os.PathLike[str] | None = None) -> Path:
    """`<folder of the warehouse file>/stripe_webhook_spool` (`DUCKDB_PATH`, default `./warehouse.duckdb`)."""
    warehouse = os.path.abspath(duckdb_file or os.environ.get("DUCKDB_PATH") or "warehouse.duckdb")
    return Path(warehouse).parent / SPOOL_DIRNAME


def check_event(event: Any) -> tuple[str, str, int]:
    """`(id, type, created)` of a Stripe (snapshot) event, or `NotAnEvent` saying what is wrong."""
    if not isinstance(event, Mapping):
        raise NotAnEvent("not a JSON object")
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if not isinstance(event_id, str) or not event_id:
        raise NotAnEvent("no event id")
    if not _EVENT_ID.fullmatch(event_id):
        raise NotAnEvent("invalid event id (expected evt_ and up to 251 letters, digits or _)")
    if event.get("object", "event") != "event":
        raise NotAnEvent(f"object is {str(event.get('object'))[:40]!r}, not 'event' (a snapshot event is expected)")
    if not isinstance(event_type, str) or not event_type:
        raise NotAnEvent("no event type")
    if not _EVENT_TYPE.fullmatch(event_type):
        raise NotAnEvent("invalid event type (expected dotted lower-case words, e.g. customer.updated)")
    data = event.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("object"), Mapping):
        raise NotAnEvent("no data.object")
    if not isinstance(created, int) or isinstance(created, bool) or created < 0:
        raise NotAnEvent("no created timestamp")
    account = event.get("account")
    if account is not None and not (isinstance(account, str) and _ACCOUNT_ID.fullmatch(account)):
        raise NotAnEvent("invalid account (expected acct_...)")
    return event_id, event_type, created


# --------------------------------------------------------------------------- the batch format


@dataclass(frozen=True)
class SpoolRecord:
    """One event as stored: its id, `created`, and the body as Stripe sent it."""

    id: str
    created: int
    body: bytes


def encode_batch(records: Iterable[SpoolRecord]) -> bytes:
    return MAGIC + encode_records(records)


def encode_records(records: Iterable[SpoolRecord]) -> bytes:
    """The records alone (what a segment appends after its header)."""
    parts: list[bytes] = []
    for r in records:
        parts.append(b"%d %08x %d %s\n" % (len(r.body), zlib.crc32(r.body), r.created, r.id.encode("ascii")))
        parts.append(r.body)
        parts.append(b"\n")
    return b"".join(parts)


class BadBatch(ValueError):
    """A batch file that cannot be read to its end; `records` holds those read before the damage."""

    def __init__(self, reason: str, records: list[SpoolRecord]) -> None:
        super().__init__(reason)
        self.records = records


def decode_batch(data: bytes) -> list[SpoolRecord]:
    """The records of a batch file's bytes, or `BadBatch` (with the records before the damage)."""
    if not data.startswith(MAGIC):
        raise BadBatch("no spool header", [])
    out: list[SpoolRecord] = []
    pos, end = len(MAGIC), len(data)
    while pos < end:
        eol = data.find(b"\n", pos, pos + MAX_RECORD_HEAD)
        if eol < 0:
            raise BadBatch(f"record {len(out) + 1}: no record header", out)
        try:
            length_s, crc_s, created_s, id_b = data[pos:eol].split(b" ")
            length, crc, created, event_id = int(length_s), int(crc_s, 16), int(created_s), id_b.decode("ascii")
        except (ValueError, UnicodeDecodeError):
            raise BadBatch(f"record {len(out) + 1}: unreadable record header", out) from None
        start = eol + 1
        body = data[start : start + length]
        if length < 0 or len(body) != length or data[start + length : start + length + 1] != b"\n":
            raise BadBatch(f"record {len(out) + 1}: truncated", out)
        if zlib.crc32(body) != crc:
            raise BadBatch(f"record {len(out) + 1}: checksum mismatch", out)
        out.append(SpoolRecord(event_id, created, body))
        pos = start + length + 1
    return out


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_WRITER = f"{os.getpid()}{secrets.token_hex(3)}"  # one writer id per process: names never collide
_seq = 0
_seq_lock = threading.Lock()


def batch_name() -> str:
    """`<unix ms>-<writer>-<seq>.events`: sorted names are (about) the order batches were written."""
    global _seq
    with _seq_lock:
        _seq += 1
        seq = _seq
    return f"{time.time_ns() // 1_000_000:013d}-{_WRITER}-{seq:08d}{BATCH_SUFFIX}"


def write_batch(directory: str | os.PathLike[str], records: Iterable[SpoolRecord]) -> Path:
    """Store `records` durably as one new batch file: temp file, one fsync, atomic rename, fsync of the
    directory. Returns the file; when this returns, every record survives a crash or power loss."""
    folder = Path(directory)
    data = encode_batch(records)
    target = folder / batch_name()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=TMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)
    return target


class SegmentWriter:
    """The receiver's append-only segment (W2): each batch is appended and `fdatasync`ed (one flush for
    the batch, no directory sync); every `seal_seconds` the segment is sealed, renamed to a batch
    file name the runs read.

    Open segments are named `.open-<batch name>` (dot files: runs skip them) and locked (`flock`) by
    their writer for as long as it lives. A segment is created as a temp file, locked, given its header,
    then renamed and the directory fsynced, so it is never visible unlocked while its writer lives
    and its name survives a power loss before anything in it is acknowledged. A writer that died
    (kill -9, power loss) leaves its segment unlocked: `seal_abandoned` seals it (complete records only:
    a torn tail was never acknowledged). Methods block: call them from one thread."""

    def __init__(self, directory: str | os.PathLike[str], seal_seconds: float = 1.0, max_bytes: int = 64 << 20):
        self.directory = Path(directory)
        self.seal_seconds = seal_seconds
        self.max_bytes = max_bytes
        self._fd: int | None = None
        self._path: Path | None = None
        self._opened = 0.0
        self._size = 0

    def _open(self) -> None:
        import fcntl

        name = batch_name()
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=TMP_PREFIX, suffix=".open")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(fd, MAGIC)
            path = self.directory / f"{OPEN_PREFIX}{name}"
            os.replace(tmp, path)
            _fsync_dir(self.directory)  # the name is durable before the first batch is acknowledged
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._fd, self._path, self._opened, self._size = fd, path, time.monotonic(), len(MAGIC)

    def append(self, data: bytes) -> None:
        """Append encoded records and make them durable: when this returns, they survive a crash."""
        if self._fd is None:
            self._open()
        assert self._fd is not None
        try:
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fdatasync(self._fd)
        except OSError:
            with contextlib.suppress(OSError):  # no torn record left behind (disk full...)
                os.ftruncate(self._fd, self._size)
            raise
        self._size += len(data)

    def seal_if_due(self) -> bool:
        if self._fd is not None and (
            time.monotonic() - self._opened >= self.seal_seconds or self._size >= self.max_bytes
        ):
            self.seal()
            return True
        return False

    def seal(self) -> None:
        """Rename the open segment to its batch name (runs read it from then on) and close it."""
        if self._fd is None or self._path is None:
            return
        fd, path = self._fd, self._path
        self._fd = self._path = None
        try:
            if self._size > len(MAGIC):
                os.replace(path, path.with_name(path.name.removeprefix(OPEN_PREFIX)))
            else:
                os.unlink(path)  # nothing in it
            _fsync_dir(self.directory)
        finally:
            os.close(fd)


def open_segments(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.startswith(OPEN_PREFIX) and p.suffix == BATCH_SUFFIX)


def seal_abandoned(directory: str | os.PathLike[str]) -> int:
    """Seal the open segments no living writer holds (it was killed): their complete records go to a
    batch file, the segment is removed. Returns the number of records kept. Segments in use are left."""
    import fcntl

    folder = Path(directory)
    kept = 0
    for path in open_segments(folder):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its writer lives
            if not path.exists():
                continue  # sealed by its writer or another reader meanwhile
            try:
                records = decode_batch(path.read_bytes())
            except BadBatch as exc:  # a torn last record: it was never acknowledged
                records = exc.records
            if records:
                write_batch(folder, records)
                kept += len(records)
            os.unlink(path)
            _fsync_dir(folder)
            logger.info("webhook spool: sealed %s left by a stopped receiver (%d events)", path.name, len(records))
        finally:
            os.close(fd)
    return kept


def read_file(path: Path) -> list[SpoolRecord]:
    """The records of one spool file (a batch, or a one-event `.json` file); `BadBatch` when damaged."""
    data = path.read_bytes()
    if path.suffix == BATCH_SUFFIX:
        return decode_batch(data)
    try:  # a one-event file: its name says nothing we trust, the body says it all
        event_id, _, created = check_event(orjson.loads(data))
    except (orjson.JSONDecodeError, NotAnEvent) as exc:
        raise BadBatch(str(exc), []) from None
    return [SpoolRecord(event_id, created, data)]


def spool_files(directory: Path) -> list[Path]:
    """The spool's event files, oldest name first (temp files, `rejected/` and the rest are not)."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if not p.name.startswith(".") and p.suffix in (BATCH_SUFFIX, LEGACY_SUFFIX) and p.is_file()
    )


@dataclass
class Backlog:
    """What waits in a spool (for `webhooks status`): read from the record headers, no event parsed."""

    events: int = 0
    distinct: int = 0
    files: int = 0
    oldest_file_at: float | None = None  # mtime of the oldest file still waiting
    newest_file_at: float | None = None
    unreadable: int = 0  # files that would be moved to rejected/ by the next run
    rejected: int = 0  # files in rejected/


def backlog(directory: str | os.PathLike[str]) -> Backlog:
    folder = Path(directory)
    out = Backlog()
    ids: set[str] = set()
    for path in [*spool_files(folder), *open_segments(folder)]:
        try:
            mtime = path.stat().st_mtime
            records = read_file(path)
        except FileNotFoundError:
            continue  # a run just removed it
        except BadBatch as exc:
            if not path.name.startswith(OPEN_PREFIX):
                out.unreadable += 1
                continue
            records = exc.records  # a segment being written: its complete records
        except OSError:
            out.unreadable += 1
            continue
        out.files += 1
        out.events += len(records)
        ids.update(r.id for r in records)
        out.oldest_file_at = mtime if out.oldest_file_at is None else min(out.oldest_file_at, mtime)
        out.newest_file_at = mtime if out.newest_file_at is None else max(out.newest_file_at, mtime)
    out.distinct = len(ids)
    rejected = folder / REJECTED_DIRNAME
    if rejected.is_dir():
        out.rejected = sum(1 for p in rejected.iterdir() if p.is_file())
    return out


# --------------------------------------------------------------------------- reading, for a run


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
    files: int = 0  # events read (this account's, each id once)
    other_account: int = 0  # events of another account: skipped and kept for the run that loads it
    rejected: int = 0  # unreadable files or records moved to rejected/
    removed: int = 0  # events removed after the run that applied them was loaded


@dataclass
class _File:
    path: Path
    records: list[SpoolRecord]
    mine: list[bool]  # per record: this run's (this account's, readable) or kept for another run


@dataclass
class WebhookSpool:
    """The spool as one source run sees it: read once (lazily, thread-safe), applied per resource,
    and cleaned up by the pipeline only after the run's loads succeeded (`remove_consumed`).

    An event is consumed when every resource interested in it (`interested_resources`) applied it in
    this run; a file goes once all its events are consumed, and a file with some consumed is rewritten
    with the others (new batch first, then the old one removed). Events for resources not run, or not
    run incrementally, and other accounts' events stay for a later run. Applying an event twice is
    harmless: events are deduplicated by id, and a state older than the stored one is never written (I2)."""

    directory: Path
    account_id: str | None = None
    warn: Callable[[str], None] = logger.warning
    counts: SpoolCounts = field(default_factory=SpoolCounts)
    _entries: list[SpoolEntry] | None = None
    _files: list[_File] = field(default_factory=list)
    _types: dict[str, str] = field(default_factory=dict)
    _applied: dict[str, set[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def entries(self) -> list[SpoolEntry]:
        """This account's events in the spool, each id once, ordered by `(created, id)`; unreadable
        files are moved to `rejected/` with a warning, other accounts' events skipped (counted, kept)."""
        with self._lock:
            if self._entries is None:
                self._entries = self._read()
            return self._entries

    def _read(self) -> list[SpoolEntry]:
        out: dict[str, SpoolEntry] = {}
        if self.directory.is_dir():
            try:  # a receiver killed mid-segment: its acknowledged events are applied now, not when it restarts
                seal_abandoned(self.directory)
            except OSError as exc:
                self.warn(f"webhook spool: could not seal a stopped receiver's segment: {exc}")
        for found in spool_files(self.directory):
            path: Path | None = found
            try:
                records = read_file(found)
                damage = None
            except FileNotFoundError:
                continue
            except BadBatch as exc:
                records, damage = exc.records, str(exc)
            except OSError as exc:
                records, damage = [], str(exc) or type(exc).__name__
            events: list[tuple[SpoolRecord, dict[str, Any], str, int]] = []
            for n, record in enumerate(records, 1):
                try:
                    event = orjson.loads(record.body)
                    event_id, event_type, created = check_event(event)
                    if event_id != record.id:
                        raise NotAnEvent(f"stored as {record.id}, the body says {event_id}")
                except (orjson.JSONDecodeError, NotAnEvent) as exc:
                    damage = damage or f"record {n}: {exc}"
                    continue
                events.append((record, event, event_type, created))
            if damage is not None:
                path = self._reject(found, damage, [e[0] for e in events])
                if path is None:
                    continue
            mine: list[bool] = []
            for record, event, event_type, created in events:
                if (event.get("account") or None) != self.account_id:
                    self.counts.other_account += 1
                    mine.append(False)
                    continue
                mine.append(True)
                self._types[record.id] = event_type
                out.setdefault(record.id, SpoolEntry(path, event, record.id, event_type, created))
            self._files.append(_File(path, [e[0] for e in events], mine))
        entries = sorted(out.values(), key=lambda e: (e.created, e.id))
        self.counts.files = len(entries)
        return entries

    def _reject(self, path: Path, reason: str, readable: list[SpoolRecord]) -> Path | None:
        """Move an unreadable file to rejected/ as it is, after copying its readable events to a new
        batch; returns that batch (None when nothing was readable or the copy failed)."""
        rejected = self.directory / REJECTED_DIRNAME
        new: Path | None = None
        try:
            if readable:
                new = write_batch(self.directory, readable)
                reason += f"; its {len(readable)} readable events were kept in {new.name}"
            rejected.mkdir(exist_ok=True)
            os.replace(path, rejected / path.name)
        except OSError as exc:
            reason = f"{reason}; could not move it: {exc}"
        self.counts.rejected += 1
        self.warn(f"webhook spool: {path.name} is not a readable file of Stripe events ({reason}); moved to {rejected}")
        return new

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
                self._applied.setdefault(entry.id, set()).add(resource)

    def _is_consumed(self, event_id: str) -> bool:
        event_type = self._types.get(event_id)
        return event_type is not None and interested_resources(event_type) <= self._applied.get(event_id, set())

    def consumed(self) -> list[str]:
        """Ids of the events every interested resource applied in this run."""
        with self._lock:
            return [e.id for e in self._entries or [] if self._is_consumed(e.id)]

    def remove_consumed(self) -> int:
        """Remove the consumed events: whole files, or files rewritten without them. Call only once the
        run that applied them is loaded. Returns the number of events removed."""
        removed = 0
        changed = False
        with self._lock:
            for f in self._files:
                gone = [m and self._is_consumed(r.id) for r, m in zip(f.records, f.mine, strict=True)]
                if not any(gone):
                    continue
                keep = [r for r, g in zip(f.records, gone, strict=True) if not g]
                try:
                    if keep:
                        write_batch(self.directory, keep)  # durable before the old file goes
                    f.path.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:  # kept: applied again by the next run, which is harmless
                    self.warn(f"webhook spool: could not remove applied events from {f.path.name}: {exc}")
                    continue
                changed = True
                removed += sum(gone)
        if changed:
            _fsync_dir(self.directory)
        self.counts.removed += removed
        return removed


__all__ = [
    "SPOOL_DIRNAME",
    "Backlog",
    "BadBatch",
    "NotAnEvent",
    "SegmentWriter",
    "SpoolEntry",
    "SpoolRecord",
    "WebhookSpool",
    "backlog",
    "check_event",
    "decode_batch",
    "default_spool_dir",
    "encode_batch",
    "interested_resources",
    "read_file",
    "seal_abandoned",
    "spool_files",
    "write_batch",
]
