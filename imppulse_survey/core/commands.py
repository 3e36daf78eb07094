"""What every domain's commands (``<domain>/commands.py``) share: one transaction per command, known failures as
one line on stderr with exit status 1, and the parsing of dates, languages and secrets.

A command that changes the database runs under ``committing``, which takes the write lock before anything else. A
command that only reads runs under ``reading``, which never does: on SQLite the write lock is the whole database's,
and a listing that held it while it printed would make every submission wait (or fail) meanwhile.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from contextlib import contextmanager

import click
from sqlalchemy.exc import OperationalError

from ..campaigns.services import CampaignError
from ..config import SUPPORTED_LANGUAGES
from ..extensions import db
from ..questionnaires.loader import QuestionnaireFileError
from .database import begin_write

#: the longest password or private key read, in characters: a pipe that never ends must not be read whole
MAX_SECRET_INPUT = 1000


def committing(command):
    """Run a command in one write transaction, the write lock taken before its first read (``begin_write``),
    and record it in the audit log (the command line is the operator's: who ran it is the server's own log)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with one_line_errors():
            begin_write()
            try:
                result = command(*args, **kwargs)
            except click.ClickException:
                db.session.rollback()  # a refusal keeps nothing, and no write turn outlives it
                raise
            audit_command()  # committed with the command's work
            db.session.commit()
            return result

    return wrapper


#: parameters never written to the audit log
SECRET_PARAMETERS = frozenset({"password", "private_key"})


def audit_command() -> None:
    from ..accounts.audit import record

    context = click.get_current_context(silent=True)
    if context is None:
        return
    details = {name: value if isinstance(value, (int, float, bool, type(None))) else str(value)
               for name, value in context.params.items() if name not in SECRET_PARAMETERS}
    path = context.command_path
    record("command", path[max(path.find("imppulse "), 0):][:200], None, **details)  # from "imppulse" on


def reading(command):
    """Run a command that only reads: it never asks for the write lock, so it neither waits for a writer nor makes
    one wait, and it ends with a rollback, so that nothing is written and its reads' transaction is over."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with one_line_errors():
            try:
                return command(*args, **kwargs)
            finally:  # a refusal too (a ClickException): no transaction outlives the command
                db.session.rollback()

    return wrapper


@contextmanager
def one_line_errors():
    """The failures a command expects become a one-line error and exit status 1, and nothing of it is kept."""
    try:
        yield
    except QuestionnaireFileError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.exceptions.Exit(1) from None
    except (CampaignError, ValueError) as error:  # AccountError is a ValueError too
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    except OperationalError as error:  # locked by another writer, or unreachable: say so, and change nothing
        db.session.rollback()
        raise click.ClickException(f"the database cannot be written now ({error.orig or error}); nothing was "
                                   "changed, try again") from None


def parse_datetime(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or date and time (2026-03-01 or 2026-03-01T08:00)")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def language_list(value: str) -> list[str]:
    languages = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [language for language in languages if language not in SUPPORTED_LANGUAGES]
    if unknown or not languages:
        raise click.BadParameter(f"languages must be among {', '.join(SUPPORTED_LANGUAGES)}")
    return languages


def password_input(ctx, param, from_stdin: bool) -> str:
    """The password, read while the command line is parsed: before the command takes the database's write lock,
    so that nobody's submission waits while a person types (or a pipe stays silent)."""
    if from_stdin:
        return sys.stdin.readline(MAX_SECRET_INPUT + 1).rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def private_key_input(wave_label: str) -> str:
    """Read while no write lock is held: a person may be typing, or a pipe may be slow."""
    if sys.stdin.isatty():
        return click.prompt(f"Private key of wave {wave_label}", hide_input=True)
    return sys.stdin.readline(MAX_SECRET_INPUT)
