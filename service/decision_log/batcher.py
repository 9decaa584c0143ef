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

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import PoolProxiedConnection

from service.decision_log.bulk import HEAD_SQL, PendingRecord, placed_inserts
from service.decision_log.checkpoint import WalCheckpointer
from service.decision_log.db import CHAIN_LOCK_KEY, sqlite_file, writers_queue
from service.decision_log.errors import DecisionLogUnavailable

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


class _Stale(Exception):
    """The held connection was found dead before anything of the batch was written."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


_Waiter = Future[Committed] | asyncio.Future[Committed]
_Item = tuple[PendingRecord, "hashlib._Hash", _Waiter]
_Outcome = Committed | BaseException


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
        # A fork while another thread holds the lock would leave it held forever in the child.
        os.register_at_fork(after_in_child=functools.partial(_renew_lock, weakref.ref(self)))
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False
        self._raw: PoolProxiedConnection | None = None
        self._sqlite = engine.dialect.name == "sqlite"
        self.checkpointer = WalCheckpointer(engine) if sqlite_file(engine) else None
        """Runs SQLite's WAL checkpoints off the commit path (None for PostgreSQL)."""
        if self.checkpointer is not None:
            # Screening decisions, statuses, outcomes and keys commit through SQLAlchemy;
            # their WAL pages are then copied and synced by the next checkpoint as well.
            event.listen(engine, "commit", self._other_commit)
        dbapi = engine.dialect.loaded_dbapi
        self._db_errors: tuple[type[Exception], ...] = (SQLAlchemyError, dbapi.Error)

    def _other_commit(self, _connection: Connection) -> None:
        if self.checkpointer is not None:
            self.checkpointer.committed(1)

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
        self._enqueue(record, future)
        return future

    def submit_async(self, record: PendingRecord) -> asyncio.Future[Committed]:
        """Queue a record from a running event loop; await the result.

        The writer resolves all of a batch's futures on a loop with **one** wake-up of that
        loop (``call_soon_threadsafe`` once per batch, not once per record): every wake-up
        is a write to the loop's self-pipe, and every blocking call of the writer hands the
        GIL back and forth with the busy loop thread.

        Parameters
        ----------
        record : PendingRecord

        Returns
        -------
        asyncio.Future of Committed
            Raises :class:`DecisionLogUnavailable` if its batch failed.
        """
        future: asyncio.Future[Committed] = asyncio.get_running_loop().create_future()
        self._enqueue(record, future)
        return future

    def _enqueue(self, record: PendingRecord, future: _Waiter) -> None:
        # The payload (kilobytes) is hashed here, in the caller's thread, before the writer
        # takes the chain lock; the writer only finishes a copy with the record's place.
        head = record.begin_hash()
        # Under the lock, so a record is never queued after a dying writer's last look at
        # the queue (see _run): it is either answered there or served by a new writer.
        with self._lock:
            closed = self._closed
            if not closed:
                self._ensure_writer()
                self._queue.put((record, head, future))
        if closed:  # answered outside the lock: a future's callbacks may submit again
            future.set_exception(DecisionLogUnavailable(UNAVAILABLE))

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
        if self.checkpointer is not None:
            self.checkpointer.stop(timeout=timeout)

    def _ensure_writer(self) -> None:
        # Called with self._lock held.
        if self._thread is not None and self._pid == os.getpid():
            return
        if self._pid not in (0, os.getpid()):
            # A forked child must not touch the parent's connection (same socket): forget
            # it, and the pooled ones, without closing them.
            self._raw = None
            self.engine.dispose(close=False)
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="decision-log-writer", daemon=True)
        self._thread.start()
        if self.checkpointer is not None:
            self.checkpointer.start()

    def _run(self) -> None:
        # The waiters of the batch being written: if SystemExit or KeyboardInterrupt ends
        # the thread mid-batch, they are waiting without a timeout and are answered below.
        in_flight: list[_Waiter] = []
        try:
            self._serve(in_flight)
        finally:
            self._drop_connection(invalidate=False)
            # What is still queued was queued for this writer and nobody else will write it:
            # a record behind the stop marker (a submit racing with close), or everything
            # behind a batch that ended the thread. Emptied under the lock, in one go with
            # forgetting this thread, so that a writer started by the next submit never
            # shares the queue with this one (it would lose records, or the stop marker);
            # and nobody is answered before that, so nobody submits again before it.
            left: list[_Waiter] = in_flight
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not _STOP:
                        left.append(item[2])  # type: ignore[index]
            # Outside the lock: a future's callbacks run here and may submit again. A future
            # answered before the interruption keeps its answer (see _resolve).
            _resolve(left, [DecisionLogUnavailable(UNAVAILABLE) for _ in left])

    def _serve(self, in_flight: list[_Waiter]) -> None:
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
            in_flight[:] = [waiter for _, _, waiter in batch]
            self._write(batch)
            in_flight.clear()
            if stop:
                return

    def _write(self, batch: list[_Item]) -> None:
        live = [item for item in batch if _still_wanted(item[2])]
        if not live:
            return
        outcomes: list[_Outcome]
        ok = False
        try:
            outcomes = list(self._commit([(record, head) for record, head, _ in live]))
            ok = True
        except self._db_errors as exc:
            log.error("decision log batch of %d not written: %s", len(live), type(exc).__name__)
            outcomes = []
            for _ in live:
                error = DecisionLogUnavailable(UNAVAILABLE)
                error.__cause__ = exc
                outcomes.append(error)
        except Exception as exc:
            # Any other failure (a bug, not the database): the waiting requests must still
            # hear of it, and the writer must keep serving the next batches.
            log.exception("decision log batch of %d failed", len(live))
            outcomes = [exc] * len(live)
        try:
            # Listeners (metrics) first, so a request answered has been counted.
            self._notify(len(live), ok=ok)
            if ok and self.checkpointer is not None:
                self.checkpointer.committed(sum(len(item[0].payload) for item in live))
        finally:
            # Whatever a listener raised (even SystemExit), the waiters hear the batch's own
            # outcome: a committed batch reported as failed would be retried into a copy.
            _resolve([waiter for _, _, waiter in live], outcomes)

    def _commit(self, records: list[tuple[PendingRecord, hashlib._Hash]]) -> list[Committed]:
        # On the driver's connection, held by this thread: through SQLAlchemy's Connection,
        # a batch (begin, lock, head, insert, commit) cost ~300 us of Python under the GIL
        # per transaction, which the event loop waited for; the DB-API calls cost a tenth.
        with writers_queue(self.engine):
            try:
                return self._append(records)
            except _Stale:
                pass
            # The held connection died while idle (server restart, failover, an idle
            # timeout): nothing was written, so the batch is tried once on a new one.
            try:
                return self._append(records)
            except _Stale as again:
                raise again.error from None

    def _append(self, records: list[tuple[PendingRecord, hashlib._Hash]]) -> list[Committed]:
        connection = self._connection()
        cursor = None
        written = False
        try:
            cursor = connection.cursor()
            if self._sqlite:
                # IMMEDIATE: the write lock before the head is read (see db.py).
                cursor.execute("BEGIN IMMEDIATE")
            else:
                # READ COMMITTED, set on every connection by make_engine whatever the server's
                # default: the head read below then sees the batch this lock waited for.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (CHAIN_LOCK_KEY,))
            cursor.execute(HEAD_SQL)
            head = cursor.fetchone()
            statements, chained = placed_inserts(
                records, None if head is None else (head[0], head[1]), qmark=self._sqlite
            )
            written = True
            for sql, chunk in statements:
                cursor.execute(sql, chunk)
            if self._sqlite:
                cursor.execute("COMMIT")
            else:
                connection.commit()
            cursor.close()
        except self._db_errors as exc:
            # The transaction is abandoned and the connection replaced either way, so the
            # next batch starts clean.
            stale = not written and self._is_disconnect(exc, connection, cursor)
            self._drop_connection(invalidate=True)
            if stale:
                raise _Stale(exc) from exc
            raise
        except BaseException:
            self._drop_connection(invalidate=True)
            raise
        return [Committed(seq, digest, len(records)) for seq, digest in chained]

    def _is_disconnect(self, exc: Any, connection: PoolProxiedConnection, cursor: Any) -> bool:
        if isinstance(exc, SQLAlchemyError):
            return False
        try:
            return bool(self.engine.dialect.is_disconnect(exc, connection.dbapi_connection, cursor))
        except Exception:
            return False

    def _connection(self) -> PoolProxiedConnection:
        if self._raw is None:
            self._raw = self.engine.raw_connection()
        return self._raw

    def _drop_connection(self, *, invalidate: bool) -> None:
        raw, self._raw = self._raw, None
        if raw is None:
            return
        with contextlib.suppress(Exception):
            # Ends an open transaction (and with it SQLite's write lock) before anything else.
            raw.rollback()
        with contextlib.suppress(Exception):
            if invalidate:
                raw.invalidate()  # closes the driver connection; the pool opens a new one
            else:
                raw.close()  # back to the pool

    def _notify(self, size: int, *, ok: bool) -> None:
        for listener in self.listeners:
            try:
                listener(size, ok)
            except Exception:  # a broken metric must not stop the writer
                log.exception("decision log batch listener failed")


def _renew_lock(ref: weakref.ReferenceType[GroupCommitter]) -> None:
    committer = ref()
    if committer is not None:
        committer._lock = threading.Lock()


def _still_wanted(waiter: _Waiter) -> bool:
    if isinstance(waiter, Future):
        return waiter.set_running_or_notify_cancel()
    # An asyncio future belongs to its loop's thread; reading whether it was cancelled (the
    # request went away before its record was picked up) is safe, changing it is not.
    return not waiter.cancelled()


def _resolve(waiters: list[_Waiter], outcomes: list[_Outcome]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Committed], _Outcome]]]
    by_loop = {}
    for waiter, outcome in zip(waiters, outcomes, strict=True):
        if isinstance(waiter, Future):
            if waiter.done():  # answered before an interruption (see _run), or cancelled
                continue
            if isinstance(outcome, BaseException):
                waiter.set_exception(outcome)
            else:
                waiter.set_result(outcome)
        else:
            by_loop.setdefault(waiter.get_loop(), []).append((waiter, outcome))
    for loop, pairs in by_loop.items():
        # A loop closed meanwhile has nobody waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, pairs)


def _settle(pairs: list[tuple[asyncio.Future[Committed], _Outcome]]) -> None:
    # Runs in the loop's own thread.
    for future, outcome in pairs:
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
