"""The workspace's people pages: a city's users (create, change role, disable, reset a password, list and revoke
tokens) for its managers and for admins, and the audit log for admins. Every change is audited."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..campaigns.models import City
from ..core.database import begin_write
from ..core.forms import ActionForm, options
from ..extensions import db
from .access import may_manage, require_admin, require_manager, role_name, staff_page, visible_cities
from .audit import events, record
from .forms import NewUserForm, RoleForm
from .models import ROLES, ApiToken, User
from .services import AccountError, change_password, create_user, end_sessions, revoke_token
from .views import bp

GENERATED_PASSWORD_BYTES = 15  # 20 characters, well above the minimum length


def _roles_offered() -> list[tuple[str, str]]:
    offered = ROLES if current_user.role == "admin" else tuple(role for role in ROLES if role != "admin")
    return options((role, role_name(role)) for role in offered)


def _managed_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not (current_user.role == "admin" or user.city_id == current_user.city_id):
        abort(404)
    if not may_manage(user.city_id) or (user.role == "admin" and current_user.role != "admin"):
        abort(403)
    if user.id == current_user.id:
        abort(403)  # nobody demotes, disables or resets themselves here: it could lock the city out
    return user


def render_users(form: NewUserForm | None = None, status: int = 200, new_password: tuple[str, str] | None = None):
    cities = [city for city in visible_cities() if may_manage(city.id)]
    query = select(User).order_by(User.email)
    if current_user.role != "admin":
        query = query.where(User.city_id == current_user.city_id)
    users = list(db.session.scalars(query))
    tokens = {}
    for token in db.session.scalars(select(ApiToken).where(ApiToken.user_id.in_([user.id for user in users]))
                                    .order_by(ApiToken.id)):
        tokens.setdefault(token.user_id, []).append(token)
    form = form or NewUserForm(formdata=None)
    form.role.choices = _roles_offered()
    form.city.choices = options([(0, _("none (network coordinator)"))] * (current_user.role == "admin") + [
        (city.id, city.name) for city in cities])
    return render_template("accounts/users.html", users=users, tokens=tokens, form=form, action_form=ActionForm(),
                           roles=_roles_offered(), new_password=new_password), status


@bp.get("/<lang>/staff/users")
@staff_page
def users(lang: str):
    require_manager()
    return render_users()


@bp.post("/<lang>/staff/users")
@staff_page
def create(lang: str):
    begin_write()
    require_manager()
    form = NewUserForm()
    form.role.choices = _roles_offered()
    if not form.validate_on_submit():
        return render_users(form, 400)
    city_id = form.city.data if current_user.role == "admin" else current_user.city_id
    city = db.session.get(City, city_id) if city_id else None
    if city is not None and not may_manage(city.id) or (form.role.data == "admin") != (city is None):
        form.city.errors = [_("A network coordinator belongs to no city; every other role belongs to one.")]
        return render_users(form, 400)
    if db.session.scalar(select(User.id).filter_by(email=form.email.data.strip().lower())) is not None:
        form.email.errors = [_("A user with this e-mail address exists already.")]
        return render_users(form, 400)
    password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    try:
        user = create_user(form.email.data, password, form.role.data, city)
    except AccountError as error:
        db.session.rollback()
        form.form_errors.append(_("This change was not made: %(reason)s", reason=str(error)))
        return render_users(form, 400)
    record("user.create", user.email, user.city_id, role=user.role)
    db.session.commit()
    return render_users(new_password=(user.email, password))


def _user_changed(user: User, action: str, message: str, /, **details):
    record(action, user.email, user.city_id, **details)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("accounts.users", lang=request.view_args["lang"]))


@bp.post("/<lang>/staff/users/<int:user_id>/role")
@staff_page
def change_role(lang: str, user_id: int):
    begin_write()
    user = _managed_user(user_id)
    form = RoleForm()
    form.role.choices = _roles_offered()
    if not form.validate_on_submit() or (form.role.data == "admin") != (user.role == "admin"):
        flash(_("This role cannot be given to this user."), "error")
        return redirect(url_for("accounts.users", lang=lang))
    before, user.role = user.role, form.role.data
    end_sessions(user)  # a new role takes effect at once, on every device
    return _user_changed(user, "user.role", _("%(email)s is now %(role)s.", email=user.email,
                                               role=role_name(user.role)), old=before, new=user.role)


@bp.post("/<lang>/staff/users/<int:user_id>/enabled")
@staff_page
def toggle_enabled(lang: str, user_id: int):
    begin_write()
    user = _managed_user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    user.is_enabled = not user.is_enabled
    end_sessions(user)
    message = _("%(email)s can log in again.", email=user.email) if user.is_enabled else _(
        "%(email)s can no longer log in or use tokens.", email=user.email)
    return _user_changed(user, "user.enabled", message, enabled=user.is_enabled)


@bp.post("/<lang>/staff/users/<int:user_id>/password")
@staff_page
def reset_password(lang: str, user_id: int):
    begin_write()
    user = _managed_user(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    change_password(user, password)
    record("user.password_reset", user.email, user.city_id)
    db.session.commit()
    return render_users(new_password=(user.email, password))


@bp.post("/<lang>/staff/users/<int:user_id>/tokens/<int:token_id>/revoke")
@staff_page
def revoke(lang: str, user_id: int, token_id: int):
    begin_write()
    user = db.session.get(User, user_id)
    if user is None or not (user.id == current_user.id or may_manage(user.city_id)):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        revoke_token(user, token_id)
    except AccountError:
        abort(404)
    return _user_changed(user, "token.revoke", _("Token revoked: requests with it are refused from now on."),
                         token=token_id)


@bp.get("/<lang>/staff/audit")
@staff_page
def audit(lang: str):
    require_admin()
    city_id = request.args.get("city", type=int)
    return render_template("accounts/audit.html", events=events(city_id, limit=500), cities=visible_cities(),
                           city_id=city_id)
