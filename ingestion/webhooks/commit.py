"""Group commit: many verified events, one append and one fdatasync, then all their 200s (W2).

Requests hand their event to `GroupCommitter.store` and wait. One writer task takes everything that
arrived while the previous group was being written, encodes it, and has the spool's `SegmentWriter`
append it and `fdatasync` it in a worker thread (two GIL hand-offs per group, not one per syscall of a
file creation); only then are the waiting requests woken: an answer is sent for an event only once it
is durable. Under load the groups grow by themselves (no timer: an event never waits for company).
A failed write fails the whole group (those requests answer 500 and Stripe retries) and starts a new
segment. The segment is sealed every second, so a run sees events a second after their 200.

A redelivery of an event that is durable already is answered at once, and one that is being written
waits for the same write; the ids remembered are bounded (`recent_ids`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ingestion.stripe.spool import SegmentWriter, SpoolRecord, encode_records, seal_abandoned

logger = logging.getLogger(__name__)


@dataclass
class CommitStats:
    """Totals since start (the receiver's per-minute log line takes differences)."""

    batches: int = 0  # groups written, one fdatasync each
    events: int = 0  # events written (duplicates answered from memory not counted)
    bytes: int = 0
    failed_batches: int = 0
    commit_seconds: float = 0.0  # time from handing a group to the writer to its durability
    largest_batch: int = 0


class GroupCommitter:
    """Durable storage of events with group commit; use inside one running event loop."""

    def __init__(
        self,
        spool_dir: Path,
        *,
        max_batch_events: int = 5_000,
        max_batch_bytes: int = 32 * 1024 * 1024,
        recent_ids: int = 100_000,
        seal_seconds: float = 1.0,
    ) -> None:
        self.spool_dir = spool_dir
        self.max_batch_events = max_batch_events
        self.max_batch_bytes = max_batch_bytes
        self.seal_seconds = seal_seconds
        self.stats = CommitStats()
        self._writer = SegmentWriter(spool_dir, seal_seconds=seal_seconds)
        self._recent_limit = recent_ids
        self._recent: OrderedDict[str, None] = OrderedDict()  # ids durable in the spool, newest last
        self._waiting: dict[str, asyncio.Future[bool]] = {}  # ids queued or being written
        self._queue: list[SpoolRecord] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="spool-writer")

    async def start(self) -> None:
        """Seal what a killed receiver left in this spool, then start writing."""
        loop = asyncio.get_running_loop()
        kept = await loop.run_in_executor(self._executor, seal_abandoned, self.spool_dir)
        if kept:
            logger.info("sealed %d events a stopped receiver had stored in %s", kept, self.spool_dir)
        self._wakeup = asyncio.Event()
        self._task = loop.create_task(self._run(), name="group-commit")

    @property
    def pending(self) -> int:
        return len(self._waiting)

    async def store(self, event_id: str, created: int, body: bytes) -> bool:
        """Return once the event is durable: True if this call wrote it, False if it was there already
        (or is written by a concurrent delivery of the same event). Raises `OSError` when the group
        could not be written, `RuntimeError` when the committer is closed."""
        if event_id in self._recent:
            self._recent.move_to_end(event_id)
            return False
        shared = self._waiting.get(event_id)
        if shared is not None:
            await asyncio.shield(shared)
            return False
        if self._closing or self._wakeup is None:
            raise RuntimeError("the receiver is shutting down")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)  # a failure nobody waits for any more is not logged as lost
        self._waiting[event_id] = future
        self._queue.append(SpoolRecord(event_id, created, body))
        self._wakeup.set()
        # shielded: a request cancelled while waiting (shutdown) must not cancel the group's future
        return await asyncio.shield(future)

    def _write(self, data: bytes) -> None:
        """In the writer thread: append and fdatasync the group, seal the segment when it is due."""
        try:
            self._writer.append(data)
        except BaseException:
            with contextlib.suppress(OSError):
                self._writer.seal()  # a fresh segment for the next group; what was synced stays
            raise
        self._writer.seal_if_due()

    async def _run(self) -> None:
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                async with asyncio.timeout(self.seal_seconds):
                    await self._wakeup.wait()
            except TimeoutError:  # quiet: seal the segment so the next run sees its events
                await self._seal(loop)
            self._wakeup.clear()
            while self._queue:
                batch = self._take()
                data = encode_records(batch)
                started = time.perf_counter()
                try:
                    await loop.run_in_executor(self._executor, self._write, data)
                except Exception as exc:  # OSError mostly: nothing of the group is acknowledged
                    self.stats.failed_batches += 1
                    logger.error("could not write %d events to the spool %s: %s", len(batch), self.spool_dir, exc)
                    self._settle(batch, exc)
                    continue
                self.stats.commit_seconds += time.perf_counter() - started
                self.stats.batches += 1
                self.stats.events += len(batch)
                self.stats.bytes += len(data)
                self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
                self._settle(batch, None)
            if self._closing:
                await self._seal(loop, force=True)
                return

    async def _seal(self, loop: asyncio.AbstractEventLoop, force: bool = False) -> None:
        try:
            await loop.run_in_executor(self._executor, self._writer.seal if force else self._writer.seal_if_due)
        except OSError as exc:  # the segment stays open-named: the next start or run seals it
            logger.error("could not seal the spool segment in %s: %s", self.spool_dir, exc)

    def _take(self) -> list[SpoolRecord]:
        size, n = 0, 0
        for record in self._queue:
            if n and (n >= self.max_batch_events or size + len(record.body) > self.max_batch_bytes):
                break
            size += len(record.body)
            n += 1
        batch, self._queue = self._queue[:n], self._queue[n:]
        return batch

    def _settle(self, batch: list[SpoolRecord], error: BaseException | None) -> None:
        for record in batch:
            future = self._waiting.pop(record.id, None)
            if error is None:
                self._remember(record.id)
            if future is None or future.done():
                continue
            if error is None:
                future.set_result(True)
            else:
                future.set_exception(OSError(str(error)))

    def _remember(self, event_id: str) -> None:
        self._recent[event_id] = None
        if len(self._recent) > self._recent_limit:
            self._recent.popitem(last=False)

    async def close(self) -> None:
        """Write what is queued (those requests may still be answered), seal the segment, then stop."""
        self._closing = True
        if self._task is not None and self._wakeup is not None:
            self._wakeup.set()
            await self._task
        self._executor.shutdown(wait=True)


def _retrieve(future: asyncio.Future[bool]) -> None:
    if not future.cancelled():
        future.exception()


__all__ = ["CommitStats", "GroupCommitter"]
