"""Rate limits that count the right thing, shared by every worker, and that keep no client address.

Two kinds of counters, so that a guesser is stopped while thirty officers behind one police-station address, or a
kiosk, are not:

- **refusals per client address** (``failures_per_address``): only a refused request counts (401, 403 or 404: a
  wrong invitation token, resume key, API token or password). Every credential check shares one counter
  (``CREDENTIAL_FAILURES``), so a guesser's tries add up across routes; successes never count.
- **uses per credential** (``uses_per``): the requests that carry one ballot, session or API token, so a flood from
  one browser is stopped without slowing its neighbours behind the same address.

Flask-Limiter counts a refusal after the response (``deduct_when``) and, before the view, refuses the request once
the count has reached the limit. With ``W`` workers, at most ``W - 1`` refusals more than the limit can slip in while
the count reaches it.

Every key is a keyed hash (HMAC-SHA-256 under a key derived from ``SECRET_KEY`` and the UTC date, so it rotates at
midnight UTC): Redis holds no client address, e-mail address, token or key. With more than one worker the counters
must live in Redis (``RATELIMIT_STORAGE_URI``); ``gunicorn.conf.py`` refuses to start otherwise.

Applying them (decorators below the route; a limit is a string or a function that returns one)::

    from ..core.limits import configured, failures_per_address, session_credential, uses_per

    @bp.get("/i/<token>")
    @failures_per_address(configured("TOKEN_RATE_LIMIT"))       # wrong or used tokens (403), per address
    def invitation(token): ...

    @bp.get("/<lang>/s/<slug>/resume/<key>")
    @failures_per_address(configured("TOKEN_RATE_LIMIT"))       # unknown or expired keys (404), per address
    def resume(lang, slug, key): ...

    @bp.post("/<lang>/s/<slug>/")
    @failures_per_address(configured("TOKEN_RATE_LIMIT"))       # a refused ballot (403), an unknown campaign (404)
    @uses_per(lambda: session.get(BALLOT_KEY) or session_credential(), configured("SUBMISSION_RATE_LIMIT"))
    def answer(lang, slug): ...

A route that answers a refused token with another status passes it: the JSON API answers a used or unknown
invitation with 409, so ``@failures_per_address(configured("TOKEN_RATE_LIMIT"), refusals={404, 409})``.

A request without the credential is not counted by ``uses_per``: a post without a session fails its CSRF check
(400) before any view runs. Where a per-address ceiling on every request is wanted as well, a plain
``@limiter.limit(...)`` counts per hashed address, the limiter's default key.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Collection

from flask import Response, current_app, request, session

from .. import extensions  # the module, not its limiter: the limiter's default key is defined here
from .keys import keyed_hash

#: the statuses that mean "refused": not logged in or bad token (401), not allowed (403), no such thing (404)
REFUSED = frozenset({401, 403, 404})
#: the scope that every check of a token, key or credential shares, so that a guesser's tries add up across routes
CREDENTIAL_FAILURES = "credential-failures"

Limit = str | Callable[[], str]
Credential = Callable[[], str | None]


def configured(name: str) -> Callable[[], str]:
    """A limit read from the app's configuration at each request (tests and operators may change it)."""
    return lambda: current_app.config[name]


def hashed(kind: str, value: str) -> str:
    """``kind`` and 32 hex digits of an HMAC under today's key: the same value gives the same key all day only."""
    return f"{kind}:{keyed_hash(f'rate-limits/{kind}/{utc_today()}', value)[:32]}"


def utc_today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def client_address_key() -> str:
    """The limiter's default key: the client's address, hashed. Behind a proxy, ProxyFix must set remote_addr."""
    return hashed("address", client_network(request.remote_addr or "unknown"))


def client_network(address: str) -> str:
    """An IPv4 address, or an IPv6 address's /64: one IPv6 client holds a whole /64 and could change address at will."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


def failures_per_address(limit: Limit, *, scope: str = CREDENTIAL_FAILURES, methods: list[str] | None = None,
                         refusals: Collection[int] = REFUSED):
    """Count refused requests per client address; once ``limit`` is reached, the address gets 429 in ``scope``.

    ``refusals`` are the statuses that count (a route that answers a wrong token with 409, say, adds 409)."""
    return extensions.limiter.shared_limit(limit, scope, key_func=client_address_key, deduct_when=_one_of(refusals),
                                           methods=methods)


def failures_per(credential: Credential, limit: Limit, *, scope: str, methods: list[str] | None = None,
                 refusals: Collection[int] = REFUSED):
    """Count refused requests per credential (the e-mail address typed at login, say), whatever the address."""
    return extensions.limiter.shared_limit(limit, scope, key_func=_key_of(credential), deduct_when=_one_of(refusals),
                                           exempt_when=_lacks(credential), methods=methods)


def uses_per(credential: Credential, limit: Limit, *, methods: list[str] | None = None):
    """Count every request that carries ``credential`` (a ballot, a session, an API token), per route."""
    return extensions.limiter.limit(limit, key_func=_key_of(credential), exempt_when=_lacks(credential),
                                    methods=methods)


def session_credential() -> str | None:
    """The browser's session, named by its CSRF secret (there once a page with a form has been shown)."""
    return session.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))


def _one_of(statuses: Collection[int]) -> Callable[[Response], bool]:
    return lambda response: response.status_code in statuses


def _key_of(credential: Credential) -> Callable[[], str]:
    return lambda: hashed("credential", credential())


def _lacks(credential: Credential) -> Callable[[], bool]:
    return lambda: not credential()
