"""Who may see and change what in the staff workspace.

Everyone signed in reads their own city (admins, the network coordinator: every city). Managers change their
city's campaigns and users; admins change everything, and alone read the audit log, enable free texts in
microdata and download officers' microdata. A campaign of another city is answered as if it did not exist (404),
so that slugs cannot be probed.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..campaigns.models import Campaign, City
from ..core.limits import configured, failures_per_address
from ..extensions import db
from ..i18n import supported_languages

MANAGING_ROLES = ("admin", "manager")


def staff_page(view):
    """A workspace page: signed in, in a language the site speaks; refused API tokens counted per address, as
    everywhere (a token sent to a page is checked like one sent to the API)."""

    @login_required
    @wraps(view)
    def signed_in(*args, lang: str, **kwargs):
        if lang not in supported_languages():
            abort(404)
        return view(*args, lang=lang, **kwargs)

    # the limit is applied to a function that already bears the view's name: Flask-Limiter keys its limits by
    # name, and a shared inner name made every page count every refusal once per page
    return failures_per_address(configured("TOKEN_RATE_LIMIT"), refusals={401})(signed_in)


def may_manage(city_id: int | None) -> bool:
    return current_user.role == "admin" or (current_user.role == "manager" and current_user.city_id == city_id)


def visible_campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(db.select(Campaign).filter_by(slug=slug)) if len(slug) <= 64 else None
    if campaign is None or not current_user.may_see_city(campaign.city_id):
        abort(404)
    return campaign


def managed_campaign(slug: str) -> Campaign:
    campaign = visible_campaign(slug)
    if not may_manage(campaign.city_id):
        abort(403)
    return campaign


def visible_cities() -> list[City]:
    query = db.select(City).order_by(City.name)
    if current_user.role != "admin":
        query = query.where(City.id == current_user.city_id)
    return list(db.session.scalars(query))


def require_admin() -> None:
    if current_user.role != "admin":
        abort(403)


def require_manager() -> None:
    if current_user.role not in MANAGING_ROLES:
        abort(403)


def role_name(role: str) -> str:
    return {"admin": _("network coordinator"), "manager": _("manager"), "viewer": _("viewer"),
            "analyst": _("analyst")}.get(role, role)


def init_workspace(app) -> None:
    """What the workspace's templates share."""
    from ..i18n import language_name

    app.jinja_env.globals.update(role_name=role_name, may_manage=may_manage)
    app.jinja_env.filters["language_label"] = language_name
    app.jinja_env.filters["reject_lang"] = lambda values: {key: value for key, value in values.items()
                                                           if key != "lang"}
