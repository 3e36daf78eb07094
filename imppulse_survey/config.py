"""Configuration classes, read from the environment once at start-up.

Every variable is listed in the README. A wrong value stops the app at start with a message that names the
variable, rather than failing on the first request.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

SUPPORTED_LANGUAGES = ("en", "fr", "it", "es", "ca", "nl", "pt", "ar", "tr")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A configuration variable is missing or has a value the app cannot use."""


def _int_variable(environ, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


def _database_url(environ, instance_path: Path) -> str:
    url = environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'imppulse.sqlite3'}"
    if url.startswith("postgres://"):
        # The scheme Heroku-style services hand out; SQLAlchemy only knows the long name.
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if not url.startswith(("sqlite:///", "postgresql+psycopg://")):
        raise ConfigError(
            "DATABASE_URL must start with sqlite:/// or postgresql:// "
            f"(got {url.split(':', 1)[0]!r})"
        )
    return url


def _flag(environ, name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _engine_options(url: str, lock_timeout_ms: int) -> dict:
    """How long a statement waits for a lock before the app answers 503 rather than hanging."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": lock_timeout_ms / 1000}}
    # connect_args replaces the URL's own "options", so keep those (a search_path, say) and add ours
    from sqlalchemy.engine import make_url

    given = make_url(url).query.get("options", "")
    given = " ".join(given) if isinstance(given, tuple) else given
    # Connections are recycled rather than pinged before each use (a ping is a round trip per request); after a
    # database restart the first request on a dead connection answers 503 and the pool replaces it.
    return {"pool_recycle": 1800, "connect_args": {"options": f"{given} -c lock_timeout={lock_timeout_ms}".strip()}}


def _rate_limit(environ, name: str, default: str, longest_window_minutes: int | None = None) -> str:
    from limits import parse_many

    value = environ.get(name) or default
    try:
        windows = [item.get_expiry() for item in parse_many(value)]
    except ValueError:
        raise ConfigError(f"{name} must be a rate such as '60 per minute', not {value!r}") from None
    if longest_window_minutes and max(windows) > 60 * longest_window_minutes:
        raise ConfigError(f"{name} must count over windows of at most {longest_window_minutes} minutes, so that "
                          f"failures slow a login down and never lock the account: not {value!r}")
    return value


_HOST_NAME = re.compile(r"[a-z0-9.-]+|[0-9a-f:.]+")  # a DNS name, or an IP address (IPv6 without its brackets)


def _is_web_address(parts) -> bool:
    """http or https, a host name or IP address, and a valid port if there is one."""
    if parts.scheme not in ("http", "https") or not _HOST_NAME.fullmatch(parts.hostname or ""):
        return False
    try:
        return parts.port != 0
    except ValueError:  # not a number from 0 to 65535
        return False


def _public_base_url(environ) -> str | None:
    """``scheme://host[:port]`` from PUBLIC_BASE_URL: where every link the app builds points, whatever Host says."""
    raw = (environ.get("PUBLIC_BASE_URL") or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if not _is_web_address(parts):
        raise ConfigError(f"PUBLIC_BASE_URL must be an http:// or https:// address such as "
                          f"https://survey.example.org, not {raw!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username is not None:
        raise ConfigError(f"PUBLIC_BASE_URL must be a scheme, a host and a port only (no path, query or user name), "
                          f"not {raw!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _development_secret_key(instance_path: Path) -> str:
    """A key generated once and kept in instance/, so sessions survive restarts on a developer's machine."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    TESTING = False
    DEBUG = False
    LANGUAGES = SUPPORTED_LANGUAGES
    #: languages written right to left: pages get dir="rtl" (the browser tests add a test locale here)
    RIGHT_TO_LEFT_LANGUAGES = ("ar", "fa", "he", "ur")
    REQUIRE_REVIEWED_LANGUAGES = False
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    # Redis down: each worker counts alone (and logs a warning) until it is back, rather than answer 500 to everyone
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # A respondent may leave a page open for a long time; the token is tied to their session anyway.
    WTF_CSRF_TIME_LIMIT = 24 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    JSON_SORT_KEYS = False
    MAX_CONTENT_LENGTH = 1024 * 1024
    # The signed cookie's maximum age since it was last written: a copied cookie is dead within a working day,
    # even if the user never logs out (logging out ends every session of the user at once).
    PERMANENT_SESSION_LIFETIME = dt.timedelta(hours=12)

    def __init__(self, environ=None, instance_path: Path | None = None):
        environ = os.environ if environ is None else environ
        instance_path = instance_path or PROJECT_ROOT / "instance"
        #: the folder of the SQLite file, the development secret and the demo's keys (tests give each run its own)
        self.INSTANCE_PATH = str(instance_path)
        self.SQLALCHEMY_DATABASE_URI = _database_url(environ, instance_path)
        self.DATABASE_LOCK_TIMEOUT_MS = _int_variable(environ, "DATABASE_LOCK_TIMEOUT_MS", 5000, 10, 60000)
        self.SQLALCHEMY_ENGINE_OPTIONS = _engine_options(self.SQLALCHEMY_DATABASE_URI, self.DATABASE_LOCK_TIMEOUT_MS)
        self.RATELIMIT_STORAGE_URI = environ.get("RATELIMIT_STORAGE_URI") or "memory://"
        if not self.RATELIMIT_STORAGE_URI.startswith(("memory://", "redis://", "rediss://", "redis+sentinel://")):
            raise ConfigError("RATELIMIT_STORAGE_URI must be memory:// or a redis:// URL")
        self.RATELIMIT_ENABLED = _flag(environ, "RATELIMIT_ENABLED", True)
        self.SUBMISSION_RATE_LIMIT = _rate_limit(environ, "SUBMISSION_RATE_LIMIT", "60 per minute")
        # refusals only (core.limits): a wrong token, key or password counts; a success never does
        self.TOKEN_RATE_LIMIT = _rate_limit(environ, "TOKEN_RATE_LIMIT", "10 per minute")
        self.LOGIN_RATE_LIMIT = _rate_limit(environ, "LOGIN_RATE_LIMIT", "10 per minute; 100 per hour")
        self.LOGIN_ACCOUNT_RATE_LIMIT = _rate_limit(environ, "LOGIN_ACCOUNT_RATE_LIMIT", "5 per minute",
                                                    longest_window_minutes=15)
        self.SECRET_KEY = self._secret_key(environ, instance_path)
        self.PUBLIC_BASE_URL = self._public_base_url(environ)
        self.PORT = _int_variable(environ, "PORT", 5000, 1, 65535)  # where `make run` serves
        self.DRAFT_RETENTION_DAYS = _int_variable(environ, "DRAFT_RETENTION_DAYS", 14, 1, 365)
        #: how long a process keeps a campaign as its respondents' pages show it (responses/open_campaigns.py)
        self.CAMPAIGN_CACHE_SECONDS = _int_variable(environ, "CAMPAIGN_CACHE_SECONDS", 5, 0, 300)
        self.DEFAULT_DISCLOSURE_THRESHOLD = _int_variable(environ, "DISCLOSURE_THRESHOLD", 10, 5, 1000)

    def _secret_key(self, environ, instance_path: Path) -> str:
        key = environ.get("SECRET_KEY")
        if key:
            if len(key) < 32:
                raise ConfigError("SECRET_KEY must be at least 32 characters long")
            return key
        return _development_secret_key(instance_path)

    def _public_base_url(self, environ) -> str | None:
        # unset outside production: links use the address the server was started on (core.links)
        return _public_base_url(environ)

    def as_mapping(self) -> dict:
        names = {name for klass in type(self).__mro__ for name in vars(klass)} | set(vars(self))
        return {name: getattr(self, name) for name in names if name.isupper()}


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False
    SESSION_COOKIE_SECURE = False  # served over plain HTTP on 127.0.0.1


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SESSION_COOKIE_SECURE = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    #: respondents read only texts a person reviewed: a wave opens only in languages whose pack is marked so
    REQUIRE_REVIEWED_LANGUAGES = True

    def _secret_key(self, environ, instance_path: Path) -> str:
        if not environ.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY must be set in production (IMPPULSE_ENV=production)")
        return super()._secret_key(environ, instance_path)

    def _public_base_url(self, environ) -> str:
        url = _public_base_url(environ)
        if url is None:
            raise ConfigError("PUBLIC_BASE_URL must be set in production (IMPPULSE_ENV=production): the address "
                              "respondents' links point to, such as https://survey.example.org")
        return url

    @property
    def TRUSTED_HOSTS(self) -> list[str]:
        """A request naming any other host is refused (400): nothing can build a link from a forged Host header."""
        return [urlsplit(self.PUBLIC_BASE_URL).hostname]


CONFIGS = {c.ENV_NAME: c for c in (DevelopmentConfig, TestingConfig, ProductionConfig)}


def load_config(environ=None, instance_path: Path | None = None) -> Config:
    environ = os.environ if environ is None else environ
    name = environ.get("IMPPULSE_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"IMPPULSE_ENV must be one of {', '.join(sorted(CONFIGS))}, not {name!r}")
    return CONFIGS[name](environ, instance_path)
