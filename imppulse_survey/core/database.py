"""Database behaviour that the models alone cannot express."""

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ..extensions import db

SQLITE_BEGIN_OPTION = "sqlite_begin"
ISOLATION_LEVEL, AUTOCOMMIT = "isolation_level", "AUTOCOMMIT"


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy, not the driver, decide where transactions begin (see _begin_immediately).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection):
    # The driver no longer begins transactions (see above), so every transaction begins here. Reads begin
    # deferred, so that they go on while another connection writes (WAL); a transaction that is going to
    # write takes the write lock up front (see begin_write), because a deferred transaction that reads, then
    # writes, fails at once with "database is locked" when another writer got in between.
    if connection.dialect.name == "sqlite":
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def reads_outside_transactions() -> None:
    """PostgreSQL: run the request's statements in autocommit until ``begin_write()`` begins a transaction.

    For a request whose only write is a single statement (a submission to an open campaign), the BEGIN and
    COMMIT round trips are pure cost: a statement is a transaction by itself. SQLite is left as it is: its
    reads already begin deferred, and its writes need ``begin_write()`` for the write lock.
    """
    session = db.session()
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={ISOLATION_LEVEL: AUTOCOMMIT})


def begin_write() -> None:
    """Start the session's write transaction; call it before the reads that a write depends on.

    On SQLite, a read-only transaction already open is ended (it changed nothing) and a new one begins with the
    write lock, waiting for it up to the busy timeout; on PostgreSQL, row locks and constraints do this work,
    and a session reading in autocommit (``reads_outside_transactions``) begins a transaction here.
    """
    session = db.session()  # the request's session behind the scoped proxy
    if session.get_bind().dialect.name != "sqlite":
        if session.in_transaction() and session.connection().get_execution_options().get(
                ISOLATION_LEVEL) == AUTOCOMMIT:
            # reads ran outside a transaction (reads_outside_transactions): begin a real one for the writes
            session.commit()
            session.connection(execution_options={ISOLATION_LEVEL: session.get_bind().dialect.default_isolation_level})
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must come before the transaction's first change")
        session.commit()
    _writers.wait_for_turn(session.get_bind().url.database)
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


class _WriterQueue:
    """Writers to one SQLite file wait for their turn on an ``flock``, not in SQLite's busy handler.

    SQLite lets one writer in at a time and makes the others poll, sleeping 1, 2, 5… ms between tries, while a
    submission holds the lock for a few tenths of a millisecond: under load the cores sat idle a quarter of the
    time. The kernel wakes the next ``flock`` waiter as soon as the lock is released. SQLite's own lock still
    decides who writes; this only orders the waiting, so a turn given back a moment early or late costs at most
    one poll. The turn is given back after the commit or rollback, and at the end of every request.
    """

    def __init__(self):
        self._threads = threading.Lock()  # an flock is per process: threads of one process queue here first
        self._holder: int | None = None
        self._files: dict[tuple[int, str], object] = {}
        self._held = None

    def wait_for_turn(self, database: str | None) -> None:
        if not database or database == ":memory:" or self._holder == threading.get_ident():
            return
        self._threads.acquire()
        try:
            key = (os.getpid(), database)  # a forked worker opens its own file: an flock is shared across fork
            handle = self._files.get(key)
            if handle is None:
                handle = self._files[key] = open(f"{database}-writers", "ab")  # noqa: SIM115 - kept open
            fcntl.flock(handle, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._holder, self._held = threading.get_ident(), handle

    def give_back(self, *_) -> None:
        if self._holder != threading.get_ident():
            return
        fcntl.flock(self._held, fcntl.LOCK_UN)
        self._holder = self._held = None
        self._threads.release()


_writers = _WriterQueue()
give_back_write_turn = _writers.give_back
event.listen(Session, "after_commit", give_back_write_turn)
event.listen(Session, "after_rollback", give_back_write_turn)


def insert_rows(table: Table, columns: Sequence[str], rows: Sequence[tuple], on_conflict: str = "") -> None:
    """Insert many rows with the fewest cycles: the hot path of every submission (its answers, its summaries).

    SQLAlchemy's Core executemany processes each parameter in Python, which cost a submission more than the
    database's own work (0.85 ms against 0.27 ms for 32 answers on SQLite). Here SQLite gets the driver's
    ``executemany``; PostgreSQL gets one ``INSERT … SELECT`` from the rows sent as one JSON parameter (see
    ``json_rows``). Table and column names come from the models, never from input; values are always bound.
    """
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(_sqlite_insert(table.name, tuple(columns), on_conflict), list(rows))
        return
    connection.exec_driver_sql(_postgresql_insert(table, tuple(columns), on_conflict), (json_parameter(rows),))


@lru_cache(maxsize=64)
def _sqlite_insert(table: str, columns: tuple[str, ...], on_conflict: str) -> str:
    markers = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({markers}) {on_conflict}".rstrip()


@lru_cache(maxsize=64)
def _postgresql_insert(table: Table, columns: tuple[str, ...], on_conflict: str) -> str:
    return f"INSERT INTO {table.name} ({', '.join(columns)}) {json_rows(table, columns)} {on_conflict}".rstrip()


@lru_cache(maxsize=64)
def json_rows(table: Table, columns: tuple[str, ...]) -> str:
    """PostgreSQL: ``SELECT … FROM json_array_elements(%s::json)``, the rows of one JSON parameter (a list of
    lists, see ``json_parameter``) as typed columns named after ``table``'s.

    One JSON text is the cheapest way to send a few dozen rows: psycopg dumps arrays in Python (0.37 ms a
    submission for 19 of them), while ``json.dumps`` is C and the server splits the text in microseconds.
    """
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    fields = ", ".join(f"(row->>{position})::{table.c[name].type.compile(dialect=dialect)} AS {name}"
                       for position, name in enumerate(columns))
    return f"SELECT {fields} FROM json_array_elements(%s::json) AS row"


def json_parameter(rows: Sequence[tuple]) -> str:
    return json.dumps(rows, separators=(",", ":"), allow_nan=False)
