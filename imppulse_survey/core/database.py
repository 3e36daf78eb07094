"""Database behaviour that the models alone cannot express."""

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from flask import current_app
from sqlalchemy import Table, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from ..extensions import db

SQLITE_BEGIN_OPTION = "sqlite_begin"
ISOLATION_LEVEL, AUTOCOMMIT = "isolation_level", "AUTOCOMMIT"
HEALTH_LOCK_WAIT_S = 1.0


@event.listens_for(Engine, "do_connect")
def _open_existing_sqlite_file(dialect, connection_record, cargs, cparams):
    """SQLite opens the database file read-write but never creates it: a missing file is a fault to report (503),
    not an empty database to serve from. ``flask db upgrade`` creates it (``create_sqlite_file``)."""
    if dialect.name != "sqlite" or cparams.get("uri") or not cargs or cargs[0] in ("", ":memory:"):
        return
    cargs[0] = f"file:{quote(os.path.abspath(cargs[0]))}?mode=rw"
    cparams["uri"] = True


def create_sqlite_file(path: str) -> None:
    """Create an empty SQLite database file if there is none (the migrations' first step)."""
    if path and path != ":memory:" and not Path(path).exists():
        sqlite3.connect(path).close()


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
    # deleted rows (a spent invitation, sealed answers after their release, a draft) are overwritten with
    # zeros rather than left readable in the file's free space
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means the database cannot be used now (down, locked, missing, corrupt), as
    opposed to a fault in a statement (a constraint, a type), which is a bug."""
    return isinstance(error, DBAPIError) and type(error) in (OperationalError, InterfaceError, DatabaseError)


def unavailable_error(statement: str, cause: BaseException) -> OperationalError:
    """An error of the kind the database raises when it is unavailable, for a wait that the app itself bounds."""
    return OperationalError(statement, None, cause)


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
    _writers.wait_for_turn(session.get_bind().url.database, current_app.config["DATABASE_LOCK_TIMEOUT_MS"] / 1000)
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


class _WriterQueue:
    """Writers to one SQLite file wait for their turn on an ``flock``, not in SQLite's busy handler.

    SQLite lets one writer in at a time and makes the others poll, sleeping 1, 2, 5… ms between tries, while a
    submission holds the lock for a few tenths of a millisecond: under load the cores sat idle a quarter of the
    time. Waiting here tries again within a fraction of a millisecond, and never longer than the lock timeout
    (``DATABASE_LOCK_TIMEOUT_MS``): a turn held too long (a command, another program) is reported as the
    database being locked, which the respondent sees as a 503 with their answers kept. SQLite's own lock still
    decides who writes; this only orders the waiting. The turn is given back after the commit or rollback, and
    at the end of every request.
    """

    SHORTEST_WAIT_S, LONGEST_WAIT_S = 0.0001, 0.002

    def __init__(self):
        self._threads = threading.Lock()  # an flock is per process: threads of one process queue here first
        self._holder: int | None = None
        self._files: dict[tuple[int, str], object] = {}
        self._held = None

    def wait_for_turn(self, database: str | None, timeout: float) -> None:
        if not database or database == ":memory:" or self._holder == threading.get_ident():
            return
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            raise unavailable_error("wait for the write turn", TimeoutError("another thread holds it"))
        try:
            handle = self._file(database)
            self._lock(handle, deadline)
        except BaseException:
            self._threads.release()
            raise
        self._holder, self._held = threading.get_ident(), handle

    def _file(self, database: str):
        key = (os.getpid(), database)  # a forked worker opens its own file: an flock is shared across fork
        handle = self._files.get(key)
        if handle is None:
            try:
                handle = self._files[key] = open(f"{database}-writers", "ab")  # noqa: SIM115 - kept open
            except OSError as error:  # the database's folder is gone or read-only
                raise unavailable_error("open the writers' lock file", error) from None
        return handle

    def _lock(self, handle, deadline: float) -> None:
        wait = self.SHORTEST_WAIT_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise unavailable_error("wait for the write turn", TimeoutError("the write turn is held")) from None
                time.sleep(wait)
                wait = min(wait * 2, self.LONGEST_WAIT_S)

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


@dataclass(frozen=True)
class ChildRows:
    """Rows to insert with a parent row (``insert_with_children``): ``table``'s ``columns``, preceded by the
    parent's id in ``parent_column`` when one is named (a response's answers), or as they are (its summaries)."""

    table: Table
    columns: tuple[str, ...]
    rows: Sequence[tuple]
    parent_column: str | None = None
    on_conflict: str = ""


def insert_with_children(parent: Table, values: dict, unique: str, children: Sequence[ChildRows]) -> int | None:
    """Insert a row and the rows that go with it, atomically; its id, or None (and nothing inserted) when a row
    with the same ``unique`` column exists already.

    SQLite takes the write lock, then inserts step by step. PostgreSQL runs one statement, data-modifying CTEs
    that select the children ``FROM`` the parent's insert, so that a repeat inserts no child: one round trip
    instead of four, and no transaction of its own around it, since a statement is atomic by itself. Measured
    with ``fsync`` on, that is 20–30 % more submissions per second (docs/benchmarks.md).
    """
    session = db.session()
    if session.get_bind().dialect.name == "postgresql":
        shape = tuple((child.table, child.columns, child.parent_column, child.on_conflict) for child in children)
        parameters = (*values.values(), *(json_parameter(child.rows) for child in children))
        return session.connection().exec_driver_sql(_one_statement(parent, tuple(values), unique, shape),
                                                     parameters).scalar()
    begin_write()
    parent_id = insert_returning_id(parent, values, unique)
    if parent_id is not None:
        for child in children:
            rows = [(parent_id, *row) for row in child.rows] if child.parent_column else child.rows
            columns = (child.parent_column, *child.columns) if child.parent_column else child.columns
            insert_rows(child.table, columns, rows, child.on_conflict)
    return parent_id


@lru_cache(maxsize=8)
def _one_statement(parent: Table, columns: tuple[str, ...], unique: str, children: tuple) -> str:
    markers = ", ".join(["%s"] * len(columns))
    parts = [(f"parent AS (INSERT INTO {parent.name} ({', '.join(columns)}) VALUES ({markers})"
              f" ON CONFLICT ({unique}) DO NOTHING RETURNING id)")]
    for number, (table, child_columns, parent_column, on_conflict) in enumerate(children):
        names = (parent_column, *child_columns) if parent_column else child_columns
        selected = "parent.id, given.*" if parent_column else "given.*"
        parts.append(f"child_{number} AS (INSERT INTO {table.name} ({', '.join(names)}) SELECT {selected}"
                     f" FROM parent, ({json_rows(table, child_columns)}) AS given {on_conflict})")
    return f"WITH {', '.join(parts)} SELECT id FROM parent"


def insert_returning_id(table: Table, values: dict, unique: str) -> int | None:
    """Insert one row and return its id, or None when a row with the same ``unique`` column exists already."""
    return db.session.scalar(_insert_returning_id(db.session.get_bind().dialect.name, table, unique), values)


@lru_cache(maxsize=8)
def _insert_returning_id(dialect: str, table: Table, unique: str):
    """Built once and executed with each row's values, so that it is compiled once."""
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert_for = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert_for(table).on_conflict_do_nothing(index_elements=[unique]).returning(table.c.id)


def insert_rows(table: Table, columns: Sequence[str], rows: Sequence[tuple], on_conflict: str = "") -> int:
    """Insert many rows with the fewest cycles, and say how many went in: the hot path of every submission.

    SQLAlchemy's Core executemany processes each parameter in Python, which cost a submission more than the
    database's own work (0.85 ms against 0.27 ms for 32 answers on SQLite). Here SQLite gets the driver's
    ``executemany``; PostgreSQL gets one ``INSERT … SELECT`` from the rows sent as one JSON parameter (see
    ``json_rows``). Table and column names come from the models, never from input; values are always bound.
    """
    if not rows:
        return 0
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        return connection.exec_driver_sql(_sqlite_insert(table.name, tuple(columns), on_conflict), list(rows)).rowcount
    return connection.exec_driver_sql(_postgresql_insert(table, tuple(columns), on_conflict),
                                      (json_parameter(rows),)).rowcount


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


def database_health() -> str:
    """``ok``, or what stops the app from storing a submission now: ``missing``, ``corrupt``, ``locked`` or
    ``unreachable``. Reading alone is not enough: a database that answers SELECT 1 while another program holds
    its write lock takes no answers."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return _sqlite_health(url.database)
    try:
        with db.engine.connect() as connection, connection.begin():
            connection.execute(text(f"SET LOCAL lock_timeout = {int(HEALTH_LOCK_WAIT_S * 1000)}"))
            # the lock every INSERT takes: waiting for it is what a submission would do
            connection.execute(text("LOCK TABLE responses, spent_ballots IN ROW EXCLUSIVE MODE"))
            connection.rollback()
    except OperationalError as error:
        return "locked" if getattr(error.orig, "sqlstate", None) == "55P03" else "unreachable"
    except DBAPIError:
        return "unreachable"
    return "ok"


def _sqlite_health(path: str) -> str:
    if not Path(path).is_file():
        return "missing"
    try:
        _writers.wait_for_turn(path, HEALTH_LOCK_WAIT_S)
    except OperationalError:
        return "locked"
    try:
        connection = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=rw", uri=True,
                                     timeout=HEALTH_LOCK_WAIT_S, isolation_level=None)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the header: corrupt?
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
        finally:
            connection.close()
    except sqlite3.OperationalError as error:
        return "locked" if "locked" in str(error) or "busy" in str(error) else "unreachable"
    except sqlite3.DatabaseError:
        return "corrupt"
    finally:
        _writers.give_back()
    return "ok"
