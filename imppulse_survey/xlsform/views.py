"""The campaign page's street-interview actions: download a wave's XLSForm, import the data collected with it."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import gettext as _

from ..accounts.access import managed_campaign, staff_page
from ..accounts.audit import record, recorded
from ..campaigns.views import render_campaign
from ..core.database import begin_write
from ..core.forms import options
from ..extensions import db
from ..i18n import language_name
from ..responses.services import SubmissionError
from . import services
from .forms import MAX_UPLOAD_BYTES, CollectedDataForm

bp = Blueprint("xlsform", __name__, url_prefix="/<lang>/staff/campaigns/<slug>")
#: room for the multipart envelope around the largest file taken
UPLOAD_ENVELOPE = 64 * 1024


def import_form(campaign, submitted: bool = False) -> CollectedDataForm:
    """The form as the campaign page shows it (empty), or as it was sent."""
    form = CollectedDataForm() if submitted else CollectedDataForm(formdata=None, language=campaign.default_language)
    form.language.choices = options((code, language_name(code)) for code in campaign.languages)
    return form


@bp.get("/waves/<label>/xlsform.xlsx")
@staff_page
def download(lang: str, slug: str, label: str):
    campaign = managed_campaign(slug)
    wave = next((wave for wave in campaign.waves if wave.label == label), None)
    if wave is None:
        abort(404)
    try:
        body = services.wave_xlsform(campaign, wave)
    except services.XLSFormRefused as error:
        return _refused(campaign, str(error))
    begin_write()
    record("xlsform.export", f"{campaign.slug} {wave.label}", campaign.city_id, languages=campaign.languages)
    db.session.commit()
    response = Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="{campaign.slug}-{wave.label}-xlsform.xlsx"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.url_value_preprocessor
def allow_collected_data(endpoint: str | None, values: dict | None) -> None:
    """A collected-data file is larger than any other form of the site may be. Set before the request's body is
    read: URL value preprocessors run before every ``before_request`` (the input guard, the CSRF check)."""
    if endpoint == "xlsform.import_data":
        request.max_content_length = max(current_app.config["MAX_CONTENT_LENGTH"] or 0,
                                         MAX_UPLOAD_BYTES + UPLOAD_ENVELOPE)


@bp.post("/collected-data")
@staff_page
def import_data(lang: str, slug: str):
    campaign = managed_campaign(slug)
    form = import_form(campaign, submitted=True)
    if not form.validate_on_submit():
        return render_campaign(campaign, 400, import_form=form)
    try:
        body = form.data_file.data.read(MAX_UPLOAD_BYTES + 1)
    finally:
        form.data_file.data.close()  # a large upload is spooled to a temporary file: closed at once
    try:
        result = services.import_collected(campaign, body, form.language.data)
    except services.XLSFormRefused as error:
        form.form_errors.append(str(error))
        return render_campaign(campaign, 409, import_form=form)
    except services.CollectedDataInvalid as error:
        form.form_errors.append(_("Nothing was imported: correct these rows in the file (or on the collection "
                                  "server), then import it again."))
        form.form_errors.extend(error.problems)
        return render_campaign(campaign, 400, import_form=form)
    except SubmissionError as error:
        db.session.rollback()
        form.form_errors.append(_("The import stopped (%(reason)s). Import the file again: the interviews stored "
                                  "so far are skipped.", reason=str(error)))
        return render_campaign(managed_campaign(slug), 409, import_form=form)
    begin_write()
    message = _("%(stored)s stored, %(skipped)s already imported, skipped.", stored=result.stored,
                skipped=result.skipped)
    return recorded("xlsform.import", f"{campaign.slug} {result.wave.label}", campaign.city_id, message,
                    url_for("campaigns.campaign_page", lang=lang, slug=slug), stored=result.stored,
                    skipped=result.skipped, dropped_columns=len(result.dropped))


def _refused(campaign, reason: str):
    return render_campaign(campaign, 409, failed=_("This was not done: %(reason)s", reason=reason))
