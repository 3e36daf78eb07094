from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length, Regexp

from .services import MAXIMUM_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAXIMUM_PASSWORD_LENGTH)])


class NewUserForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254),
                                                         Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address."))])
    role = SelectField(_l("Role"))
    city = SelectField(_l("City"), coerce=int, validate_choice=False)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"))
