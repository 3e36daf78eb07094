"""What every domain's forms share."""

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token is all it carries."""


def options(pairs) -> list:
    """(value, label) pairs as WTForms' ``SelectChoice``s (passing tuples is deprecated)."""
    from wtforms.fields.choices import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]
