"""SQLite WAL checkpoints on their own thread, off the commit path.

In WAL mode a commit appends pages to the ``-wal`` file; a *checkpoint* copies them into the
database file and syncs it. SQLite's default runs one inside the commit that takes the WAL
past 1,000 pages: with ~9 KB score records that is every ~250 records, and that commit (and
every request waiting on its batch) pays the copy, ~9 us a page here, 5-10 ms.

So a commit checkpoints only as a backstop (``BACKSTOP_PAGES`` in
:mod:`service.decision_log.db`), and a :class:`WalCheckpointer` runs checkpoints after commits,
a few times a second. The WAL file is reused from its start only once a checkpoint has copied
*every* frame before the next write transaction begins, so a ``PASSIVE`` pass alone (which
never takes the write lock) is not enough under a steady stream of commits: each leaves the
frames appended while it ran (and reports itself complete, against the WAL as it found it).
Once the WAL holds ``restart_frames`` frames, a second pass runs with the service's log
writers held off (the queue they take before the chain lock, ``writers_queue`` in
:mod:`service.decision_log.db`); it copies only what came in meanwhile, and the next commit
starts the file over. That pass is rare on purpose: under load its syncs took 10-25 ms, all
of which every waiting score paid, and run after every unlocked pass (several a second) it
set the service's p99. Before it, the thread syncs the database file itself while commits go
on: an unlocked pass that did not complete leaves its pages unsynced, and with 32 MB of them
behind it the locked pass took a median 24.5 ms (max 62), against 6.8 (max 18) after the sync.
Other writers (the CLI) do not queue there: a restart one of them interrupts happens after a
later pass.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection

from service.decision_log.db import writers_queue

log = logging.getLogger("hotline.decision_log")

DEFAULT_INTERVAL: Final = 0.25
"""Most seconds between a commit and the checkpoint that copies it."""

DEFAULT_DUE_BYTES: Final = 2 * 1024 * 1024
"""Record bytes committed that make a checkpoint due at once (~600 WAL pages with indexes)."""

DEFAULT_RESTART_FRAMES: Final = 8_192
"""WAL frames (32 MB of 4 KB pages) past which a pass holds the writers off to restart the file.

Half of the commits' own backstop, so the thread, not a commit, normally restarts it; at
~1,000 scores a second that is a pass with writers held off every ~3 s instead of ~5 a second.
"""


class WalCheckpointer:
    """Checkpoints a SQLite database's WAL from a daemon thread, after commits.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A file-backed SQLite engine (see :func:`~service.decision_log.db.make_engine`).
    interval : float, default 0.25
        Most seconds between a commit and the checkpoint after it.
    due_bytes : int, default 2 MiB
        Bytes of records committed since the last checkpoint that start one at once, so a
        busy log is checkpointed in steps about the size of SQLite's own (1,000 pages).
    restart_frames : int, default 8,192
        Size of the WAL, in frames, from which a pass holds the writers off so the file can
        start over.

    Notes
    -----
    The owner starts it in each process that writes (:meth:`start`; a forked child has no
    threads) and stops it with :meth:`stop`. Failures are logged and retried at the next
    interval: a checkpoint that does not run only lets the WAL grow up to the backstop.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        interval: float = DEFAULT_INTERVAL,
        due_bytes: int = DEFAULT_DUE_BYTES,
        restart_frames: int = DEFAULT_RESTART_FRAMES,
    ) -> None:
        self.engine = engine
        self.interval = interval
        self.due_bytes = due_bytes
        self.restart_frames = restart_frames
        self.passes = 0
        """Checkpoint passes run so far (for tests and curiosity)."""
        self.locked_passes = 0
        """Of those, passes run with the writers held off."""
        # Written by the log's one writer thread, reset here: a count lost to that race
        # only delays a checkpoint to the next interval.
        self._pending = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._path: str | None = None  # the database file, looked up once

    def start(self) -> None:
        """Start the thread, unless it runs already in this process."""
        # After a fork the parent's thread object reports not alive: the child starts its own.
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping = False
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="decision-log-checkpoint", daemon=True
        )
        self._thread.start()

    def committed(self, nbytes: int) -> None:
        """Note a commit of ``nbytes`` of records: a checkpoint is due.

        Parameters
        ----------
        nbytes : int
            Size of the records committed.
        """
        self._pending += max(nbytes, 1)
        if self._pending >= self.due_bytes:
            self._wake.set()

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop the thread (a pass under way finishes first).

        Parameters
        ----------
        timeout : float, default 10
            Seconds to wait for it.
        """
        thread, self._thread = self._thread, None
        self._stopping = True
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        connection: PoolProxiedConnection | None = None
        try:
            while True:
                self._wake.wait(self.interval)
                self._wake.clear()
                if self._stopping:
                    return
                if not self._pending:
                    continue
                self._pending = 0
                try:
                    if connection is None:
                        connection = self.engine.raw_connection()
                    self._checkpoint(connection)
                except Exception as exc:  # the next interval tries again on a new connection
                    log.warning("decision log checkpoint failed: %s", exc)
                    if connection is not None:
                        with contextlib.suppress(Exception):
                            connection.invalidate()
                    connection = None
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    connection.close()

    def _checkpoint(self, connection: PoolProxiedConnection) -> None:
        cursor = connection.cursor()
        try:
            busy, frames, copied = self._pass(cursor)
            if not busy and copied < frames:
                # An incomplete pass leaves its pages unsynced (see the module docstring).
                self._sync_database(cursor)
            if not busy and frames >= self.restart_frames:
                with writers_queue(self.engine):
                    self.locked_passes += 1
                    self._pass(cursor)
        finally:
            cursor.close()

    def _sync_database(self, cursor: Any) -> None:
        if self._path is None:
            # The file SQLite opened (an absolute path), not the URL's spelling of it.
            self._path = cursor.execute("PRAGMA database_list").fetchone()[2] or ""
        if not self._path:
            return
        try:
            fd = os.open(self._path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:  # only makes the locked pass longer: it syncs anyway
            log.warning("decision log database file not synced before a checkpoint: %s", exc)

    def _pass(self, cursor: Any) -> tuple[bool, int, int]:
        self.passes += 1
        # (busy, frames in the WAL, frames copied). Busy: another connection's checkpoint is
        # running (it does the same work, and holding the writers off for it would only
        # stall them).
        busy, frames, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()[0]
        return bool(busy), int(frames), int(copied)
