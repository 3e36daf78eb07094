"""The workspace's forms for campaigns and waves: every check that a person can fix is made here, in their
language, before the services' own checks (which the command line shares) run."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import ActionForm, options  # noqa: F401  (ActionForm: the campaign pages' buttons)
from .models import MINIMUM_DISCLOSURE_THRESHOLD
from .services import LABEL_PATTERN, MAX_CAMPAIGN_TEXT, SLUG_PATTERN

MAX_INVITATIONS = 5000  # per batch from the browser (the command line makes up to 100,000)
WHOLE_NUMBER = _l("Enter a whole number from %(min)s to %(max)s.")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(FlaskForm):
    city = SelectField(_l("City"), coerce=int)
    version = SelectField(_l("Questionnaire and version"), coerce=int)
    slug = StringField(_l("Short name in links"), description=_l("Lower-case letters, digits and hyphens, e.g. "
                                                                  "nantes-residents-2027."),
                       validators=[DataRequired(), Regexp(SLUG_PATTERN.pattern + "$", message=_l(
                           "Use 2 to 64 lower-case letters, digits and hyphens, starting with a letter or digit."))])
    languages = CheckboxesField(_l("Languages offered"), validators=[DataRequired(_l("Choose at least one language."))])
    default_language = SelectField(_l("Default language"))
    threshold = IntegerField(_l("Disclosure threshold"), default=10,
                             description=_l("No figure is shown for fewer respondents than this. It can only be "
                                            "raised once fieldwork has started."),
                             validators=[InputRequired(), NumberRange(min=MINIMUM_DISCLOSURE_THRESHOLD, max=1000,
                                                                      message=WHOLE_NUMBER)])

    def validate_default_language(self, field):
        if field.data not in (self.languages.data or []):
            raise ValidationError(_l("The default language must be one of the languages offered."))


class WaveForm(FlaskForm):
    label = StringField(_l("Wave name"), description=_l("e.g. baseline, follow-up-1"),
                        validators=[DataRequired(), Length(max=64), Regexp(LABEL_PATTERN.pattern + "$", message=_l(
                            "Use lower-case letters, digits, hyphens or underscores."))])
    version = SelectField(_l("Questionnaire version"), coerce=int)
    opens = DateTimeLocalField(_l("Opens (UTC)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes = DateTimeLocalField(_l("Closes (UTC)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    target = IntegerField(_l("Target number of responses"), validators=[Optional(), NumberRange(min=1, max=10_000_000,
                                                                                   message=WHOLE_NUMBER)])
    recruitment_mode = SelectField(_l("How respondents are recruited"))

    def validate_closes(self, field):
        if field.data and self.opens.data and field.data <= self.opens.data:
            raise ValidationError(_l("A wave must close after it opens."))

    def utc(self, value: dt.datetime | None) -> dt.datetime | None:
        return value.replace(tzinfo=dt.UTC) if value else None


class ThresholdForm(FlaskForm):
    threshold = IntegerField(_l("Disclosure threshold"), validators=[
        InputRequired(), NumberRange(min=MINIMUM_DISCLOSURE_THRESHOLD, max=1000, message=WHOLE_NUMBER)])


class InvitationsForm(FlaskForm):
    count = IntegerField(_l("Number of invitations"), default=50,
                         validators=[InputRequired(), NumberRange(min=1, max=MAX_INVITATIONS, message=WHOLE_NUMBER)])
    output = RadioField(_l("As"), default="cards", choices=options([("cards", _l("Printable sheet of QR codes")),
                                                                   ("csv", _l("CSV file of links"))]))


class ReleaseForm(FlaskForm):
    private_key = PasswordField(_l("The wave's private key"), validators=[Optional(), Length(max=200)],
                                description=_l("Officers' answers are sealed: the key shown when the wave was "
                                               "created opens them. It is not kept."))
    reason = StringField(_l("Why it is released again"), validators=[Optional(), Length(max=200)],
                         description=_l("Only for a wave released before: new weights, a correction…"))


class FreeTextForm(FlaskForm):
    allowed = BooleanField(_l("Analysts' microdata includes the free texts"))


def texts_form(languages: list[str], data: dict | None = None) -> FlaskForm:
    """The campaign's own words for the questionnaire's {forces} and {organiser}, one field each per language."""
    from ..i18n import language_name

    class CampaignTextsForm(FlaskForm):
        pass

    for language in languages:
        for name, label in (("forces", _l("The police forces residents deal with")),
                            ("organiser", _l("Who runs the survey"))):
            setattr(CampaignTextsForm, f"{name}_{language}", StringField(
                label, description=language_name(language), render_kw={"lang": language},
                validators=[Optional(), Length(max=MAX_CAMPAIGN_TEXT)]))
    return CampaignTextsForm(data=data)
