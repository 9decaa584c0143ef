"""Group commit: one writer thread per process appends pending records in batches.

Every append must hold the chain lock while it reads the head and writes ``seq + 1``. One
transaction per score makes the lock (and on PostgreSQL the commit's flush to disk) the
ceiling of the whole service: ~12 ms per transaction here caps it near 80 scores/s. So
callers hand their record to a :class:`GroupCommitter` and wait on a future; its single
writer thread takes everything queued so far, and writes it in **one** transaction under the
same lock, chaining the hashes within the batch. Each caller is answered only after the
commit of its batch, so "written before it is returned" still holds, and when a batch fails
every record in it (and only those) fails with
:class:`~service.decision_log.errors.DecisionLogUnavailable`.

The writer never waits on purpose to fill a batch: records queued while a batch is being
written form the next one, so a lone request pays one transaction and a busy process pays
one transaction per batch. Several processes (workers, replicas) still take the chain lock
once per batch, so the chain stays linear across them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from service.decision_log.chain import GENESIS, record_hash_of_text
from service.decision_log.db import lock_chain, writers_queue
from service.decision_log.errors import DecisionLogUnavailable
from service.decision_log.tables import LogEntry

log = logging.getLogger("hotline.decision_log")

DEFAULT_MAX_BATCH: Final = 256
"""Most records per transaction; bounds the time one batch holds the chain lock."""

UNAVAILABLE: Final = (
    "The decision log could not be written, so no score is returned unrecorded; retry later "
    "or ask an administrator to check HOTLINE_DATABASE_URL"
)

BatchListener = Callable[[int, bool], None]
"""Called by the writer after each batch with its size and whether it was committed."""


@dataclass(frozen=True, slots=True)
class PendingRecord:
    """A record waiting for its place in the chain.

    Attributes
    ----------
    kind : str
    payload : str
        Canonical JSON of the content (:func:`~service.decision_log.chain.canonical_json`).
    decision_id, subject_key, dedupe_key : str or None
        See :class:`~service.decision_log.tables.LogEntry`.
    """

    kind: str
    payload: str
    decision_id: str | None = None
    subject_key: str | None = None
    dedupe_key: str | None = None


@dataclass(frozen=True, slots=True)
class Committed:
    """Where a record landed in the chain.

    Attributes
    ----------
    seq : int
    hash : str
    batch_size : int
        How many records were committed in the same transaction.
    """

    seq: int
    hash: str
    batch_size: int


_STOP: Final = object()

# Built once: constructing them per batch (column coercion) cost the writer thread ~50 us of
# CPU, under the GIL, per transaction (~360 instead of ~420 us for a batch of one).
_HEAD: Final = select(LogEntry.seq, LogEntry.hash).order_by(LogEntry.seq.desc()).limit(1)
_INSERT: Final = insert(LogEntry)
_Item = tuple[PendingRecord, "Future[Committed]"]


class GroupCommitter:
    """Appends records from many threads in few transactions.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The decision log's engine.
    max_batch : int, default 256
        Most records per transaction; 1 gives one transaction per record.

    Notes
    -----
    The writer thread starts on the first :meth:`submit` (and again in a forked child, which
    does not inherit threads), so building a log costs nothing until it is written to.
    """

    def __init__(self, engine: Engine, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.engine = engine
        self.max_batch = max_batch
        self.listeners: list[BatchListener] = []
        self._queue: queue.SimpleQueue[_Item | object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False

    def submit(self, record: PendingRecord) -> Future[Committed]:
        """Queue a record; the future resolves once its batch is committed.

        Parameters
        ----------
        record : PendingRecord

        Returns
        -------
        concurrent.futures.Future of Committed
            Raises :class:`DecisionLogUnavailable` (from ``result()``) if its batch failed.
        """
        future: Future[Committed] = Future()
        if self._closed:
            future.set_exception(DecisionLogUnavailable(UNAVAILABLE))
            return future
        self._ensure_writer()
        self._queue.put((record, future))
        return future

    def append(self, record: PendingRecord) -> Committed:
        """Queue a record and wait until it is committed.

        Parameters
        ----------
        record : PendingRecord

        Returns
        -------
        Committed

        Raises
        ------
        DecisionLogUnavailable
            Its batch could not be written.
        """
        return self.submit(record).result()

    def close(self, *, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the writer.

        Parameters
        ----------
        timeout : float, default 10
            Seconds to wait for the writer to finish.
        """
        with self._lock:
            self._closed = True
            thread = self._thread if self._pid == os.getpid() else None
            self._thread = None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)

    def _ensure_writer(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="decision-log-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Item] = [first]  # type: ignore[list-item]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Item]) -> None:
        live = [(rec, future) for rec, future in batch if future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            committed = self._commit([record for record, _ in live])
        except SQLAlchemyError as exc:
            log.error("decision log batch of %d not written: %s", len(live), type(exc).__name__)
            self._notify(len(live), ok=False)
            for _, future in live:
                error = DecisionLogUnavailable(UNAVAILABLE)
                error.__cause__ = exc
                future.set_exception(error)
            return
        except Exception as exc:
            # Any other failure (a bug, not the database): the waiting requests must still
            # hear of it, and the writer must keep serving the next batches.
            log.exception("decision log batch of %d failed", len(live))
            self._notify(len(live), ok=False)
            for _, future in live:
                future.set_exception(exc)
            return
        self._notify(len(live), ok=True)
        for (_, future), result in zip(live, committed, strict=True):
            future.set_result(result)

    def _commit(self, records: list[PendingRecord]) -> list[Committed]:
        rows: list[dict[str, object]] = []
        chained: list[tuple[int, str]] = []
        with writers_queue(self.engine), self.engine.begin() as connection:
            lock_chain(connection)
            head = connection.execute(_HEAD).first()
            seq, prev_hash = (head[0], head[1]) if head else (0, GENESIS)
            for record in records:
                seq += 1
                recorded_at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
                digest = record_hash_of_text(
                    seq=seq,
                    kind=record.kind,
                    decision_id=record.decision_id,
                    subject_key=record.subject_key,
                    dedupe_key=record.dedupe_key,
                    recorded_at=recorded_at,
                    payload_text=record.payload,
                    prev_hash=prev_hash,
                )
                rows.append(
                    {
                        "seq": seq,
                        "kind": record.kind,
                        "decision_id": record.decision_id,
                        "subject_key": record.subject_key,
                        "dedupe_key": record.dedupe_key,
                        "recorded_at": recorded_at,
                        "payload": record.payload,
                        "prev_hash": prev_hash,
                        "hash": digest,
                    }
                )
                chained.append((seq, digest))
                prev_hash = digest
            connection.execute(_INSERT, rows)
        return [Committed(seq, digest, len(rows)) for seq, digest in chained]

    def _notify(self, size: int, *, ok: bool) -> None:
        for listener in self.listeners:
            try:
                listener(size, ok)
            except Exception:  # a broken metric must not stop the writer
                log.exception("decision log batch listener failed")
