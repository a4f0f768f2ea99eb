"""What the receiver did: counters, the one log line per minute, and the status file `webhooks status` reads (W5).

The status file `<spool>/.receiver.json` (a dot file: the spool's readers skip it) holds the receiver's
address, start time, a heartbeat (`updated_at`, at least once a minute), the last event received and
the totals. It is replaced atomically (temp file + rename) and not fsynced: it informs, it is not data.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

STATUS_FILENAME = ".receiver.json"
HEARTBEAT_SECONDS = 60
LATENCY_SAMPLES = 50_000  # per minute, the rest is not sampled: memory stays flat


@dataclass
class ReceiverStats:
    """Counters since start; every request updates them from the event loop thread only."""

    started_at: float = field(default_factory=time.time)
    accepted: int = 0  # new events stored (200)
    duplicates: int = 0  # 200 for an event stored before
    rejected: Counter[str] = field(default_factory=Counter)  # 4xx/503 by reason
    failed: int = 0  # 500: could not store
    last_event: dict[str, Any] | None = None
    newest_created: int | None = None  # the largest `created` received
    _latencies: list[float] = field(default_factory=list)  # seconds, of 200s, since the last minute line

    def stored(self, event_id: str, event_type: str, created: int, written: bool, seconds: float) -> None:
        if written:
            self.accepted += 1
        else:
            self.duplicates += 1
        self.last_event = {"id": event_id, "type": event_type, "created": created, "received_at": time.time()}
        if self.newest_created is None or created > self.newest_created:
            self.newest_created = created
        if len(self._latencies) < LATENCY_SAMPLES:
            self._latencies.append(seconds)

    def refused(self, kind: str) -> None:
        self.rejected[kind] += 1

    def totals(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": dict(self.rejected),
            "failed": self.failed,
        }

    def take_latencies(self) -> list[float]:
        out, self._latencies = self._latencies, []
        return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def minute_line(
    now: dict[str, Any], before: dict[str, Any], latencies: list[float], batches: int, connections: int, seconds: float
) -> str:
    """`last 60 s: 1204 stored, 3 duplicates, 2 refused (signature 2), 0 failed; 57 batches; p50 4 ms, ...`"""
    refused = Counter(now["rejected"])
    refused.subtract(before.get("rejected", {}))
    refused_n = sum(v for v in refused.values() if v > 0)
    detail = ", ".join(f"{k} {v}" for k, v in sorted(refused.items()) if v > 0)
    line = (
        f"last {seconds:.0f} s: {now['accepted'] - before.get('accepted', 0)} stored, "
        f"{now['duplicates'] - before.get('duplicates', 0)} duplicates, {refused_n} refused"
        + (f" ({detail})" if detail else "")
        + f", {now['failed'] - before.get('failed', 0)} failed; {batches} batches"
    )
    if latencies:
        line += f"; p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, p99 {_percentile(latencies, 0.99) * 1000:.0f} ms"
    return line + f"; {connections} connections open"


def status_path(spool_dir: Path) -> Path:
    return spool_dir / STATUS_FILENAME


def write_status(spool_dir: Path, payload: dict[str, Any]) -> None:
    """Replace the status file atomically; a failure only costs the status command its view."""
    target = status_path(spool_dir)
    tmp = target.with_name(f"{STATUS_FILENAME}.{os.getpid()}.tmp")
    with contextlib.suppress(OSError):
        tmp.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))
        os.replace(tmp, target)


def read_status(spool_dir: Path) -> dict[str, Any] | None:
    """The last status a receiver wrote for this spool, or None (no receiver ever ran, or unreadable)."""
    try:
        data = orjson.loads(status_path(spool_dir).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def status_payload(
    stats: ReceiverStats,
    *,
    url: str,
    spool_dir: Path,
    batches: int,
    commit_seconds: float = 0.0,
    stopped: bool = False,
) -> dict[str, Any]:
    now = time.time()
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "url": url,
        "spool": str(spool_dir),
        "started_at": stats.started_at,
        "updated_at": now,
        "stopped_at": now if stopped else None,
        "heartbeat_seconds": HEARTBEAT_SECONDS,
        "last_event": stats.last_event,
        "newest_created": stats.newest_created,
        "totals": {**stats.totals(), "batches": batches, "commit_seconds": round(commit_seconds, 3)},
    }


__all__ = [
    "HEARTBEAT_SECONDS",
    "STATUS_FILENAME",
    "ReceiverStats",
    "minute_line",
    "read_status",
    "status_path",
    "status_payload",
    "write_status",
]
