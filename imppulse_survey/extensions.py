"""Flask extensions, created unbound and wired in :func:`imppulse_survey.create_app`."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .core.limits import client_address_key

# Constraint names from a convention, so that migrations name the same thing the same way on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay usable after a commit: a request commits once, then renders what it just stored.
db = SQLAlchemy(model_class=Model, session_options={"expire_on_commit": False})
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
# Counters live in memory with one worker, in Redis (RATELIMIT_STORAGE_URI) with more; they are keyed by hashes
# that rotate daily, never by a client address (core.limits), and nothing about a client reaches the database.
limiter = Limiter(key_func=client_address_key, default_limits=[])
