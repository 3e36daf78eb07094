"""The campaign page's form for importing collected data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import SelectField

#: the largest collected-data file taken: some 20,000 interviews of the standard questionnaire
MAX_UPLOAD_MB = 8
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024


class CollectedDataForm(FlaskForm):
    data_file = FileField(
        _l("Collected data (CSV)"),
        description=_l("The CSV export of ODK Central or KoboToolbox, at most %(size)s MB.", size=MAX_UPLOAD_MB),
        validators=[FileRequired(_l("Choose the CSV file to import.")),
                    FileAllowed(["csv"], _l("Choose a CSV file (.csv).")),
                    FileSize(MAX_UPLOAD_BYTES, message=_l("The file is larger than %(size)s MB: import it in parts.",
                                                          size=MAX_UPLOAD_MB))])
    language = SelectField(_l("Language of the interviews, where the file does not record it"))
