"""Absolute links (a resume link, an invitation, a poster's QR code) that a forged ``Host`` header cannot redirect.

``url_for(..., _external=True)`` takes the host from the request's ``Host`` header, which the client chooses:
``Host: evil.example`` would hand a respondent a resume link to evil.example. Links start instead from
``PUBLIC_BASE_URL`` (required in production), or, when it is unset in development and tests, from the address the
server itself was started on (the WSGI environ's ``SERVER_NAME`` and ``SERVER_PORT``, set from its bind address).
"""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, url_for
from werkzeug.exceptions import SecurityError

DEFAULT_PORTS = {"http": "80", "https": "443"}


def init_links(app: Flask) -> None:
    app.register_error_handler(SecurityError, refuse_unknown_host)


def refuse_unknown_host(error: SecurityError):
    """A Host other than PUBLIC_BASE_URL's (production's TRUSTED_HOSTS): a plain 400, as no page with links can be
    built for a request whose host is refused (the error page itself would fail, as a 500)."""
    return "Bad Request: this server does not answer for that host name.\n", 400, {"Content-Type": "text/plain"}


def public_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint``, as ``url_for`` builds its path, on the public base URL."""
    return public_base_url() + url_for(endpoint, **values)


def public_base_url() -> str:
    """``scheme://host[:port]``: PUBLIC_BASE_URL, else (development, tests) the server's own address."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured
    if not has_request_context():
        raise RuntimeError("PUBLIC_BASE_URL is not set: a link outside a request has no address to start from")
    return _server_address(request.environ)


def _server_address(environ) -> str:
    scheme, host, port = environ["wsgi.url_scheme"], environ["SERVER_NAME"], environ["SERVER_PORT"]
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"{scheme}://{host}" if DEFAULT_PORTS.get(scheme) == port else f"{scheme}://{host}:{port}"


def default_base_url() -> str:
    """Where links written by a command point: PUBLIC_BASE_URL, else the server ``make run`` starts on PORT."""
    return current_app.config.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{current_app.config['PORT']}"
