"""IMPPULSE Survey: surveys that let cities measure and improve relations between the police and the population."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask_login import current_user

from . import core  # noqa: F401 - registers the SQLite connection settings
from .config import PROJECT_ROOT, Config, ConfigError, load_config
from .core.database import give_back_write_turn
from .core.inputs import init_inputs
from .core.links import init_links
from .core.logs import init_logs
from .extensions import csrf, db, limiter, migrate


def create_app(config: Config | dict | None = None) -> Flask:
    """Build the app. ``config`` overrides the environment (tests pass a mapping)."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    settings = config if isinstance(config, Config) else load_config(instance_path=Path(app.instance_path))
    app.config.from_mapping(settings.as_mapping())
    if isinstance(config, dict):
        app.config.from_mapping(config)
    app.instance_path = app.config["INSTANCE_PATH"]
    refuse_demo_keys_in_production(app)
    if app.logger.level == logging.NOTSET:
        # operations (purges, refusals, a database outage) are logged at INFO, as counts and causes only
        app.logger.setLevel(logging.INFO)

    init_inputs(app)  # first: no handler, not even the CSRF error page, sees NUL or lone surrogates
    init_logs(app)  # no token, key or client address in the request log
    init_links(app)  # a forged Host header is refused in production, and builds no link anywhere
    db.init_app(app)
    app.teardown_appcontext(give_back_write_turn)  # whatever happened in the request
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)

    from .i18n import init_i18n

    init_i18n(app)

    from . import models  # noqa: F401 - every model, so that migrations see the whole schema
    from .core.views import bp as core_bp
    from .errors import register_error_handlers
    from .questionnaires.definition import item_type
    from .responses.forms import selected
    from .responses.views import bp as respond_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(respond_bp)
    from .api import figures  # noqa: F401 - the staff endpoints, on the API's blueprint
    from .api.views import bp as api_bp
    from .pilots import api as pilots_api  # noqa: F401 - the pilots' endpoints, on the API's blueprint

    app.register_blueprint(api_bp)
    from .exports.views import bp as exports_bp

    app.register_blueprint(exports_bp)
    from .results.views import api_bp as results_api_bp
    from .results.views import bp as results_bp

    app.register_blueprint(results_bp)
    app.register_blueprint(results_api_bp)
    from .accounts.access import init_workspace
    from .campaigns.views import bp as campaigns_bp
    from .indicators.views import bp as indicators_bp

    init_workspace(app)
    app.register_blueprint(campaigns_bp)
    app.register_blueprint(indicators_bp)
    from .pilots.views import bp as pilots_bp
    from .xlsform.views import bp as xlsform_bp

    app.register_blueprint(pilots_bp)
    app.register_blueprint(xlsform_bp)
    from .accounts import workspace  # noqa: F401 - the users and audit pages, on the accounts blueprint
    from .accounts.views import TokenRequestsAreStateless, login_manager
    from .accounts.views import bp as accounts_bp

    # templates get the lazy proxy, not the user loaded for every page: a resident's page never needs one
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = current_user
    app.session_interface = TokenRequestsAreStateless()
    app.register_blueprint(accounts_bp)
    app.jinja_env.globals.update(selected=selected, item_macro=lambda item: item_type(item).macro)
    register_error_handlers(app)

    from .cli import imppulse_cli

    app.cli.add_command(imppulse_cli)
    return app


def refuse_demo_keys_in_production(app: Flask) -> None:
    """The demo keeps an open officer wave's private key in instance/demo-keys/, which a real deployment must
    never hold: whoever can read the server's files could then open officers' answers."""
    if app.config["ENV_NAME"] == "production" and (Path(app.instance_path) / "demo-keys").exists():
        raise ConfigError(f"{Path(app.instance_path) / 'demo-keys'} exists: it holds demo private keys, which a "
                          "production server must not; delete it (and the demo data) before starting in production")
