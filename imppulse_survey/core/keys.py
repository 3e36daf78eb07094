"""Keyed hashes: what the database keeps of a secret (an invitation token, a ballot, a submission id).

A plain SHA-256 of a token lets whoever holds the list of tokens (the manager's CSV) find each row; keyed with a
key derived from ``SECRET_KEY``, the rows can only be matched by someone who holds both the list and the
server's secret. Each purpose has its own derived key, so that no two tables hold comparable hashes.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from flask import current_app


@lru_cache(maxsize=32)
def _derived_key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), f"imppulse/{purpose}".encode(), hashlib.sha256).digest()


def derived_key(purpose: str) -> bytes:
    """32 bytes for one purpose, derived from the app's ``SECRET_KEY``."""
    return _derived_key(current_app.config["SECRET_KEY"], purpose)


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA-256 of ``value`` under the purpose's key, hex (64 characters)."""
    return hmac.new(derived_key(purpose), value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
