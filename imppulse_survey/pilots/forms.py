"""The workspace's forms for pilots: texts in the city's languages, the design, actions and budget lines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, FloatField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..campaigns.forms import CheckboxesField
from ..core.forms import options
from ..i18n import language_name
from .models import ACTION_STATUSES
from .services import SLUG

TARGET_ROWS = 4  # target indicators a form offers at once (blank rows are ignored)
MAX_TEXT = 4000
POINTS = _l("Enter a value from 0 to 100.")
NO_WAVE = 0


def action_status_names() -> dict[str, str]:
    return {"planned": _l("planned"), "under_way": _l("under way"), "done": _l("done"), "cancelled": _l("cancelled")}


def texts_form(languages: list[str], data: dict | None = None, with_slug: bool = False, **kwargs) -> FlaskForm:
    """Title, description and objectives in each of the city's languages (the title in the first required)."""

    class PilotTextsForm(FlaskForm):
        pass

    if with_slug:
        PilotTextsForm.slug = StringField(
            _l("Short name in links"), description=_l("Lower-case letters, digits and hyphens, e.g. foot-patrols."),
            validators=[DataRequired(), Regexp(SLUG.pattern + "$", message=_l(
                "Use 1 to 48 lower-case letters, digits and hyphens, starting with a letter or digit."))])
    for position, language in enumerate(languages):
        required = [DataRequired()] if position == 0 else [Optional()]
        fields = (("title", StringField, _l("Title"), [*required, Length(max=200)]),
                  ("description", TextAreaField, _l("Description"), [Optional(), Length(max=MAX_TEXT)]),
                  ("objectives", TextAreaField, _l("Objectives"), [Optional(), Length(max=MAX_TEXT)]))
        for name, kind, label, validators in fields:
            setattr(PilotTextsForm, f"{name}_{language}", kind(label, description=language_name(language),
                                                               render_kw={"lang": language}, validators=validators))
    return PilotTextsForm(data=data, **kwargs)


def texts_of(form: FlaskForm, languages: list[str]) -> dict:
    return {name: {language: form[f"{name}_{language}"].data.strip() for language in languages
                   if form[f"{name}_{language}"].data and form[f"{name}_{language}"].data.strip()}
            for name in ("title", "description", "objectives")}


class DesignForm(FlaskForm):
    resident_baseline = SelectField(_l("Residents' baseline wave"), coerce=int)
    resident_follow_up = SelectField(_l("Residents' follow-up wave"), coerce=int)
    officer_baseline = SelectField(_l("Officers' baseline wave"), coerce=int, validators=[Optional()])
    officer_follow_up = SelectField(_l("Officers' follow-up wave"), coerce=int, validators=[Optional()])
    pilot_districts = CheckboxesField(_l("Pilot districts"), coerce=int,
                                      validators=[DataRequired(_l("Choose at least one pilot district."))])
    comparison_districts = CheckboxesField(_l("Comparison districts"), coerce=int, validators=[
        DataRequired(_l("Choose at least one comparison district."))])
    primary_indicator = SelectField(_l("Primary indicator"))
    reason = TextAreaField(_l("Why the design is declared or changed now"), validators=[Optional(), Length(max=500)],
                           description=_l("Needed once the residents' baseline is released: it is shown, dated, on "
                                          "every report."))

    def validate_comparison_districts(self, field):
        if set(field.data or []) & set(self.pilot_districts.data or []):
            raise ValidationError(_l("A district cannot be both a pilot and a comparison district."))

    def validate_resident_follow_up(self, field):
        if field.data == self.resident_baseline.data:
            raise ValidationError(_l("The follow-up must be another wave than the baseline."))

    def validate_officer_follow_up(self, field):
        if (field.data == NO_WAVE) != (self.officer_baseline.data == NO_WAVE):
            raise ValidationError(_l("Choose both officers' waves, or neither."))
        if field.data != NO_WAVE and field.data == self.officer_baseline.data:
            raise ValidationError(_l("The follow-up must be another wave than the baseline."))

    def targets(self) -> list[tuple[str, float, float]]:
        return [(self[f"target_{row}"].data, self[f"baseline_value_{row}"].data, self[f"target_value_{row}"].data)
                for row in range(TARGET_ROWS) if self[f"target_{row}"].data]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        chosen = [key for key, *_ in self.targets()]
        for row in range(TARGET_ROWS):
            key = self[f"target_{row}"].data
            if key and (self[f"baseline_value_{row}"].data is None or self[f"target_value_{row}"].data is None):
                self[f"target_{row}"].errors = [*self[f"target_{row}"].errors,
                                                _l("Give the baseline and the target value.")]
                valid = False
            elif key and chosen.count(key) > 1:
                self[f"target_{row}"].errors = [*self[f"target_{row}"].errors, _l("Name each indicator once.")]
                valid = False
        if not chosen:
            self.target_0.errors = [*self.target_0.errors, _l("Name at least one target indicator.")]
            valid = False
        elif self.primary_indicator.data not in chosen:
            self.primary_indicator.errors = [*self.primary_indicator.errors,
                                             _l("The primary indicator must be one of the target indicators.")]
            valid = False
        return valid


for _row in range(TARGET_ROWS):
    setattr(DesignForm, f"target_{_row}", SelectField(_l("Target indicator %(number)s", number=_row + 1),
                                                      validators=[Optional()]))
    setattr(DesignForm, f"baseline_value_{_row}", FloatField(_l("Baseline value"), validators=[
        Optional(), NumberRange(min=0, max=100, message=POINTS)]))
    setattr(DesignForm, f"target_value_{_row}", FloatField(_l("Target value"), validators=[
        Optional(), NumberRange(min=0, max=100, message=POINTS)]))


def design_choices(form: DesignForm, waves: dict[str, list], districts: list, indicators: list) -> DesignForm:
    """Fill the choices: ``waves`` by audience ("resident", "officer") as (wave, campaign) pairs."""
    def wave_options(audience: str, blank: bool):
        found = [(wave.id, f"{wave.campaign.slug} · {wave.label}") for wave in waves.get(audience, [])]
        return options(([(NO_WAVE, _l("None: no officers' side"))] if blank else []) + found)

    form.resident_baseline.choices = form.resident_follow_up.choices = wave_options("resident", False)
    form.officer_baseline.choices = form.officer_follow_up.choices = wave_options("officer", True)
    form.pilot_districts.choices = form.comparison_districts.choices = options(
        (district.code, district.name) for district in districts)
    indicator_options = [(indicator.key, label) for indicator, label in indicators]
    form.primary_indicator.choices = options(indicator_options)
    for row in range(TARGET_ROWS):
        form[f"target_{row}"].choices = options([("", _l("None"))] + indicator_options)
    return form


class PilotActionForm(FlaskForm):
    name = StringField(_l("Action"), validators=[DataRequired(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=options((status, action_status_names()[status])
                                                       for status in ACTION_STATUSES))
    owner = StringField(_l("Who is responsible"), validators=[Optional(), Length(max=200)])

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("An action ends after it starts."))


class BudgetAmountsForm(FlaskForm):
    planned = DecimalField(_l("Planned (EUR)"), places=2, validators=[
        InputRequired(), NumberRange(min=0, max=10 ** 9, message=_l("Enter an amount in euros, 0 or more."))])
    spent = DecimalField(_l("Spent (EUR)"), places=2, default=0, validators=[
        Optional(), NumberRange(min=0, max=10 ** 9, message=_l("Enter an amount in euros, 0 or more."))])


class BudgetLineForm(BudgetAmountsForm):
    label = StringField(_l("Budget line"), validators=[DataRequired(), Length(max=200)])
