"""Engine and sessions of the decision log, tuned per backend.

SQLite: WAL journal with ``synchronous=NORMAL`` (an append costs ~80 us and survives a process
crash; a power cut may lose the last commits, never corrupt the file) and ``BEGIN IMMEDIATE``
for every transaction that may write, so the writer lock is taken before the chain head is read
and appends from several processes stay linear; a transaction marked :data:`READ_ONLY` begins
deferred and never waits for (or holds up) a writer. PostgreSQL: ``READ COMMITTED`` whatever
the server's default, and appends take a transaction-scoped advisory lock (:func:`lock_chain`).
"""

from __future__ import annotations

import fcntl
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from service.config import DATABASE_URL_FORMS
from service.decision_log.errors import InvalidDatabaseUrl
from service.decision_log.pseudonymize import Pseudonymizer

if TYPE_CHECKING:
    from service.decision_log.batcher import GroupCommitter

log = logging.getLogger("hotline.decision_log")

CHAIN_LOCK_KEY: Final = 0x686F746C696E65
"""Advisory lock id that serializes appends on PostgreSQL ("hotline" in ASCII)."""

MIGRATION_LOCK_KEY: Final = CHAIN_LOCK_KEY + 1
"""Advisory lock id that serializes migrations of several workers starting at once."""

KEYS_LOCK_KEY: Final = CHAIN_LOCK_KEY + 2
"""Advisory lock id that serializes API key creation (a name is checked free, then taken)."""

READ_ONLY: Final = "hotline_read_only"
"""Execution option of a transaction that only reads (``{READ_ONLY: True}``).

On SQLite it begins ``DEFERRED`` instead of ``IMMEDIATE``: in WAL mode a reader works on its
snapshot without the write lock, so a long report or ``verify`` does not hold up scores. Pass
it where the transaction begins (``Session(execution_options=...)``,
``Connection.execution_options``); see
:func:`~service.decision_log.repository.transaction`.
"""

CONNECT_TIMEOUT_SECONDS: Final = 10
"""How long a new PostgreSQL connection may take (libpq's ``connect_timeout``)."""
BACKSTOP_PAGES: Final = 16_384
"""SQLite ``wal_autocheckpoint``: 64 MB of WAL before a commit checkpoints by itself.

Checkpoints are run after commits by :class:`~service.decision_log.checkpoint.WalCheckpointer`;
this only bounds the WAL if that falls behind or is not running (a CLI).
"""


@dataclass(frozen=True)
class DecisionLog:
    """An open decision log: where it lives and how identifiers are hashed.

    Attributes
    ----------
    engine : sqlalchemy.Engine
    sessions : sqlalchemy.orm.sessionmaker
    pseudonymizer : Pseudonymizer
    committer : GroupCommitter
        The process's writer of score records (group commit).
    """

    engine: Engine
    sessions: sessionmaker[Session]
    pseudonymizer: Pseudonymizer
    committer: GroupCommitter

    def dispose(self) -> None:
        """Write what is queued, stop the writer and close the pooled connections."""
        self.committer.close()
        self.engine.dispose()


def open_log(
    database_url: str, *, key: bytes, max_batch: int | None = None, create: bool = True
) -> DecisionLog:
    """Create the engine for a database URL (nothing is connected yet).

    Parameters
    ----------
    database_url : str
        ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/db``.
    key : bytes
        Pseudonym key.
    max_batch : int, optional
        Most score records per transaction (group commit); 1 writes each on its own.
        Default :data:`~service.decision_log.batcher.DEFAULT_MAX_BATCH`.
    create : bool, default True
        See :func:`make_engine`.

    Returns
    -------
    DecisionLog
    """
    from service.decision_log.batcher import DEFAULT_MAX_BATCH, GroupCommitter

    engine = make_engine(database_url, create=create)
    return DecisionLog(
        engine,
        sessionmaker(engine, expire_on_commit=False),
        Pseudonymizer(key),
        GroupCommitter(engine, max_batch=max_batch or DEFAULT_MAX_BATCH),
    )


def make_engine(database_url: str, *, create: bool = True) -> Engine:
    """Create an engine with the backend's pragmas and transaction mode.

    Parameters
    ----------
    database_url : str
    create : bool, default True
        Create the directory of a SQLite file if it is missing (False for commands that
        only read an existing log).

    Returns
    -------
    sqlalchemy.Engine

    Raises
    ------
    InvalidDatabaseUrl
        The URL is not SQLite's or PostgreSQL's (psycopg 3), in one line naming the forms
        accepted. ``postgresql://`` and ``postgres://`` without a driver mean psycopg 3.
    """
    url = database_url_of(database_url)
    if url.get_backend_name() != "sqlite":
        # Set on every new driver connection, the group committer's raw one included. Under
        # REPEATABLE READ (a server or role default) the snapshot is taken by the advisory
        # lock's SELECT, before the append it waited for committed: the head read after it
        # would be stale and the insert a unique violation.
        # A host that does not answer (a firewall dropping packets) fails a connection after
        # CONNECT_TIMEOUT_SECONDS, not the operating system's two minutes, in which every
        # score, key lookup and report waiting on it would hang. The URL may set its own.
        connect_args = (
            {} if "connect_timeout" in url.query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        )
        return create_engine(
            url,
            pool_pre_ping=True,
            isolation_level="READ COMMITTED",
            connect_args=connect_args,
        )
    engine = create_engine(url, connect_args={"timeout": 30})
    database = sqlite_file(engine)
    if database is not None and create:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def database_url_of(database_url: str) -> URL:
    """Parse a decision-log URL, or refuse it in one line.

    Parameters
    ----------
    database_url : str

    Returns
    -------
    sqlalchemy.URL
        ``postgresql://`` and ``postgres://`` (Heroku's and libpq's spelling) are given the
        psycopg 3 driver, the one installed: left alone, SQLAlchemy would look for psycopg2.

    Raises
    ------
    InvalidDatabaseUrl
        Neither SQLite's nor PostgreSQL's (psycopg 3), or an in-memory SQLite database
        (``sqlite://``, ``sqlite:///:memory:``), which the service's threads cannot share.
    """
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        # Not parsed, so the password cannot be hidden by SQLAlchemy: anything between
        # "user:" and "@" is masked here before the URL is echoed.
        raise _invalid(repr(_PASSWORD.sub(r"\1***@", database_url))) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql") or url.drivername not in (
        "sqlite",
        "sqlite+pysqlite",
        "postgresql+psycopg",
    ):
        raise _invalid(repr(url.render_as_string(hide_password=True)))
    if url.get_backend_name() == "sqlite" and _in_memory(url):
        # Each connection to an in-memory database has its own, empty one: the migrations
        # would run on one, the log's writer thread would find no table on its own (503).
        raise InvalidDatabaseUrl(  # as typed: a SQLite URL holds no password
            f"{database_url!r} is an in-memory SQLite database, "
            "which every connection (and so every thread of the service) sees empty and "
            f"loses on exit; accepted: {DATABASE_URL_FORMS}"
        )
    return url


def _in_memory(url: URL) -> bool:
    database = url.database or ""
    # "file::memory:?uri=true" is SQLite's URI spelling of the same thing.
    return (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or url.query.get("mode") == "memory"
    )


_PASSWORD: Final = re.compile(r"(//[^:/@]*:)[^@]*@")


def _invalid(shown: str) -> InvalidDatabaseUrl:
    return InvalidDatabaseUrl(
        f"{shown} is not a database URL this service can use; accepted: {DATABASE_URL_FORMS}"
    )


def first_line(exc: BaseException) -> str:
    """Return the driver's own message of a database error, first line only.

    Parameters
    ----------
    exc : BaseException
        A SQLAlchemy error (its ``orig`` is the driver's) or any other.

    Returns
    -------
    str
        For a command's one-line refusal; the exception's class name when it says nothing.
    """
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def sqlite_file(engine: Engine) -> str | None:
    """Return the database file of a file-backed SQLite engine, else None.

    Parameters
    ----------
    engine : sqlalchemy.Engine

    Returns
    -------
    str or None
        None for PostgreSQL and for in-memory SQLite.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return database


_UNQUEUED: set[str] = set()
"""SQLite files whose writers' queue could not be opened (warned about once)."""


@contextmanager
def writers_queue(engine: Engine) -> Iterator[None]:
    """Queue the writers of several processes fairly before they contend for SQLite's lock.

    SQLite's busy handler polls with growing sleeps (up to 100 ms), so a process that keeps
    losing the race for ``BEGIN IMMEDIATE`` to a busier one backs off for a second or more. A
    blocking ``flock`` on a file beside the database wakes the next waiter as soon as the
    holder is done. ``BEGIN IMMEDIATE`` stays the lock that guarantees a linear chain (the
    CLI and other writers do not queue here); this only makes the wait short and fair.
    Nothing to do for PostgreSQL (its advisory lock queues waiters). A queue file that cannot
    be opened (a read-only directory) is logged once and the write goes ahead unqueued.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    """
    database = sqlite_file(engine)
    try:
        handle = None if database is None else open(f"{database}.writers", "a+b")  # noqa: SIM115
    except OSError as exc:
        # A directory the service may not create files in (or a file it may not open): the
        # queue is only about fairness, and BEGIN IMMEDIATE still keeps the chain linear,
        # so the write goes ahead without it rather than failing as a 500.
        if database not in _UNQUEUED:  # once per database, not once per batch
            _UNQUEUED.add(str(database))
            log.warning("decision log writers not queued (%s.writers): %s", database, exc)
        handle = None
    if handle is None:
        yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def lock_chain(session: Session | Connection) -> None:
    """Serialize appends: hold the chain lock until the transaction ends.

    On SQLite the transaction already began with ``BEGIN IMMEDIATE``, which is the lock.

    Parameters
    ----------
    session : sqlalchemy.orm.Session or sqlalchemy.Connection
        In a transaction that was not begun :data:`READ_ONLY`.

    Raises
    ------
    RuntimeError
        The transaction was begun read-only: on SQLite it holds no write lock, and the head
        it read may already be stale.
    """
    connection = session.connection() if isinstance(session, Session) else session
    if connection.get_execution_options().get(READ_ONLY):
        raise RuntimeError("the chain lock was asked for in a transaction begun read-only")
    advisory_lock(session, key=CHAIN_LOCK_KEY)


def advisory_lock(session: Session | Connection, *, key: int) -> None:
    """Hold a PostgreSQL advisory lock until the transaction ends; nothing on SQLite.

    On SQLite a writing transaction began ``BEGIN IMMEDIATE``, which already holds the one
    write lock there is.

    Parameters
    ----------
    session : sqlalchemy.orm.Session or sqlalchemy.Connection
        In a transaction.
    key : int
        :data:`CHAIN_LOCK_KEY`, :data:`MIGRATION_LOCK_KEY` or :data:`KEYS_LOCK_KEY`.
    """
    connection = session.connection() if isinstance(session, Session) else session
    if connection.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level, so that SQLAlchemy's "begin" event decides how a
    # transaction starts (pysqlite would otherwise issue a deferred BEGIN itself).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Checkpoints run on their own thread (checkpoint.py); a commit runs one only as a backstop.
    cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        # A reader needs no lock in WAL mode; IMMEDIATE would make every score wait for it.
        connection.exec_driver_sql("BEGIN DEFERRED")
        return
    # IMMEDIATE takes the write lock now, before the chain head is read; a deferred BEGIN
    # would let two processes read the same head and one fail (or fork) at commit. It is the
    # default, so a transaction not marked read-only can never fork the chain.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
