"""SQLite writers queue on an flock beside the database file, and always give their turn back."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import text

from imppulse_survey.core import database
from imppulse_survey.core.database import begin_write
from imppulse_survey.extensions import db


@pytest.fixture
def sqlite_only(is_postgresql):
    if is_postgresql:
        pytest.skip("the writer queue is SQLite's")


def lock_file():
    return f"{db.engine.url.database}-writers"


def test_a_commit_or_a_rollback_gives_the_turn_back(app_context, sqlite_only):
    for end in (db.session.commit, db.session.rollback):
        begin_write()
        assert database._writers._holder is not None
        end()
        assert database._writers._holder is None


def test_a_request_that_fails_after_begin_write_gives_the_turn_back(app, sqlite_only):
    with pytest.raises(RuntimeError), app.test_request_context("/"):
        begin_write()
        assert database._writers._holder is not None
        raise RuntimeError("the view failed before committing or rolling back")
    assert database._writers._holder is None


def test_a_writer_waits_for_another_process_holding_the_turn(app_context, sqlite_only, tmp_path):
    marker = tmp_path / "released"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import fcntl, pathlib, sys, time
        with open({lock_file()!r}, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            print("holding", flush=True)
            time.sleep(0.5)
            pathlib.Path({str(marker)!r}).write_text("yes")
            fcntl.flock(handle, fcntl.LOCK_UN)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        begin_write()  # blocks until the other process gives the turn back
        assert marker.exists()
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    finally:
        holder.wait(timeout=10)
        holder.stdout.close()
