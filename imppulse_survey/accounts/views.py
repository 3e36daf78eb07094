"""Staff login and logout, the staff start page, and who may see what."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user

from ..core.database import begin_write
from ..core.limits import configured, failures_per, failures_per_address
from ..extensions import db
from ..i18n import supported_languages
from .forms import LoginForm
from .services import authenticate, end_sessions, load_session_user, normalise_email, user_for_token

bp = Blueprint("accounts", __name__)
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str):
    return load_session_user(session_id)


@login_manager.request_loader
def load_user_from_token(req):
    if carries_token(req):
        return user_for_token(req.headers["Authorization"].removeprefix("Bearer ").strip())
    return None


def carries_token(req) -> bool:
    return req.headers.get("Authorization", "").startswith("Bearer ")


class TokenRequestsAreStateless(SecureCookieSessionInterface):
    """A request with a bearer token neither reads nor writes the session cookie.

    Otherwise a cookie that a token request left behind (a CSRF token, say) would make strong session protection
    treat the next token request as a hijacked session and refuse it, and a token holder would get a session.
    """

    def get_signing_serializer(self, app):
        """Flask's serializer, made once per set of keys: Flask makes it afresh for each request, trying it on a
        sample on the way, which cost a respondent's page more than reading the cookie."""
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        made_for, serializer = getattr(self, "_signing", (None, None))
        if made_for != keys:
            serializer = super().get_signing_serializer(app)
            self._signing = (keys, serializer)  # one assignment: threads see the keys and their serializer together
        return serializer

    def open_session(self, app, req):
        if carries_token(req):
            return self.session_class()
        return super().open_session(app, req)

    def save_session(self, app, session, response):
        if not carries_token(request):
            super().save_session(app, session, response)


def typed_email() -> str:
    """The account a login attempt is for, as typed (known or not: both count alike)."""
    return normalise_email(request.form.get("email") or "")[:254]


def is_local(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative //elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@bp.route("/<lang>/staff/login", methods=["GET", "POST"])
# Failed logins only, so that colleagues logging in from one police station never slow each other down; per
# account over a short window only, so that someone failing on purpose slows the owner's login, never locks it.
@failures_per_address(configured("LOGIN_RATE_LIMIT"), scope="login-failures", methods=["POST"])
@failures_per(typed_email, configured("LOGIN_ACCOUNT_RATE_LIMIT"), scope="login-failures-per-account",
              methods=["POST"])
def login(lang: str):
    if lang not in supported_languages():
        abort(404)
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            target = request.args.get("next")
            session.clear()  # a fresh session: nothing from before the login survives it
            login_user(user)
            db.session.commit()
            return redirect(target if is_local(target) else url_for("campaigns.home", lang=lang))
        failed = True
        current_app.logger.info("failed login")
    status = 200 if not failed else 401
    return render_template("accounts/login.html", form=form, failed=failed), status


@bp.post("/<lang>/staff/logout")
def logout(lang: str):
    if current_user.is_authenticated:
        # a copy of the cookie, taken before, must not outlive the logout
        begin_write()
        end_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login", lang=lang if lang in supported_languages() else "en"))


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/") or carries_token(request):  # a program, not a person: no login page
        from ..errors import render_error

        return render_error(401)
    lang = (request.view_args or {}).get("lang", "en")
    return redirect(url_for("accounts.login", lang=lang if lang in supported_languages() else "en", next=request.path))
