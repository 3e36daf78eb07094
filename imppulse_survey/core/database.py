"""Database behaviour that the models alone cannot express."""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..extensions import db

SQLITE_BEGIN_OPTION = "sqlite_begin"


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


def begin_write() -> None:
    """Start the session's write transaction; call it before the reads that a write depends on.

    On SQLite, a read-only transaction already open is ended (it changed nothing) and a new one begins with the
    write lock, waiting for it up to the busy timeout; on PostgreSQL, row locks and constraints do this work.
    """
    session = db.session()  # the request's session behind the scoped proxy
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must come before the transaction's first change")
        session.commit()
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
