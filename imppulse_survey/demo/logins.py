"""A first look in one minute: one staff account per role for a demo city, with random passwords written to
``instance/demo-logins.txt`` (readable by its owner only), made again whenever that file is missing.

Development only: the demo refuses to run in production, where these accounts and their file must never exist.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..accounts.models import User
from ..accounts.services import change_password, create_user, normalise_email
from ..campaigns.models import City
from ..extensions import db

LOGINS_FILE = "demo-logins.txt"
DEMO_CITY = "nantes"
#: role, e-mail address (example.org: a domain that never receives mail)
ACCOUNTS = (("admin", "coordinator@demo.example.org"), ("manager", "manager.nantes@demo.example.org"),
            ("viewer", "viewer.nantes@demo.example.org"), ("analyst", "analyst.nantes@demo.example.org"))


def logins_path() -> Path:
    return Path(current_app.instance_path) / LOGINS_FILE


def ensure_demo_logins() -> Path | None:
    """Make the accounts (or give them new passwords) and write the file, unless it is there already and every
    account exists; returns the file's path if it was written."""
    path = logins_path()
    existing = {user.email for user in db.session.scalars(
        select(User).where(User.email.in_([email for _, email in ACCOUNTS])))}
    if path.exists() and existing == {email for _, email in ACCOUNTS}:
        return None
    city = db.session.scalar(select(City).filter_by(slug=DEMO_CITY))
    lines = []
    for role, email in ACCOUNTS:
        password = secrets.token_urlsafe(12)
        user = db.session.scalar(select(User).filter_by(email=normalise_email(email)))
        if user is None:
            create_user(email, password, role, None if role == "admin" else city)
        else:
            change_password(user, password)
        lines.append(f"{role:<8} {email:<36} {password}")
    text = "\n".join([f"IMPPULSE Survey demo logins ({city.name if city else DEMO_CITY}; development only)",
                      "Log in at /en/staff/login on the server's address (make run prints it)", "",
                      f"{'role':<8} {'e-mail':<36} password", *lines, ""])
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # a file left by an earlier run keeps no wider mode
    return path
